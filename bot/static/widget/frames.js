/**
 * Widget: showing a frame in the transcript, in seq order.
 */
import { t } from './texts.js';
import { KEYS, PERMANENT, store } from './storage.js';
import { state } from './state.js';
import { emit } from './events.js';
import { resetSeq, saveTranscript } from './transcript.js';
import { nodes, ui } from './ui.js';
import { offerDetail, updateOffer } from './offer.js';
import { applyStatus, autosize, checkLength, setUnread, showTyping } from './composer.js';
import { renderItem, updateCustomerStatus } from './messages.js';
import { markRated, ratingCard, releaseHuman } from './actions.js';
import { findMessage, sendFrame, storedText } from './connection.js';
import { EVENT_ERRORS, lastEventAt } from './panel.js';

/** Show a frame (stored frames in seq order among those shown). */
export function show(f, seq) {
  switch (f.type) {
    case 'typing':
      showTyping(f.who);
      return;
    case 'status':
      applyStatus(f);
      return;
    case 'reopened': // a reply email's link: from now on this browser is that conversation's visitor
      state.reopen = '';
      if (typeof f.visitor === 'string' && f.visitor) {
        state.visitor = f.visitor;
        store.set(KEYS.visitor, f.visitor);
      }
      return;
    case 'message': {
      const mine = findMessage(f.id);
      if (mine) { // our own message echoed back (a resume, or another tab's socket): it is stored
        storedText(mine, f.text);
        if (mine.status !== 'sent' || mine.seq == null) {
          mine.status = 'sent';
          if (seq != null) mine.seq = seq;
          updateCustomerStatus(mine);
          saveTranscript();
        }
        return;
      }
      return addItem({ kind: 'message', id: f.id, text: str(f.text), author: f.author, channel: f.channel, status: 'sent', seq, at: atOf(f) });
    }
    case 'answer': {
      const item = { kind: 'answer', text: str(f.text), article: articleOf(f.article), confidence: f.confidence, seq, at: atOf(f) };
      addItem(item);
      emit('answer', { text: item.text, article: item.article, confidence: item.confidence ?? null });
      return;
    }
    case 'proactive': {
      if (f.offer == null) return;
      const item = {
        kind: 'proactive', offer: f.offer, rule: str(f.rule), title: str(f.title), text: str(f.text),
        article: articleOf(f.article), seq, at: atOf(f), seen: state.open || undefined,
      };
      addItem(item);
      updateOffer();
      emit('offer', offerDetail(item, 'shown'));
      return;
    }
    case 'clarify':
      return addItem({
        kind: 'clarify', text: f.text ? str(f.text) : undefined, seq,
        options: Array.isArray(f.options) ? f.options.map(articleOf).filter(Boolean) : [],
      });
    case 'handoff':
      releaseHuman();
      if (ui.human && !state.info) ui.human.hidden = true; // an older server sends no status: a person has it now
      addItem({ kind: 'handoff', ticket: f.ticket, text: f.text ? str(f.text) : undefined, seq, at: atOf(f) });
      emit('handoff', { ticket: f.ticket ?? null });
      return;
    case 'agent_message': {
      const agent = f.agent ? str(f.agent) : '';
      // Replayed history (another device, a cleared cache) has no live status: the person's first reply
      // says who joined.
      if (agent && seq != null && !state.transcript.some((i) => i.kind === 'joined' && i.agent === agent)) {
        addItem({ kind: 'joined', agent, seq: seq - 0.5, at: atOf(f) });
      }
      addItem({ kind: 'agent_message', text: str(f.text), agent, seq, at: atOf(f) });
      emit('agent_message', { text: str(f.text), agent });
      return;
    }
    case 'csat_request':
      if (ui.human && !state.info) ui.human.hidden = false;
      return addItem({ kind: 'csat_request', ticket: f.ticket, text: f.text ? str(f.text) : undefined, seq, at: atOf(f) });
    case 'notice':
      if (f.csat && typeof f.csat === 'object') { // the thanks for a rating: the card itself says it
        const card = ratingCard(f.csat.ticket);
        if (card) {
          if (!card.score) markRated(card, Number(f.csat.score));
          return;
        }
      }
      return addItem({ kind: 'notice', text: str(f.text), seq, at: atOf(f) });
    case 'error': { // shown, not cached: errors are about this moment
      releaseHuman();
      if (f.code === 'invalid_resume' && (state.lastSeq > 0 || state.ahead.size)) {
        // The server's conversation is not the one we remember (e.g. merged after signing in):
        // start over from its beginning rather than drop its frames as already seen.
        resetSeq();
        sendFrame({ type: 'resume', after: 0 });
        return;
      }
      if (f.code === 'invalid_link' || f.code === 'link_expired') state.reopen = '';
      // An event the shop's page sent wrong (or too many of them) is for its developer, not the customer.
      if (EVENT_ERRORS.has(f.code) || (Date.now() - lastEventAt < 3000 && !state.pending.length &&
          (f.code === 'rate_limited' || f.code === 'too_large'))) {
        if (window.console) console.warn(`Kundresa: ${f.code}: ${str(f.message)}`);
        return;
      }
      if (f.code === 'already_rated') { // rated before (another device): the stored score stands
        const card = ratingCard(typeof f.ticket === 'number' ? f.ticket : null);
        if (card) markRated(card, Number(f.score) || card.score);
        return;
      }
      const item = findMessage(f.id);
      if (item && item.status === 'pending') {
        if (PERMANENT.has(f.code)) takeBack(item);
        else {
          item.status = 'failed';
          updateCustomerStatus(item);
          saveTranscript();
        }
      }
      // In the widget's language, whatever the server's words; not kept in the transcript.
      const known = (f.limit && t.errors[`${f.code}:${f.limit}`]) || t.errors[f.code];
      renderItem({ kind: 'error', code: f.code, message: known || t.error, seq }, true);
      return;
    }
    default:
      // Unknown frame types are ignored, so the server can add new ones without breaking old widgets.
  }
}

export const str = (v) => (v == null ? '' : String(v));
const atOf = (f) => (typeof f.at === 'string' ? f.at : new Date().toISOString());

/** A message the server refused for good: out of the transcript, its text back in the composer. */
function takeBack(item) {
  const i = state.transcript.indexOf(item);
  if (i >= 0) state.transcript.splice(i, 1);
  saveTranscript();
  const row = nodes.get(item);
  if (row) row.remove();
  if (ui.input && !ui.input.value.trim()) {
    ui.input.value = item.text;
    autosize();
    checkLength();
  }
}
function articleOf(a) {
  if (!a || typeof a !== 'object' || !a.slug) return null;
  return { slug: String(a.slug), title: str(a.title || a.slug) };
}

/** Into the transcript at its seq's place: a frame that comes late goes before later ones shown. */
export function addItem(item) {
  const list = state.transcript;
  let at = list.length;
  if (item.seq != null) {
    const later = list.findIndex((i) => i.seq != null && i.seq > item.seq);
    if (later >= 0) at = later;
  }
  list.splice(at, 0, item);
  saveTranscript();
  renderItem(item, true, list[at + 1]);
  if (!state.open && item.kind !== 'message') setUnread(state.unread + 1);
}
