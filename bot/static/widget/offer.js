/**
 * Widget: the proactive bubble.
 */
import { t } from './texts.js';
import { state } from './state.js';
import { emit } from './events.js';
import { saveTranscript } from './transcript.js';
import { button, el, icon, ICON_CLOSE } from './dom.js';
import { nodes, ui } from './ui.js';
import { queueFrame } from './connection.js';
import { open } from './panel.js';

/* ------------------------------------------------------------------ the proactive bubble */

const OFFER_MS = 30 * 60 * 1000; // an offer older than this (a replay on a new device) is not popped up again

/** The newest offer, while the customer has neither opened, dismissed nor seen it in the open panel. */
export function pendingOffer() {
  const offers = state.transcript.filter((i) => i.kind === 'proactive');
  const last = offers[offers.length - 1];
  if (!last || last.handled || last.seen) return null;
  const at = Date.parse(last.at);
  return Number.isFinite(at) && Date.now() - at > OFFER_MS ? null : last;
}
export const offerDetail = (item, action) => ({
  offer: item.offer, rule: item.rule, title: item.title, article: item.article || null, action,
});

/** The bubble by the launcher: shown for a pending offer while the panel is closed and the launcher shown. */
export function updateOffer() {
  if (!ui.offer) return;
  const item = pendingOffer();
  if (!item || state.open || ui.root.classList.contains('kundresa-launcher-off')) {
    ui.offer.hidden = true;
    ui.offer.textContent = '';
    delete ui.offer.dataset.offer;
    return;
  }
  if (ui.offer.dataset.offer === String(item.offer)) return;
  ui.offer.textContent = '';
  ui.offer.dataset.offer = String(item.offer);
  const main = button('kundresa-offer-main');
  main.append(el('strong', 'kundresa-offer-title', item.title || item.text));
  if (item.title && item.text) main.append(el('span', 'kundresa-offer-text', item.text));
  main.append(el('span', 'kundresa-offer-cta', t.offerShow));
  main.addEventListener('click', () => openOffer(item));
  const x = button('kundresa-offer-close', null, t.offerDismiss);
  x.append(icon(ICON_CLOSE, true));
  x.addEventListener('click', () => dismissOffer(item));
  ui.offer.append(main, x);
  ui.offer.hidden = false;
  ui.offerLive.textContent = t.offerNew(item.title || item.text);
}

/** Open: the server answers with the article (or the message), shown in the panel as any answer. */
export function openOffer(item) {
  if (!item || item.handled === 'opened') return;
  item.handled = 'opened';
  saveTranscript();
  refreshOfferRow(item);
  queueFrame({ type: 'offer_opened', offer: item.offer });
  emit('offer', offerDetail(item, 'opened'));
  open();
}

export function dismissOffer(item) {
  if (!item || item.handled) return;
  const hadFocus = ui.offer && ui.offer.contains(document.activeElement);
  item.handled = 'dismissed';
  saveTranscript();
  refreshOfferRow(item);
  queueFrame({ type: 'offer_dismissed', offer: item.offer });
  emit('offer', offerDetail(item, 'dismissed'));
  updateOffer();
  if (hadFocus && !ui.root.classList.contains('kundresa-launcher-off')) ui.launcher.focus();
}

/** Once opened, the offer's "Show me" gives way to the answer that follows it. */
export function refreshOfferRow(item) {
  const b = nodes.get(item)?.querySelector('.kundresa-offer-show');
  if (b && item.handled === 'opened') {
    if (b === document.activeElement && ui.input) ui.input.focus({ preventScroll: true });
    b.parentNode.remove();
  }
}
