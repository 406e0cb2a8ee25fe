/**
 * Kundresa agent console: the entry module (`<script type="module" src="agent/main.js">` in agent.html).
 * Plain ES modules, no dependencies, no build step: router/static/agent/*.js, each module one concern; the
 * helpers shared with the admin console are router/static/console/*.js (served at /console/).
 * Log in with an agent API token (kept in sessionStorage). The page talks to the JSON API
 * (/api/tickets…, /api/articles, /api/agents/me/presence) and keeps itself live over /agent/ws:
 *   {"type":"snapshot","queue":[…],"mine":[…],"agent":{…}}  on connect,
 *   {"type":"ticket","event":…,"ticket":{…}}               when a ticket changes,
 *   {"type":"message","ticket_id":…,"message":{…}}          when a message is added to an active ticket.
 * While the agent writes a reply (not an internal note) the page sends {"type":"typing","ticket":ID}, at
 * most every TYPING_EVERY ms; the customer's chat shows "Support is typing…". A refused one comes back
 * as {"type":"error",…} and is ignored.
 * Every piece of customer or article text is put in the page with textContent, never as markup.
 */
import * as KC from '../console/common.js';
import { $ } from '../console/common.js';
import { LANG_KEY, state } from './state.js';
import { applyLang, login, logout } from './session.js';
import { renderLists } from './lists.js';
import {
  claim, renderTransfer, resolve, send, togglePresence, transfer, typing, updateComposerMode
} from './actions.js';
import { hideCanned, searchCannedSoon } from './articles.js';
import { pageVisible, toggleNotify, toggleSound } from './alerts.js';
import { onShortcut, showShortcuts } from './shortcuts.js';
import { hideSlash, saveCanned, slashKey, updateSlash } from './slash.js';

/* ------------------------------------------------------------------ wiring */

function init() {
  $('agent-login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    login($('agent-token').value.trim());
  });
  $('agent-logout').addEventListener('click', () => logout());
  $('agent-lang').addEventListener('click', () => {
    state.lang = KC.switchLang(LANG_KEY, state.lang);
    applyLang();
  });
  $('agent-presence').addEventListener('click', togglePresence);
  $('agent-claim').addEventListener('click', claim);
  $('agent-transfer').addEventListener('click', transfer);
  $('agent-transfer-team').addEventListener('change', renderTransfer);
  $('agent-notify').addEventListener('click', toggleNotify);
  $('agent-sound').addEventListener('click', toggleSound);
  $('agent-help').addEventListener('click', () => showShortcuts(true));
  $('agent-shortcuts-close').addEventListener('click', () => showShortcuts(false));
  $('agent-shortcuts').addEventListener('click', (e) => { if (e.target === $('agent-shortcuts')) showShortcuts(false); });
  document.addEventListener('keydown', onShortcut);
  $('agent-resolve-article').addEventListener('change', () => {
    const slug = $('agent-resolve-article').value;
    state.pick = { ticket: state.current && slug ? state.current.id : null, slug };
  });
  $('agent-canned-save').addEventListener('click', saveCanned);
  // Coming back to the tab: what is open in front of the agent is read.
  const seen = () => {
    if (pageVisible() && state.current && state.unread.delete(state.current.id)) renderLists();
  };
  window.addEventListener('focus', seen);
  document.addEventListener('visibilitychange', seen);
  $('agent-resolve').addEventListener('click', resolve);
  $('agent-composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  $('agent-reply').addEventListener('keydown', (e) => {
    if (!e.isComposing && slashKey(e)) { e.preventDefault(); return; }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
  $('agent-reply').addEventListener('input', () => { typing(); updateSlash(); });
  $('agent-reply').addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== $('agent-reply')) hideSlash(); }, 150));
  $('agent-internal').addEventListener('change', updateComposerMode);
  $('agent-canned').addEventListener('input', searchCannedSoon);
  $('agent-canned').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { hideCanned(); return; }
    if (e.key === 'ArrowDown' || e.key === 'Enter') {
      const first = $('agent-canned-results').querySelector('button');
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  $('agent-canned-results').addEventListener('keydown', (e) => {
    const buttons = [...$('agent-canned-results').querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' && i < buttons.length - 1) { e.preventDefault(); buttons[i + 1].focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? buttons[i - 1] : $('agent-canned')).focus(); }
    if (e.key === 'Escape') { hideCanned(); $('agent-canned').focus(); }
  });
  document.addEventListener('click', (e) => {
    if (!e.target.closest || !e.target.closest('.canned')) hideCanned();
  });
  applyLang();
  if (state.token) login(state.token);
  else $('agent-token').focus();
}

KC.ready(init);
