/**
 * Widget: identity, language and launcher (setUser, logout, setLocale, setLauncher, reset).
 */
import { cfg, px } from './config.js';
import { t, useTexts } from './texts.js';
import { clearStorage, KEYS, store } from './storage.js';
import { state } from './state.js';
import { initIdentity } from './transcript.js';
import { applyLauncher, buildUi, ui, updateLauncher } from './ui.js';
import { updateOffer } from './offer.js';
import { applyStatus, hideTyping, setStatus, setUnread, updateWelcome } from './composer.js';
import { connect, disconnect, outbox, reconnectTimer } from './connection.js';
import { whenReady } from './main.js';

/* ------------------------------------------------------------------ identity, language, launcher */

const str0 = (v) => (v == null ? '' : String(v).trim());

/** Sign in (or switch user) without a reload: the socket reconnects with the new identity. The same
 * person's anonymous chat is kept (the server folds it into the signed-in customer); another user's is not. */
export function setUser(user) {
  const u = user && typeof user === 'object' ? user : {};
  const id = str0(u.id);
  const before = cfg.user;
  const next = {
    user: id, sig: str0(u.sig), email: str0(u.email), emailSig: str0(u.email_sig || u.emailSig),
    name: str0(u.name), vipSig: str0(u.vip_sig || u.vipSig),
  };
  const same = Object.keys(next).every((k) => cfg[k] === next[k]);
  Object.assign(cfg, next);
  if (same && id) { store.set(KEYS.user, id); return; } // e.g. the snippet's call on every page
  if (!id) { logout(); return; }
  if (before && before !== id) { reset(); return; } // someone else: nothing of the previous user's
  store.set(KEYS.user, id);
  state.info = null;
  state.statusFrame = null;
  updateWelcome();
  reconnect();
}

/** Sign out: forget the stored conversation and chat on as a new anonymous visitor. */
export function logout() {
  Object.assign(cfg, { user: '', sig: '', email: '', emailSig: '', name: '', vipSig: '' });
  reset();
}

function reconnect() {
  if (!state.socket && state.status === 'idle') return; // not connected yet: the next connect uses it
  disconnect();
  connect();
}

/** `sv` or `en`: the widget's texts at once, and the server's (the socket reconnects with `lang`). */
export function setLocale(lang) {
  const next = /^en/i.test(str0(lang)) ? 'en' : /^sv/i.test(str0(lang)) ? 'sv' : '';
  if (!next || next === cfg.lang) return;
  cfg.lang = next;
  useTexts(next);
  whenReady(() => {
    const focused = ui.root.contains(document.activeElement) ? document.activeElement.id : '';
    const draft = ui.input.value;
    ui.root.remove();
    buildUi();
    ui.input.value = draft;
    if (state.open) {
      ui.panel.hidden = false;
      ui.root.classList.add('kundresa-is-open');
      ui.launcher.setAttribute('aria-expanded', 'true');
    }
    setStatus(state.status);
    if (state.statusFrame) applyStatus(state.statusFrame);
    setUnread(state.unread);
    const again = focused && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
  });
  reconnect();
}

/** `{position: 'left'|'right', offsetX, offsetY, offsetYMobile, hideOnSteps}`; what is left out stays. */
export function setLauncher(options) {
  const o = options && typeof options === 'object' ? options : {};
  const l = cfg.launcher;
  if (o.position != null) l.left = String(o.position).toLowerCase() === 'left';
  const sameY = l.yMobile === l.y;
  l.x = px(o.offsetX, l.x);
  l.y = px(o.offsetY, l.y);
  l.yMobile = px(o.offsetYMobile, sameY ? l.y : l.yMobile);
  if (Array.isArray(o.hideOnSteps)) l.hideOnSteps = o.hideOnSteps.map((v) => String(v).trim()).filter(Boolean);
  whenReady(() => { applyLauncher(); updateLauncher(); });
}
export function showLauncher(visible = true) {
  state.launcherHidden = !visible;
  whenReady(updateLauncher);
}

/** Forget this browser's conversation (e.g. when the shop signs the customer out). */
export function reset() {
  disconnect();
  clearTimeout(reconnectTimer);
  clearStorage();
  if (cfg.user) store.set(KEYS.user, cfg.user);
  outbox.length = 0;
  state.info = null;
  state.statusFrame = null;
  state.returning = null;
  state.attempt = 0;
  initIdentity();
  if (ui.list) {
    ui.list.textContent = '';
    ui.queue.hidden = true;
    ui.human.hidden = false;
    updateWelcome();
    hideTyping();
    updateOffer();
  }
  setUnread(0);
  setStatus('idle');
  if (state.open) connect();
}
