/**
 * Kundresa admin — "Proaktiv hjälp / Proactive help": the proactive rules (GET/PUT/DELETE
 * /api/proactive/rules) and what they achieve (GET /api/proactive/outcomes). An ES module, served at
 * /admin/rules.js and loaded after admin/main.js; it adds its own tab and view to the admin page, and shares the
 * admin's login token and language (console/common.js). Text goes into the page with textContent only.
 */
import * as KC from '../console/common.js';
import { $, store, el } from '../console/common.js';
import { toast } from './helpers.js'; // the console's one toast

const VIEW = 'rules';
const REASONS = ['card_declined', 'insufficient_funds', '3ds_failed', '3ds_timeout', 'swish_timeout',
  'swish_declined', 'invoice_rejected', 'other'];
const TEXT = {
  sv: {
    tab: 'Proaktiv hjälp', heading: 'Proaktiv hjälp vid händelser i butiken',
    intro: 'När butiken skickar en händelse (t.ex. payment_failed) kan chatten själv erbjuda en artikel eller ett meddelande – högst en gång per konversation, aldrig när en person har ärendet, och inte till kunderna i kontrollgruppen.',
    outcomes: 'Resultat senaste 30 dagarna', rules: 'Regler', rule: 'Regel', event: 'Händelse', reasons: 'Orsaker',
    anyReason: 'alla', article: 'Artikel', source: 'Källa', enabled: 'Aktiv', shown: 'Visade', opened: 'Öppnade',
    dismissed: 'Avfärdade', recovered: 'Betalade inom 30 min', holdout: 'Kontrollgrupp', holdoutRecovered: 'Kontrollgrupp betalade',
    lift: 'Effekt', noOutcomes: 'Inga erbjudanden ännu.', noRules: 'Inga regler.', edit: 'Ändra', remove: 'Ta bort',
    newRule: 'Ny regel', save: 'Spara regel', key: 'Nyckel', titleSv: 'Rubrik (svenska)', titleEn: 'Rubrik (engelska)',
    messageSv: 'Meddelande (svenska)', messageEn: 'Meddelande (engelska)', saved: 'Regeln sparades.',
    removed: 'Regeln togs bort.', settings: 'inställningsfil', admin: 'admin', override: 'admin (ersätter fil)',
    yes: 'ja', no: 'nej', confirmRemove: (k) => `Ta bort regeln ${k}?`, error: 'Något gick fel',
    netError: 'Kunde inte nå servern. Försök igen.', badToken: 'Nyckeln godtogs inte.',
  },
  en: {
    tab: 'Proactive help', heading: 'Proactive help on shop events',
    intro: 'When the shop sends an event (such as payment_failed) the chat can offer an article or a message by itself – at most once per conversation, never while a person has the ticket, and not to the customers in the hold-out group.',
    outcomes: 'Results, last 30 days', rules: 'Rules', rule: 'Rule', event: 'Event', reasons: 'Reasons',
    anyReason: 'any', article: 'Article', source: 'Source', enabled: 'On', shown: 'Shown', opened: 'Opened',
    dismissed: 'Dismissed', recovered: 'Paid within 30 min', holdout: 'Hold-out', holdoutRecovered: 'Hold-out paid',
    lift: 'Effect', noOutcomes: 'No offers yet.', noRules: 'No rules.', edit: 'Edit', remove: 'Delete',
    newRule: 'New rule', save: 'Save rule', key: 'Key', titleSv: 'Title (Swedish)', titleEn: 'Title (English)',
    messageSv: 'Message (Swedish)', messageEn: 'Message (English)', saved: 'The rule was saved.',
    removed: 'The rule was deleted.', settings: 'settings file', admin: 'admin', override: 'admin (overrides file)',
    yes: 'yes', no: 'no', confirmRemove: (k) => `Delete the rule ${k}?`, error: 'Something went wrong',
    netError: 'Could not reach the server. Try again.', badToken: 'That token was not accepted.',
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
const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)} %`);
const data = { rules: [], outcomes: [] };

function button(text, cls, onClick) {
  const b = el('button', cls, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function table(heads, rows) {
  const tbl = el('table', 'data');
  const tr = el('tr');
  for (const h of heads) tr.append(el('th', null, h));
  const thead = el('thead');
  thead.append(tr);
  const tbody = el('tbody');
  for (const cells of rows) {
    const row = el('tr');
    for (const c of cells) {
      const td = el('td', typeof c === 'number' ? 'num' : null);
      if (c instanceof Node) td.append(c); else td.textContent = c == null ? '–' : String(c);
      row.append(td);
    }
    tbody.append(row);
  }
  tbl.append(thead, tbody);
  const wrap = el('div', 'table-wrap');
  wrap.append(tbl);
  return wrap;
}

function field(id, label, input) {
  const f = el('div', 'field');
  const l = el('label', null, label);
  l.htmlFor = id;
  input.id = id;
  f.append(l, input);
  return f;
}

function render() {
  const T = t();
  $('tab-rules').textContent = T.tab;
  const view = $('view-rules');
  const head = el('h2', null, T.heading);
  const intro = el('p', 'hint', T.intro);
  const outcomes = el('section', 'card');
  outcomes.append(el('h3', null, T.outcomes));
  if (!data.outcomes.length) outcomes.append(el('p', 'empty', T.noOutcomes));
  else {
    outcomes.append(table(
      [T.rule, T.shown, T.opened, T.dismissed, T.recovered, T.holdout, T.holdoutRecovered, T.lift],
      data.outcomes.map((r) => [r.rule, r.shown, r.opened, r.dismissed, `${r.recovered} (${pct(r.recovered_rate)})`,
        r.holdout, `${r.holdout_recovered} (${pct(r.holdout_recovered_rate)})`,
        r.lift == null ? '–' : `${r.lift > 0 ? '+' : ''}${Math.round(r.lift * 100)} pp`]),
    ));
  }
  const rules = el('section', 'card');
  rules.append(el('h3', null, T.rules));
  if (!data.rules.length) rules.append(el('p', 'empty', T.noRules));
  else {
    rules.append(table(
      [T.key, T.event, T.reasons, T.article, T.source, T.enabled, ''],
      data.rules.map((r) => {
        const actions = el('div', 'row');
        actions.append(button(T.edit, 'btn btn-small', () => fill(r)));
        if (r.source === 'admin') {
          actions.append(button(T.remove, 'btn btn-small btn-danger', () => remove(r.key)));
        }
        const source = r.source === 'settings' ? T.settings : (r.overrides ? T.override : T.admin);
        return [r.key, r.event, (r.reasons || []).join(', ') || T.anyReason, r.article, source,
          r.enabled ? T.yes : T.no, actions];
      }),
    ));
  }
  view.replaceChildren(head, intro, outcomes, rules, form(T));
}

function form(T) {
  const card = el('form', 'card stack');
  card.id = 'rule-form';
  card.append(el('h3', null, T.newRule));
  const grid = el('div', 'fields');
  grid.append(
    field('rule-key', T.key, el('input')),
    field('rule-event', T.event, el('input')),
    field('rule-article', T.article, el('input')),
    field('rule-title-sv', T.titleSv, el('input')),
    field('rule-title-en', T.titleEn, el('input')),
    field('rule-message-sv', T.messageSv, el('textarea')),
    field('rule-message-en', T.messageEn, el('textarea')),
  );
  const reasons = el('fieldset', 'row');
  reasons.append(el('legend', 'label', T.reasons));
  for (const r of REASONS) {
    const box = el('input');
    box.type = 'checkbox';
    box.value = r;
    box.name = 'rule-reason';
    const l = el('label', 'check');
    l.append(box, document.createTextNode(r));
    reasons.append(l);
  }
  const enabled = el('input');
  enabled.type = 'checkbox';
  enabled.id = 'rule-enabled';
  enabled.checked = true;
  const on = el('label', 'check');
  on.append(enabled, document.createTextNode(T.enabled));
  const save = el('button', 'btn btn-primary', T.save);
  save.type = 'submit';
  card.append(grid, reasons, on, save);
  for (const id of ['rule-key', 'rule-event', 'rule-article', 'rule-title-sv', 'rule-title-en']) grid.querySelector(`#${id}`).type = 'text';
  card.addEventListener('submit', (e) => { e.preventDefault(); saveRule(); });
  return card;
}

