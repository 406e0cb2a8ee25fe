/**
 * Admin console: small DOM and formatting helpers, and the toast.
 */
import * as KC from '../console/common.js';
import { $, el } from '../console/common.js';
import { state, t } from './state.js';

/* ------------------------------------------------------------------ helpers */

export function button(cls, text, onClick) {
  const b = el('button', cls, text);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}
export function option(value, text) {
  const o = el('option', null, text);
  o.value = value;
  return o;
}
export const loc = () => (state.lang === 'en' ? 'en-GB' : 'sv-SE');
export function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(loc(), { dateStyle: 'short', timeStyle: 'short' });
}
export const pct = (x) => (x == null || !Number.isFinite(x) ? '–' : `${Math.round(x * 100)} %`);
export const num = (x, digits = 0) => (x == null || !Number.isFinite(Number(x)) ? '–'
  : Number(x).toLocaleString(loc(), { minimumFractionDigits: digits, maximumFractionDigits: digits }));
export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 90) return t.seconds(s);
  const m = Math.round(s / 60);
  if (m < 120) return t.minutes(m);
  return t.hours(Math.floor(m / 60), m % 60);
}
export const enc = encodeURIComponent;
export const unique = (items) => [...new Set(items)];
export const parseTags = (text) => unique(String(text || '').split(',').map((s) => s.trim()).filter(Boolean));

let toastTimer = 0;
export function toast(text, kind) {
  const box = $('admin-toast');
  box.textContent = text;
  box.dataset.kind = kind || 'info';
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 8000 : 4500);
}
export const announce = (text) => KC.announce('admin-announce', text);
