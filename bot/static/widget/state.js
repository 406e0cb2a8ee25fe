/**
 * Widget: its state.
 */
import { data, parseJson } from './config.js';

/* ------------------------------------------------------------------ state */

export const state = {
  visitor: '',
  // Frames are shown in seq order and never dropped unseen. lastSeq: every seq up to it has been shown or
  // holds nothing for us (an internal note); ahead: seq -> prev of the frames shown past a gap (`prev`:
  // the seq the server sent just before it, README "Web chat protocol"). A resume starts at lastSeq.
  lastSeq: 0,
  ahead: new Map(),
  transcript: [],
  context: parseJson(data('context')) || {},
  status: 'idle', // idle | connecting | online | offline
  open: false,
  unread: 0,
  attempt: 0,
  socket: null,
  info: null, // the server's latest `status` frame: owner, queue, reply email, limits
  returning: null, // the open ticket a returning customer had when the page loaded
  reopen: '', // a reply email's link token, until the server has taken it
  statusFrame: null, // the latest `status` frame as sent (re-applied when the language changes)
  launcherHidden: false, // Kundresa.hideLauncher()
  get pending() { return this.transcript.filter((i) => i.kind === 'message' && i.status === 'pending'); },
};
