/**
 * Kundresa admin console — the Audit view (issue 17). An ES module, no build step; served at
 * /admin/audit.js and loaded after admin/main.js, which knows nothing of it: this script owns its tab
 * (#tab-audit) and panel (#view-audit), hides itself when another tab is chosen and hides the others when
 * chosen, and follows the console's language (the #admin-lang button, kept in localStorage).
 *
 * Reads GET /api/audit (filters: action, actor, target_id, since, until; pages with before/next_before).
 * Every value is put in the page with textContent, never as markup.
 */
import * as KC from '../console/common.js';
import { $, store, el } from '../console/common.js';

const TOKEN_KEY = 'kundresa.admin.token';
const LANG_KEY = 'kundresa.admin.lang';
const PAGE = 50;

const TEXT = {
  sv: {
    tab: 'Granskningslogg',
    title: 'Granskningslogg',
    intro: 'Vem som läst kunddata i bulk eller ändrat något: export, radering, VIP, sammanslagningar, användare och artiklar.',
    action: 'Händelse', actor: 'Vem', target: 'Gäller', when: 'När', details: 'Detaljer',
    from: 'Från', to: 'Till', show: 'Visa', more: 'Visa fler', all: 'Alla händelser',
    actorPlaceholder: 'namn', targetPlaceholder: 'id eller slug',
    empty: 'Inga händelser matchar.', error: 'Något gick fel', netError: 'Kunde inte nå servern. Försök igen.',
    badToken: 'Nyckeln godtogs inte.',
    count: (n) => `${n} händelser visas`,
    keys: {
      conversations: 'samtal', messages: 'meddelanden', tickets: 'ärenden', customers: 'kunder', identities: 'identiteter',
      gap_questions: 'kunskapsluckor', learned_examples_removed: 'inlärda frågor borttagna',
      learned_examples_kept: 'inlärda frågor omskrivna', articles_changed: 'ändrade artiklar', queued_events: 'köade händelser',
      slack_threads: 'Slack-trådar', threads: 'trådar', deleted: 'raderade', left: 'kvar (andras)', failed: 'misslyckade', role: 'roll', changed: 'ändrat', change: 'ändring', version: 'version', created: 'nya',
      updated: 'ändrade', article: 'artikel', source: 'från kund', target: 'till kund', vip: 'VIP',
    },
    kinds: { customer: 'kund', user: 'användare', article: 'artikel', merge: 'sammanslagning', gaps: 'kunskapsluckor', retention: 'gallring' },
    actions: {
      'customer.': 'Kunder (alla)', 'customer.export': 'Kunddata exporterad', 'customer.erase': 'Kund raderad', 'customer.erase_slack': 'Kundens Slack-inlägg raderade',
      'customer.vip': 'VIP ändrad', 'merge.undo': 'Sammanslagning ångrad', 'user.': 'Användare (alla)',
      'user.create': 'Användare skapad', 'user.update': 'Användare ändrad', 'article.': 'Artiklar (alla)',
      'article.create': 'Artikel skapad', 'article.update': 'Artikel ändrad', 'article.delete': 'Artikel borttagen',
      'article.restore': 'Version återställd', 'article.question_add': 'Exempelfråga tillagd',
      'article.question_delete': 'Exempelfråga borttagen', 'article.import': 'Artiklar importerade',
      'gaps.handled': 'Kunskapsluckor hanterade', 'retention.run': 'Gallring körd',
    },
  },
  en: {
    tab: 'Audit log',
    title: 'Audit log',
    intro: 'Who read customer data in bulk or changed anything: exports, erasures, VIP, merges, users and articles.',
    action: 'Action', actor: 'Who', target: 'Target', when: 'When', details: 'Details',
    from: 'From', to: 'To', show: 'Show', more: 'Show more', all: 'All actions',
    actorPlaceholder: 'name', targetPlaceholder: 'id or slug',
    empty: 'No entries match.', error: 'Something went wrong', netError: 'Could not reach the server. Try again.',
    badToken: 'That token was not accepted.',
    count: (n) => `${n} entries shown`,
    keys: {
      conversations: 'conversations', messages: 'messages', tickets: 'tickets', customers: 'customers', identities: 'identities',
      gap_questions: 'knowledge gaps', learned_examples_removed: 'learned questions removed',
      learned_examples_kept: 'learned questions rewritten', articles_changed: 'articles changed', queued_events: 'queued events',
      slack_threads: 'Slack threads', threads: 'threads', deleted: 'deleted', left: "left (others')", failed: 'failed', role: 'role', changed: 'changed', change: 'change', version: 'version', created: 'created',
      updated: 'updated', article: 'article', source: 'from customer', target: 'to customer', vip: 'VIP',
    },
    kinds: { customer: 'customer', user: 'user', article: 'article', merge: 'merge', gaps: 'knowledge gaps', retention: 'retention' },
    actions: {
      'customer.': 'Customers (all)', 'customer.export': 'Customer data exported', 'customer.erase': 'Customer erased', 'customer.erase_slack': "Customer's Slack posts deleted",
      'customer.vip': 'VIP changed', 'merge.undo': 'Merge undone', 'user.': 'Users (all)',
      'user.create': 'User created', 'user.update': 'User changed', 'article.': 'Articles (all)',
      'article.create': 'Article created', 'article.update': 'Article changed', 'article.delete': 'Article deleted',
      'article.restore': 'Version restored', 'article.question_add': 'Example question added',
      'article.question_delete': 'Example question removed', 'article.import': 'Articles imported',
      'gaps.handled': 'Knowledge gaps handled', 'retention.run': 'Retention run',
    },
  },
};

