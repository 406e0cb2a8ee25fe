/**
 * Agent console: keyboard shortcuts.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { sortTickets } from './lists.js';
import { openTicket } from './ticket.js';
import { claim, resolve, typing } from './actions.js';

/* ------------------------------------------------------------------ keyboard shortcuts */

const SHORTCUTS = [['j', 'next'], ['k', 'prev'], ['c', 'claim'], ['e', 'resolve'], ['r', 'reply'], ['/', 'canned'], ['?', 'help'], ['Esc', 'escape']];

export function renderShortcuts() {
  const dl = $('agent-shortcut-list');
  dl.replaceChildren(...SHORTCUTS.flatMap(([key, what]) => {
    const dt = el('dt');
    dt.append(el('kbd', null, key));
    return [dt, el('dd', null, t.keys[what])];
  }));
}

export function showShortcuts(show) {
  $('agent-shortcuts').hidden = !show;
  if (show) $('agent-shortcuts-close').focus();
  else $('agent-help').focus();
}

function stepTicket(delta) {
  const all = [...sortTickets(state.mine), ...sortTickets(state.queue)];
  if (!all.length) return;
  const i = state.current ? all.findIndex((x) => x.id === state.current.id) : -1;
  const next = all[(i + delta + all.length) % all.length] || all[0];
  openTicket(next.id);
}

export function onShortcut(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || !state.agent) return;
  if (!$('agent-shortcuts').hidden) {
    if (e.key === 'Escape' || e.key === '?') { e.preventDefault(); showShortcuts(false); }
    return;
  }
  const target = e.target;
  const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (typing) {
    if (e.key === 'Escape' && target.id === 'agent-reply' && $('agent-slash').hidden) target.blur();
    return;
  }
  const actions = {
    '?': () => showShortcuts(true),
    j: () => stepTicket(1),
    k: () => stepTicket(-1),
    c: () => { if (state.current && !$('agent-claim').disabled) claim(); },
    e: () => { if (state.current && !$('agent-resolve').disabled) resolve(); },
    r: () => { if (state.current) $('agent-reply').focus(); },
  };
  const run = actions[e.key];
  if (run) { e.preventDefault(); run(); }
}
