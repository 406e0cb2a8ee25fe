/**
 * Agent console: the queue and "my tickets" lists.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { customerName, isPayment, isVip, waited } from './helpers.js';
import { openTicket } from './ticket.js';

/* ------------------------------------------------------------------ lists */

export function sortTickets(map) {
  return [...map.values()].sort((a, b) => (b.priority - a.priority) || (a.id - b.id));
}

function queueItem(ticket) {
  const li = el('li');
  const b = el('button', 'queue-item');
  b.type = 'button';
  b.dataset.ticket = String(ticket.id);
  b.dataset.priority = String(ticket.priority);
  b.dataset.status = ticket.status;
  if (state.current && state.current.id === ticket.id) b.setAttribute('aria-current', 'true');
  const row1 = el('span', 'row1');
  row1.append(el('span', 'name', `#${ticket.id} · ${customerName(ticket)}`));
  if (state.unread.has(ticket.id)) {
    const dot = el('span', 'unread');
    dot.setAttribute('aria-hidden', 'true');
    row1.append(dot);
  }
  const wait = el('span', 'wait', waited(ticket.created_at));
  wait.dataset.since = ticket.created_at;
  row1.append(wait);
  b.append(row1);
  if (ticket.question) b.append(el('span', 'q', ticket.question));
  const badges = el('span', 'badges');
  if (isVip(ticket)) badges.append(el('span', 'badge vip', t.vip));
  if (isPayment(ticket)) badges.append(el('span', 'badge pay', t.payment));
  if (ticket.priority > 0) badges.append(el('span', 'badge prio', t.prio(ticket.priority)));
  badges.append(el('span', 'badge', ticket.team));
  if (ticket.status !== 'open') badges.append(el('span', 'badge status', t.statuses[ticket.status] || ticket.status));
  b.append(badges);
  b.addEventListener('click', () => openTicket(ticket.id));
  li.append(b);
  return li;
}

function renderList(id, map) {
  const list = $(id);
  const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.ticket : null;
  const items = sortTickets(map);
  list.replaceChildren(...items.map(queueItem));
  $(`${id}-count`).textContent = String(items.length);
  $(`${id}-empty`).hidden = items.length > 0;
  if (focused) {
    const again = list.querySelector(`.queue-item[data-ticket="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

export function renderLists() {
  renderList('agent-queue', state.queue);
  renderList('agent-mine', state.mine);
  // The tab counts what is unread for this agent: tickets newly theirs, customers' messages not seen.
  document.title = `${state.unread.size ? t.unreadTitle(state.unread.size) : ''}Kundresa · ${t.consoleTitle}`;
}

// Wait times move on without events.
setInterval(() => {
  for (const n of document.querySelectorAll('.queue-item .wait[data-since]')) n.textContent = waited(n.dataset.since);
}, 30000);
