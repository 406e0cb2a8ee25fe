/**
 * Kundresa web chat widget — plain ES2020, no dependencies, no build step. Written as modules
 * (bot/static/widget/*.js, this one the entry), served as ONE classic script, /widget.js, that
 * router/js_bundle.py assembles from them at start (one scope, in the order a browser evaluates modules).
 *
 *   <script src="https://support.example/widget.js" data-lang="sv"
 *           data-context='{"step":"payment","order_id":"NH-1","amount":1847,"currency":"SEK"}'></script>
 *
 * Data attributes: server, user, name, email, sig, email-sig, vip-sig, lang (sv|en), open ("true"), context (JSON), color (CSS colour);
 * the launcher: position ("right" | "left"), offset-x, offset-y (px from the corner), offset-y-mobile (px, at ≤ 480 px
 * wide: e.g. above a sticky checkout bar), hide-on-steps (comma-separated page context steps where it is hidden).
 * The same as a config object: `window.Kundresa = {launcher: {position, offsetX, offsetY, offsetYMobile, hideOnSteps}}`.
 * A page opened from a reply email's link (`?kundresa_reopen=TOKEN`) opens that conversation.
 * idle-seconds: on a page whose context says `step: payment`, this long without progress sends `checkout_idle`
 * once (default 60; 0: never).
 * Protocol: SPEC.md, "Web chat (customer side)". Only global: window.Kundresa.
 * Before load a shop may set `window.Kundresa = {context: {...}}` or queue calls in `window.Kundresa.q`
 * (or `_q`; e.g. `[["track", "payment_failed", {reason: "card_declined"}], ["on", "answer", fn]]`): they are
 * replayed on load. The API (README "JavaScript API"): track, on/off, open/close, send, setUser/logout,
 * setLocale, setContext, showLauncher/hideLauncher, setLauncher, human, reset.
 */
import { cfg, pre } from './config.js';
import { state } from './state.js';
import { emit, off, on } from './events.js';
import { buildUi } from './ui.js';
import { setStatus } from './composer.js';
import { requestHuman, sendText } from './actions.js';
import { connect } from './connection.js';
import { close, open, setContext, track, watchIdle, watchPageProgress } from './panel.js';
import { logout, reset, setLauncher, setLocale, setUser, showLauncher } from './identity.js';

export let ready = false;
const readyQueue = [];
export function whenReady(fn) {
  if (ready) fn();
  else readyQueue.push(fn);
}

function init() {
  buildUi();
  ready = true;
  setStatus(state.status);
  readyQueue.splice(0).forEach((fn) => fn());
  watchPageProgress();
  watchIdle();
  // Reconnect at once when the network or the tab comes back.
  window.addEventListener('online', () => { if (!state.socket && state.status === 'offline') connect(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !state.socket && state.status === 'offline') connect();
  });
  // Connect at load only when there is a conversation to resume (or the panel opens); otherwise on first use.
  if (cfg.open) open({ focus: false });
  else if (state.lastSeq > 0 || state.transcript.length) connect();
  emit('ready', { lang: cfg.lang, open: state.open });
}

export const api = {
  _loaded: true,
  open: () => open(),
  close,
  send: (text) => sendText(text),
  track,
  on,
  off,
  setUser,
  logout,
  setLocale,
  setContext,
  setLauncher,
  showLauncher: () => showLauncher(true),
  hideLauncher: () => showLauncher(false),
  human: () => whenReady(requestHuman),
  reset,
  get lang() { return cfg.lang; },
  get isOpen() { return state.open; },
  _state: state,
};
window.Kundresa = api;

// Calls queued by the snippet before this loaded (`Kundresa.q`), in order; `arguments` objects work too.
const queued = pre && (pre._q || pre.q);
if (Array.isArray(queued)) {
  for (const entry of queued) {
    const [method, ...args] = entry && typeof entry === 'object' && typeof entry.length === 'number'
      ? Array.from(entry) : [entry];
    if (typeof api[method] === 'function' && method !== 'reset') {
      try { api[method](...args); } catch (err) { if (window.console) console.error('Kundresa:', err); }
    }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
else init();
