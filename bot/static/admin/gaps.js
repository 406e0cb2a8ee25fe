/**
 * Admin console: knowledge gaps (create an article from one, attach it to one, dismiss it).
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { button, enc, loc, num, option, toast, unique, when } from './helpers.js';
import { act, api } from './api.js';
import { loadArticles } from './article-list.js';
import { openArticle, openNew, renderEditorChrome } from './editor.js';
import { refreshQuestionsFrom } from './article-save.js';

/* ------------------------------------------------------------------ knowledge gaps */

export async function loadGaps() {
  const data = await act(() => api('GET', '/api/gaps'));
  if (!data) return;
  state.gaps = (data.groups || []).slice().sort((a, b) => b.size - a.size);
  renderGaps();
}

function guessLang(text) {
  const s = ` ${String(text).toLowerCase()} `;
  if (/[åäö]/.test(s)) return 'sv';
  const sv = (s.match(/\s(jag|hur|kan|det|är|och|min|mitt|mina|på|för|med|inte|vad|varför|ni|er|att|ett|en)\s/g) || []).length;
  const en = (s.match(/\s(i|how|can|the|is|and|my|on|for|with|not|what|why|you|your|to|a|an|do)\s/g) || []).length;
  return en > sv ? 'en' : 'sv';
}
function titleFrom(text) {
  const s = String(text).trim().replace(/[?!.]+$/, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function createFromGap(group) {
  const texts = unique((group.examples || []).map((e) => String(e.text).trim()).filter(Boolean));
  if (!texts.length && group.representative) texts.push(String(group.representative).trim());
  openNew({
    title: titleFrom(group.representative || texts[0] || ''),
    lang: guessLang(texts.join(' ')),
    questions: texts.map((text) => ({ text, source: 'gap', pending: true })),
    gap: { ids: group.ids || (group.examples || []).map((e) => e.id), examples: group.examples || [] },
  });
  renderEditorChrome();
}

async function attachGap(group, slug) {
  if (!slug) { toast(t.needTarget); return; }
  const ids = group.ids || (group.examples || []).map((e) => e.id);
  const res = await act(() => api('POST', '/api/gaps/handled', { ids, article: slug }));
  if (!res) return;
  toast(t.attached((res.learned || []).length, slug));
  await Promise.all([loadGaps(), loadArticles()]);
  if (state.base && state.base.slug === slug) {
    const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
    if (article) await refreshQuestionsFrom(article);
  }
}

async function dismissGap(group) {
  const ids = group.ids || (group.examples || []).map((e) => e.id);
  const res = await act(() => api('POST', '/api/gaps/handled', { ids }));
  if (!res) return;
  toast(t.dismissed);
  await loadGaps();
}

export function renderGaps() {
  const items = state.gaps.map((group, gi) => {
    const li = el('li', 'card gap-group');
    li.dataset.size = String(group.size);
    const head = el('div', 'gap-head');
    head.append(el('span', 'gap-size', String(group.size)), el('span', 'hint', t.nQuestions(group.size).replace(/^\d+\s*/, '')),
      el('span', 'gap-rep', group.representative || ''));
    for (const [reason, n] of Object.entries(group.reasons || {})) {
      head.append(el('span', 'badge', `${t.reasons[reason] || reason} ${n}`));
    }
    if (group.last_seen) head.append(el('span', 'hint', t.lastSeen(when(group.last_seen))));
    const ex = el('ul', 'gap-examples');
    for (const e of group.examples || []) {
      const item = el('li');
      item.append(el('span', null, e.text));
      const meta = el('span', 'meta');
      meta.append(el('span', 'badge channel', t.channels[e.channel] || e.channel || '–'), ' ',
        el('span', null, `${t.reasons[e.reason] || e.reason || ''} · ${when(e.created_at)}`));
      item.append(meta);
      ex.append(item);
    }
    li.append(head, ex);
    const suggested = group.suggested_articles || [];
    if (suggested.length) {
      const p = el('p', 'hint');
      p.append(t.similar, ' ');
      suggested.forEach((s, i) => {
        if (i) p.append(', ');
        p.append(button('btn-link', `${s.title} (${num(s.score, 2)})`, () => openArticle(s.slug)));
      });
      li.append(p);
    }
    const actions = el('div', 'gap-actions');
    actions.append(button('btn btn-primary gap-create', t.createArticle, () => createFromGap(group)));
    const selId = `gap-target-${gi}`;
    const label = el('label', 'sr', t.addToArticle);
    label.htmlFor = selId;
    const sel = el('select', 'gap-target');
    sel.id = selId;
    sel.append(option('', t.chooseArticle));
    if (suggested.length) {
      const og = el('optgroup');
      og.label = t.suggested;
      for (const s of suggested) og.append(option(s.slug, s.title));
      sel.append(og);
    }
    const all = el('optgroup');
    all.label = t.allArticles;
    for (const a of state.articles.slice().sort((x, y) => String(x.title).localeCompare(String(y.title), loc()))) {
      all.append(option(a.slug, a.title));
    }
    sel.append(all);
    actions.append(label, sel, button('btn gap-attach', t.addToArticle, () => attachGap(group, sel.value)),
      button('btn btn-link gap-dismiss', t.dismiss, () => dismissGap(group)));
    li.append(actions);
    return li;
  });
  $('gaps').replaceChildren(...items);
  $('gaps-empty').hidden = items.length > 0 || $('view-gaps').hidden;
}
