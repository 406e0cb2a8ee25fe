/**
 * Admin console: the article editor (fields, dirty state, example questions, live preview).
 */
import { $, el, showError } from '../console/common.js';
import { renderMarkdown } from '../markdown/render.js';
import { state, t } from './state.js';
import { button, enc, option, parseTags } from './helpers.js';
import { act, api } from './api.js';
import { showView } from './session.js';
import { renderList, renderTranslationSelect, renderVersions, teamOf } from './article-list.js';
import { removeQuestion } from './article-save.js';
import { loadVersions } from './history.js';

/* ------------------------------------------------------------------ articles: editor */

export function snapshotOf(a) {
  return JSON.stringify([a.title, a.slug, a.lang, (a.tags || []).join(','), a.body, a.translation_of || null]);
}
export function fields() {
  return {
    title: $('editor-title').value.trim(),
    slug: $('editor-slug').value.trim(),
    lang: $('editor-lang').value,
    tags: parseTags($('editor-tags').value),
    body: $('editor-body').value,
    translation_of: $('editor-translation').value || null,
  };
}
export function isDirty() {
  if ($('editor').hidden) return false;
  const now = fields();
  if (!state.base) return Boolean(now.title || now.body.trim() || state.questions.length);
  return snapshotOf(now) !== snapshotOf(state.base);
}
export function confirmLeave() {
  return !isDirty() || window.confirm(t.leave);
}
export function updateDirty() {
  const box = $('editor-dirty');
  const dirty = isDirty();
  box.hidden = !dirty;
  box.textContent = dirty ? t.unsaved : '';
}

function showEditor() {
  $('editor-empty').hidden = true;
  $('editor').hidden = false;
  showError('editor-error', '');
}

export function fillEditor(a) {
  $('editor-title').value = a.title || '';
  $('editor-slug').value = a.slug || '';
  const langSel = $('editor-lang');
  if (a.lang && ![...langSel.options].some((o) => o.value === a.lang)) langSel.append(option(a.lang, a.lang));
  langSel.value = a.lang || 'sv';
  $('editor-tags').value = (a.tags || []).join(', ');
  $('editor-body').value = a.body || '';
  renderTranslationSelect(a.translation_of || '');
  renderVersions(a.slug ? a : null);
}

export function questionsFrom(article) {
  const sources = article.question_sources || [];
  return (article.questions || []).map((text, i) => ({ text, source: (sources[i] && sources[i].source) || 'admin', pending: false }));
}

export function loadIntoEditor(article) {
  state.base = article;
  state.gap = null;
  state.slugTouched = true;
  state.questions = questionsFrom(article);
  fillEditor(article);
  showEditor();
  renderEditorChrome();
  renderQuestions();
  renderPreview();
  updateDirty();
  renderList();
}

export async function openArticle(slug, { force = false } = {}) {
  if (!force && state.base && state.base.slug === slug && !$('editor').hidden) return;
  if (!force && !confirmLeave()) return;
  if (state.view !== 'articles') showView('articles', false);
  const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
  if (!article) return;
  loadIntoEditor(article);
  await loadVersions();
}

export function openNew(prefill = {}) {
  if (!confirmLeave()) return;
  if (state.view !== 'articles') showView('articles', false);
  state.base = null;
  state.gap = prefill.gap || null;
  state.slugTouched = false;
  state.questions = (prefill.questions || []).map((q) => ({ text: q.text, source: q.source || 'admin', pending: Boolean(q.pending) }));
  fillEditor({ title: prefill.title || '', slug: prefill.title ? slugify(prefill.title) : '', lang: prefill.lang || 'sv', tags: [], body: '' });
  showEditor();
  $('history-card').hidden = true;
  state.versions = [];
  renderEditorChrome();
  renderQuestions();
  renderPreview();
  updateDirty();
  renderList();
  $('editor-title').focus();
}

export function slugify(text) {
  return String(text).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80).replace(/-+$/, '');
}

export function renderEditorChrome() {
  const a = state.base;
  const isNew = !a;
  $('editor-heading').textContent = isNew ? t.newHeading : a.title;
  const status = isNew ? 'draft' : a.status;
  const badge = $('editor-status');
  badge.className = `badge ${status}`;
  badge.textContent = isNew ? t.newHeading : t[status];
  badge.hidden = isNew;
  $('editor-version').textContent = isNew ? '' : t.versionN(a.version);
  $('editor-slug').readOnly = !isNew;
  $('editor-slug-hint').textContent = isNew ? t.slugHint : t.slugFixed;
  const published = !isNew && a.status === 'published';
  $('editor-save-draft').hidden = published;
  $('editor-unpublish').hidden = !published;
  $('editor-publish').textContent = published ? t.publishChanges : t.publish;
  $('editor-delete').hidden = isNew;
  $('editor-delete').textContent = t.delete;
  delete $('editor-delete').dataset.armed;
  const gapBox = $('editor-gap-notice');
  gapBox.hidden = !state.gap;
  gapBox.textContent = state.gap ? t.gapNotice(state.questions.filter((q) => q.pending).length) : '';
  renderTeamHint();
}

export function renderTeamHint() {
  const { team, tag } = teamOf({ tags: parseTags($('editor-tags').value) });
  $('editor-team').textContent = t.teamHint(team, tag);
}

export function renderQuestions() {
  const items = state.questions.map((q, i) => {
    const li = el('li');
    li.dataset.source = q.source;
    li.append(el('span', 'q', q.text));
    const src = el('span', `badge src-${q.source}`, t.sources[q.source] || q.source);
    if (q.pending) src.title = t.pendingGap;
    li.append(src);
    const rm = button('btn btn-small question-remove', t.remove, () => removeQuestion(i));
    rm.setAttribute('aria-label', t.removeQuestion(q.text));
    li.append(rm);
    return li;
  });
  if (!items.length) items.push(el('li', 'empty', t.noQuestions));
  $('editor-questions').replaceChildren(...items);
  $('editor-question-count').textContent = String(state.questions.length);
}

let previewFrame = 0;
export function renderPreview() {
  cancelAnimationFrame(previewFrame);
  previewFrame = requestAnimationFrame(() => {
    // The same structure as the widget's answer bubble (widget/messages.js RENDER.answer), with its renderer.
    const row = el('div', 'kundresa-msg kundresa-msg--them');
    row.dataset.kind = 'answer';
    const bubble = el('div', 'kundresa-bubble');
    const title = $('editor-title').value.trim();
    if (title) {
      const h = el('div', 'kundresa-article', title);
      h.setAttribute('role', 'heading');
      h.setAttribute('aria-level', '3');
      bubble.append(h);
    }
    bubble.append(renderMarkdown($('editor-body').value));
    row.append(bubble);
    $('editor-preview').replaceChildren(row);
  });
}
