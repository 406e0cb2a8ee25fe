/**
 * Admin console: import (dry run first, with progress) and export of articles.
 */
import * as KC from '../console/common.js';
import { $, ApiError, el, showError } from '../console/common.js';
import { BASE, state, t } from './state.js';
import { announce, button } from './helpers.js';
import { localError } from './api.js';
import { loadArticles } from './article-list.js';
import { openArticle } from './editor.js';

/* ------------------------------------------------------------------ import and export */

function upload(files, dry, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/api/articles/import${dry ? '?dry_run=1' : ''}`);
    xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.upload.addEventListener('load', () => onProgress(null));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
      else {
        const err = KC.apiError(xhr.status, data, t.error);
        const detail = (data && data.error) || {};
        err.file = detail.file; // a bad import file: where
        err.line = detail.line;
        reject(err);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', t.netError)));
    xhr.send(form);
  });
}

export async function runImport() {
  const files = [...$('import-file').files];
  showError('import-error', '');
  if (!files.length) { showError('import-error', t.needFile); $('import-file').focus(); return; }
  const dry = $('import-dry').checked;
  const bar = $('import-progress');
  const status = $('import-status');
  bar.hidden = false;
  bar.value = 0;
  $('import-run').disabled = true;
  $('import-report').replaceChildren();
  try {
    const report = await upload(files, dry, (p) => {
      if (p == null) { bar.removeAttribute('value'); status.textContent = t.processing; } // indeterminate
      else { bar.value = Math.round(p * 100); status.textContent = t.uploading(Math.round(p * 100)); }
    });
    bar.value = 100;
    status.textContent = ''; // the report says it, once
    renderImportReport(report);
    if (!report.dry_run) await loadArticles();
  } catch (e) {
    status.textContent = '';
    showError('import-error', e instanceof ApiError && e.code !== 'bad_import_file' ? `${localError(e)} ${t.nothingImported}` : localError(e));
    if (e instanceof ApiError && e.code === 'bad_import_file') {
      const details = el('details', 'technical');
      details.append(el('summary', null, t.technical));
      const detail = el('p', null, e.message);
      detail.lang = 'en';
      details.append(detail);
      $('import-report').replaceChildren(details);
    }
  } finally {
    bar.hidden = true;
    $('import-run').disabled = false;
  }
}

function renderImportReport(r) {
  const c = (r.created || []).length;
  const u = (r.updated || []).length;
  const s = (r.unchanged || []).length;
  const summary = r.dry_run ? t.dryDone(c, u, s) : t.importDone(c, u, s);
  const box = $('import-report');
  const parts = [el('p', 'notice', summary)];
  for (const [key, label] of [['created', t.created], ['updated', t.updated], ['unchanged', t.unchangedList]]) {
    const slugs = r[key] || [];
    if (!slugs.length) continue;
    const details = el('details');
    details.dataset.kind = key;
    if (key !== 'unchanged') details.open = true;
    details.append(el('summary', null, `${label} (${slugs.length})`));
    const ul = el('ul');
    for (const slug of slugs) {
      const li = el('li');
      if (r.dry_run || !state.articles.some((a) => a.slug === slug)) li.textContent = slug;
      else li.append(button('btn-link', slug, () => openArticle(slug)));
      ul.append(li);
    }
    details.append(ul);
    parts.push(details);
  }
  box.replaceChildren(...parts);
  announce(summary);
}

export async function runExport(format) {
  const status = $('export-status');
  status.textContent = t.downloading;
  let resp;
  try {
    resp = await fetch(`${BASE}/api/articles/export?format=${format}`, { headers: { Authorization: `Bearer ${state.token}` } });
  } catch {
    status.textContent = t.netError;
    return;
  }
  if (!resp.ok) {
    let code = null;
    try { code = (await resp.json()).error.code; } catch { /* not JSON */ }
    status.textContent = localError(new ApiError(resp.status, code || 'http_error', ''));
    return;
  }
  const blob = await resp.blob();
  const disp = resp.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(disp);
  const name = m ? m[1] : `kundresa-articles.${format}`;
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  status.textContent = t.exported(name);
}
