/**
 * Agent console: its constants, the page state and `t`, the texts of the chosen language.
 */
import * as KC from '../console/common.js';
import { store } from '../console/common.js';
import { TEXT } from './texts.js';

export const BASE = KC.basePath('agent');
export const TOKEN_KEY = 'kundresa.agent.token';
export const LANG_KEY = 'kundresa.agent.lang';
export const OPEN = ['open', 'assigned', 'waiting_customer'];
export const TYPING_EVERY = 3000; // ms between typing frames while the agent writes (the widget shows one for 5 s)
export const NOTIFY_KEY = 'kundresa.agent.notify';
export const SOUND_KEY = 'kundresa.agent.sound';
export const CUSTOMER_TYPING_MS = 6000; // the widget sends a typing hint every ~2.5 s while the customer writes
export const state = {
  lang: KC.savedLang(LANG_KEY),
  token: store.get(TOKEN_KEY) || '',
  agent: null,
  queue: new Map(),
  mine: new Map(),
  current: null, // the opened ticket
  opening: null, // the ticket being opened (its timeline is on the way): `current` is being left
  customer: null, // GET /api/customers/{id}/timeline → customer
  seen: new Set(), // "conversation:seq" of rendered timeline messages
  unread: new Set(),
  articles: [],
  socket: null,
  attempt: 0,
  reconnectTimer: 0,
  typing: { ticket: null, at: 0 }, // the last typing frame sent
  // The article picked in "article that answered", and the ticket it was picked on: a choice made on
  // one ticket is never sent when resolving another (the server refuses it too: `picked_for`).
  pick: { ticket: null, slug: '' },
  teams: [], // GET /api/teams
  history: null, // the opened ticket's customer's earlier contacts
  notify: store.get(NOTIFY_KEY, localStorage) === '1',
  sound: store.get(SOUND_KEY, localStorage) === '1',
  slash: { items: [], index: 0, start: -1, seq: 0 }, // the `/` canned-reply popup
};
export let t = TEXT[state.lang];

/** `t` follows `state.lang` (an importer cannot assign an imported binding: it calls this). */
export function useTexts() {
  t = TEXT[state.lang];
}
