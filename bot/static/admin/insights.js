/**
 * Kundresa admin — "Rotorsaker / Root causes" (GET /api/insights): where customers get hurt, per article,
 * tag and page step, ranked by customers hurt and whether that is rising; and the unanswered questions
 * grouped by need across languages, each one click from a draft article (POST /api/articles, then
 * POST /api/gaps/handled). An ES module, served at /admin/insights.js and loaded after admin/main.js; it adds
 * its own tab and view, and shares the admin's token and language. Text goes in with textContent only.
 */
import * as KC from '../console/common.js';
import { $, store, el } from '../console/common.js';
import { toast } from './helpers.js'; // the console's one toast

const VIEW = 'insights';
const TEXT = {
  sv: {
    tab: 'Rotorsaker', heading: 'Rotorsaker', days: 'Period',
    intro: 'Var kunderna fastnar: per artikel, tagg och steg på sidan, sorterat efter hur många kunder som drabbades (överlämnade, 👎, lågt betyg efter överlämning, misslyckad betalning) och om det ökar.',
    articles: 'Artiklar', tags: 'Taggar', steps: 'Steg på sidan', name: 'Namn', hurt: 'Drabbade kunder',
    trend: 'Trend', rising: 'ökar', questions: 'Frågor', answered: 'Besvarade', clarified: 'Förtydligade',
    handedOff: 'Överlämnade', thumbsDown: '👎', csat: 'Betyg efter överlämning', payments: 'Betalningsfel',
    unanswered: 'Obesvarade frågor, grupperade efter behov', noRows: 'Inget under perioden.',
    noGroups: 'Inga obesvarade frågor under perioden.', questionsN: (n) => `${n} frågor`,
    draft: 'Skapa utkast med frågorna', drafted: (s) => `Utkastet ${s} skapades; frågorna är markerade som hanterade.`,
    placeholder: 'Skriv svaret här.', lastDays: (n) => `Senaste ${n} dagarna`, error: 'Något gick fel',
    netError: 'Kunde inte nå servern. Försök igen.', badToken: 'Nyckeln godtogs inte.', none: '(inget steg)',
  },
  en: {
    tab: 'Root causes', heading: 'Root causes', days: 'Period',
    intro: 'Where customers get stuck: per article, tag and page step, ranked by how many customers it hurt (handed off, 👎, a low rating after a handoff, a failed payment) and whether that is rising.',
    articles: 'Articles', tags: 'Tags', steps: 'Page steps', name: 'Name', hurt: 'Customers hurt',
    trend: 'Trend', rising: 'rising', questions: 'Questions', answered: 'Answered', clarified: 'Clarified',
    handedOff: 'Handed off', thumbsDown: '👎', csat: 'CSAT after handoff', payments: 'Payment failures',
    unanswered: 'Unanswered questions, grouped by need', noRows: 'Nothing in this period.',
    noGroups: 'No unanswered questions in this period.', questionsN: (n) => `${n} questions`,
    draft: 'Create a draft with these questions', drafted: (s) => `The draft ${s} was created; the questions are marked handled.`,
    placeholder: 'Write the answer here.', lastDays: (n) => `Last ${n} days`, error: 'Something went wrong',
    netError: 'Could not reach the server. Try again.', badToken: 'That token was not accepted.', none: '(no step)',
  },
};
const lang = () => KC.savedLang('kundresa.admin.lang');
const t = () => TEXT[lang()];
const { api, act } = KC.client({
  base: KC.basePath('admin'),
  token: () => store.get('kundresa.admin.token') || '',
  loggedIn: () => !$('admin-app').hidden,
  expired: () => location.reload(),
  text: t,
  toast,
});
const state = { days: 30, data: null };
const BARS = '▁▂▃▄▅▆▇█';

function spark(series) {
  const most = Math.max(1, ...series.map((s) => s.hurt));
  return series.map((s) => BARS[Math.round((s.hurt / most) * (BARS.length - 1))]).join('');
}

