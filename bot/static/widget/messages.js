/**
 * Widget: rendering transcript items (answers with Markdown, options, cards, feedback).
 */
import { renderMarkdown } from '../markdown/render.js';
import { cfg } from './config.js';
import { t } from './texts.js';
import { state } from './state.js';
import { saveTranscript } from './transcript.js';
import { button, el, icon, ICON_DOWN, ICON_UP, srOnly } from './dom.js';
import { nodes, ui } from './ui.js';
import { openOffer, refreshOfferRow } from './offer.js';
import { hideTyping, nearBottom, scrollToBottom, updateWelcome } from './composer.js';
import { choose, rate, transmit } from './actions.js';
import { queueFrame } from './connection.js';
import { show } from './frames.js';

/* ------------------------------------------------------------------ rendering */

function shell(kind, side, who) {
  const row = el('div', `kundresa-msg kundresa-msg--${side}`);
  row.dataset.kind = kind;
  if (who) row.append(srOnly(`${who}: `));
  return row;
}
function systemRow(kind, text) {
  const row = shell(kind, 'system', t.system);
  row.append(el('div', 'kundresa-system', text));
  return row;
}

/** "14:05" (with the full date and time as its title), or null when the item has no time. */
function stamp(item) {
  if (!item.at) return null;
  const d = new Date(item.at);
  if (Number.isNaN(d.getTime())) return null;
  const node = el('time', 'kundresa-time', d.toLocaleTimeString(cfg.lang === 'en' ? 'en-GB' : 'sv-SE', { hour: '2-digit', minute: '2-digit' }));
  node.dateTime = d.toISOString();
  node.title = d.toLocaleString(cfg.lang === 'en' ? 'en-GB' : 'sv-SE');
  return node;
}
function withStamp(row, item) {
  const time = stamp(item);
  if (time) {
    const meta = el('div', 'kundresa-meta kundresa-stamp');
    meta.append(time);
    row.append(meta);
  }
  return row;
}

/** An answer's short form: its first paragraph (a list or heading first: up to the first paragraph
 * break), or null when the whole answer is that short already. */
