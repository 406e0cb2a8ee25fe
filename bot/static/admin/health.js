/**
 * Admin console: article health (how often each article is shown, helps, hands off).
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { button, loc, num, pct } from './helpers.js';
import { act, api } from './api.js';
import { openArticle } from './editor.js';

/* ------------------------------------------------------------------ article health */

export async function loadHealth() {
  const data = await act(() => api('GET', '/api/articles/health'));
  if (!data) return;
  state.health = data.articles || [];
  renderHealth();
}

const HEALTH_COLUMNS = [
  ['title', 'article', false], ['status', 'status', false], ['shown', 'shown', true], ['helped', 'helped', true],
  ['not_helped', 'notHelped', true], ['helped_rate', 'helpedRate', true], ['handoffs', 'handoffs', true],
];

export function renderHealth() {
  const { key, dir } = state.healthSort;
  const head = HEALTH_COLUMNS.map(([k, label, numeric]) => {
    const th = el('th', numeric ? 'num' : null);
    th.scope = 'col';
    if (k === key) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    th.append(button(null, t[label], () => {
      state.healthSort = { key: k, dir: k === key ? -dir : numeric ? -1 : 1 };
      renderHealth();
      const again = $('health-head').querySelector(`th[data-key="${k}"] button`);
      if (again) again.focus();
    }));
    th.dataset.key = k;
    return th;
  });
  $('health-head').replaceChildren(...head);
  const val = (a) => (a[key] == null ? -Infinity : a[key]);
  const rows = state.health.slice().sort((a, b) => {
    const x = val(a);
    const y = val(b);
    const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y), loc()) : x - y;
    return c * dir || String(a.slug).localeCompare(String(b.slug));
  }).map((a) => {
    const tr = el('tr', 'health-row');
    tr.dataset.slug = a.slug;
    const name = el('td');
    name.append(button('btn-link', a.title, () => openArticle(a.slug)), el('div', 'hint', a.slug));
    const rated = a.helped + a.not_helped;
    if ((rated >= 3 && a.helped_rate != null && a.helped_rate < 0.5) || (a.shown >= 3 && a.handoffs / a.shown > 0.3)) {
      name.append(el('span', 'badge draft', t.attention));
    }
    const status = el('td');
    status.append(el('span', `badge ${a.status}`, t[a.status] || a.status));
    tr.append(name, status, el('td', 'num shown', num(a.shown)), el('td', 'num helped', num(a.helped)),
      el('td', 'num not-helped', num(a.not_helped)), el('td', 'num', pct(a.helped_rate)), el('td', 'num handoffs', num(a.handoffs)));
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', 'empty', t.noHealth);
    td.colSpan = HEALTH_COLUMNS.length;
    tr.append(td);
    rows.push(tr);
  }
  $('health-body').replaceChildren(...rows);
}
