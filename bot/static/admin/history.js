/**
 * Admin console: an article's version history, the diff between two versions, restore.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { announce, button, enc, option, toast, when } from './helpers.js';
import { act, api } from './api.js';
import { loadArticles } from './article-list.js';
import { isDirty, loadIntoEditor } from './editor.js';

/* ------------------------------------------------------------------ history and diff */

export async function loadVersions() {
  if (!state.base) return;
  const slug = state.base.slug;
  const data = await act(() => api('GET', `/api/articles/${enc(slug)}/versions`));
  if (!data || !state.base || state.base.slug !== slug) return;
  state.versions = data.versions || [];
  const current = state.base.version;
  if (!state.versions.some((v) => v.version === state.selectedVersion) || state.selectedVersion === current) {
    state.selectedVersion = null;
  }
  const from = $('diff-from');
  const to = $('diff-to');
  const previous = state.versions.filter((v) => v.version < current).map((v) => v.version);
  from.dataset.value = String(state.selectedVersion || (previous.length ? previous[previous.length - 1] : current));
  to.dataset.value = String(current);
  $('history-card').hidden = false;
  renderHistory();
}

export function renderHistory() {
  const current = state.base ? state.base.version : null;
  const items = state.versions.slice().reverse().map((v) => {
    const li = el('li');
    const b = button('version-item');
    b.dataset.version = String(v.version);
    b.setAttribute('aria-pressed', String(v.version === state.selectedVersion));
    const snap = v.article || {};
    b.append(el('span', 'v', `v${v.version}`), el('span', `badge ${snap.status}`, t[snap.status] || snap.status || ''),
      el('span', 'meta', [when(v.created_at), v.author ? t.by(v.author) : ''].filter(Boolean).join(' · ')));
    if (v.version === current) b.append(el('span', 'badge', t.current));
    b.title = snap.title || '';
    b.addEventListener('click', () => selectVersion(v.version));
    li.append(b);
    return li;
  });
  $('history').replaceChildren(...items);
  const label = (v) => `v${v.version}${v.version === current ? ` (${t.current})` : ''} · ${when(v.created_at)}`;
  for (const id of ['diff-from', 'diff-to']) {
    const sel = $(id);
    const want = sel.dataset.value || sel.value;
    sel.replaceChildren(...state.versions.slice().reverse().map((v) => option(String(v.version), label(v))));
    sel.value = want;
  }
  const restore = $('history-restore');
  const sel = state.selectedVersion;
  restore.disabled = !sel || sel === current;
  restore.textContent = sel && sel !== current ? t.restoreN(sel) : t.restore;
  restore.title = sel && sel !== current ? '' : t.pickVersion;
  renderDiff();
}

function selectVersion(version) {
  state.selectedVersion = version;
  const current = state.base ? state.base.version : version;
  $('diff-from').dataset.value = String(version === current ? Math.max(1, version - 1) : version);
  $('diff-to').dataset.value = String(current);
  renderHistory();
  const btn = $('history').querySelector(`.version-item[data-version="${version}"]`);
  if (btn) btn.focus();
}

function versionText(snap) {
  const lines = [
    `title: ${snap.title || ''}`,
    `lang: ${snap.lang || ''}`,
    ...(snap.translation_of ? [`translation_of: ${snap.translation_of}`] : []),
    `status: ${snap.status || ''}`,
    `tags: ${(snap.tags || []).join(', ')}`,
    'questions:',
    ...(snap.questions || []).map((q) => `  - ${q}`),
    '---',
    ...String(snap.body || '').replace(/\r\n?/g, '\n').split('\n'),
  ];
  return lines;
}

/** Line diff (longest common subsequence after trimming the common head and tail). */
function diffLines(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA -= 1; endB -= 1; }
  const ops = [];
  for (let i = 0; i < start; i += 1) ops.push(['same', a[i]]);
  const ma = a.slice(start, endA);
  const mb = b.slice(start, endB);
  const n = ma.length;
  const m = mb.length;
  if (n * m > 4e6) {
    for (const l of ma) ops.push(['del', l]);
    for (const l of mb) ops.push(['add', l]);
  } else {
    const w = m + 1;
    const L = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        L[i * w + j] = ma[i] === mb[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (ma[i] === mb[j]) { ops.push(['same', ma[i]]); i += 1; j += 1; }
      else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) { ops.push(['del', ma[i]]); i += 1; }
      else { ops.push(['add', mb[j]]); j += 1; }
    }
    while (i < n) { ops.push(['del', ma[i]]); i += 1; }
    while (j < m) { ops.push(['add', mb[j]]); j += 1; }
  }
  for (let i = endA; i < a.length; i += 1) ops.push(['same', a[i]]);
  return ops;
}

export function renderDiff() {
  const box = $('history-diff');
  const find = (id) => state.versions.find((v) => String(v.version) === $(id).value);
  const a = find('diff-from');
  const b = find('diff-to');
  if (!a || !b) { box.replaceChildren(); $('diff-summary').textContent = ''; return; }
  if (a === b) { box.replaceChildren(); $('diff-summary').textContent = t.noDiff; return; }
  const ops = diffLines(versionText(a.article || {}), versionText(b.article || {}));
  const added = ops.filter((o) => o[0] === 'add').length;
  const removed = ops.filter((o) => o[0] === 'del').length;
  $('diff-summary').textContent = added || removed ? t.diffSummary(added, removed) : t.noDiff;
  const out = [];
  const CONTEXT = 3;
  for (let i = 0; i < ops.length;) {
    if (ops[i][0] !== 'same') { out.push(el('li', ops[i][0], ops[i][1])); i += 1; continue; }
    let j = i;
    while (j < ops.length && ops[j][0] === 'same') j += 1;
    const run = ops.slice(i, j);
    const head = i === 0 ? 0 : CONTEXT;
    const tail = j === ops.length ? 0 : CONTEXT;
    if (run.length > head + tail + 1) {
      for (const o of run.slice(0, head)) out.push(el('li', 'same', o[1]));
      out.push(el('li', 'fold', t.folded(run.length - head - tail)));
      for (const o of run.slice(run.length - tail)) out.push(el('li', 'same', o[1]));
    } else {
      for (const o of run) out.push(el('li', 'same', o[1]));
    }
    i = j;
  }
  box.replaceChildren(...out);
}

export async function restoreSelected() {
  const v = state.selectedVersion;
  if (!state.base || !v || v === state.base.version) return;
  if (isDirty() && !window.confirm(t.leave)) return;
  if (!window.confirm(t.confirmRestore(v))) return;
  const slug = state.base.slug;
  const article = await act(() => api('POST', `/api/articles/${enc(slug)}/versions/${v}/restore`));
  if (!article) return;
  state.selectedVersion = null;
  loadIntoEditor(article);
  await Promise.all([loadVersions(), loadArticles()]);
  const msg = t.restored(v, article.version);
  toast(msg);
  announce(msg);
}
