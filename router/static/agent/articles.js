/**
 * Agent console: articles as canned answers, resolving with the article that answered.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { act, api } from './api.js';
import { typing } from './actions.js';

/* ------------------------------------------------------------------ articles: canned answers, resolve */

export async function loadArticles() {
  const data = await act(() => api('GET', '/api/articles?status=published'));
  if (!data) return;
  state.articles = data.articles || [];
  const select = $('agent-resolve-article');
  const keep = select.value;
  const none = el('option', null, t.noArticle);
  none.value = '';
  none.dataset.i18n = 'noArticle';
  const opts = state.articles
    .slice()
    .sort((a, b) => String(a.title).localeCompare(String(b.title)))
    .map((a) => { const o = el('option', null, `${a.title} (${a.slug})`); o.value = a.slug; return o; });
  select.replaceChildren(none, ...opts);
  select.value = state.current && state.pick.ticket === state.current.id ? keep : '';
}

let cannedTimer = 0;
let cannedSeq = 0;
/** Search as the agent types, once they pause. */
export function searchCannedSoon() {
  clearTimeout(cannedTimer);
  cannedTimer = setTimeout(searchCanned, 200);
}
export async function searchCanned() {
  const q = $('agent-canned').value.trim();
  const mySeq = ++cannedSeq;
  if (!q) { hideCanned(); return; }
  const data = await act(() => api('GET', `/api/articles?status=published&q=${encodeURIComponent(q)}`));
  if (!data || mySeq !== cannedSeq) return;
  const ul = $('agent-canned-results');
  const items = (data.articles || []).slice(0, 12).map((a) => {
    const li = el('li');
    const b = el('button');
    b.type = 'button';
    b.dataset.slug = a.slug;
    b.append(el('span', null, a.title), el('small', null, a.slug));
    b.addEventListener('click', () => insertArticle(a));
    li.append(b);
    return li;
  });
  if (!items.length) items.push(el('li', 'hint', t.noResults));
  ul.replaceChildren(...items);
  ul.hidden = false;
  $('agent-canned').setAttribute('aria-expanded', 'true');
}
export function hideCanned() {
  $('agent-canned-results').hidden = true;
  $('agent-canned').setAttribute('aria-expanded', 'false');
}
function insertArticle(a) {
  const box = $('agent-reply');
  const body = String(a.body || '').trim();
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  const before = box.value.slice(0, start);
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  box.value = `${before}${sep}${body}${box.value.slice(end)}`;
  const caret = before.length + sep.length + body.length;
  box.setSelectionRange(caret, caret);
  const select = $('agent-resolve-article');
  if ([...select.options].some((o) => o.value === a.slug)) { // likely the answer
    select.value = a.slug;
    if (state.current) state.pick = { ticket: state.current.id, slug: a.slug };
  }
  $('agent-canned').value = '';
  hideCanned();
  box.focus();
  typing();
}

/* ------------------------------------------------------------------ the article that answered */

export function resetArticlePick() {
  state.pick = { ticket: null, slug: '' };
  $('agent-resolve-article').value = '';
}
