/**
 * Widget: its configuration (the script tag's data attributes, `window.Kundresa` set before load).
 */
export const pre = window.Kundresa;
/* ------------------------------------------------------------------ configuration */

export const script = document.currentScript ||
  Array.from(document.querySelectorAll('script[src]')).reverse()
    .find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src)) || null;
export const data = (name) => ((script && script.getAttribute(`data-${name}`)) || '').trim();

function serverBase() {
  const explicit = data('server');
  try {
    const u = new URL(explicit || (script && script.src) || location.href, location.href);
    return explicit ? (u.origin + u.pathname).replace(/\/+$/, '') : u.origin;
  } catch {
    return location.origin;
  }
}

export function parseJson(text) {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

export const cfg = {
  server: serverBase(),
  user: data('user'),
  name: data('name'), // shown to a signed-in customer ("Hej Anna") and to agents; only with `sig`
  email: data('email'),
  sig: data('sig'),
  emailSig: data('email-sig'),
  vipSig: data('vip-sig'),
  lang: /^en/i.test(data('lang')) ? 'en' : 'sv',
  open: data('open') === 'true',
  color: data('color'),
  idleSeconds: idleSeconds(),
  launcher: launcherConfig(),
};

function idleSeconds() {
  const given = data('idle-seconds');
  const n = Number(given);
  return given !== '' && Number.isFinite(n) && n >= 0 && n <= 86400 ? n : 60;
}

/** A launcher offset in px (0–2000), or `dflt`. */
export function px(v, dflt) {
  const n = Number(v);
  return v !== '' && v != null && Number.isFinite(n) && n >= 0 && n <= 2000 ? n : dflt;
}

function launcherConfig() {
  const given = (pre && pre.launcher && typeof pre.launcher === 'object') ? pre.launcher : {};
  const steps = given.hideOnSteps != null ? given.hideOnSteps : data('hide-on-steps');
  const x = px(given.offsetX != null ? given.offsetX : data('offset-x'), 20);
  const y = px(given.offsetY != null ? given.offsetY : data('offset-y'), 20);
  return {
    left: String(given.position || data('position')).toLowerCase() === 'left',
    x, y,
    yMobile: px(given.offsetYMobile != null ? given.offsetYMobile : data('offset-y-mobile'), y),
    hideOnSteps: (Array.isArray(steps) ? steps : String(steps || '').split(','))
      .map((v) => String(v).trim()).filter(Boolean),
  };
}

/** A reply email's link: `?kundresa_reopen=TOKEN` (or in the hash) reopens that conversation here. */
export function takeReopenToken() {
  let token = '';
  try {
    const url = new URL(location.href);
    const hash = new URLSearchParams(url.hash.replace(/^#/, ''));
    token = url.searchParams.get('kundresa_reopen') || hash.get('kundresa_reopen') || '';
    if (token) {
      url.searchParams.delete('kundresa_reopen');
      hash.delete('kundresa_reopen');
      url.hash = hash.toString();
      history.replaceState(history.state, '', url.href);
    }
  } catch { /* no URL support: no reopening */ }
  return /^[A-Za-z0-9_.-]{10,600}$/.test(token) ? token : '';
}
