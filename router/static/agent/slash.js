/**
 * Agent console: canned replies, `/` in the reply box.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { toast } from './helpers.js';
import { act, api } from './api.js';
import { typing } from './actions.js';

/* ------------------------------------------------------------------ canned replies: `/` in the reply box */

// The `/word` being typed at the caret (a slash at the start or after a space), or null.
function slashQuery() {
  const box = $('agent-reply');
  const caret = box.selectionStart ?? box.value.length;
  const before = box.value.slice(0, caret);
  const m = /(^|\s)\/([^\s/]*)$/.exec(before);
  return m ? { start: caret - m[2].length - 1, q: m[2] } : null;
}

export async function updateSlash() {
  const found = slashQuery();
  if (!found) { hideSlash(); return; }
  const seq = ++state.slash.seq;
  const data = await act(() => api('GET', `/api/canned?q=${encodeURIComponent(found.q)}`));
  if (!data || seq !== state.slash.seq) return;
  state.slash = { ...state.slash, items: (data.canned || []).slice(0, 8), index: 0, start: found.start };
  renderSlash();
}

function renderSlash() {
  const ul = $('agent-slash');
  const { items, index } = state.slash;
  if (!items.length) {
    ul.replaceChildren(el('li', 'hint', t.noCanned));
  } else {
    ul.replaceChildren(...items.map((c, i) => {
      const li = el('li');
      li.setAttribute('role', 'option');
      li.id = `agent-slash-${c.id}`;
      li.setAttribute('aria-selected', String(i === index));
      const b = el('button');
      b.type = 'button';
      b.tabIndex = -1;
      b.dataset.canned = String(c.id);
      b.append(el('span', null, c.title), el('small', null, String(c.body).slice(0, 90)));
      b.addEventListener('mousedown', (e) => { e.preventDefault(); pickSlash(i); });
      li.append(b);
      return li;
    }));
  }
  ul.hidden = false;
  const active = items[index];
  $('agent-reply').setAttribute('aria-activedescendant', active ? `agent-slash-${active.id}` : '');
}

export function hideSlash() {
  state.slash.seq += 1;
  state.slash.items = [];
  $('agent-slash').hidden = true;
  $('agent-reply').removeAttribute('aria-activedescendant');
}

function pickSlash(i) {
  const c = state.slash.items[i];
  const found = slashQuery();
  if (!c || !found) { hideSlash(); return; }
  const box = $('agent-reply');
  const caret = box.selectionStart ?? box.value.length;
  const body = String(c.body);
  box.value = `${box.value.slice(0, found.start)}${body}${box.value.slice(caret)}`;
  const at = found.start + body.length;
  box.setSelectionRange(at, at);
  hideSlash();
  box.focus();
  typing();
}

// Keys in the reply box while the `/` popup is open: arrows move, Enter or Tab inserts, Escape closes.
export function slashKey(e) {
  if ($('agent-slash').hidden) return false;
  const n = state.slash.items.length;
  if (e.key === 'Escape') { hideSlash(); return true; }
  if (!n) return false;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    state.slash.index = (state.slash.index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderSlash();
    return true;
  }
  if (e.key === 'Enter' || e.key === 'Tab') { pickSlash(state.slash.index); return true; }
  return false;
}

export async function saveCanned() {
  const text = $('agent-reply').value.trim();
  if (!text) { toast(t.needReply); $('agent-reply').focus(); return; }
  const title = (window.prompt(t.cannedTitle, text.split('\n')[0].slice(0, 60)) || '').trim();
  if (!title) return;
  const data = await act(() => api('POST', '/api/canned', { title, body: text }));
  if (data) toast(t.cannedSaved);
}
