/**
 * Kundresa console helpers — plain ES modules, no dependencies, no build step. Served at /console/common.js.
 *
 * Shared by the agent console (/agent, router/static/agent/*.js) and the admin console (/admin,
 * bot/static/admin/*.js), which import what they need from here (`import * as KC from '../console/common.js'`).
 * Nothing here knows which console it serves: element ids, storage keys and texts come from the caller.
 * Text goes into the page with textContent only.
 */
export const $ = (id) => document.getElementById(id);
// Where the app is mounted, from this module's own URL (…/console/common.js).
const SCRIPT_BASE = import.meta.url.replace(/\/console\/common\.js(\?.*)?$/, '');

// Web storage that never throws (private mode, storage turned off); sessionStorage unless told otherwise.
export const store = {
  get(k, area = sessionStorage) { try { return area.getItem(k); } catch { return null; } },
  set(k, v, area = sessionStorage) { try { area.setItem(k, v); } catch { /* private mode */ } },
  del(k, area = sessionStorage) { try { area.removeItem(k); } catch { /* private mode */ } },
};

export function el(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = String(text);
  return n;
}

// A message box that is hidden while it has nothing to say.
export function showError(id, text) {
  const box = $(id);
  box.textContent = text || '';
  box.hidden = !text;
}

// Says `text` in a live region (emptied first, so the same text twice is read twice).
export function announce(id, text) {
  const box = $(id);
  box.textContent = '';
  setTimeout(() => { box.textContent = text; }, 50);
}

// Where the app is mounted: the page's path without its own `/<page>` (e.g. '/admin') at the end.
export const basePath = (page) => location.pathname.replace(new RegExp(`/${page}/?$`), '');

/* ------------------------------------------------------------------ language */

// The console's language, 'sv' unless 'en' was chosen before (kept in localStorage under `key`).
export const savedLang = (key) => (store.get(key, localStorage) === 'en' ? 'en' : 'sv');

// Switches between 'sv' and 'en', keeps the choice under `key` and returns it.
export function switchLang(key, lang) {
  const next = lang === 'sv' ? 'en' : 'sv';
  store.set(key, next, localStorage);
  return next;
}

// Puts the texts `t` in the page: the title, [data-i18n] elements, [data-i18n-label] aria-labels, and
// the language button `langButtonId` (which names the other language, in that language).
export function applyTexts(t, lang, langButtonId) {
  document.documentElement.lang = lang;
  document.title = `Kundresa · ${t.consoleTitle}`;
  for (const n of document.querySelectorAll('[data-i18n]')) {
    const v = t[n.dataset.i18n];
    if (typeof v === 'string') n.textContent = v;
  }
  for (const n of document.querySelectorAll('[data-i18n-label]')) {
    const v = t[n.dataset.i18nLabel];
    if (typeof v === 'string') n.setAttribute('aria-label', v);
  }
  const demo = $('kundresa-demo-banner');
  if (demo) demo.textContent = DEMO_TEXT[lang === 'en' ? 'en' : 'sv'];
  const langBtn = $(langButtonId);
  langBtn.textContent = lang === 'sv' ? 'English' : 'Svenska';
  langBtn.lang = lang === 'sv' ? 'en' : 'sv';
}

/* ------------------------------------------------------------------ API */

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// The ApiError of a failed response from its status and JSON body ({"error":{"code","message"}}, or none).
export function apiError(status, data, errorText) {
  const err = (data && data.error) || {};
  return new ApiError(status, err.code || 'http_error', err.message || `${errorText} (${status})`);
}

/**
 * The JSON API of one console. `opts`:
 *   base       where the app is mounted (basePath),
 *   token()    the token the console is logged in with ('' when it is not),
 *   loggedIn() whether the console is showing (a 401 then means the token stopped working),
 *   expired(m) log out, showing message m on the login form,
 *   text()     the texts of the current language (netError, error, badToken),
 *   toast(m, kind) show a passing message (kind 'error' for failures),
 *   describe(e) (optional) the text `act` shows for error e, in the console's language.
 * Returns { api(method, path, body, token), act(fn) }: `api` resolves to the JSON body (null when
 * empty) or throws an ApiError; `act` runs fn and toasts its error instead of throwing.
 */
export function client(opts) {
  async function api(method, path, body, token = opts.token()) {
    const init = { method, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(opts.base + path, init);
    } catch {
      throw new ApiError(0, 'network', opts.text().netError);
    }
    let data = null;
    try { data = await resp.json(); } catch { /* empty body */ }
    if (!resp.ok) {
      if (resp.status === 401 && token === opts.token() && opts.loggedIn()) opts.expired(opts.text().badToken);
      throw apiError(resp.status, data, opts.text().error);
    }
    return data;
  }
  async function act(fn) {
    try {
      return await fn();
    } catch (e) {
      opts.toast(opts.describe ? opts.describe(e) : e instanceof ApiError ? e.message : opts.text().error, 'error');
      return undefined;
    }
  }
  return { api, act };
}

