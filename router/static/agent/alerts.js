/**
 * Agent console: noticing things (desktop notifications, sound, the title, the customer typing).
 */
import { $, store } from '../console/common.js';
import { CUSTOMER_TYPING_MS, NOTIFY_KEY, SOUND_KEY, state, t } from './state.js';
import { toast } from './helpers.js';
import { openTicket } from './ticket.js';

/* ------------------------------------------------------------------ noticing things: alerts, title, typing */

export const pageVisible = () => document.visibilityState === 'visible' && document.hasFocus();
// A queued ticket is for this agent when it is their team's, or when they have no team (they take all).
export const inMyTeam = (ticket) => Boolean(state.agent && (!state.agent.team || state.agent.team === ticket.team));

export function renderAlerts() {
  const n = $('agent-notify');
  const on = state.notify && typeof Notification !== 'undefined' && Notification.permission === 'granted';
  n.setAttribute('aria-pressed', String(on));
  n.textContent = on ? t.notifyOn : t.notify;
  const snd = $('agent-sound');
  snd.setAttribute('aria-pressed', String(state.sound));
  snd.textContent = state.sound ? t.soundOn : t.sound;
}

// Desktop notifications are asked for on a click (browsers ignore a request made without one).
export async function toggleNotify() {
  if (typeof Notification === 'undefined') { toast(t.notifyBlocked); return; }
  if (state.notify && Notification.permission === 'granted') {
    state.notify = false;
  } else {
    let permission = Notification.permission;
    if (permission === 'default') {
      try { permission = await Notification.requestPermission(); } catch { permission = 'denied'; }
    }
    state.notify = permission === 'granted';
    if (!state.notify) toast(t.notifyBlocked);
  }
  store.set(NOTIFY_KEY, state.notify ? '1' : '0', localStorage);
  renderAlerts();
}

export function toggleSound() {
  state.sound = !state.sound;
  store.set(SOUND_KEY, state.sound ? '1' : '0', localStorage);
  renderAlerts();
  if (state.sound) beep();
}

let audio = null;
function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
    window.__kundresaBeeps = (window.__kundresaBeeps || 0) + 1; // tests count them
  } catch { /* no audio: the notification and the title still say it */ }
}

// Something for this agent: a sound (if on) and, when the page is not in front, a desktop notification.
export function alertAgent(title, body, ticketId) {
  if (state.sound) beep();
  if (!state.notify || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (pageVisible()) return;
  try {
    const n = new Notification(title, { body: String(body || '').slice(0, 200), tag: `kundresa-${ticketId}`, lang: state.lang });
    n.onclick = () => { window.focus(); openTicket(ticketId); n.close(); };
  } catch { /* some browsers only allow notifications from a service worker */ }
}

let customerTypingTimer = 0;
export function customerTyping() {
  $('agent-customer-typing').hidden = false;
  clearTimeout(customerTypingTimer);
  customerTypingTimer = setTimeout(hideCustomerTyping, CUSTOMER_TYPING_MS);
}
export function hideCustomerTyping() {
  clearTimeout(customerTypingTimer);
  $('agent-customer-typing').hidden = true;
}
