/**
 * Admin console: its constants, the page state and `t`, the texts of the chosen language.
 */
import * as KC from '../console/common.js';
import { store } from '../console/common.js';
import { TEXT } from './texts.js';

export const BASE = KC.basePath('admin');
export const TOKEN_KEY = 'kundresa.admin.token';
export const LANG_KEY = 'kundresa.admin.lang';
export const VIEWS = ['articles', 'try', 'gaps', 'health', 'dashboard', 'io'];
export const SLUG_RE = /^[a-z0-9][a-z0-9._-]{0,199}$/;
export const state = {
  lang: KC.savedLang(LANG_KEY),
  token: store.get(TOKEN_KEY) || '',
  config: null,
  view: 'articles',
  articles: [],
  base: null, // the opened article as the server has it; null while creating a new one
  questions: [], // [{text, source, pending}] shown in the editor
  gap: null, // the knowledge-gap group a new article is created from
  slugTouched: false,
  versions: [],
  selectedVersion: null,
  tryResult: null,
  gaps: [],
  health: [],
  healthSort: { key: 'shown', dir: -1 },
  stats: null,
  busy: false,
};
export let t = TEXT[state.lang];

/** `t` follows `state.lang` (an importer cannot assign an imported binding: it calls this). */
export function useTexts() {
  t = TEXT[state.lang];
}
