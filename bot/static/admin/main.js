/**
 * Kundresa admin console: the entry module (`<script type="module" src="admin/main.js">` in admin.html).
 * Plain ES modules, no dependencies, no build step: bot/static/admin/*.js, each module one concern;
 * the helpers shared with the agent console are router/static/console/*.js (served at /console/).
 * Log in with an admin API token (kept in sessionStorage). Everything goes through the JSON API:
 *   /api/admin/config, /api/articles… (list, CRUD, versions, restore, questions, import, export, health),
 *   /api/search (try a question), /api/gaps + /api/gaps/handled, /api/stats.
 * The live preview renders with the widget's own renderer (bot/static/markdown/render.js) and message
 * CSS (markdown/style.js). Every piece of data is put in the page with textContent or DOM calls, never
 * as markup; the dashboard charts are inline SVG built with createElementNS.
 */
import * as KC from '../console/common.js';
import { $ } from '../console/common.js';
import { MESSAGE_CSS } from '../markdown/style.js';
import { LANG_KEY, state, VIEWS } from './state.js';
import { applyLang, login, logout, showView } from './session.js';
import { renderList } from './article-list.js';
import { confirmLeave, isDirty, openNew, renderPreview, renderTeamHint, slugify, updateDirty } from './editor.js';
import { addQuestion, deleteArticle, save, unpublish } from './article-save.js';
import { renderDiff, restoreSelected } from './history.js';
import { runTry } from './try.js';
import { loadGaps } from './gaps.js';
import { loadHealth } from './health.js';
import { loadStats, setRange } from './dashboard.js';
import { runExport, runImport } from './io.js';

// The widget's message and Markdown rules, for the live preview: written once, in markdown/style.js.
document.head.append(Object.assign(document.createElement('style'), { textContent: MESSAGE_CSS }));

/* ------------------------------------------------------------------ wiring */

function init() {
  $('admin-login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    login($('admin-token').value.trim());
  });
  $('admin-logout').addEventListener('click', () => { if (confirmLeave()) logout(); });
  $('admin-lang').addEventListener('click', () => {
    state.lang = KC.switchLang(LANG_KEY, state.lang);
    applyLang();
  });

  const tabs = VIEWS.map((v) => $(`tab-${v}`));
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => showView(tab.dataset.view));
    tab.addEventListener('keydown', (e) => {
      let j = null;
      if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
      if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
      if (e.key === 'Home') j = 0;
      if (e.key === 'End') j = tabs.length - 1;
      if (j == null) return;
      e.preventDefault();
      tabs[j].focus();
      showView(tabs[j].dataset.view, false);
    });
  });

  for (const id of ['filter-status', 'filter-lang', 'filter-tag', 'filter-team']) $(id).addEventListener('change', renderList);
  let searchTimer = 0;
  $('article-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(renderList, 120); });
  $('article-search').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      const first = $('article-list').querySelector('.article-item');
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  $('article-list').addEventListener('keydown', (e) => {
    const items = [...$('article-list').querySelectorAll('.article-item')];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === 'ArrowDown' && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
    if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? items[i - 1] : $('article-search')).focus(); }
  });
  $('article-new').addEventListener('click', () => openNew());

  $('editor').addEventListener('submit', (e) => e.preventDefault());
  $('editor-title').addEventListener('input', () => {
    if (!state.base && !state.slugTouched) $('editor-slug').value = slugify($('editor-title').value);
    renderPreview();
    updateDirty();
  });
  $('editor-slug').addEventListener('input', () => { state.slugTouched = true; updateDirty(); });
  $('editor-body').addEventListener('input', () => { renderPreview(); updateDirty(); });
  $('editor-tags').addEventListener('input', () => { renderTeamHint(); updateDirty(); });
  $('editor-lang').addEventListener('change', updateDirty);
  $('editor-translation').addEventListener('change', updateDirty);
  $('editor-question-add').addEventListener('click', addQuestion);
  $('editor-question-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); addQuestion(); }
  });
  $('editor-save-draft').addEventListener('click', () => save('draft'));
  $('editor-publish').addEventListener('click', () => save('published'));
  $('editor-unpublish').addEventListener('click', unpublish);
  $('editor-delete').addEventListener('click', deleteArticle);
  $('editor').addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      save(state.base && state.base.status === 'published' ? 'published' : 'draft');
    }
  });
  $('history-restore').addEventListener('click', restoreSelected);
  $('history').addEventListener('keydown', (e) => {
    const items = [...$('history').querySelectorAll('.version-item')];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === 'ArrowDown' && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
    if (e.key === 'ArrowUp' && i > 0) { e.preventDefault(); items[i - 1].focus(); }
  });
  for (const id of ['diff-from', 'diff-to']) {
    $(id).addEventListener('change', () => { $(id).dataset.value = $(id).value; renderDiff(); });
  }

  $('try-form').addEventListener('submit', (e) => { e.preventDefault(); runTry(); });
  $('try-drafts').addEventListener('change', () => { if ($('try-input').value.trim()) runTry(); });
  $('try-lang').addEventListener('change', () => { if ($('try-input').value.trim()) runTry(); });

  $('gaps-refresh').addEventListener('click', loadGaps);
  $('health-refresh').addEventListener('click', loadHealth);

  $('stats-form').addEventListener('submit', (e) => { e.preventDefault(); loadStats(); });
  for (const b of document.querySelectorAll('#stats-form [data-days]')) {
    b.addEventListener('click', () => { setRange(Number(b.dataset.days)); loadStats(); });
  }

  $('import-run').addEventListener('click', runImport);
  $('export-jsonl').addEventListener('click', () => runExport('jsonl'));
  $('export-csv').addEventListener('click', () => runExport('csv'));
  $('export-zip').addEventListener('click', () => runExport('zip'));

  window.addEventListener('beforeunload', (e) => {
    if (state.config && isDirty()) { e.preventDefault(); e.returnValue = ''; }
  });

  applyLang();
  if (state.token) login(state.token);
  else $('admin-token').focus();
}

KC.ready(init);
