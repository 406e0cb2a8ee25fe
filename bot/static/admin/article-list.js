/**
 * Admin console: the article list and its filters.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { button, loc, option, unique } from './helpers.js';
import { act, api } from './api.js';
import { openArticle } from './editor.js';

/* ------------------------------------------------------------------ articles: list */

export function teamOf(article) {
  const teams = (state.config && state.config.teams) || {};
  for (const tag of article.tags || []) if (teams[tag]) return { team: teams[tag], tag };
  return { team: (state.config && state.config.default_team) || 'support', tag: null };
}

export async function loadArticles() {
  const data = await act(() => api('GET', '/api/articles'));
  if (!data) return;
  state.articles = data.articles || [];
  renderFilters();
  renderList();
}

function fillSelect(select, allText, values, labels = {}) {
  const keep = select.value;
  select.replaceChildren(option('', allText), ...values.map((v) => option(v, labels[v] || v)));
  select.value = values.includes(keep) ? keep : '';
}

export function renderFilters() {
  const arts = state.articles;
  const langs = unique(arts.map((a) => a.lang)).sort();
  const tags = unique(arts.flatMap((a) => a.tags || [])).sort((a, b) => a.localeCompare(b));
  const cfg = state.config || {};
  const teams = unique([...Object.values(cfg.teams || {}), cfg.default_team || 'support', ...arts.map((a) => teamOf(a).team)]).sort();
  fillSelect($('filter-lang'), t.allLangs, langs);
  fillSelect($('filter-tag'), t.allTags, tags);
  fillSelect($('filter-team'), t.allTeams, teams);
  const st = $('filter-status');
  for (const o of st.options) o.textContent = o.value ? t[o.value] : t.all;
  $('tag-options').replaceChildren(...tags.map((tag) => option(tag, tag)));
  const langSel = $('editor-lang');
  const have = [...langSel.options].map((o) => o.value);
  for (const l of langs) if (!have.includes(l)) langSel.append(option(l, l));
  renderTranslationSelect($('editor-translation').value);
}

/** "Language version of": every other article; the saved value is kept even before the list loads. */
export function renderTranslationSelect(value) {
  const select = $('editor-translation');
  const own = state.base ? state.base.slug : $('editor-slug').value.trim();
  const others = state.articles.filter((a) => a.slug !== own)
    .sort((a, b) => String(a.title).localeCompare(String(b.title), loc()));
  const options = others.map((a) => option(a.slug, `${a.title} (${a.lang}) · ${a.slug}`));
  if (value && !others.some((a) => a.slug === value)) options.unshift(option(value, value));
  select.replaceChildren(option('', t.noTranslation), ...options);
  select.value = value || '';
}

/** The article's other language versions, each a link that opens it. */
export function renderVersions(a) {
  const versions = (a && a.translations) || [];
  const main = a ? a.translation_of || a.slug : null;
  const items = versions.map((v) => {
    const li = el('li');
    li.dataset.slug = v.slug;
    li.append(el('span', 'badge', v.lang), button('btn-link', v.title, () => openArticle(v.slug)));
    if (v.slug === main) li.append(el('span', 'hint', t.mainVersion));
    if (v.status === 'draft') li.append(el('span', 'badge draft', t.draft));
    return li;
  });
  $('editor-versions').replaceChildren(...items);
  $('editor-versions-box').hidden = !items.length;
}

function matches(a, words) {
  if (!words.length) return true;
  const hay = [a.title, a.slug, (a.tags || []).join(' '), (a.questions || []).join(' '), a.body].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function renderList() {
  const words = $('article-search').value.toLowerCase().split(/\s+/).filter(Boolean);
  const status = $('filter-status').value;
  const lang = $('filter-lang').value;
  const tag = $('filter-tag').value;
  const team = $('filter-team').value;
  const shown = state.articles.filter((a) => (!status || a.status === status) && (!lang || a.lang === lang)
    && (!tag || (a.tags || []).includes(tag)) && (!team || teamOf(a).team === team) && matches(a, words))
    .sort((a, b) => String(a.title).localeCompare(String(b.title), loc()));
  const current = state.base ? state.base.slug : null;
  const items = shown.map((a) => {
    const li = el('li');
    const b = button('article-item');
    b.dataset.slug = a.slug;
    if (a.slug === current) b.setAttribute('aria-current', 'true');
    const meta = el('span', 'meta');
    meta.append(el('span', `badge ${a.status}`, t[a.status] || a.status), el('span', null, a.lang), el('span', null, `· ${teamOf(a).team}`),
      el('span', null, `· ${t.nQuestions((a.questions || []).length)}`));
    const others = unique((a.translations || []).map((v) => v.lang));
    if (others.length) meta.append(el('span', 'versions-langs', `· ${t.alsoIn(others.join(', '))}`));
    b.append(el('span', 'title', a.title), meta);
    b.addEventListener('click', () => openArticle(a.slug));
    li.append(b);
    return li;
  });
  $('article-list').replaceChildren(...items);
  $('article-list-empty').hidden = items.length > 0;
  $('article-count').textContent = String(shown.length);
}