function fill(r) {
  $('rule-key').value = r.key;
  $('rule-event').value = r.event;
  $('rule-article').value = r.article || '';
  for (const l of ['sv', 'en']) {
    $(`rule-title-${l}`).value = (r.title || {})[l] || '';
    $(`rule-message-${l}`).value = (r.message || {})[l] || '';
  }
  for (const box of document.querySelectorAll('input[name=rule-reason]')) box.checked = (r.reasons || []).includes(box.value);
  $('rule-enabled').checked = r.enabled !== false;
  $('rule-key').focus();
}

function texts(prefix) {
  const out = {};
  for (const l of ['sv', 'en']) {
    const v = $(`${prefix}-${l}`).value.trim();
    if (v) out[l] = v;
  }
  return out;
}

async function saveRule() {
  const key = $('rule-key').value.trim();
  const body = {
    event: $('rule-event').value.trim(),
    reasons: [...document.querySelectorAll('input[name=rule-reason]:checked')].map((b) => b.value),
    article: $('rule-article').value.trim() || null,
    title: texts('rule-title'),
    message: texts('rule-message'),
    enabled: $('rule-enabled').checked,
  };
  const ok = await act(() => api('PUT', `/api/proactive/rules/${encodeURIComponent(key || '-')}`, body));
  if (ok) { toast(t().saved); await load(); }
}

async function remove(key) {
  if (!window.confirm(t().confirmRemove(key))) return;
  const ok = await act(() => api('DELETE', `/api/proactive/rules/${encodeURIComponent(key)}`));
  if (ok) { toast(t().removed); await load(); }
}

async function load() {
  const [rules, outcomes] = await Promise.all([
    act(() => api('GET', '/api/proactive/rules')),
    act(() => api('GET', '/api/proactive/outcomes')),
  ]);
  data.rules = rules ? rules.rules : [];
  data.outcomes = outcomes ? outcomes.rules : [];
  render();
}

function init() {
  KC.tabView({ tabs: 'admin-tabs', main: 'admin-main', lang: 'admin-lang', app: 'admin-app' }, VIEW, () => t().tab, load, render);
}

KC.ready(init);
