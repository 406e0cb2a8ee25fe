/**
 * Admin console: the dashboard's inline SVG charts, built with createElementNS.
 */
import { el } from '../console/common.js';
import { t } from './state.js';
import { loc, num } from './helpers.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text != null) n.textContent = String(text);
  return n;
}
const W = 520;
const H = 230;
const PAD = { l: 58, r: 14, t: 12, b: 30 };
const TICKS = 4;
export const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The top of a y axis with TICKS even steps: steps of 1, 2 or 5 × 10^n (whole numbers for counts). */
function niceMax(x, { integer = false, steps = null } = {}) {
  const want = Math.max(x, 0) / TICKS;
  if (steps) return TICKS * (steps.find((s) => s >= want) || steps[steps.length - 1] * Math.ceil(want / steps[steps.length - 1]));
  if (!(want > 0)) return integer ? TICKS : 1;
  const p = 10 ** Math.floor(Math.log10(want));
  let step = 10 * p;
  for (const m of [1, 2, 5]) if (m * p >= want) { step = m * p; break; }
  return TICKS * (integer ? Math.max(1, step) : step);
}
function dayLabel(iso) {
  const d = new Date(`${iso}T00:00:00`);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(loc(), { day: 'numeric', month: 'short' });
}

function frame(labels, min, max, fmt, title) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title || '', preserveAspectRatio: 'xMidYMid meet' });
  const plotH = H - PAD.t - PAD.b;
  const y = (v) => PAD.t + plotH - ((v - min) / (max - min || 1)) * plotH;
  for (let i = 0; i <= TICKS; i += 1) {
    const v = min + ((max - min) * i) / TICKS;
    root.append(svg('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }));
    root.append(svg('text', { class: 'axis-label', x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  const n = Math.max(1, labels.length);
  const band = (W - PAD.l - PAD.r) / n;
  const every = Math.max(1, Math.ceil(n / 6));
  labels.forEach((d, i) => {
    if ((n - 1 - i) % every === 0) { // the last day always has its label
      root.append(svg('text', { class: 'axis-label', x: PAD.l + band * (i + 0.5), y: H - 8, 'text-anchor': 'middle' }, dayLabel(d)));
    }
  });
  return { root, y, band, x: (i) => PAD.l + band * (i + 0.5) };
}

function noData(root) {
  root.append(svg('text', { class: 'no-data', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t.noData));
}

export function barChart(labels, series, { stacked = false, max = null, fmt = String } = {}) {
  const totals = labels.map((_, i) => (stacked ? series.reduce((s, se) => s + (se.values[i] || 0), 0) : Math.max(0, ...series.map((se) => se.values[i] || 0))));
  const top = max != null ? max : niceMax(Math.max(0, ...totals), { integer: true });
  const f = frame(labels, 0, top, fmt);
  const bw = Math.max(1, f.band * 0.7);
  labels.forEach((d, i) => {
    let acc = 0;
    series.forEach((se, si) => {
      const v = se.values[i];
      if (v == null || v <= 0) return;
      const x = stacked ? f.x(i) - bw / 2 : f.x(i) - bw / 2 + (bw / series.length) * si;
      const w = stacked ? bw : bw / series.length;
      const y0 = f.y(stacked ? acc + v : v);
      const y1 = f.y(stacked ? acc : 0);
      const rect = svg('rect', { class: se.cls, x, y: Math.min(y0, y1), width: w, height: Math.max(0.5, Math.abs(y1 - y0)) });
      const count = se.counts ? ` (${num(se.counts[i])})` : '';
      rect.append(svg('title', {}, `${d} · ${se.name}: ${fmt(v)}${count}`));
      f.root.append(rect);
      if (stacked) acc += v;
    });
  });
  if (!totals.some((v) => v > 0)) noData(f.root);
  return f.root;
}

export function lineChart(labels, values, { min = 0, max = null, fmt = String, cls = 's-line', dot = 's-dot', counts = null, steps = null } = {}) {
  const present = values.filter((v) => v != null && Number.isFinite(v));
  const top = max != null ? max : niceMax(Math.max(0, ...present), { steps });
  const f = frame(labels, min, top, fmt);
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v == null || !Number.isFinite(v)) { pen = false; return; }
    d += `${pen ? 'L' : 'M'}${f.x(i).toFixed(1)} ${f.y(v).toFixed(1)} `;
    pen = true;
  });
  if (d) f.root.append(svg('path', { class: cls, d: d.trim() }));
  values.forEach((v, i) => {
    if (v == null || !Number.isFinite(v)) return;
    const c = svg('circle', { class: dot, cx: f.x(i), cy: f.y(v), r: 3.2 });
    const extra = counts ? ` (${t.nRatings(counts[i] || 0)})` : '';
    c.append(svg('title', {}, `${labels[i]}: ${fmt(v)}${extra}`));
    f.root.append(c);
  });
  if (!present.length) noData(f.root);
  return f.root;
}

export function chartCard(title, legend, chart, labels, columns) {
  const card = el('figure', 'card chart');
  card.style.margin = '0';
  const cap = el('figcaption');
  cap.append(el('h3', null, title));
  const ul = el('ul', 'legend');
  for (const [cls, name] of legend) {
    const li = el('li');
    li.append(el('i', cls), name);
    ul.append(li);
  }
  cap.append(ul);
  chart.setAttribute('aria-label', title);
  const details = el('details');
  details.append(el('summary', null, t.asTable));
  const table = el('table', 'data');
  const hr = el('tr');
  hr.append(el('th', null, t.date), ...columns.map(([name]) => el('th', 'num', name)));
  const thead = el('thead');
  thead.append(hr);
  const tbody = el('tbody');
  labels.forEach((d, i) => {
    const tr = el('tr');
    tr.append(el('td', null, d), ...columns.map(([, vals]) => el('td', 'num', vals[i])));
    tbody.append(tr);
  });
  table.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  details.append(wrap);
  card.append(cap, chart, details);
  return card;
}
