/**
 * Admin console: language switching, log in and out, and the tabs.
 */
import * as KC from '../console/common.js';
import { $, store } from '../console/common.js';
import { state, t, TOKEN_KEY, useTexts, VIEWS } from './state.js';
import { api } from './api.js';
import { loadArticles, renderFilters, renderList, renderVersions } from './article-list.js';
import { renderEditorChrome, renderPreview, renderQuestions } from './editor.js';
import { renderHistory } from './history.js';
import { renderTry } from './try.js';
import { loadGaps, renderGaps } from './gaps.js';
import { loadHealth, renderHealth } from './health.js';
import { loadStats, renderStats } from './dashboard.js';

/* ------------------------------------------------------------------ language */

export function applyLang() {
  useTexts();
  KC.applyTexts(t, state.lang, 'admin-lang');
  $('article-search').placeholder = t.searchPlaceholder;
  $('editor-tags').placeholder = t.tagsPlaceholder;
  $('editor-question-input').placeholder = t.questionPlaceholder;
  $('try-input').placeholder = t.tryPlaceholder;
  if (!state.config) return;
  renderFilters();
  renderList();
  if (!$('editor').hidden) { renderEditorChrome(); renderQuestions(); renderPreview(); renderVersions(state.base); }
  if (!$('history-card').hidden) renderHistory();
  if (state.tryResult) renderTry(state.tryResult);
  renderGaps();
  renderHealth();
  if (state.stats) renderStats(state.stats);
}

/* ------------------------------------------------------------------ login */

const LOGIN_FORM = { view: 'admin-login-view', error: 'admin-login-error', button: 'admin-login', input: 'admin-token' };

export async function login(token) {
  const ok = await KC.checkToken({
    token,
    key: TOKEN_KEY,
    form: LOGIN_FORM,
    text: t,
    check: (tok) => api('GET', '/api/admin/config', undefined, tok),
    refused: (e) => (e.status === 401 ? t.badToken : e.status === 403 ? t.notAdmin : e.message),
  });
  if (!ok) return;
  const config = ok.data;
  state.token = token;
  state.config = config;
  $('admin-login-view').hidden = true;
  $('admin-app').hidden = false;
  $('admin-logout').hidden = false;
  $('admin-who').textContent = config.user ? config.user.name : '';
  await loadArticles();
  applyLang();
  const wanted = location.hash.replace('#', '');
  showView(VIEWS.includes(wanted) ? wanted : 'articles', false);
}

export function logout(message) {
  state.token = '';
  state.config = null;
  store.del(TOKEN_KEY);
  $('admin-app').hidden = true;
  $('admin-logout').hidden = true;
  $('admin-who').textContent = '';
  KC.showLogin(LOGIN_FORM, message);
}

/* ------------------------------------------------------------------ tabs */

export function showView(name, focus = true) {
  state.view = name;
  for (const v of VIEWS) {
    const tab = $(`tab-${v}`);
    const on = v === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`view-${v}`).hidden = !on;
  }
  try { history.replaceState(null, '', `#${name}`); } catch { /* file: or sandboxed */ }
  if (name === 'gaps') loadGaps();
  if (name === 'health') loadHealth();
  if (name === 'dashboard') loadStats();
  if (name === 'try' && focus) $('try-input').focus();
  if (name === 'articles') loadArticles();
}
