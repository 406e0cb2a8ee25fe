/**
 * Widget: events for the shop's page (`Kundresa.on/off`).
 */
import { api, ready } from './main.js';

/* ------------------------------------------------------------------ events for the shop's page */

// Kundresa.on(name, fn): what happens in the chat, for the shop's own analytics or UI. README "JavaScript API".
const EVENTS = new Set(['ready', 'open', 'close', 'message', 'answer', 'handoff', 'agent_message', 'unread', 'offer']);
const listeners = new Map(); // name -> [fn]
export function on(name, fn) {
  if (!EVENTS.has(name) || typeof fn !== 'function') return api;
  if (!listeners.has(name)) listeners.set(name, []);
  listeners.get(name).push(fn);
  if (name === 'ready' && ready) setTimeout(() => call(fn, {}), 0); // late listeners still hear it
  return api;
}
export function off(name, fn) {
  const list = listeners.get(name);
  if (!list) return api;
  if (fn === undefined) listeners.delete(name);
  else {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }
  return api;
}
export function call(fn, detail) {
  try { fn(detail); } catch (err) { // a shop's listener that throws must not break the chat
    if (window.console) console.error('Kundresa listener:', err);
  }
}
export function emit(name, detail) {
  for (const fn of (listeners.get(name) || []).slice()) call(fn, detail || {});
}
