/**
 * Admin console: "Try a question" (the search's decision, scores and confidence against the thresholds).
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { button, num, toast } from './helpers.js';
import { act, api } from './api.js';
import { openArticle } from './editor.js';

/* ------------------------------------------------------------------ try a question */

export async function runTry() {
  const q = $('try-input').value.trim();
  if (!q) { toast(t.tryEmpty); $('try-input').focus(); return; }
  const params = new URLSearchParams({ q });
  if ($('try-drafts').checked) params.set('drafts', '1');
  if ($('try-lang').value) params.set('lang', $('try-lang').value);
  $('try-run').disabled = true;
  const data = await act(() => api('GET', `/api/search?${params}`));
  $('try-run').disabled = false;
  if (!data) return;
  state.tryResult = data;
  renderTry(data);
}

function scoreCell(value, max) {
  const td = el('td', 'num');
  const wrap = el('div', 'scorebar');
  wrap.append(el('span', null, num(value, 3)));
  const bar = el('span', 'bar');
  const fill = el('i');
  fill.style.width = `${Math.max(0, Math.min(100, (Number(value) / (max || 1)) * 100))}%`;
  bar.append(fill);
  wrap.append(bar);
  td.append(wrap);
  return td;
}

/** The confidence (0–1) as a bar with the clarify and answer thresholds marked; null without thresholds. */
function confidenceBar(data) {
  const th = data.thresholds;
  if (!th || !Number.isFinite(Number(th.answer)) || !Number.isFinite(Number(th.clarify))) return null;
  const clamp = (x) => Math.max(0, Math.min(1, Number(x) || 0));
  const conf = clamp(data.confidence);
  const zone = conf >= Number(th.answer) ? 'answer' : conf >= Number(th.clarify) ? 'clarify' : 'handoff';
  const box = el('div', 'confbar');
  box.dataset.zone = zone;
  const track = el('div', 'confbar-track');
  track.setAttribute('role', 'meter');
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', '1');
  track.setAttribute('aria-valuenow', String(conf));
  track.setAttribute('aria-valuetext', `${num(conf, 2)}: ${t.zones[zone]}`);
  track.setAttribute('aria-label', t.confidenceBar);
  const fill = el('i', 'confbar-fill');
  fill.style.width = `${conf * 100}%`;
  track.append(fill);
  for (const kind of ['clarify', 'answer']) {
    const mark = el('span', `confbar-mark mark-${kind}`);
    mark.style.left = `${clamp(th[kind]) * 100}%`;
    mark.title = t.marks[kind](num(th[kind], 2));
    mark.dataset.threshold = kind;
    const tag = el('span', `confbar-tag tag-${kind}`, `${t.zones[kind]} ≥ ${num(th[kind], 2)}`);
    tag.style.left = `${clamp(th[kind]) * 100}%`;
    track.append(mark, tag);
  }
  const legend = el('div', 'confbar-legend');
  const label = el('span', 'confbar-label');
  label.append(`${t.confidenceBar} ${num(conf, 2)}: `, el('b', null, t.zones[zone]));
  legend.append(label, el('span', null, `${t.marks.clarify(num(th.clarify, 2))} · ${t.marks.answer(num(th.answer, 2))}`));
  box.append(track, legend);
  return box;
}

export function renderTry(data) {
  const box = $('try-result');
  const head = el('div', 'decision');
  head.dataset.decision = data.decision;
  head.append(el('span', `badge d-${data.decision}`, t.decisions[data.decision] || data.decision),
    el('span', 'hint', t.confidence(num(data.confidence, 3))));
  const help = el('p', 'hint', t.decisionHelp[data.decision] || '');
  const bar = confidenceBar(data);
  const top = bar ? [head, help, bar] : [head, help];
  if (data.searched) top.splice(1, 0, el('p', 'hint try-searched', t.searchedAs(data.searched)));
  const articles = data.articles || [];
  if (!articles.length) { box.replaceChildren(...top, el('p', 'empty', t.noHits)); return; }
  const offered = new Set(data.options || []);
  const max = Math.max(1, ...articles.map((a) => Number(a.score) || 0));
  const table = el('table', 'data');
  const hr = el('tr');
  for (const h of [t.rank, t.article, t.score, t.dense, t.lexical, t.why]) hr.append(el('th', null, h));
  const thead = el('thead');
  thead.append(hr);
  const tbody = el('tbody');
  articles.forEach((a, i) => {
    const tr = el('tr', `try-article${offered.has(a.slug) ? ' offered' : ''}`);
    tr.dataset.slug = a.slug;
    tr.append(el('td', 'num', String(i + 1)));
    const name = el('td');
    const open = button('btn-link', a.title, () => openArticle(a.slug));
    name.append(open, el('div', 'hint', `${a.slug} · ${a.lang}`));
    const badges = el('div', 'row');
    if (a.status === 'draft') badges.append(el('span', 'badge draft', t.draft));
    if (offered.has(a.slug)) badges.append(el('span', 'badge d-answer', t.offered));
    if (badges.childNodes.length) name.append(badges);
    tr.append(name, scoreCell(a.score, max), scoreCell(a.dense, 1), scoreCell(a.lexical, 1));
    const why = el('td');
    why.append(el('span', 'badge matched-kind', t.kinds[a.matched_kind] || a.matched_kind || ''));
    const p = el('p', 'matched');
    p.append(el('q', null, a.matched || ''));
    why.append(p);
    tr.append(why);
    tbody.append(tr);
  });
  table.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  box.replaceChildren(...top, wrap);
}
