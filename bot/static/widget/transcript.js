/**
 * Widget: the visitor and the stored transcript at start; which seqs are shown, gaps.
 */
import { cfg, pre, takeReopenToken } from './config.js';
import { GAP_RESUME_MS, KEYS, loadTranscript, MAX_AHEAD, MAX_CACHE, parseJsonArray, store, uuid } from './storage.js';
import { state } from './state.js';
import { sendFrame } from './connection.js';

export function initIdentity() {
  state.visitor = store.get(KEYS.visitor) || '';
  if (!state.visitor) {
    state.visitor = uuid();
    store.set(KEYS.visitor, state.visitor);
  }
  state.transcript = loadTranscript();
  state.lastSeq = Math.max(0, parseInt(store.get(KEYS.seq) || '0', 10) || 0);
  if (!state.transcript.length && state.lastSeq && !store.get(KEYS.transcript)) state.lastSeq = 0;
  // Only what the transcript still shows counts as shown (the cache may have been cleared).
  const shown = new Set(state.transcript.map((i) => i.seq).filter((x) => typeof x === 'number'));
  state.ahead = new Map(parseJsonArray(store.get(KEYS.ahead)).filter((e) => Array.isArray(e) &&
    typeof e[0] === 'number' && typeof e[1] === 'number' && e[0] > state.lastSeq && shown.has(e[0])));
}
initIdentity();
state.reopen = takeReopenToken();
if (state.reopen) { // another conversation (or this one on a new device): the server replays it from the start
  for (const k of [KEYS.transcript, KEYS.seq, KEYS.ahead]) store.del(k);
  state.transcript = [];
  state.lastSeq = 0;
  state.ahead.clear();
  cfg.open = true;
}
if (pre && pre.context && typeof pre.context === 'object') Object.assign(state.context, pre.context);

function mayBeSensitive(text) {
  return typeof text === 'string' && (text.normalize('NFKC').match(/\d/g) || []).length >= 10;
}

export function saveTranscript() {
  const items = state.transcript.slice(-MAX_CACHE);
  state.transcript = items;
  // A message that failed is shown until it is retried, but not kept: after a reload it is gone. Nor is
  // one not yet acknowledged that holds ten digits or more (a card number, a personnummer): the server
  // masks it, and storage only ever gets the form the ack carries.
  const kept = items.filter((i) => !(i.kind === 'message' &&
    (i.status === 'failed' || (i.status === 'pending' && mayBeSensitive(i.text)))));
  store.set(KEYS.transcript, JSON.stringify(kept));
}
/** A stored frame with this seq has been shown (or was ours): move lastSeq over every seq now accounted
 * for. `prev` says the seqs between it and `seq` hold nothing for us; without it, that is `seq - 1`. */
export function account(seq, prev) {
  if (seq > state.lastSeq) {
    const known = state.ahead.get(seq);
    if (known == null || prev < known) state.ahead.set(seq, prev);
  }
  let last = state.lastSeq;
  for (let moved = true; moved;) {
    moved = false;
    for (const [s, p] of state.ahead) {
      if (p <= last && s > last) { last = s; moved = true; }
    }
  }
  for (const s of Array.from(state.ahead.keys())) if (s <= last) state.ahead.delete(s);
  while (state.ahead.size > MAX_AHEAD) state.ahead.delete(Math.min(...state.ahead.keys()));
  state.lastSeq = last;
  store.set(KEYS.seq, String(last));
  store.set(KEYS.ahead, JSON.stringify(Array.from(state.ahead)));
  if (state.ahead.size) watchGap();
  else {
    clearTimeout(gapTimer);
    gapTimer = 0;
    gapDelay = GAP_RESUME_MS;
  }
}
export function resetSeq() {
  state.lastSeq = 0;
  state.ahead.clear();
  store.set(KEYS.seq, '0');
  store.del(KEYS.ahead);
}

/** Frames past a gap that the server does not fill by itself (they came before our resume, or over a
 * socket of an older server): ask for the gap again, at most every GAP_RESUME_MS. */
let gapTimer = 0;
let gapDelay = GAP_RESUME_MS;
function watchGap() {
  if (gapTimer) return;
  gapTimer = setTimeout(() => {
    gapTimer = 0;
    if (!state.ahead.size || !sendFrame({ type: 'resume', after: state.lastSeq })) return;
    gapDelay = Math.min(60000, gapDelay * 2); // a hole no resume fills (an older server): back off
    watchGap();
  }, gapDelay);
}