/* ------------------------------------------------------------------ login */

/**
 * Tries a token from the login form (or kept from before). `form` holds the ids of the form's parts:
 * { error, button, input }. `check(token)` is the API call that proves it. A refused token is forgotten
 * (sessionStorage `key`), the form says `refused(e)` and null is returned; a good one is kept under
 * `key`, the input is emptied and { data } (what check resolved to) is returned.
 */
export async function checkToken({ token, key, form, text, check, refused }) {
  showError(form.error, '');
  if (!token) {
    showError(form.error, text.needToken);
    $(form.input).focus();
    return null;
  }
  $(form.button).disabled = true;
  let data;
  try {
    data = await check(token);
  } catch (e) {
    showError(form.error, refused(e));
    $(form.button).disabled = false;
    store.del(key);
    $(form.input).focus();
    return null;
  }
  $(form.button).disabled = false;
  store.set(key, token);
  $(form.input).value = '';
  return { data };
}

// Shows the login form again (`form`: { view, error, input }) with `message`, if any.
export function showLogin(form, message) {
  $(form.view).hidden = false;
  showError(form.error, message || '');
  $(form.input).focus();
}

// Runs init once the page is parsed.
export function ready(init) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
  else init();
}

/* ------------------------------------------------------------------ a tab of one's own */

// For a script that adds a tab and its panel to a page whose other tabs another script runs. `ids`:
// { tabs, main, lang, app } (the tab list, where panels go, the language button, the logged-in app);
// `name` makes #tab-NAME / #view-NAME; `label()` the tab's text now; `onShow()` runs when the tab is
// chosen, `onLanguage()` after a language switch while it is shown. Returns the panel.
export function tabView(ids, name, label, onShow, onLanguage) {
  const tab = el('button', null, label());
  Object.assign(tab, { type: 'button', id: `tab-${name}`, tabIndex: -1 });
  tab.setAttribute('role', 'tab');
  tab.setAttribute('aria-controls', `view-${name}`);
  tab.setAttribute('aria-selected', 'false');
  tab.dataset.view = name;
  const view = el('section', 'view');
  Object.assign(view, { id: `view-${name}`, hidden: true });
  view.setAttribute('role', 'tabpanel');
  view.setAttribute('aria-labelledby', `tab-${name}`);
  const show = () => {
    for (const other of $(ids.tabs).querySelectorAll('[role=tab]')) {
      other.setAttribute('aria-selected', String(other === tab));
      other.tabIndex = other === tab ? 0 : -1;
    }
    for (const v of $(ids.main).querySelectorAll(':scope > .view')) v.hidden = v !== view;
    try { history.replaceState(null, '', `#${name}`); } catch { /* sandboxed */ }
    onShow();
  };
  tab.addEventListener('click', show);
  $(ids.tabs).append(tab);
  $(ids.main).append(view);
  // Another tab (the page's own script shows its view): this one hides.
  $(ids.tabs).addEventListener('click', (e) => {
    const other = e.target.closest('[role=tab]');
    if (other && other !== tab) { view.hidden = true; tab.setAttribute('aria-selected', 'false'); tab.tabIndex = -1; }
  });
  $(ids.lang).addEventListener('click', () => setTimeout(() => { tab.textContent = label(); if (!view.hidden) onLanguage(); }, 0));
  if (location.hash === `#${name}`) setTimeout(() => { if (!$(ids.app).hidden) show(); }, 300);
  return view;
}

/* ------------------------------------------------------------------ demo mode */

const DEMO_TEXT = {
  sv: 'Demoläge: servern kör med genererade hemligheter. Inte för produktion – sätt demo = false och egna hemligheter.',
  en: 'Demo mode: the server runs with generated secrets. Not for production – set demo = false and your own secrets.',
};

// While the server is in demo mode (GET /api/console/mode), a banner on top of the page, in its language.
async function demoBanner() {
  let mode = null;
  try { mode = await (await fetch(`${SCRIPT_BASE}/api/console/mode`)).json(); } catch { return; }
  if (!mode || mode.demo !== true || $('kundresa-demo-banner')) return;
  const box = el('div', null, DEMO_TEXT[document.documentElement.lang === 'en' ? 'en' : 'sv']);
  box.id = 'kundresa-demo-banner';
  box.setAttribute('role', 'status');
  box.style.cssText = 'background:#7a1f00;color:#fff;font-weight:600;padding:6px 12px;text-align:center';
  document.body.prepend(box);
}

ready(demoBanner);
