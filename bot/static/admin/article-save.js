/**
 * Admin console: saving, publishing and deleting an article; adding and removing example questions.
 */
import { $, showError } from '../console/common.js';
import { SLUG_RE, state, t } from './state.js';
import { announce, enc, toast } from './helpers.js';
import { act, api, localError } from './api.js';
import { loadArticles } from './article-list.js';
import {
  fields, fillEditor, loadIntoEditor, questionsFrom, renderEditorChrome, renderQuestions, snapshotOf,
  updateDirty
} from './editor.js';
import { loadVersions } from './history.js';

function validate(data) {
  if (!data.title) return t.needTitle;
  if (!SLUG_RE.test(data.slug)) return t.badSlug;
  return null;
}

export async function save(status) {
  if (state.busy) return;
  const data = { ...fields(), status };
  const problem = validate(data);
  showError('editor-error', problem);
  if (problem) {
    (data.title ? $('editor-slug') : $('editor-title')).focus();
    return;
  }
  const isNew = !state.base;
  data.questions = state.questions.filter((q) => !q.pending).map((q) => q.text);
  state.busy = true;
  try {
    if (!isNew && snapshotOf(data) === snapshotOf(state.base) && status === state.base.status) {
      toast(t.unchanged);
      return;
    }
    // Publishing changes what customers get at once: asked first (the button and Ctrl+S alike).
    if (status === 'published' && !window.confirm(t.confirmPublish(data.title))) return;
    const wasPublished = !isNew && state.base.status === 'published';
    let article = isNew
      ? await api('POST', '/api/articles', data)
      : await api('PUT', `/api/articles/${enc(state.base.slug)}`, data);
    if (isNew && state.gap) {
      const learned = await settleGap(state.gap, article.slug);
      article = await api('GET', `/api/articles/${enc(article.slug)}`);
      if (learned) toast(t.gapAttached(learned));
    }
    loadIntoEditor(article);
    await Promise.all([loadVersions(), loadArticles()]);
    const msg = status === 'published' ? t.published_ : wasPublished ? t.unpublished : t.savedDraft;
    if (!(isNew && state.gap)) toast(msg);
    announce(msg);
  } catch (e) {
    showError('editor-error', localError(e));
  } finally {
    state.busy = false;
  }
}

/** A new article made from a gap group: its kept questions join it (source "gap"), the group is handled. */
async function settleGap(gap, slug) {
  const kept = new Set(state.questions.filter((q) => q.pending).map((q) => q.text));
  const examples = gap.examples || [];
  const exampleIds = new Set(examples.map((e) => e.id));
  const keep = examples.filter((e) => kept.has(String(e.text).trim())).map((e) => e.id);
  const hidden = (gap.ids || []).filter((id) => !exampleIds.has(id)); // beyond the examples shown: same group
  const drop = examples.filter((e) => !kept.has(String(e.text).trim())).map((e) => e.id);
  let learned = 0;
  if (keep.length + hidden.length) {
    const res = await api('POST', '/api/gaps/handled', { ids: [...keep, ...hidden], article: slug });
    learned = (res && res.learned ? res.learned.length : 0);
  }
  if (drop.length) await api('POST', '/api/gaps/handled', { ids: drop });
  state.gap = null;
  return learned;
}

export async function unpublish() {
  await save('draft');
}

export async function deleteArticle() {
  const btn = $('editor-delete');
  if (!state.base) return;
  if (!btn.dataset.armed) {
    btn.dataset.armed = '1';
    btn.textContent = t.confirmDelete;
    setTimeout(() => { if (btn.dataset.armed) { delete btn.dataset.armed; btn.textContent = t.delete; } }, 5000);
    return;
  }
  const slug = state.base.slug;
  const ok = await act(() => api('DELETE', `/api/articles/${enc(slug)}`));
  if (!ok) return;
  state.base = null;
  $('editor').hidden = true;
  $('history-card').hidden = true;
  $('editor-empty').hidden = false;
  toast(t.deleted(slug));
  await loadArticles();
}

export async function refreshQuestionsFrom(article) {
  // The server made a new version: take its questions and version, keep unsaved edits to the other fields.
  const edited = fields();
  state.base = article;
  state.questions = questionsFrom(article);
  fillEditor({ ...article, ...edited });
  renderEditorChrome();
  renderQuestions();
  updateDirty();
  await Promise.all([loadVersions(), loadArticles()]);
}

export async function addQuestion() {
  const input = $('editor-question-input');
  const text = input.value.trim();
  if (!text) { input.focus(); return; }
  if (state.questions.some((q) => q.text === text)) { toast(t.questionExists); return; }
  if (!state.base) {
    state.questions.push({ text, source: 'admin', pending: false });
    input.value = '';
    renderQuestions();
    updateDirty();
    announce(t.questionAdded);
    return;
  }
  const slug = state.base.slug;
  const res = await act(() => api('POST', `/api/articles/${enc(slug)}/questions`, { text }));
  if (!res) return;
  input.value = '';
  const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
  if (article) await refreshQuestionsFrom(article);
  announce(t.questionAdded);
  input.focus();
}

export async function removeQuestion(i) {
  const q = state.questions[i];
  if (!q) return;
  if (!state.base) {
    state.questions.splice(i, 1);
    renderQuestions();
    renderEditorChrome();
    updateDirty();
    announce(t.questionRemoved);
    $('editor-question-input').focus();
    return;
  }
  const res = await act(() => api('DELETE', `/api/articles/${enc(state.base.slug)}/questions`, { text: q.text }));
  if (!res) return;
  await refreshQuestionsFrom(res.article);
  announce(t.questionRemoved);
  $('editor-question-input').focus();
}
