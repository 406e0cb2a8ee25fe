/**
 * Widget: what the customer does (choose, rate, ask for a human, send).
 */
import { t } from './texts.js';
import { newClientId } from './storage.js';
import { state } from './state.js';
import { emit } from './events.js';
import { saveTranscript } from './transcript.js';
import { nodes, ui } from './ui.js';
import { nearBottom, overflow, scrollToBottom } from './composer.js';
import { renderItem } from './messages.js';
import { armAckTimer, connect, queueFrame, sendFrame } from './connection.js';

/* ------------------------------------------------------------------ actions */

export function choose(item, slug) {
  if (item.chosen) return;
  item.chosen = slug;
  saveTranscript();
  const row = nodes.get(item);
  if (row) {
    for (const b of row.querySelectorAll('.kundresa-option')) {
      b.disabled = true;
      b.setAttribute('aria-pressed', String(b.dataset.slug === slug));
    }
  }
  queueFrame({ type: 'choose', article: slug });
  if (ui.input) ui.input.focus();
}

export function rate(item, score) {
  if (item.score) return;
  const stick = nearBottom();
  markRated(item, score);
  if (stick) scrollToBottom(); // the thanks under the card stays in sight
  queueFrame({ type: 'csat', score });
  if (ui.input) ui.input.focus();
}
/** A rating card shows as rated: clicked here, or rated before (another device; the server says so). */
export function markRated(item, score) {
  item.score = score;
  saveTranscript();
  const row = nodes.get(item);
  if (row) {
    for (const b of row.querySelectorAll('.kundresa-score')) {
      b.disabled = true;
      b.setAttribute('aria-pressed', String(Number(b.dataset.score) === score));
    }
    row.querySelector('.kundresa-meta').textContent = t.csatThanks;
  }
}
export function ratingCard(ticket) {
  const cards = state.transcript.filter((i) => i.kind === 'csat_request');
  return cards.reverse().find((i) => ticket != null && i.ticket === ticket) || cards[0];
}

let humanTimer = 0; // the "human" button is disabled until the server answers, or this runs out
export function requestHuman() {
  if (ui.human.getAttribute('aria-disabled') === 'true') return;
  queueFrame({ type: 'human' });
  ui.human.setAttribute('aria-disabled', 'true');
  clearTimeout(humanTimer);
  humanTimer = setTimeout(releaseHuman, 8000);
}
export function releaseHuman() {
  clearTimeout(humanTimer);
  if (ui.human) ui.human.removeAttribute('aria-disabled');
}

export function sendText(text) {
  const clean = String(text == null ? '' : text);
  if (!clean.trim() || overflow(clean) > 0) return null;
  const item = { kind: 'message', id: newClientId(), text: clean, status: 'pending', at: new Date().toISOString() };
  state.transcript.push(item);
  saveTranscript();
  renderItem(item, true);
  transmit(item);
  emit('message', { id: item.id, text: clean });
  return item.id;
}

export function transmit(item) {
  if (sendFrame({ type: 'message', id: item.id, text: item.text })) armAckTimer();
  else connect();
}
