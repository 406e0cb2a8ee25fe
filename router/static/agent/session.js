/**
 * Agent console: language switching, log in and out.
 */
import * as KC from '../console/common.js';
import { $, store } from '../console/common.js';
import { state, t, TOKEN_KEY, useTexts } from './state.js';
import { api } from './api.js';
import { connect, disconnect, setConn } from './socket.js';
import { renderLists } from './lists.js';
import { closeTicket, reloadTimeline, renderHead, renderSide } from './ticket.js';
import { loadTeams, renderPresence, updateComposerMode } from './actions.js';
import { loadArticles } from './articles.js';
import { renderAlerts } from './alerts.js';
import { renderShortcuts } from './shortcuts.js';

/* ------------------------------------------------------------------ language */

export function applyLang() {
  useTexts();
  KC.applyTexts(t, state.lang, 'agent-lang');
  $('agent-canned').placeholder = t.cannedPlaceholder;
  updateComposerMode();
  renderPresence();
  renderAlerts();
  renderShortcuts();
  setConn($('agent-conn').dataset.state);
  renderLists();
  if (state.current) {
    renderHead();
    renderSide();
    reloadTimeline();
  }
}

/* ------------------------------------------------------------------ login */

const LOGIN_FORM = { view: 'agent-login-view', error: 'agent-login-error', button: 'agent-login', input: 'agent-token' };

export async function login(token) {
  const ok = await KC.checkToken({
    token,
    key: TOKEN_KEY,
    form: LOGIN_FORM,
    text: t,
    check: (tok) => api('GET', '/api/tickets?status=active&mine=1', undefined, tok),
    refused: (e) => (e.status === 401 || e.status === 403 ? t.badToken : e.message),
  });
  if (!ok) return;
  state.token = token;
  $('agent-login-view').hidden = true;
  $('agent-console').hidden = false;
  $('agent-logout').hidden = false;
  $('agent-presence').hidden = false;
  for (const id of ['agent-notify', 'agent-sound', 'agent-help']) $(id).hidden = false;
  connect();
  loadArticles();
  loadTeams();
}

export function logout(message) {
  state.token = '';
  state.agent = null;
  store.del(TOKEN_KEY);
  disconnect();
  state.queue.clear();
  state.mine.clear();
  closeTicket();
  $('agent-console').hidden = true;
  $('agent-logout').hidden = true;
  $('agent-presence').hidden = true;
  for (const id of ['agent-notify', 'agent-sound', 'agent-help']) $(id).hidden = true;
  state.unread.clear();
  $('agent-who').textContent = '';
  setConn('idle');
  KC.showLogin(LOGIN_FORM, message);
}
