/**
 * Widget: open, close, page context, and shop events (`Kundresa.track`, checkout idle).
 */
import { cfg } from './config.js';
import { state } from './state.js';
import { emit } from './events.js';
import { saveTranscript } from './transcript.js';
import { ui, updateLauncher } from './ui.js';
import { pendingOffer, updateOffer } from './offer.js';
import { scrollToBottom, setUnread } from './composer.js';
import { connect, disconnect, queueFrame } from './connection.js';
import { whenReady } from './main.js';

/* ------------------------------------------------------------------ open / close / API */

export function open(options) {
  const focus = !options || options.focus !== false;
  whenReady(() => {
    const was = state.open;
    state.open = true;
    ui.panel.hidden = false;
    ui.root.classList.add('kundresa-is-open');
    ui.launcher.setAttribute('aria-expanded', 'true');
    setUnread(0);
    const offer = pendingOffer(); // shown in the panel now: no bubble for it after the panel closes
    if (offer) {
      offer.seen = true;
      saveTranscript();
    }
    updateOffer();
    connect();
    scrollToBottom();
    if (focus) ui.input.focus({ preventScroll: true });
    if (!was) emit('open');
  });
}

export function close() {
  whenReady(() => {
    const hadFocus = ui.panel.contains(document.activeElement);
    const was = state.open;
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove('kundresa-is-open');
    ui.launcher.setAttribute('aria-expanded', 'false');
    setUnread(state.unread);
    if (hadFocus) ui.launcher.focus();
    if (was) emit('close');
  });
}

let contextTimer = 0; // a new page context waiting to reconnect the socket
export function setContext(obj) {
  if (!obj || typeof obj !== 'object') return;
  const before = JSON.stringify(state.context);
  for (const [k, v] of Object.entries(obj)) {
    if (v == null) delete state.context[k];
    else state.context[k] = v;
  }
  // The context travels in the socket URL: reconnect (and resume) so the server sees the new page.
  updateLauncher();
  if (JSON.stringify(state.context) !== before) watchIdle(); // a new step (or data) is progress
  if (state.socket && JSON.stringify(state.context) !== before) {
    clearTimeout(contextTimer);
    contextTimer = setTimeout(() => {
      contextTimer = 0;
      if (!state.socket) return;
      disconnect();
      connect();
    }, 50);
  }
}

/* ------------------------------------------------------------------ shop events */

const EVENT_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/; // router/shop_events/catalog.py NAME_RE
export const EVENT_ERRORS = new Set(['invalid_event', 'invalid_reason', 'unknown_offer']);
export let lastEventAt = 0;

/** `Kundresa.track(name, data)`: an event on the customer's timeline (and maybe a proactive offer). */
export function track(name, detail) {
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
    if (window.console) console.warn('Kundresa.track: an event name is a lower-case letter, then up to 63 of a-z 0-9 _ . : -');
    return false;
  }
  const payload = detail && typeof detail === 'object' && !Array.isArray(detail) ? detail : {};
  if (name !== 'checkout_idle') watchIdle(); // the shop saying something happened is progress
  lastEventAt = Date.now();
  if (contextTimer) { // a new context is on its way: the event belongs to it, so send it on the new socket
    clearTimeout(contextTimer);
    contextTimer = 0;
    disconnect();
    connect();
  }
  queueFrame({ type: 'event', name, data: payload }); // before any conversation is fine: stored on the customer
  return true;
}

/** `checkout_idle`: this long on a payment step without progress (a new context, an event, a field filled
 * in on the page), sent once per page. */
let idleTimer = 0;
let idleSent = false;
export function watchIdle() {
  clearTimeout(idleTimer);
  const step = state.context && state.context.step != null ? String(state.context.step) : '';
  if (idleSent || !(cfg.idleSeconds > 0) || step !== 'payment') return;
  idleTimer = setTimeout(() => {
    idleSent = true;
    track('checkout_idle', { seconds: cfg.idleSeconds });
  }, cfg.idleSeconds * 1000);
}
export function watchPageProgress() {
  const progress = (e) => { if (!ui.root || !ui.root.contains(e.target)) watchIdle(); };
  for (const type of ['input', 'change', 'submit']) document.addEventListener(type, progress, true);
}
