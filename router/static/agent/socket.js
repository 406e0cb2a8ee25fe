/**
 * Agent console: the live socket (/agent/ws): snapshot, ticket and message frames, reconnects, typing.
 */
import { $ } from '../console/common.js';
import { BASE, OPEN, state, t } from './state.js';
import { announce, customerName, notice } from './helpers.js';
import { api } from './api.js';
import { renderLists } from './lists.js';
import { appendMessage, reloadTimeline, renderHead, renderSide } from './ticket.js';
import { renderPresence } from './actions.js';
import { alertAgent, customerTyping, hideCustomerTyping, inMyTeam, pageVisible } from './alerts.js';

/* ------------------------------------------------------------------ socket */

export function setConn(s) {
  const box = $('agent-conn');
  box.dataset.state = s || 'idle';
  box.textContent = s === 'online' ? t.connOnline : s === 'offline' ? t.connOffline : s === 'connecting' ? t.connConnecting : '';
}

export function connect() {
  if (!state.token || state.socket) return;
  clearTimeout(state.reconnectTimer);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}${BASE}/agent/ws`;
  setConn('connecting');
  const ws = new WebSocket(url);
  state.socket = ws;
  // The token goes in the first frame, never in the URL (access logs keep URLs).
  ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: state.token })));
  ws.addEventListener('message', (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    if (frame && typeof frame === 'object') onFrame(frame);
  });
  ws.addEventListener('close', () => {
    if (state.socket !== ws) return;
    state.socket = null;
    if (!state.token) return;
    setConn('offline');
    const delay = Math.min(30000, 1000 * 2 ** Math.min(state.attempt, 5)) * (0.75 + Math.random() / 2);
    state.attempt += 1;
    state.reconnectTimer = setTimeout(async () => {
      // A token that no longer works shows the login form instead of retrying forever.
      try { await api('GET', '/api/tickets?status=active&mine=1'); } catch (e) { if (e.status === 401) return; }
      connect();
    }, delay);
  });
}

export function disconnect() {
  clearTimeout(state.reconnectTimer);
  const ws = state.socket;
  state.socket = null;
  if (ws) ws.close(1000);
}

function onFrame(frame) {
  if (frame.type === 'snapshot') {
    const reconnect = state.attempt > 0 || state.agent !== null;
    state.attempt = 0;
    setConn('online');
    state.agent = frame.agent || {};
    $('agent-who').textContent = [state.agent.name, state.agent.team].filter(Boolean).join(' · ');
    renderPresence();
    state.queue = new Map((frame.queue || []).map((tk) => [tk.id, tk]));
    state.mine = new Map((frame.mine || []).map((tk) => [tk.id, tk]));
    renderLists();
    if (reconnect && state.current) reloadTimeline(); // catch up on anything missed while away
  } else if (frame.type === 'error') {
    // A typing frame refused (say the ticket was resolved meanwhile): nothing the agent needs to see.
  } else if (frame.type === 'typing') {
    if (frame.who === 'customer' && state.current && frame.ticket_id === state.current.id) customerTyping();
  } else if (frame.type === 'ticket' && frame.ticket) {
    upsertTicket(frame.ticket, frame.event);
  } else if (frame.type === 'message' && frame.message) {
    if (frame.ticket) upsertTicket(frame.ticket, 'message');
    const current = state.current;
    const m = frame.message;
    // While another ticket opens, the one on screen is being left: its messages count as unread.
    const leaving = current && state.opening != null && state.opening !== current.id;
    const here = current && !leaving
      && (frame.ticket_id === current.id || (frame.ticket && frame.ticket.customer_id === current.customer_id));
    if (here) {
      appendMessage(m, true);
      if (m.author === 'customer') hideCustomerTyping();
    }
    const mine = state.agent && frame.ticket && frame.ticket.assignee_id === state.agent.id;
    if (m.author === 'customer' && frame.ticket_id != null && (!here || !pageVisible())) {
      state.unread.add(frame.ticket_id);
      renderLists();
    }
    if (m.author === 'customer' && mine && (!here || !pageVisible())) {
      alertAgent(t.notifyMessage(customerName(frame.ticket)), m.text || '', frame.ticket_id);
    }
  }
}

export function upsertTicket(ticket, event) {
  const prev = state.queue.get(ticket.id) || state.mine.get(ticket.id) || (state.current && state.current.id === ticket.id ? state.current : null);
  if (prev && prev.customer && !ticket.customer) ticket.customer = prev.customer;
  const wasQueued = state.queue.has(ticket.id);
  const wasMine = state.mine.has(ticket.id) || Boolean(prev && state.agent && prev.assignee_id === state.agent.id);
  state.queue.delete(ticket.id);
  state.mine.delete(ticket.id);
  if (ticket.status === 'open') state.queue.set(ticket.id, ticket);
  if (state.agent && ticket.assignee_id === state.agent.id && OPEN.includes(ticket.status)) state.mine.set(ticket.id, ticket);
  if (!wasQueued && ticket.status === 'open' && (event === 'opened' || event === 'reopened' || event === 'transferred')) {
    announce(t.newTicket(ticket.id));
    if (inMyTeam(ticket)) alertAgent(t.notifyNewTicket(ticket.id, customerName(ticket)), ticket.question || '', ticket.id);
  }
  const nowMine = state.agent && ticket.assignee_id === state.agent.id && OPEN.includes(ticket.status);
  if (nowMine && !wasMine && event !== 'claimed') { // a claim is the agent's own doing
    if (!state.current || state.current.id !== ticket.id) { state.unread.add(ticket.id); }
    alertAgent(t.notifyAssigned(ticket.id, customerName(ticket)), ticket.question || '', ticket.id);
  }
  if (state.current && state.current.id === ticket.id) {
    const takenByOther = state.agent && ticket.assignee_id && ticket.assignee_id !== state.agent.id
      && state.current.assignee_id !== ticket.assignee_id;
    state.current = { ...state.current, ...ticket };
    renderHead();
    renderSide();
    if (takenByOther && ticket.assignee) notice(t.takenBy(ticket.assignee));
  }
  renderLists();
}
