/**
 * Agent console: the opened ticket (timeline, context pane, reply box).
 */
import { $, el } from '../console/common.js';
import { CHANNEL_ICONS } from './texts.js';
import { OPEN, state, t } from './state.js';
import { clock, customerName, icon, isVip, kv, money, notice, reasonText } from './helpers.js';
import { act, api } from './api.js';
import { renderLists } from './lists.js';
import { claim, renderTransfer } from './actions.js';
import { resetArticlePick } from './articles.js';
import { hideCustomerTyping } from './alerts.js';
import { renderHistory } from './contacts.js';
import { hideSlash } from './slash.js';

/* ------------------------------------------------------------------ the opened ticket */

export async function openTicket(id) {
  state.opening = id; // from now on a message for the ticket being left is unread (socket.js)
  let data;
  try {
    data = await act(() => api('GET', `/api/tickets/${id}`));
  } finally {
    if (state.opening === id) state.opening = null;
  }
  if (!data) return;
  const known = state.queue.get(id) || state.mine.get(id);
  const { timeline, ...ticket } = data;
  state.current = { ...(known || {}), ...ticket };
  state.unread.delete(id);
  state.seen.clear();
  state.history = null;
  state.customer = null;
  resetArticlePick();
  hideCustomerTyping();
  hideSlash();
  notice('');
  $('agent-timeline').replaceChildren();
  $('agent-placeholder').hidden = true;
  $('agent-composer').hidden = false;
  $('agent-side-placeholder').hidden = true;
  $('agent-side-body').hidden = false;
  for (const m of timeline || []) appendMessage(m, false);
  scrollTimeline();
  renderHead();
  renderSide();
  renderLists();
  loadCustomer(ticket.customer_id);
  $('agent-reply').focus();
}

export function closeTicket() {
  state.current = null;
  state.customer = null;
  state.history = null;
  resetArticlePick();
  hideCustomerTyping();
  state.seen.clear();
  $('agent-timeline').replaceChildren();
  $('agent-placeholder').hidden = false;
  $('agent-composer').hidden = true;
  $('agent-side-placeholder').hidden = false;
  $('agent-side-body').hidden = true;
  $('agent-ticket-title').textContent = t.noTicket;
  $('agent-ticket-sub').textContent = '';
}

export async function reloadTimeline() {
  const cur = state.current;
  if (!cur) return;
  const data = await act(() => api('GET', `/api/tickets/${cur.id}`));
  if (!data || !state.current || state.current.id !== cur.id) return;
  state.seen.clear();
  $('agent-timeline').replaceChildren();
  for (const m of data.timeline || []) appendMessage(m, false);
  scrollTimeline();
}

async function loadCustomer(customerId) {
  const data = await act(() => api('GET', `/api/customers/${customerId}/timeline`));
  if (!data || !state.current || state.current.customer_id !== customerId) return;
  state.customer = data.customer;
  state.history = data.history || null;
  renderHead();
  renderSide();
}

export function renderHead() {
  const cur = state.current;
  if (!cur) return;
  const name = customerName(state.customer ? { ...cur, customer: state.customer } : cur);
  $('agent-ticket-title').textContent = `${t.ticketN(cur.id)} · ${name}`;
  const parts = [t.statuses[cur.status] || cur.status, `${t.team}: ${cur.team}`];
  if (cur.assignee) parts.push(t.assignedTo(cur.assignee));
  if (cur.csat) parts.push(t.csat(cur.csat));
  $('agent-ticket-sub').textContent = parts.join(' · ');
}

function scrollTimeline() {
  const list = $('agent-timeline');
  list.scrollTop = list.scrollHeight;
}

function messageText(m) {
  const p = m.payload || {};
  if (m.kind === 'csat_request') return t.kinds.csat_request;
  if (m.kind === 'csat' || p.score != null) return t.csat(p.score);
  return m.text || p.text || t.kinds[m.kind] || m.kind;
}