function rowsTable(rows, T, label) {
  if (!rows.length) return el('p', 'empty', T.noRows);
  const tbl = el('table', 'data');
  const head = el('tr');
  for (const h of [T.name, T.hurt, T.trend, T.questions, T.answered, T.clarified, T.handedOff, T.thumbsDown, T.csat, T.payments]) {
    head.append(el('th', null, h));
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    tr.dataset.key = r.key;
    const name = el('td', null, label(r));
    const hurt = el('td', 'num', r.customers_hurt);
    const trend = el('td', null, spark(r.series || []));
    trend.title = `${r.hurt_first_half} → ${r.hurt_second_half}`;
    if (r.rising) trend.append(' ', el('span', 'badge d-handoff', `↑ ${T.rising}`));
    tr.append(name, hurt, trend);
    for (const k of ['questions', 'answered', 'clarified', 'handed_off', 'thumbs_down']) tr.append(el('td', 'num', r[k]));
    tr.append(el('td', 'num', r.csat_after_handoff == null ? '–' : `${r.csat_after_handoff} (${r.csat_count})`));
    tr.append(el('td', 'num', r.payment_events));
    tbody.append(tr);
  }
  tbl.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(tbl);
  return wrap;
}

function slugify(text) {
  const base = text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'utkast';
  return `${base}-${Date.now().toString(36).slice(-4)}`;
}

async function draft(group) {
  const d = group.draft;
  const slug = slugify(d.title);
  const body = { slug, title: d.title, lang: d.lang, status: 'draft', body: t().placeholder, questions: d.questions, tags: [] };
  const made = await act(() => api('POST', '/api/articles', body));
  if (!made) return;
  await act(() => api('POST', '/api/gaps/handled', { ids: group.ids }));
  toast(t().drafted(slug));
  await load();
}

function groupsView(groups, T) {
  if (!groups.length) return el('p', 'empty', T.noGroups);
  const list = el('ul', 'stack');
  list.style.listStyle = 'none';
  list.style.padding = '0';
  for (const g of groups) {
    const li = el('li', 'card');
    const head = el('div', 'row');
    head.append(el('strong', 'grow', g.representative), el('span', 'badge', T.questionsN(g.size)));
    for (const [code, n] of Object.entries(g.languages)) head.append(el('span', 'badge', `${code} ${n}`));
    const qs = el('ul');
    for (const q of g.questions) {
      const item = el('li', null, q.text);
      item.lang = q.lang;
      qs.append(item);
    }
    const b = el('button', 'btn btn-small btn-primary', T.draft);
    b.type = 'button';
    b.addEventListener('click', () => { b.disabled = true; draft(g).finally(() => { b.disabled = false; }); });
    li.append(head, qs, b);
    list.append(li);
  }
  return list;
}

function render() {
  const T = t();
  $(`tab-${VIEW}`).textContent = T.tab;
  const view = $(`view-${VIEW}`);
  const top = el('div', 'row');
  top.append(el('h2', 'grow', T.heading));
  const select = el('select');
  select.id = 'insights-days';
  select.setAttribute('aria-label', T.days);
  for (const n of [7, 30, 90]) {
    const o = el('option', null, T.lastDays(n));
    o.value = String(n);
    o.selected = n === state.days;
    select.append(o);
  }
  select.addEventListener('change', () => { state.days = Number(select.value); load(); });
  top.append(select);
  const parts = [top, el('p', 'hint', T.intro)];
  const data = state.data;
  if (data) {
    const sections = [
      [T.articles, data.articles, (r) => `${r.title || r.key} (${r.key})`],
      [T.tags, data.tags, (r) => r.key],
      [T.steps, data.steps, (r) => (r.key === 'none' ? T.none : r.key)],
    ];
    for (const [title, rows, label] of sections) {
      const card = el('section', 'card');
      card.append(el('h3', null, title), rowsTable(rows, T, label));
      parts.push(card);
    }
    const card = el('section', 'card');
    card.id = 'insights-unanswered';
    card.append(el('h3', null, T.unanswered), groupsView(data.unanswered, T));
    parts.push(card);
  }
  view.replaceChildren(...parts);
}

async function load() {
  const from = new Date(Date.now() - (state.days - 1) * 86400000).toISOString().slice(0, 10);
  const data = await act(() => api('GET', `/api/insights?from=${from}`));
  if (data) state.data = data;
  render();
}

function init() {
  KC.tabView({ tabs: 'admin-tabs', main: 'admin-main', lang: 'admin-lang', app: 'admin-app' }, VIEW, () => t().tab, () => { render(); load(); }, render);
}

KC.ready(init);
