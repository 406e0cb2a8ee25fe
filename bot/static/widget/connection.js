/**
 * Widget: the socket (connect, reconnect, acks, outbox) and incoming frames.
 */
import { cfg } from './config.js';
import { state } from './state.js';
import { account, saveTranscript } from './transcript.js';
import { nodes } from './ui.js';
import { setStatus } from './composer.js';
import { updateCustomerStatus } from './messages.js';
import { show } from './frames.js';

/* ------------------------------------------------------------------ connection */

export const outbox = []; // non-message frames produced while offline
export let reconnectTimer = 0;
let ackTimer = 0;

function wsUrl() {
  // status=1: the server keeps us told of the queue (README "Web chat protocol").
  const params = new URLSearchParams({ visitor: state.visitor, lang: cfg.lang, status: '1' });
  if (state.reopen) params.set('reopen', state.reopen);
  if (cfg.user) params.set('user', cfg.user);
  if (cfg.user && cfg.name) params.set('name', cfg.name);
  if (cfg.email) params.set('email', cfg.email);
  if (cfg.sig) params.set('sig', cfg.sig);
  if (cfg.emailSig) params.set('email_sig', cfg.emailSig);
  if (cfg.vipSig) params.set('vip_sig', cfg.vipSig);
  if (Object.keys(state.context).length) params.set('context', JSON.stringify(state.context));
  return `${cfg.server.replace(/^http(s?):/i, 'ws$1:')}/ws/chat?${params}`;
}

export function connect() {
  if (state.socket) return;
  clearTimeout(reconnectTimer);
  setStatus('connecting');
  let ws;
  try {
    ws = new WebSocket(wsUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  state.socket = ws;
  let openedAt = 0;
  ws.onopen = () => {
    if (state.socket !== ws) return;
    openedAt = Date.now();
    setStatus('online');
    sendFrame({ type: 'resume', after: state.lastSeq });
    for (const item of state.pending) sendFrame({ type: 'message', id: item.id, text: item.text });
    if (state.pending.length) armAckTimer();
    while (outbox.length && sendFrame(outbox[0])) outbox.shift();
  };
  ws.onmessage = (ev) => {
    if (state.socket !== ws) return;
    let frame;
    try { frame = JSON.parse(ev.data); } catch { return; }
    handleFrame(frame);
  };
  ws.onclose = () => {
    if (state.socket !== ws) return;
    state.socket = null;
    // A socket that opened and lived a while was healthy: start the backoff over.
    if (openedAt && Date.now() - openedAt > 5000) state.attempt = 0;
    setStatus('offline');
    scheduleReconnect();
  };
  ws.onerror = () => {}; // onclose follows and schedules the retry
}

export function disconnect() {
  const ws = state.socket;
  state.socket = null;
  clearTimeout(ackTimer);
  if (ws) {
    try { ws.close(1000); } catch { /* already closed */ }
  }
}

function scheduleReconnect() {
  clearTimeout(reconnectTimer);
  const delay = Math.min(10000, 500 * 2 ** state.attempt) * (0.85 + Math.random() * 0.15);
  state.attempt = Math.min(state.attempt + 1, 10);
  reconnectTimer = setTimeout(connect, delay);
}

export function sendFrame(frame) {
  const ws = state.socket;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  try { ws.send(JSON.stringify(frame)); return true; } catch { return false; }
}

export function queueFrame(frame) {
  if (!sendFrame(frame)) {
    outbox.push(frame);
    connect();
  }
}

/** A socket that takes sends but never acks is half-dead: drop it, reconnect, re-send with the same ids. */
export function armAckTimer() {
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => {
    if (state.pending.length && state.socket) {
      disconnect();
      setStatus('offline');
      scheduleReconnect();
    }
  }, 15000);
}

export function findMessage(id) {
  return id ? state.transcript.find((i) => i.kind === 'message' && i.id === id) : undefined;
}

/** The server stored our message masked (a card number, a personnummer): show and keep that form. */
export function storedText(item, text) {
  if (typeof text !== 'string' || item.text === text) return;
  item.text = text;
  const bubble = nodes.get(item)?.querySelector('.kundresa-bubble');
  if (bubble) bubble.textContent = text;
  saveTranscript();
}

function handleFrame(f) {
  if (!f || typeof f !== 'object' || typeof f.type !== 'string') return;
  const seq = typeof f.seq === 'number' && Number.isFinite(f.seq) ? f.seq : null;
  const prev = typeof f.prev === 'number' && Number.isFinite(f.prev) && seq != null ? f.prev : seq - 1;

  if (f.type === 'ack') { // idempotent: a re-sent message may be acked again with its original seq
    const item = findMessage(f.id);
    if (item) storedText(item, f.text);
    if (item && item.status !== 'sent') {
      item.status = 'sent';
      if (seq != null) item.seq = seq;
      updateCustomerStatus(item);
      saveTranscript();
    }
    if (!state.pending.length) clearTimeout(ackTimer);
    if (seq != null) account(seq, prev); // our own message: shown since we sent it
    return;
  }
  // `typing` and `error` are about this moment and are not stored: their seq is the latest one the
  // socket has had, never a frame of their own.
  const ephemeral = f.type === 'typing' || f.type === 'error' || f.type === 'status' || f.type === 'reopened';
  if (seq != null && !ephemeral) {
    const shown = seq <= state.lastSeq || state.ahead.has(seq);
    if (!shown) show(f, seq);
    account(seq, prev); // a replayed frame shown before still tells us where the server's chain is
    return;
  }
  show(f, seq);
}
