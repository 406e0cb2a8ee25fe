/**
 * Agent console: small DOM and formatting helpers, icons, the toast and notices.
 */
import * as KC from '../console/common.js';
import { $, el, showError } from '../console/common.js';
import { state, t } from './state.js';

/* ------------------------------------------------------------------ helpers */

export function icon(paths) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  for (const d of paths) {
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
export function kv(dl, label, value) {
  if (value == null || value === '') return;
  dl.append(el('dt', null, label), el('dd', null, value));
}
function duration(ms) {
  const mins = Math.max(0, Math.floor(ms / 60000));
  if (mins < 1) return null;
  if (mins < 60) return t.min(mins);
  if (mins < 48 * 60) return t.hour(Math.floor(mins / 60), mins % 60);
  return t.day(Math.floor(mins / 1440));
}
export function waited(iso) {
  const d = duration(Date.now() - Date.parse(iso));
  return d ? t.waited(d) : t.now;
}
export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = new Date().toDateString() === d.toDateString();
  const loc = state.lang === 'en' ? 'en-GB' : 'sv-SE';
  return sameDay
    ? d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(loc, { dateStyle: 'short', timeStyle: 'short' });
}
export function money(amount, currency) {
  if (amount == null || amount === '') return null;
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  try {
    if (currency) return new Intl.NumberFormat(state.lang === 'en' ? 'en-GB' : 'sv-SE', { style: 'currency', currency: String(currency) }).format(n);
  } catch { /* unknown currency code */ }
  return `${n.toLocaleString(state.lang === 'en' ? 'en-GB' : 'sv-SE')}${currency ? ` ${currency}` : ''}`;
}
export const isPayment = (ticket) => /^(payment|betalning|checkout|kassa)$/i.test(String((ticket.context || {}).step || ''));
export const isVip = (ticket) => Boolean((ticket.customer && ticket.customer.vip) || ticket.priority >= 100);
// Name, email or verified id where known (`display_name`); "Customer #N" only for an anonymous visitor.
export const customerName = (ticket) => {
  const c = ticket.customer;
  return (c && (c.display_name || c.name || c.email)) || t.customerN(ticket.customer_id);
};
export const reasonText = (r) => (r ? t.reasons[r] || t.otherReason : null);

let toastTimer = 0;
export function toast(text) {
  const box = $('agent-toast');
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 5000);
}
export const announce = (text) => KC.announce('agent-announce', text);
export const notice = (text) => showError('agent-action-notice', text);