export function appendMessage(m, live) {
  const key = `${m.conversation_id}:${m.seq}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  const list = $('agent-timeline');
  const stick = !live || list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  const p = m.payload || {};
  const li = el('li', 'tl-msg');
  li.dataset.kind = m.kind;
  li.dataset.author = m.author;
  li.dataset.seq = String(m.seq);
  li.dataset.conversation = String(m.conversation_id);
  if (m.direction === 'out') li.classList.add('out');
  if (m.internal) {
    li.classList.add('tl-internal');
    li.dataset.internal = 'true';
  }
  if (m.kind === 'csat_request' || m.author === 'system') li.classList.add('tl-system');

  const meta = el('div', 'tl-meta');
  if (m.internal) meta.append(el('span', 'tl-note-tag', t.noteTag));
  const author = m.author === 'agent' && p.agent ? p.agent : (t.authors[m.author] || m.author);
  meta.append(el('span', 'tl-author', author));
  const chan = el('span', 'tl-chan');
  chan.dataset.channel = m.channel;
  chan.append(icon(CHANNEL_ICONS[m.channel] || CHANNEL_ICONS.other), t.channelNames[m.channel] || m.channel);
  meta.append(chan);
  const time = el('time', null, clock(m.created_at));
  time.dateTime = m.created_at;
  meta.append(time);
  li.append(meta);

  if (m.kind === 'answer' && p.article && p.article.title) {
    const title = el('div', 'tl-title', p.article.title);
    if (p.confidence != null) title.textContent += ` (${Number(p.confidence).toFixed(2)})`;
    li.append(title);
  }
  li.append(el('div', 'tl-text', messageText(m)));
  if (m.kind === 'clarify' && Array.isArray(p.options)) {
    const ul = el('ul', 'tl-opts');
    ul.setAttribute('aria-label', t.options);
    for (const o of p.options) ul.append(el('li', null, (o && (o.title || o.slug)) || ''));
    li.append(ul);
  }
  list.append(li);
  if (stick) scrollTimeline();
}

export function renderSide() {
  const cur = state.current;
  if (!cur) return;
  const cust = state.customer || cur.customer || {};
  const dl = $('agent-customer');
  dl.replaceChildren();
  kv(dl, t.name, cust.name || cust.display_name || t.customerN(cur.customer_id));
  kv(dl, t.email, cust.email);
  kv(dl, t.vip, isVip({ ...cur, customer: cust }) ? t.yes : t.no);
  if (Array.isArray(cust.identities) && cust.identities.length) {
    const kinds = [...new Set(cust.identities.map((i) => `${t.identities[i.kind] || i.kind}${i.verified ? ' ✓' : ''}`))];
    kv(dl, t.channels, kinds.join(', '));
  }

  const ctx = cur.context || {};
  const cdl = $('agent-context');
  cdl.replaceChildren();
  kv(cdl, t.step, ctx.step);
  kv(cdl, t.order, ctx.order_id);
  kv(cdl, t.amount, money(ctx.amount, ctx.currency));
  kv(cdl, t.currency, ctx.currency);
  if (!cdl.childElementCount) cdl.append(el('dd', 'hint', t.noContextData));

  const rdl = $('agent-bot-reason');
  rdl.replaceChildren();
  kv(rdl, t.reason, reasonText(cur.reason));
  kv(rdl, t.question, cur.question);
  const ul = $('agent-attempts');
  ul.replaceChildren();
  const attempts = Array.isArray(cur.bot_attempts) ? cur.bot_attempts : [];
  // Scores are not 0–1: bars are relative to the best attempt.
  const best = Math.max(0, ...attempts.map((a) => Number(a && a.score)).filter(Number.isFinite));
  for (const a of attempts) {
    if (!a || typeof a !== 'object') continue;
    const li = el('li');
    li.dataset.slug = a.slug || '';
    const score = Number(a.score);
    li.append(el('span', null, a.title || a.slug), el('span', 'score', Number.isFinite(score) ? score.toFixed(2) : '–'));
    li.append(el('span', 'slug', a.matched ? `${a.slug} · “${a.matched}”` : a.slug));
    const bar = el('span', 'bar');
    bar.setAttribute('aria-hidden', 'true');
    const fill = el('i');
    fill.style.width = `${best > 0 && score > 0 ? Math.round((score / best) * 100) : 0}%`;
    bar.append(fill);
    li.append(bar);
    ul.append(li);
  }
  if (!ul.childElementCount) ul.append(el('li', 'hint', t.noAttempts));

  const mine = state.agent && cur.assignee_id === state.agent.id;
  const active = OPEN.includes(cur.status);
  const claim = $('agent-claim');
  claim.disabled = !active || mine;
  claim.textContent = mine ? t.claimed : t.claim;
  $('agent-transfer').disabled = !active;
  $('agent-resolve').disabled = !active;
  renderTransfer();
  renderHistory();
}