const state = { lang: KC.savedLang(LANG_KEY), entries: [], next: null, open: false, loaded: false };
let t = TEXT[state.lang];
const wantedAtLoad = location.hash === '#audit';

const { api } = KC.client({
  base: KC.basePath('admin'),
  token: () => store.get(TOKEN_KEY) || '',
  loggedIn: () => false, // admin/main.js notices an expired token itself
  expired: () => {},
  text: () => t,
  toast: (m) => KC.showError('audit-error', m),
});

/* ------------------------------------------------------------------ texts */

function applyTexts() {
  t = TEXT[state.lang];
  for (const n of document.querySelectorAll('[data-audit-i18n]')) {
    const v = t[n.dataset.auditI18n];
    if (typeof v === 'string') n.textContent = v;
  }
  $('audit-actor').placeholder = t.actorPlaceholder;
  $('audit-target').placeholder = t.targetPlaceholder;
  const select = $('audit-action');
  const chosen = select.value;
  select.replaceChildren(option('', t.all));
  for (const [value, label] of Object.entries(t.actions)) select.append(option(value, label));
  select.value = chosen;
  render();
}

function option(value, text) {
  const o = el('option', null, text);
  o.value = value;
  return o;
}

/* ------------------------------------------------------------------ tab */

function show() {
  for (const tab of $('admin-tabs').querySelectorAll('[role=tab]')) {
    const on = tab.id === 'tab-audit';
    tab.setAttribute('aria-selected', String(on));
    if (!on) tab.tabIndex = -1;
  }
  for (const view of document.querySelectorAll('main .view')) view.hidden = view.id !== 'view-audit';
  state.open = true;
  try { history.replaceState(null, '', '#audit'); } catch { /* file: or sandboxed */ }
  if (!state.loaded) load(false);
}

function hide() {
  state.open = false;
  $('view-audit').hidden = true;
  $('tab-audit').setAttribute('aria-selected', 'false');
}

/* ------------------------------------------------------------------ data */

function query(before) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  const fields = { action: 'audit-action', actor: 'audit-actor', target_id: 'audit-target', since: 'audit-from' };
  for (const [key, id] of Object.entries(fields)) {
    const v = $(id).value.trim();
    if (v) p.set(key, v);
  }
  const to = $('audit-to').value;
  if (to) { // inclusive: up to the end of that day
    const d = new Date(`${to}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    p.set('until', d.toISOString().slice(0, 10));
  }
  if (before) p.set('before', String(before));
  return p.toString();
}

async function load(more) {
  KC.showError('audit-error', '');
  $('audit-more').disabled = true;
  try {
    const data = await api('GET', `/api/audit?${query(more ? state.next : null)}`);
    state.entries = more ? state.entries.concat(data.entries) : data.entries;
    state.next = data.next_before;
    state.loaded = true;
  } catch (e) {
    KC.showError('audit-error', e.message || t.error);
  }
  render();
}

/* ------------------------------------------------------------------ render */

const loc = () => (state.lang === 'en' ? 'en-GB' : 'sv-SE');
function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(loc(), { dateStyle: 'short', timeStyle: 'medium' });
}
function details(obj) {
  return Object.entries(obj || {})
    .map(([k, v]) => `${t.keys[k] || k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`)
    .join(' · ');
}

function render() {
  const body = $('audit-body');
  body.replaceChildren();
  for (const e of state.entries) {
    const tr = el('tr');
    tr.dataset.action = e.action;
    const time = el('time', null, when(e.at));
    time.dateTime = e.at;
    const cell = el('td');
    cell.append(time);
    const kind = t.kinds[e.target_kind] || e.target_kind;
    tr.append(
      cell,
      el('td', null, e.actor),
      el('td', null, t.actions[e.action] || e.action),
      el('td', null, e.target_id ? `${kind} ${e.target_id}` : kind),
      el('td', 'hint', details(e.details)),
    );
    body.append(tr);
  }
  $('audit-empty').hidden = !state.loaded || state.entries.length > 0;
  $('audit-count').textContent = state.loaded ? t.count(state.entries.length) : '';
  $('audit-more').hidden = !state.next;
  $('audit-more').disabled = false;
}

/* ------------------------------------------------------------------ wiring */

function init() {
  if (!$('tab-audit')) return;
  $('tab-audit').addEventListener('click', show);
  $('admin-tabs').addEventListener('click', (e) => {
    const tab = e.target.closest('[role=tab]');
    if (tab && tab.id !== 'tab-audit' && state.open) hide();
  });
  $('admin-tabs').addEventListener('keydown', (e) => {
    if (state.open && e.target.id !== 'tab-audit' && ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) hide();
  });
  $('admin-lang').addEventListener('click', () => { state.lang = KC.savedLang(LANG_KEY); applyTexts(); });
  $('audit-form').addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  $('audit-more').addEventListener('click', () => load(true));
  if (wantedAtLoad) { // admin/main.js opens its first view after logging in; then show this one
    const app = $('admin-app');
    const watch = new MutationObserver(() => { if (!app.hidden) { watch.disconnect(); setTimeout(show, 0); } });
    watch.observe(app, { attributes: true, attributeFilter: ['hidden'] });
  }
  applyTexts();
}

KC.ready(init);