function summaryOf(text) {
  const blocks = String(text || '').replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
  if (blocks.length < 2) return null;
  let first = blocks[0];
  if (/^#{1,6}\s/.test(first) && blocks.length > 2) first = blocks[1]; // a heading alone says little
  return first.length < String(text).trim().length - 40 ? first : null;
}

// Items someone was typing: when one comes, the typing hint has done its job.
const WRITTEN = new Set(['message', 'answer', 'clarify', 'handoff', 'agent_message', 'csat_request']);

const RENDER = {
  message(item) {
    if (item.author && item.author !== 'customer') {
      const row = shell('message', 'them', t.agent);
      const bubble = el('div', 'kundresa-bubble');
      bubble.append(renderMarkdown(item.text));
      row.append(bubble);
      return withStamp(row, item);
    }
    const row = shell('message', 'me', t.you);
    if (item.id) row.dataset.id = item.id;
    row.append(el('div', 'kundresa-bubble', item.text), el('div', 'kundresa-meta'));
    return row;
  },
  answer(item) {
    // Reads like an answer: the article as a card, its first paragraph, and "Read more" for the rest.
    const row = shell('answer', 'them', t.bot);
    if (item.article && item.article.slug) row.dataset.article = item.article.slug;
    if (item.confidence != null) row.dataset.confidence = String(item.confidence);
    const bubble = el('div', 'kundresa-bubble');
    if (item.article && item.article.title) {
      const card = el('div', 'kundresa-card');
      const h = el('div', 'kundresa-article', item.article.title);
      h.setAttribute('role', 'heading');
      h.setAttribute('aria-level', '3');
      card.append(el('span', 'kundresa-card-kind', t.article), h);
      bubble.append(card);
    }
    const summary = summaryOf(item.text);
    const body = el('div', 'kundresa-answer-body');
    const show = (full) => {
      body.textContent = '';
      body.append(renderMarkdown(full || !summary ? item.text : summary));
    };
    show(!!item.expanded);
    bubble.append(body);
    if (summary) {
      const more = button('kundresa-more', item.expanded ? t.readLess : t.readMore);
      more.setAttribute('aria-expanded', String(!!item.expanded));
      more.addEventListener('click', () => {
        item.expanded = !item.expanded;
        saveTranscript();
        show(item.expanded);
        more.textContent = item.expanded ? t.readLess : t.readMore;
        more.setAttribute('aria-expanded', String(item.expanded));
      });
      bubble.append(more);
    }
    row.append(bubble);
    return withStamp(row, item);
  },
  clarify(item) {
    const row = shell('clarify', 'them', t.bot);
    const bubble = el('div', 'kundresa-bubble');
    bubble.append(el('p', 'kundresa-p', item.text || t.clarify));
    const group = el('div', 'kundresa-options');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', t.options);
    for (const opt of item.options || []) {
      if (!opt || !opt.slug) continue;
      const b = button('kundresa-option', opt.title || opt.slug);
      b.dataset.slug = opt.slug;
      if (item.chosen) {
        b.disabled = true;
        b.setAttribute('aria-pressed', String(item.chosen === opt.slug));
      }
      b.addEventListener('click', () => choose(item, opt.slug));
      group.append(b);
    }
    bubble.append(group);
    row.append(bubble);
    return row;
  },
  handoff(item) {
    const text = item.text || t.handoff;
    const row = systemRow('handoff', item.ticket != null ? `${text} (${t.ticket} #${item.ticket})` : text);
    if (item.ticket != null) row.dataset.ticket = String(item.ticket);
    return row;
  },
  agent_message(item) {
    const row = shell('agent_message', 'them');
    row.append(el('div', 'kundresa-author', item.agent ? `${item.agent} · ${t.agent}` : t.agent));
    const bubble = el('div', 'kundresa-bubble'); // Markdown, like the bot's answers
    bubble.append(renderMarkdown(item.text));
    row.append(bubble);
    return withStamp(row, item);
  },
  joined(item) {
    const row = shell('joined', 'wide', t.system);
    row.classList.add('kundresa-msg--system');
    row.append(el('div', 'kundresa-divider', t.joined(item.agent || t.agent)));
    return row;
  },
  csat_request(item) {
    // A divider marks the end of the person's part, then the rating card.
    const row = shell('csat_request', 'wide', t.bot);
    row.append(el('div', 'kundresa-divider', t.resolved));
    if (item.ticket != null) row.dataset.ticket = String(item.ticket);
    const bubble = el('div', 'kundresa-bubble');
    bubble.append(el('p', 'kundresa-p', item.text || t.csat));
    const scale = el('div', 'kundresa-scale');
    scale.setAttribute('role', 'group');
    scale.setAttribute('aria-label', t.csat);
    for (let n = 1; n <= 5; n++) {
      const b = button('kundresa-score', String(n), t.csatLabel(n));
      b.dataset.score = String(n);
      if (item.score) {
        b.disabled = true;
        b.setAttribute('aria-pressed', String(item.score === n));
      }
      b.addEventListener('click', () => rate(item, n));
      scale.append(b);
    }
    const legend = el('div', 'kundresa-scale-legend');
    legend.setAttribute('aria-hidden', 'true');
    legend.append(el('span', null, `1 = ${t.csatLow}`), el('span', null, `5 = ${t.csatHigh}`));
    bubble.append(scale, legend);
    row.append(bubble, el('div', 'kundresa-meta', item.score ? t.csatThanks : ''));
    return row;
  },
  error(item) {
    const row = systemRow('error', item.message || t.error);
    if (item.code) row.dataset.code = String(item.code);
    return row;
  },
  notice(item) {
    return systemRow('notice', item.text || '');
  },
  proactive(item) {
    // The offer in the panel too: what the bubble said, and "Show me" until it has been opened.
    const row = shell('proactive', 'them', t.agent);
    row.dataset.offer = String(item.offer);
    const bubble = el('div', 'kundresa-bubble');
    const md = el('div', 'kundresa-md');
    if (item.title) md.append(el('p', 'kundresa-p kundresa-mdh', item.title));
    if (item.text) md.append(el('p', 'kundresa-p', item.text));
    bubble.append(md);
    if (item.article) {
      const b = button('kundresa-option kundresa-offer-show', t.offerShow);
      b.addEventListener('click', () => openOffer(item));
      const group = el('div', 'kundresa-options');
      group.append(b);
      bubble.append(group);
    }
    row.append(bubble);
    return withStamp(row, item);
  },
};

export function renderItem(item, live, before) {
  const render = RENDER[item.kind];
  if (!render || !ui.list) return null;
  const stick = !live || nearBottom() || item.kind === 'message';
  const row = render(item);
  if (item.seq != null && item.kind !== 'joined') row.dataset.seq = String(item.seq); // joined: a place only
  nodes.set(item, row);
  if (item.kind === 'proactive') refreshOfferRow(item);
  const next = before && nodes.get(before);
  if (next && next.parentNode === ui.list) ui.list.insertBefore(row, next);
  else ui.list.append(row);
  if (item.kind === 'message') updateCustomerStatus(item);
  if (live) {
    if (WRITTEN.has(item.kind)) hideTyping(); // what the writer wrote came; a 'joined' divider is not it
    updateWelcome();
    if (item.kind === 'answer') refreshFeedbackRows();
  }
  if (stick) scrollToBottom();
  return row;
}

export function updateCustomerStatus(item) {
  const row = nodes.get(item);
  if (!row || (item.author && item.author !== 'customer')) return;
  row.dataset.status = item.status || 'sent';
  if (item.seq != null) row.dataset.seq = String(item.seq); // known once acked
  const meta = row.querySelector('.kundresa-meta');
  meta.textContent = '';
  if (item.status === 'pending') meta.textContent = t.sending;
  else if (item.status === 'failed') {
    const retry = el('button', 'kundresa-inline-btn', t.retry);
    retry.type = 'button';
    retry.addEventListener('click', () => {
      item.status = 'pending';
      updateCustomerStatus(item);
      saveTranscript();
      transmit(item);
    });
    meta.append(`${t.failed} `, retry);
  } else if (item.channel && item.channel !== 'web') meta.textContent = t.via(item.channel);
  const time = item.status === 'sent' || !item.status ? stamp(item) : null;
  if (time) meta.append(time);
  meta.hidden = !meta.textContent;
}

/** 👍/👎 only under the newest answer: the feedback frame names no answer, so older ones would be ambiguous. */
export function refreshFeedbackRows() {
  const answers = state.transcript.filter((i) => i.kind === 'answer');
  const latest = answers[answers.length - 1];
  for (const item of answers) {
    const row = nodes.get(item);
    if (!row) continue;
    const existing = row.querySelector('.kundresa-feedback');
    if (item.feedback != null) {
      if (!existing) row.append(feedbackDone(item.feedback));
    } else if (item !== latest) {
      if (existing) existing.remove();
    } else if (!existing) {
      row.append(feedbackRow(item));
    }
  }
}
/** The choice made, without words of its own: the server's one reply (thanks, or the handoff) speaks. */
function feedbackDone(helpful) {
  const done = el('div', 'kundresa-feedback');
  done.dataset.done = 'true';
  const b = button('kundresa-fb', null, helpful ? t.yes : t.no);
  b.append(icon(helpful ? ICON_UP : ICON_DOWN));
  b.disabled = true;
  b.setAttribute('aria-pressed', 'true');
  b.dataset.helpful = String(helpful);
  done.append(b);
  return done;
}
function feedbackRow(item) {
  const rowEl = el('div', 'kundresa-feedback');
  rowEl.append(el('span', null, t.helpful));
  for (const [helpful, glyph, label] of [[true, ICON_UP, t.yes], [false, ICON_DOWN, t.no]]) {
    const b = button('kundresa-fb', null, label);
    b.append(icon(glyph));
    b.dataset.helpful = String(helpful);
    b.addEventListener('click', () => {
      item.feedback = helpful;
      queueFrame({ type: 'feedback', helpful });
      saveTranscript();
      const done = feedbackDone(helpful);
      rowEl.replaceWith(done);
      if (ui.input) ui.input.focus();
    });
    rowEl.append(b);
  }
  return rowEl;
}
