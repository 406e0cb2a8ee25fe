/**
 * Widget: what it keeps in the browser (visitor, transcript, seq), and limits.
 */
import { cfg, pre } from './config.js';
import { call } from './events.js';

/* ------------------------------------------------------------------ storage */

// seq: every frame up to it is shown (or held nothing for this widget); ahead: shown frames past a gap.
export const KEYS = {
  visitor: 'kundresa.visitor', seq: 'kundresa.seq', ahead: 'kundresa.ahead', transcript: 'kundresa.transcript',
  user: 'kundresa.user',
};
const memory = {};
export const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return k in memory ? memory[k] : null; } },
  set(k, v) { try { localStorage.setItem(k, v); } catch { memory[k] = v; } },
  del(k) { try { localStorage.removeItem(k); } catch { delete memory[k]; } },
};
export const MAX_CACHE = 80;
export const MAX_AHEAD = 500;
export const GAP_RESUME_MS = 1500; // a gap still open after this: ask the server to resume from it
// The server's limit, counted the same way (UTF-8 bytes of the text as typed); its `status` frame says
// the configured one. README "Web chat protocol".
export const DEFAULT_MAX_BYTES = 4096;
const utf8 = typeof TextEncoder === 'function' ? new TextEncoder() : null;
export const byteLength = (text) => (utf8 ? utf8.encode(text).length : unescape(encodeURIComponent(text)).length);
// Codes of errors that sending again cannot fix: the message is taken back into the composer.
export const PERMANENT = new Set(['too_large', 'invalid_message']);

export function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
export const newClientId = () => `c-${uuid().replace(/-/g, '').slice(0, 20)}`;

// A `setUser` (or `logout`) queued before load decides who this page's customer is before the check below,
// so a shop that signs its customer in from the snippet on every page keeps their conversation.
(() => {
  const queue = pre && (pre._q || pre.q);
  if (!Array.isArray(queue)) return;
  for (const entry of queue) {
    const call = entry && typeof entry === 'object' && typeof entry.length === 'number' ? Array.from(entry) : [];
    if (call[0] === 'logout') cfg.user = '';
    if (call[0] === 'setUser' && call[1] && typeof call[1] === 'object') cfg.user = String(call[1].id || '').trim();
  }
})();
// Another signed-in user on this browser (or a sign-out) must not see the previous user's conversation.
const storedUser = store.get(KEYS.user) || '';
if (storedUser && storedUser !== cfg.user) clearStorage();
if (cfg.user) store.set(KEYS.user, cfg.user);

export function clearStorage() {
  for (const k of Object.values(KEYS)) store.del(k);
}

export function loadTranscript() {
  const list = parseJsonArray(store.get(KEYS.transcript));
  return list.filter((i) => i && typeof i === 'object' && typeof i.kind === 'string');
}
export function parseJsonArray(text) {
  try { const v = JSON.parse(text || '[]'); return Array.isArray(v) ? v : []; } catch { return []; }
}
