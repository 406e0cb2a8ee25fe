/**
 * Kundresa web chat widget — plain ES2020, no dependencies, no build step.
 *
 *   <script src="https://support.example/widget.js" data-lang="sv"
 *           data-context='{"step":"payment","order_id":"NH-1","amount":1847,"currency":"SEK"}'></script>
 *
 * Data attributes: server, user, name, email, sig, email-sig, vip-sig, lang (sv|en), open ("true"), context (JSON), color (CSS colour);
 * the launcher: position ("right" | "left"), offset-x, offset-y (px from the corner), offset-y-mobile (px, at ≤ 480 px
 * wide: e.g. above a sticky checkout bar), hide-on-steps (comma-separated page context steps where it is hidden).
 * The same as a config object: `window.Kundresa = {launcher: {position, offsetX, offsetY, offsetYMobile, hideOnSteps}}`.
 * A page opened from a reply email's link (`?kundresa_reopen=TOKEN`) opens that conversation.
 * idle-seconds: on a page whose context says `step: payment`, this long without progress sends `checkout_idle`
 * once (default 60; 0: never).
 * Protocol: SPEC.md, "Web chat (customer side)". Only global: window.Kundresa.
 * Before load a shop may set `window.Kundresa = {context: {...}}` or queue calls in `window.Kundresa.q`
 * (or `_q`; e.g. `[["track", "payment_failed", {reason: "card_declined"}], ["on", "answer", fn]]`): they are
 * replayed on load. The API (README "JavaScript API"): track, on/off, open/close, send, setUser/logout,
 * setLocale, setContext, showLauncher/hideLauncher, setLauncher, human, reset.
 */
(() => {
  'use strict';

  const pre = window.Kundresa;
  if (pre && pre._loaded) return; // included twice

  /* ------------------------------------------------------------------ configuration */

  const script = document.currentScript ||
    Array.from(document.querySelectorAll('script[src]')).reverse()
      .find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src)) || null;
  const data = (name) => ((script && script.getAttribute(`data-${name}`)) || '').trim();

  function serverBase() {
    const explicit = data('server');
    try {
      const u = new URL(explicit || (script && script.src) || location.href, location.href);
      return explicit ? (u.origin + u.pathname).replace(/\/+$/, '') : u.origin;
    } catch {
      return location.origin;
    }
  }

  function parseJson(text) {
    if (!text) return null;
    try {
      const v = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch {
      return null;
    }
  }

  const cfg = {
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
  function px(v, dflt) {
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
  function takeReopenToken() {
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

  const TEXT = {
    sv: {
      title: 'Kundtjänst', tagline: 'Vi svarar oftast direkt', launcherOpen: 'Öppna kundtjänstchatten',
      launcherClose: 'Stäng kundtjänstchatten', close: 'Stäng chatten', inputLabel: 'Skriv ditt meddelande',
      placeholder: 'Skriv din fråga…', send: 'Skicka', human: 'Prata med en person', sending: 'Skickar…',
      failed: 'Kunde inte skickas.', retry: 'Försök igen', connecting: 'Ansluter…', online: 'Ansluten',
      offline: 'Frånkopplad – försöker igen…', typingBot: 'Assistenten skriver…', typingAgent: 'Kundtjänst skriver…',
      clarify: 'Menar du något av det här?', options: 'Förslag', handoff: 'En person tar över – du får svar här i chatten.',
      ticket: 'Ärende', agent: 'Kundtjänst', you: 'Du', bot: 'Assistent', system: 'Meddelande',
      csat: 'Hur nöjd är du med hjälpen du fick?', csatLow: 'Inte nöjd', csatHigh: 'Mycket nöjd',
      csatLabel: (n) => `${n} av 5`, csatThanks: 'Tack för ditt betyg!', helpful: 'Hjälpte det?',
      yes: 'Ja, det hjälpte', no: 'Nej, det hjälpte inte', thanks: 'Tack för din återkoppling!',
      sorry: 'Tack! Skriv gärna frågan på ett annat sätt, eller prata med en person.',
      error: 'Något gick fel. Försök igen om en stund.', welcome: 'Hej! Hur kan vi hjälpa dig? Ställ din fråga här, så svarar vi direkt – eller prata med en person.',
      unread: (n) => `${n} olästa meddelanden`, via: (c) => `via ${c}`,
      readMore: 'Läs mer', readLess: 'Visa mindre', article: 'Artikel',
      waiting: 'Väntar på kundtjänst', withAgent: (a) => `${a} från kundtjänst`,
      queue: (p, m) => (p <= 1 ? `Du är näst på tur – beräknad väntetid cirka ${m} min.` : `Du är nummer ${p} i kön – beräknad väntetid cirka ${m} min.`),
      nobody: 'Ingen i kundtjänsten är tillgänglig just nu. Din fråga ligger kvar och en person svarar här så snart någon är på plats.',
      agentHere: (a) => `${a} har ditt ärende och svarar dig här.`,
      joined: (a) => `${a} har anslutit`, resolved: 'Ärendet är avslutat',
      emailOffer: 'Vill du få svaret via e-post om du hinner gå?', emailLabel: 'Din e-postadress', emailSave: 'Skicka svaret hit',
      emailSaved: (e) => `Om du har gått när vi svarar skickar vi svaret till ${e}.`,
      welcomeBack: (n) => `Hej ${n}, välkommen tillbaka! Vad kan vi hjälpa dig med?`,
      openTicket: (id) => `Ditt ärende #${id} är fortfarande öppet – en person svarar dig här.`,
      tooLong: (n) => `Meddelandet är för långt. Korta det med ungefär ${n} tecken (å, ä, ö och emoji räknas som flera).`,
      nearLimit: (n) => `${n} tecken kvar`,
      errors: {
        too_large: 'Meddelandet är för långt. Korta det och skicka igen – texten finns kvar i rutan.',
        rate_limited: 'Du skickar väldigt många meddelanden. Vänta en liten stund och försök igen.',
        database_unavailable: 'Vi har tillfälliga problem. Meddelandet skickas igen automatiskt.',
        invalid_email: 'Det ser inte ut som en e-postadress. Kontrollera och försök igen.',
        invalid_link: 'Länken fungerar inte. Ställ din fråga här, så hjälper vi dig.',
        link_expired: 'Länken har gått ut. Ställ din fråga här, så hjälper vi dig.',
        no_csat_pending: 'Det finns inget avslutat ärende att betygsätta än.',
        unknown_article: 'Den artikeln finns inte längre.',
      },
      offerLabel: 'Hjälp från kundtjänst', offerShow: 'Visa hur', offerDismiss: 'Nej tack, stäng',
      offerNew: (title) => `Kundtjänst: ${title}`,
    },
    en: {
      title: 'Support', tagline: 'We usually reply right away', launcherOpen: 'Open the support chat',
      launcherClose: 'Close the support chat', close: 'Close chat', inputLabel: 'Type your message',
      placeholder: 'Type your question…', send: 'Send', human: 'Talk to a person', sending: 'Sending…',
      failed: 'Could not be sent.', retry: 'Try again', connecting: 'Connecting…', online: 'Connected',
      offline: 'Disconnected – retrying…', typingBot: 'The assistant is typing…', typingAgent: 'Support is typing…',
      clarify: 'Did you mean one of these?', options: 'Suggestions', handoff: 'A person is taking over – you will get the reply here in the chat.',
      ticket: 'Ticket', agent: 'Support', you: 'You', bot: 'Assistant', system: 'Notice',
      csat: 'How satisfied are you with the help you got?', csatLow: 'Not satisfied', csatHigh: 'Very satisfied',
      csatLabel: (n) => `${n} of 5`, csatThanks: 'Thank you for your rating!', helpful: 'Did this help?',
      yes: 'Yes, it helped', no: 'No, it did not help', thanks: 'Thanks for your feedback!',
      sorry: 'Thanks! Try asking in another way, or talk to a person.',
      error: 'Something went wrong. Please try again shortly.', welcome: 'Hi! How can we help? Ask your question here and we answer right away – or talk to a person.',
      unread: (n) => `${n} unread messages`, via: (c) => `via ${c}`,
      readMore: 'Read more', readLess: 'Show less', article: 'Article',
      waiting: 'Waiting for support', withAgent: (a) => `${a} from support`,
      queue: (p, m) => (p <= 1 ? `You are next – expected wait about ${m} min.` : `You are number ${p} in the queue – expected wait about ${m} min.`),
      nobody: 'No one in our support team is available right now. Your question stays with us and a person will answer here as soon as someone is in.',
      agentHere: (a) => `${a} has your question and will answer you here.`,
      joined: (a) => `${a} joined`, resolved: 'The conversation is resolved',
      emailOffer: 'Want the answer by email in case you have left?', emailLabel: 'Your email address', emailSave: 'Send the answer here',
      emailSaved: (e) => `If you have left when we answer, we will send the reply to ${e}.`,
      welcomeBack: (n) => `Hi ${n}, welcome back! How can we help?`,
      openTicket: (id) => `Your ticket #${id} is still open – a person will answer you here.`,
      tooLong: (n) => `The message is too long. Shorten it by about ${n} characters (å, ä, ö and emoji count as several).`,
      nearLimit: (n) => `${n} characters left`,
      errors: {
        too_large: 'The message is too long. Shorten it and send again – your text is still in the box.',
        rate_limited: 'You are sending a lot of messages. Wait a moment and try again.',
        database_unavailable: 'We are having temporary problems. The message will be sent again automatically.',
        invalid_email: 'That does not look like an email address. Please check it and try again.',
        invalid_link: 'The link does not work. Ask your question here and we will help you.',
        link_expired: 'The link has expired. Ask your question here and we will help you.',
        no_csat_pending: 'There is no resolved conversation to rate yet.',
        unknown_article: 'That article no longer exists.',
      },
      offerLabel: 'Help from support', offerShow: 'Show me', offerDismiss: 'No thanks, close',
      offerNew: (title) => `Support: ${title}`,
    },
  };
  let t = TEXT[cfg.lang]; // setLocale switches it

  /* ------------------------------------------------------------------ storage */

  // seq: every frame up to it is shown (or held nothing for this widget); ahead: shown frames past a gap.
  const KEYS = {
    visitor: 'kundresa.visitor', seq: 'kundresa.seq', ahead: 'kundresa.ahead', transcript: 'kundresa.transcript',
    user: 'kundresa.user',
  };
  const memory = {};
  const store = {
    get(k) { try { return localStorage.getItem(k); } catch { return k in memory ? memory[k] : null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch { memory[k] = v; } },
    del(k) { try { localStorage.removeItem(k); } catch { delete memory[k]; } },
  };
  const MAX_CACHE = 80;
  const MAX_AHEAD = 500;
  const GAP_RESUME_MS = 1500; // a gap still open after this: ask the server to resume from it
  // The server's limit, counted the same way (UTF-8 bytes of the text as typed); its `status` frame says
  // the configured one. README "Web chat protocol".
  const DEFAULT_MAX_BYTES = 4096;
  const utf8 = typeof TextEncoder === 'function' ? new TextEncoder() : null;
  const byteLength = (text) => (utf8 ? utf8.encode(text).length : unescape(encodeURIComponent(text)).length);
  // Codes of errors that sending again cannot fix: the message is taken back into the composer.
  const PERMANENT = new Set(['too_large', 'invalid_message']);

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  const newClientId = () => `c-${uuid().replace(/-/g, '').slice(0, 20)}`;

  // A `setUser` (or `logout`) queued before load decides who this page's customer is before the check below,
  // so a shop that signs its customer in from the snippet on every page keeps their conversation.
  (() => {
    const queue = pre && (pre._q || pre.q);
    if (!Array.isArray(queue)) return;
    for (const entry of queue) {
      const call = entry && typeof entry === 'object' && typeof entry.length === 'number' ? Array.from(entry) : [];
      if (call[0] === 'logout') cfg.user = '';
      if (call[0] === 'setUser' && call[1] && typeof call[1] === 'object') cfg.user = String(call[1].id || '').trim();
    }
  })();
  // Another signed-in user on this browser (or a sign-out) must not see the previous user's conversation.
  const storedUser = store.get(KEYS.user) || '';
  if (storedUser && storedUser !== cfg.user) clearStorage();
  if (cfg.user) store.set(KEYS.user, cfg.user);

  function clearStorage() {
    for (const k of Object.values(KEYS)) store.del(k);
  }

  function loadTranscript() {
    const list = parseJsonArray(store.get(KEYS.transcript));
    return list.filter((i) => i && typeof i === 'object' && typeof i.kind === 'string');
  }
  function parseJsonArray(text) {
    try { const v = JSON.parse(text || '[]'); return Array.isArray(v) ? v : []; } catch { return []; }
  }

  /* ------------------------------------------------------------------ state */

  const state = {
    visitor: '',
    // Frames are shown in seq order and never dropped unseen. lastSeq: every seq up to it has been shown or
    // holds nothing for us (an internal note); ahead: seq -> prev of the frames shown past a gap (`prev`:
    // the seq the server sent just before it, README "Web chat protocol"). A resume starts at lastSeq.
    lastSeq: 0,
    ahead: new Map(),
    transcript: [],
    context: parseJson(data('context')) || {},
    status: 'idle', // idle | connecting | online | offline
    open: false,
    unread: 0,
    attempt: 0,
    socket: null,
    info: null, // the server's latest `status` frame: owner, queue, reply email, limits
    returning: null, // the open ticket a returning customer had when the page loaded
    reopen: '', // a reply email's link token, until the server has taken it
    statusFrame: null, // the latest `status` frame as sent (re-applied when the language changes)
    launcherHidden: false, // Kundresa.hideLauncher()
    get pending() { return this.transcript.filter((i) => i.kind === 'message' && i.status === 'pending'); },
  };

  /* ------------------------------------------------------------------ events for the shop's page */

  // Kundresa.on(name, fn): what happens in the chat, for the shop's own analytics or UI. README "JavaScript API".
  const EVENTS = new Set(['ready', 'open', 'close', 'message', 'answer', 'handoff', 'agent_message', 'unread', 'offer']);
  const listeners = new Map(); // name -> [fn]
  function on(name, fn) {
    if (!EVENTS.has(name) || typeof fn !== 'function') return api;
    if (!listeners.has(name)) listeners.set(name, []);
    listeners.get(name).push(fn);
    if (name === 'ready' && ready) setTimeout(() => call(fn, {}), 0); // late listeners still hear it
    return api;
  }
  function off(name, fn) {
    const list = listeners.get(name);
    if (!list) return api;
    if (fn === undefined) listeners.delete(name);
    else {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    }
    return api;
  }
  function call(fn, detail) {
    try { fn(detail); } catch (err) { // a shop's listener that throws must not break the chat
      if (window.console) console.error('Kundresa listener:', err);
    }
  }
  function emit(name, detail) {
    for (const fn of (listeners.get(name) || []).slice()) call(fn, detail || {});
  }

  function initIdentity() {
    state.visitor = store.get(KEYS.visitor) || '';
    if (!state.visitor) {
      state.visitor = uuid();
      store.set(KEYS.visitor, state.visitor);
    }
    state.transcript = loadTranscript();
    state.lastSeq = Math.max(0, parseInt(store.get(KEYS.seq) || '0', 10) || 0);
    if (!state.transcript.length && state.lastSeq && !store.get(KEYS.transcript)) state.lastSeq = 0;
    // Only what the transcript still shows counts as shown (the cache may have been cleared).
    const shown = new Set(state.transcript.map((i) => i.seq).filter((x) => typeof x === 'number'));
    state.ahead = new Map(parseJsonArray(store.get(KEYS.ahead)).filter((e) => Array.isArray(e) &&
      typeof e[0] === 'number' && typeof e[1] === 'number' && e[0] > state.lastSeq && shown.has(e[0])));
  }
  initIdentity();
  state.reopen = takeReopenToken();
  if (state.reopen) { // another conversation (or this one on a new device): the server replays it from the start
    for (const k of [KEYS.transcript, KEYS.seq, KEYS.ahead]) store.del(k);
    state.transcript = [];
    state.lastSeq = 0;
    state.ahead.clear();
    cfg.open = true;
  }
  if (pre && pre.context && typeof pre.context === 'object') Object.assign(state.context, pre.context);

  function mayBeSensitive(text) {
    return typeof text === 'string' && (text.normalize('NFKC').match(/\d/g) || []).length >= 10;
  }

  function saveTranscript() {
    const items = state.transcript.slice(-MAX_CACHE);
    state.transcript = items;
    // A message that failed is shown until it is retried, but not kept: after a reload it is gone. Nor is
    // one not yet acknowledged that holds ten digits or more (a card number, a personnummer): the server
    // masks it, and storage only ever gets the form the ack carries.
    const kept = items.filter((i) => !(i.kind === 'message' &&
      (i.status === 'failed' || (i.status === 'pending' && mayBeSensitive(i.text)))));
    store.set(KEYS.transcript, JSON.stringify(kept));
  }
  /** A stored frame with this seq has been shown (or was ours): move lastSeq over every seq now accounted
   * for. `prev` says the seqs between it and `seq` hold nothing for us; without it, that is `seq - 1`. */
  function account(seq, prev) {
    if (seq > state.lastSeq) {
      const known = state.ahead.get(seq);
      if (known == null || prev < known) state.ahead.set(seq, prev);
    }
    let last = state.lastSeq;
    for (let moved = true; moved;) {
      moved = false;
      for (const [s, p] of state.ahead) {
        if (p <= last && s > last) { last = s; moved = true; }
      }
    }
    for (const s of Array.from(state.ahead.keys())) if (s <= last) state.ahead.delete(s);
    while (state.ahead.size > MAX_AHEAD) state.ahead.delete(Math.min(...state.ahead.keys()));
    state.lastSeq = last;
    store.set(KEYS.seq, String(last));
    store.set(KEYS.ahead, JSON.stringify(Array.from(state.ahead)));
    if (state.ahead.size) watchGap();
    else {
      clearTimeout(gapTimer);
      gapTimer = 0;
      gapDelay = GAP_RESUME_MS;
    }
  }
  function resetSeq() {
    state.lastSeq = 0;
    state.ahead.clear();
    store.set(KEYS.seq, '0');
    store.del(KEYS.ahead);
  }

  /** Frames past a gap that the server does not fill by itself (they came before our resume, or over a
   * socket of an older server): ask for the gap again, at most every GAP_RESUME_MS. */
  let gapTimer = 0;
  let gapDelay = GAP_RESUME_MS;
  function watchGap() {
    if (gapTimer) return;
    gapTimer = setTimeout(() => {
      gapTimer = 0;
      if (!state.ahead.size || !sendFrame({ type: 'resume', after: state.lastSeq })) return;
      gapDelay = Math.min(60000, gapDelay * 2); // a hole no resume fills (an older server): back off
      watchGap();
    }, gapDelay);
  }

  /* ------------------------------------------------------------------ DOM helpers */

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }
  function button(cls, text, label) {
    const b = el('button', cls, text);
    b.type = 'button';
    if (label) b.setAttribute('aria-label', label);
    return b;
  }
  const srOnly = (text) => el('span', 'kundresa-sr', text);

  /** Inline SVG icon built with DOM calls (works under Trusted Types CSPs). */
  function icon(paths, stroke) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'kundresa-icon');
    for (const d of paths) {
      const p = document.createElementNS(NS, 'path');
      p.setAttribute('d', d);
      if (stroke) {
        p.setAttribute('fill', 'none');
        p.setAttribute('stroke', 'currentColor');
        p.setAttribute('stroke-width', '2.2');
        p.setAttribute('stroke-linecap', 'round');
      } else {
        p.setAttribute('fill', 'currentColor');
      }
      svg.append(p);
    }
    return svg;
  }
  const ICON_CHAT = ['M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-7.5L6 22v-4H5a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z'];
  const ICON_CLOSE = ['M6 6l12 12', 'M18 6L6 18'];
  const ICON_UP = ['M1 21h4V9H1v12zm22-11a2 2 0 0 0-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59A1.98 1.98 0 0 0 7 9v10a2 2 0 0 0 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z'];
  const ICON_DOWN = ['M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2a2 2 0 0 0 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5a2 2 0 0 0-2-2zm4 0v12h4V3h-4z'];
  const ICON_SEND = ['M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.99.99 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z'];

  /* ------------------------------------------------------------------ safe Markdown */

  // BEGIN shared Markdown renderer: the same text in bot/static/widget.js and bot/static/markdown.js (the
  // admin console's live preview), so an article previews exactly as customers see it. Edit both;
  // tests/bot/test_admin_console_api.py checks they are identical.
  const renderMarkdown = (() => {
    const el = (tag, cls, text) => {
      const n = document.createElement(tag);
      if (cls) n.className = cls;
      if (text != null) n.textContent = String(text);
      return n;
    };

    // Text never becomes markup: every piece is a text node or an element we create ourselves, so HTML in
    // the source is shown literally (the DOM equivalent of "escape first").
    const INLINE = /\*\*(?=\S)(.+?)\*\*|\[([^\]\n]+)\]\(\s*([^()\s]+)\s*\)|`([^`\n]+)`|\*(?=[^\s*])([^*\n]*?[^\s*])\*|(https?:\/\/[^\s<>()]*[^\s<>().,:;!?'"])/g;

    function safeLink(href) {
      let url;
      try { url = new URL(href); } catch { return null; }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
      const a = el('a', 'kundresa-link');
      a.href = url.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      return a;
    }

    function appendInline(parent, text, inLink = false) {
      const re = new RegExp(INLINE.source, 'g');
      let last = 0;
      let m;
      while ((m = re.exec(text))) {
        if (m.index > last) parent.append(text.slice(last, m.index));
        last = re.lastIndex;
        const [whole, bold, linkText, href, code, italic, bare] = m;
        if (bold != null) {
          const s = el('strong');
          appendInline(s, bold, inLink);
          parent.append(s);
        } else if (linkText != null) {
          const a = inLink ? null : safeLink(href);
          if (a) appendInline(a, linkText, true);
          parent.append(a || linkText);
        } else if (code != null) {
          parent.append(el('code', 'kundresa-code', code));
        } else if (bare != null) {
          const a = inLink ? null : safeLink(bare);
          if (a) a.textContent = bare;
          parent.append(a || bare);
        } else if (italic != null) {
          const e = el('em');
          appendInline(e, italic, inLink);
          parent.append(e);
        } else {
          parent.append(whole);
        }
      }
      if (last < text.length) parent.append(text.slice(last));
    }

    /** Paragraphs, line breaks, `- ` / `* ` bullet lists, `1.` numbered lists, `#` headings (as bold lines). */
    function renderMarkdown(src) {
      const root = el('div', 'kundresa-md');
      let para = null;
      let list = null;
      const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
      const listItem = (tag, content, start) => {
        para = null;
        if (!list || list.tagName.toLowerCase() !== tag) {
          list = el(tag, `kundresa-list kundresa-${tag}`);
          if (tag === 'ol' && start && start !== '1') list.start = parseInt(start, 10);
          root.append(list);
        }
        const li = el('li');
        appendInline(li, content);
        list.append(li);
      };
      for (const raw of lines) {
        const line = raw.replace(/\s+$/, '');
        let m;
        if (!line.trim()) { para = null; list = null; continue; }
        if ((m = /^\s*[-*+]\s+(.*)$/.exec(line))) { listItem('ul', m[1]); continue; }
        if ((m = /^\s*(\d{1,4})[.)]\s+(.*)$/.exec(line))) { listItem('ol', m[2], m[1]); continue; }
        if (list && /^\s{2,}\S/.test(line)) { // continuation line of a list item
          const li = list.lastElementChild;
          li.append(' ');
          appendInline(li, line.trim());
          continue;
        }
        list = null;
        if ((m = /^\s*#{1,6}\s+(.*)$/.exec(line))) {
          para = null;
          const h = el('p', 'kundresa-p kundresa-mdh');
          appendInline(h, m[1]);
          root.append(h);
          continue;
        }
        if (para) para.append(el('br'));
        else { para = el('p', 'kundresa-p'); root.append(para); }
        appendInline(para, line);
      }
      return root;
    }

    return renderMarkdown;
  })();
  // END shared Markdown renderer

  /* ------------------------------------------------------------------ styles */

  const STYLES = `
.kundresa-root{all:initial;--kundresa-accent:#1f5f4a;--kundresa-accent-text:#fff;position:fixed;z-index:2147483000;right:0;bottom:0;
  font:400 15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2327;-webkit-font-smoothing:antialiased}
.kundresa-root *,.kundresa-root *::before,.kundresa-root *::after{box-sizing:border-box}
.kundresa-root :where(button,textarea){font:inherit;color:inherit;margin:0;letter-spacing:normal;text-transform:none;text-shadow:none;box-shadow:none}
.kundresa-root :where(button){cursor:pointer;-webkit-appearance:none;appearance:none}
.kundresa-root :where(div,span,p,ul,ol,li,a,strong,em,code,label,h2,form){font-size:inherit;line-height:inherit;font-family:inherit;color:inherit;
  letter-spacing:normal;text-transform:none;text-shadow:none;float:none}
.kundresa-root :focus{outline:none}
.kundresa-root :focus-visible{outline:3px solid #2b6fd6;outline-offset:2px}
.kundresa-root .kundresa-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
.kundresa-icon{width:24px;height:24px;display:block}
#kundresa-launcher{position:fixed;right:var(--kundresa-x,20px);bottom:var(--kundresa-y,20px);width:60px;height:60px;border:0;border-radius:50%;padding:0;display:flex;align-items:center;
  justify-content:center;background:var(--kundresa-accent);color:var(--kundresa-accent-text);box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s ease}
#kundresa-launcher:hover{transform:scale(1.05)}
#kundresa-launcher .kundresa-icon{width:28px;height:28px}
.kundresa-badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d4351c;color:#fff;
  font:700 12px/22px system-ui,sans-serif;text-align:center;border:2px solid #fff}
.kundresa-badge[hidden]{display:none}
.kundresa-left #kundresa-launcher{left:var(--kundresa-x,20px);right:auto}
.kundresa-root.kundresa-launcher-off:not(.kundresa-is-open) #kundresa-launcher{display:none}
#kundresa-panel{position:fixed;right:var(--kundresa-x,20px);bottom:calc(var(--kundresa-y,20px) + 72px);width:380px;
  height:min(620px,calc(100vh - var(--kundresa-y,20px) - 92px));display:flex;flex-direction:column;
  background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(0,0,0,.25);border:1px solid rgba(0,0,0,.08);animation:kundresa-in .18s ease-out}
#kundresa-panel[hidden]{display:none}
@keyframes kundresa-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
.kundresa-header{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 18px;background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-heading{flex:1;min-width:0}
.kundresa-title{margin:0;padding:0;font-weight:700;font-size:17px;line-height:1.3;color:inherit;border:0;background:none}
.kundresa-state{display:flex;align-items:center;gap:6px;font-size:12.5px;opacity:.9}
.kundresa-dot{width:8px;height:8px;border-radius:50%;background:#b9c2c8;flex:none}
.kundresa-root[data-status=online] .kundresa-dot{background:#5ee38f}
.kundresa-root[data-status=connecting] .kundresa-dot{background:#f5c451}
.kundresa-root[data-status=offline] .kundresa-dot{background:#ff8a7a}
.kundresa-close{width:40px;height:40px;border:0;border-radius:10px;background:transparent;color:inherit;display:flex;align-items:center;justify-content:center;padding:0}
.kundresa-close:hover{background:rgba(255,255,255,.16)}
.kundresa-close:focus-visible{outline-color:#fff}
.kundresa-scroll{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#f5f6f7;overscroll-behavior:contain}
.kundresa-welcome{margin:0 0 12px;padding:12px 14px;background:#fff;border-radius:12px;border:1px solid #e3e6e8;color:#3b4349;font-size:14px}
.kundresa-welcome[hidden]{display:none}
#kundresa-messages{display:flex;flex-direction:column;gap:10px;margin:0;padding:0}
.kundresa-msg{display:flex;flex-direction:column;max-width:88%;animation:kundresa-pop .16s ease-out}
@keyframes kundresa-pop{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}
.kundresa-msg--me{align-self:flex-end;align-items:flex-end}
.kundresa-msg--them{align-self:flex-start;align-items:flex-start}
.kundresa-msg--system{align-self:center;max-width:94%;text-align:center}
.kundresa-bubble{padding:10px 13px;border-radius:14px;background:#fff;border:1px solid #e3e6e8;white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}
.kundresa-msg--me .kundresa-bubble{background:var(--kundresa-accent);color:var(--kundresa-accent-text);border-color:transparent;border-bottom-right-radius:4px}
.kundresa-msg--them .kundresa-bubble{border-bottom-left-radius:4px}
.kundresa-msg[data-status=pending] .kundresa-bubble{opacity:.65}
.kundresa-msg[data-status=failed] .kundresa-bubble{background:#fff;color:#1d2327;border:1px solid #d4351c}
.kundresa-md{white-space:normal}
.kundresa-p{margin:0 0 .55em;padding:0}
.kundresa-p:last-child,.kundresa-list:last-child{margin-bottom:0}
.kundresa-mdh{font-weight:700}
.kundresa-list{margin:0 0 .55em;padding:0 0 0 1.3em}
.kundresa-list li{margin:.15em 0;padding:0}
.kundresa-ul{list-style:disc}
.kundresa-ol{list-style:decimal}
.kundresa-code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef0f2;padding:1px 4px;border-radius:4px}
.kundresa-link{color:#1a5fb4;text-decoration:underline;overflow-wrap:anywhere}
.kundresa-article{margin:0 0 6px;font-size:12px;font-weight:700;letter-spacing:.02em;text-transform:uppercase;color:var(--kundresa-accent)}
.kundresa-author{margin:0 0 3px 4px;font-size:12px;font-weight:600;color:#59636b}
.kundresa-meta{margin:4px 4px 0;font-size:12px;color:#59636b}
.kundresa-meta[hidden]{display:none}
.kundresa-inline-btn{border:0;background:none;padding:0;color:#a52714;font-weight:600;text-decoration:underline;font-size:12px}
.kundresa-system{padding:7px 12px;border-radius:10px;background:#e9eef0;color:#3b4349;font-size:13px}
.kundresa-msg[data-kind=handoff] .kundresa-system{background:#e6f2ec;color:#173f31}
.kundresa-msg[data-kind=error] .kundresa-system{background:#fdecea;color:#8a1c0d}
.kundresa-options,.kundresa-scale{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.kundresa-option,.kundresa-score,.kundresa-fb{border:1px solid var(--kundresa-accent);background:#fff;color:var(--kundresa-accent);border-radius:999px;
  padding:6px 12px;font-size:14px;font-weight:600;line-height:1.3;text-align:left}
.kundresa-option:hover:not(:disabled),.kundresa-score:hover:not(:disabled),.kundresa-fb:hover:not(:disabled){background:#eef5f2}
.kundresa-option[aria-pressed=true],.kundresa-score[aria-pressed=true]{background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-option:disabled,.kundresa-score:disabled{cursor:default;opacity:.6}
.kundresa-option[aria-pressed=true]:disabled,.kundresa-score[aria-pressed=true]:disabled{opacity:1}
.kundresa-score{width:40px;height:40px;padding:0;text-align:center;border-radius:50%}
.kundresa-scale-legend{display:flex;justify-content:space-between;width:100%;font-size:11.5px;color:#59636b;margin-top:4px}
.kundresa-feedback{display:flex;align-items:center;gap:6px;margin:5px 4px 0;font-size:12.5px;color:#59636b}
.kundresa-fb{padding:5px 10px;border-color:#cfd5d9;color:#59636b}
.kundresa-fb .kundresa-icon{width:15px;height:15px}
.kundresa-typing{display:flex;align-items:center;gap:8px;margin:10px 0 4px;font-size:12.5px;color:#59636b}
.kundresa-typing[hidden]{display:none}
.kundresa-dots{display:inline-flex;gap:3px;padding:9px 11px;background:#fff;border:1px solid #e3e6e8;border-radius:14px}
.kundresa-dots i{width:6px;height:6px;border-radius:50%;background:#8a949b;animation:kundresa-blink 1.2s infinite}
.kundresa-dots i:nth-child(2){animation-delay:.2s}.kundresa-dots i:nth-child(3){animation-delay:.4s}
@keyframes kundresa-blink{0%,80%,100%{opacity:.3}40%{opacity:1}}
.kundresa-footer{padding:8px 12px 12px;border-top:1px solid #e3e6e8;background:#fff}
#kundresa-human{display:block;margin:0 0 8px;border:0;background:none;padding:4px 2px;color:var(--kundresa-accent);font-size:13.5px;font-weight:600;text-decoration:underline}
#kundresa-human[aria-disabled=true]{opacity:.55;cursor:progress}
.kundresa-composer{display:flex;align-items:flex-end;gap:8px;margin:0;padding:0;border:0}
#kundresa-input{flex:1;min-height:44px;max-height:140px;resize:none;padding:11px 12px;border:1px solid #c5ccd1;border-radius:12px;background:#fff;
  color:#1d2327;font-size:15px;line-height:1.4;overflow-y:auto;width:auto;height:44px}
#kundresa-input:focus-visible{outline:3px solid #2b6fd6;outline-offset:0;border-color:#2b6fd6}
#kundresa-send{width:44px;height:44px;flex:none;border:0;border-radius:12px;padding:0;display:flex;align-items:center;justify-content:center;
  background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-left #kundresa-panel{left:var(--kundresa-x,20px);right:auto}
.kundresa-time{margin-left:6px;font-size:11.5px;color:#7a848b;font-variant-numeric:tabular-nums}
.kundresa-msg--me .kundresa-meta{text-align:right}
.kundresa-card{margin:-2px 0 8px;padding:8px 10px;border-radius:10px;background:#f0f5f3;border:1px solid #d5e4dd;display:flex;gap:8px;align-items:center}
.kundresa-card .kundresa-article{margin:0;font-size:13.5px;text-transform:none;letter-spacing:0;color:#173f31}
.kundresa-card-kind{flex:none;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#59636b}
.kundresa-more{display:inline-block;margin-top:6px;border:0;background:none;padding:2px 0;color:var(--kundresa-accent);font-weight:600;font-size:13.5px;text-decoration:underline}
.kundresa-divider{display:flex;align-items:center;gap:10px;width:100%;font-size:12px;font-weight:600;color:#59636b;margin:4px 0}
.kundresa-divider::before,.kundresa-divider::after{content:"";flex:1;height:1px;background:#cfd5d9}
.kundresa-msg--wide{align-self:stretch;max-width:100%;align-items:center}
.kundresa-queue{margin:0 0 8px;padding:8px 10px;border-radius:10px;background:#e6f2ec;color:#173f31;font-size:13px}
.kundresa-queue[hidden],.kundresa-email[hidden],.kundresa-hint[hidden],#kundresa-human[hidden]{display:none}
.kundresa-queue[data-nobody=true]{background:#fff4e0;color:#5c3d00}
.kundresa-email{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;align-items:center}
.kundresa-email p{margin:0;width:100%}
.kundresa-email input{flex:1;min-width:150px;height:36px;padding:6px 9px;border:1px solid #c5ccd1;border-radius:8px;font:inherit;font-size:14px;color:#1d2327;background:#fff}
.kundresa-email button{height:36px;padding:0 12px;border:0;border-radius:8px;background:var(--kundresa-accent);color:var(--kundresa-accent-text);font-weight:600;font-size:13.5px}
.kundresa-hint{margin:6px 2px 0;font-size:12.5px;color:#59636b}
.kundresa-hint[data-over=true]{color:#a52714;font-weight:600}
#kundresa-input[aria-invalid=true]{border-color:#d4351c}
.kundresa-offer{position:fixed;right:var(--kundresa-x,20px);bottom:calc(var(--kundresa-y,20px) + 74px);display:flex;align-items:flex-start;
  width:max-content;max-width:min(320px,calc(100vw - var(--kundresa-x,20px) - 12px));background:#fff;color:#1d2327;border-radius:14px 14px 4px 14px;
  border:1px solid rgba(0,0,0,.1);box-shadow:0 8px 28px rgba(0,0,0,.22);animation:kundresa-in .2s ease-out}
.kundresa-offer[hidden]{display:none}
.kundresa-left .kundresa-offer{left:var(--kundresa-x,20px);right:auto;border-radius:14px 14px 14px 4px}
.kundresa-offer-main{flex:1;min-width:0;display:flex;flex-direction:column;gap:2px;border:0;background:none;padding:12px 4px 12px 14px;text-align:left;border-radius:14px 0 0 14px}
.kundresa-offer-title{font-weight:700;font-size:15px;line-height:1.3}
.kundresa-offer-text{font-size:13.5px;color:#3b4349}
.kundresa-offer-cta{margin-top:4px;font-size:13.5px;font-weight:700;color:var(--kundresa-accent);text-decoration:underline}
.kundresa-offer-main:hover .kundresa-offer-cta{text-decoration-thickness:2px}
.kundresa-offer-close{flex:none;width:40px;height:40px;margin:4px 4px 0 0;border:0;border-radius:10px;background:none;color:#59636b;display:flex;align-items:center;justify-content:center;padding:0}
.kundresa-offer-close:hover{background:#eef0f2;color:#1d2327}
.kundresa-offer-close .kundresa-icon{width:18px;height:18px}
@media (max-width:480px){
  #kundresa-launcher{bottom:var(--kundresa-y-m,var(--kundresa-y,20px))}
  .kundresa-offer{bottom:calc(var(--kundresa-y-m,var(--kundresa-y,20px)) + 74px)}
  #kundresa-panel{inset:0;right:0;bottom:0;width:100%;height:100%;height:100dvh;max-height:none;border-radius:0;border:0}
  .kundresa-root.kundresa-is-open #kundresa-launcher{display:none}
  .kundresa-left #kundresa-panel{left:0;right:0}
  #kundresa-input{font-size:16px}
}
@media (prefers-reduced-motion:reduce){.kundresa-root *{animation:none!important;transition:none!important}}
`;

  /* ------------------------------------------------------------------ UI */

  const ui = {};
  const nodes = new WeakMap(); // transcript item -> element
  let humanTimer = 0;
  let typingTimer = 0;

  function buildUi() {
    if (!ui.style) { // once: setLocale builds the rest again
      const style = ui.style = el('style', 'kundresa-style');
      if (script && script.nonce) style.nonce = script.nonce;
      style.textContent = STYLES;
      document.head.append(style);
    }

    const root = ui.root = el('div', 'kundresa-root');
    root.dataset.status = state.status;
    if (cfg.color && window.CSS && CSS.supports('color', cfg.color)) root.style.setProperty('--kundresa-accent', cfg.color);
    applyLauncher();

    const launcher = ui.launcher = button('', null, t.launcherOpen);
    launcher.id = 'kundresa-launcher';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-controls', 'kundresa-panel');
    ui.badge = el('span', 'kundresa-badge');
    ui.badge.hidden = true;
    ui.badge.setAttribute('aria-hidden', 'true');
    launcher.append(icon(ICON_CHAT), ui.badge);
    launcher.addEventListener('click', () => (state.open ? close() : open()));

    const panel = ui.panel = el('div');
    panel.id = 'kundresa-panel';
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-labelledby', 'kundresa-title');
    panel.setAttribute('lang', cfg.lang);
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); close(); }
    });

    const header = el('div', 'kundresa-header');
    const heading = el('div', 'kundresa-heading');
    const title = el('h2', 'kundresa-title', t.title);
    title.id = 'kundresa-title';
    const stateLine = el('div', 'kundresa-state');
    ui.stateText = el('span', 'kundresa-state-text', t.tagline);
    stateLine.append(el('span', 'kundresa-dot'), ui.stateText);
    heading.append(title, stateLine);
    const closeBtn = button('kundresa-close', null, t.close);
    closeBtn.append(icon(ICON_CLOSE, true));
    closeBtn.addEventListener('click', () => close());
    header.append(heading, closeBtn);

    const scroll = ui.scroll = el('div', 'kundresa-scroll');
    ui.welcome = el('p', 'kundresa-welcome', t.welcome);
    const list = ui.list = el('div');
    list.id = 'kundresa-messages';
    list.setAttribute('role', 'log');
    list.setAttribute('aria-live', 'polite');
    list.setAttribute('aria-relevant', 'additions');
    list.setAttribute('aria-label', t.title);
    const typing = ui.typing = el('div', 'kundresa-typing');
    typing.hidden = true;
    typing.setAttribute('role', 'status');
    const dots = el('span', 'kundresa-dots');
    dots.setAttribute('aria-hidden', 'true');
    dots.append(el('i'), el('i'), el('i'));
    ui.typingText = el('span', null, t.typingBot);
    typing.append(dots, ui.typingText);
    scroll.append(ui.welcome, list, typing);

    const footer = el('div', 'kundresa-footer');
    // While a person has the conversation: the place in the queue and the wait (or that nobody is in),
    // and the offer to get the reply by email.
    const queue = ui.queue = el('div', 'kundresa-queue');
    queue.hidden = true;
    queue.setAttribute('role', 'status');
    ui.queueText = el('p', 'kundresa-p');
    const emailForm = ui.emailForm = el('form', 'kundresa-email');
    emailForm.hidden = true;
    emailForm.noValidate = true;
    const emailId = 'kundresa-email-input';
    const emailLabel = el('label', null, t.emailOffer);
    emailLabel.htmlFor = emailId;
    const emailP = el('p');
    emailP.append(emailLabel);
    const emailInput = ui.emailInput = el('input');
    emailInput.id = emailId;
    emailInput.type = 'email';
    emailInput.autocomplete = 'email';
    emailInput.placeholder = t.emailLabel;
    emailInput.setAttribute('aria-label', t.emailLabel);
    const emailSave = button('', t.emailSave);
    emailSave.type = 'submit';
    emailForm.append(emailP, emailInput, emailSave);
    emailForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const address = emailInput.value.trim();
      if (!address) return;
      queueFrame({ type: 'email', address });
    });
    queue.append(ui.queueText, emailForm);
    const human = ui.human = button('', t.human);
    human.id = 'kundresa-human';
    human.addEventListener('click', requestHuman);
    const form = el('form', 'kundresa-composer');
    form.noValidate = true;
    const label = el('label', 'kundresa-sr', t.inputLabel);
    label.htmlFor = 'kundresa-input';
    const input = ui.input = el('textarea');
    input.id = 'kundresa-input';
    input.rows = 1;
    input.maxLength = DEFAULT_MAX_BYTES; // characters never outnumber bytes: the byte check below is the real one
    input.placeholder = t.placeholder;
    input.setAttribute('enterkeyhint', 'send');
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    input.addEventListener('input', () => { autosize(); checkLength(); });
    // Agents see "the customer is typing" (the server passes it on only while a person has the chat).
    let typingSent = 0;
    input.addEventListener('input', () => {
      if (input.value.trim() && Date.now() - typingSent > 2500) { typingSent = Date.now(); sendFrame({ type: 'typing' }); }
    });
    const send = button('', null, t.send);
    send.id = 'kundresa-send';
    send.type = 'submit';
    send.append(icon(ICON_SEND));
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    form.append(label, input, send);
    const hint = ui.hint = el('p', 'kundresa-hint');
    hint.id = 'kundresa-hint';
    hint.hidden = true;
    hint.setAttribute('aria-live', 'polite');
    input.setAttribute('aria-describedby', hint.id);
    footer.append(queue, human, form, hint);

    panel.append(header, scroll, footer);
    // The proactive bubble sits before the launcher: Tab reaches it first, next to what it points at.
    const offer = ui.offer = el('div', 'kundresa-offer');
    offer.hidden = true;
    offer.setAttribute('role', 'group');
    offer.setAttribute('aria-label', t.offerLabel);
    offer.setAttribute('lang', cfg.lang);
    offer.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); dismissOffer(pendingOffer()); }
    });
    // Announced (politely) when it appears; the bubble itself never takes the focus from the checkout.
    ui.offerLive = el('div', 'kundresa-sr');
    ui.offerLive.setAttribute('aria-live', 'polite');
    root.append(panel, offer, ui.offerLive, launcher);
    document.body.append(root);

    for (const item of state.transcript) renderItem(item, false);
    refreshFeedbackRows();
    updateWelcome();
    updateLauncher();
    updateOffer();
  }

  /** Position and offsets (data attributes, the config object or `Kundresa.setLauncher`). */
  function applyLauncher() {
    if (!ui.root) return;
    ui.root.style.setProperty('--kundresa-x', `${cfg.launcher.x}px`);
    ui.root.style.setProperty('--kundresa-y', `${cfg.launcher.y}px`);
    ui.root.style.setProperty('--kundresa-y-m', `${cfg.launcher.yMobile}px`);
    ui.root.classList.toggle('kundresa-left', cfg.launcher.left);
  }

  /** The shop hides the launcher on chosen steps (`hide-on-steps`), e.g. where it would cover "Buy", or
   * everywhere with `Kundresa.hideLauncher()`. */
  function updateLauncher() {
    if (!ui.root) return;
    const step = state.context && state.context.step != null ? String(state.context.step) : '';
    const off = state.launcherHidden || (!!step && cfg.launcher.hideOnSteps.includes(step));
    ui.root.classList.toggle('kundresa-launcher-off', off);
    updateOffer();
  }

  /* ------------------------------------------------------------------ the proactive bubble */

  const OFFER_MS = 30 * 60 * 1000; // an offer older than this (a replay on a new device) is not popped up again

  /** The newest offer, while the customer has neither opened, dismissed nor seen it in the open panel. */
  function pendingOffer() {
    const offers = state.transcript.filter((i) => i.kind === 'proactive');
    const last = offers[offers.length - 1];
    if (!last || last.handled || last.seen) return null;
    const at = Date.parse(last.at);
    return Number.isFinite(at) && Date.now() - at > OFFER_MS ? null : last;
  }
  const offerDetail = (item, action) => ({
    offer: item.offer, rule: item.rule, title: item.title, article: item.article || null, action,
  });

  /** The bubble by the launcher: shown for a pending offer while the panel is closed and the launcher shown. */
  function updateOffer() {
    if (!ui.offer) return;
    const item = pendingOffer();
    if (!item || state.open || ui.root.classList.contains('kundresa-launcher-off')) {
      ui.offer.hidden = true;
      ui.offer.textContent = '';
      delete ui.offer.dataset.offer;
      return;
    }
    if (ui.offer.dataset.offer === String(item.offer)) return;
    ui.offer.textContent = '';
    ui.offer.dataset.offer = String(item.offer);
    const main = button('kundresa-offer-main');
    main.append(el('strong', 'kundresa-offer-title', item.title || item.text));
    if (item.title && item.text) main.append(el('span', 'kundresa-offer-text', item.text));
    main.append(el('span', 'kundresa-offer-cta', t.offerShow));
    main.addEventListener('click', () => openOffer(item));
    const x = button('kundresa-offer-close', null, t.offerDismiss);
    x.append(icon(ICON_CLOSE, true));
    x.addEventListener('click', () => dismissOffer(item));
    ui.offer.append(main, x);
    ui.offer.hidden = false;
    ui.offerLive.textContent = t.offerNew(item.title || item.text);
  }

  /** Open: the server answers with the article (or the message), shown in the panel as any answer. */
  function openOffer(item) {
    if (!item || item.handled === 'opened') return;
    item.handled = 'opened';
    saveTranscript();
    refreshOfferRow(item);
    queueFrame({ type: 'offer_opened', offer: item.offer });
    emit('offer', offerDetail(item, 'opened'));
    open();
  }

  function dismissOffer(item) {
    if (!item || item.handled) return;
    const hadFocus = ui.offer && ui.offer.contains(document.activeElement);
    item.handled = 'dismissed';
    saveTranscript();
    refreshOfferRow(item);
    queueFrame({ type: 'offer_dismissed', offer: item.offer });
    emit('offer', offerDetail(item, 'dismissed'));
    updateOffer();
    if (hadFocus && !ui.root.classList.contains('kundresa-launcher-off')) ui.launcher.focus();
  }

  /** Once opened, the offer's "Show me" gives way to the answer that follows it. */
  function refreshOfferRow(item) {
    const b = nodes.get(item)?.querySelector('.kundresa-offer-show');
    if (b && item.handled === 'opened') {
      if (b === document.activeElement && ui.input) ui.input.focus({ preventScroll: true });
      b.parentNode.remove();
    }
  }

  function maxBytes() {
    const n = state.info && Number(state.info.max_message_bytes);
    return n && Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_BYTES;
  }

  /** How many characters too long `text` is (0: it fits), counted as the server counts: UTF-8 bytes. */
  function overflow(text) {
    const limit = maxBytes();
    if (byteLength(text) <= limit) return 0;
    let bytes = 0;
    let fits = 0;
    const chars = Array.from(text);
    for (const ch of chars) {
      bytes += byteLength(ch);
      if (bytes > limit) break;
      fits += 1;
    }
    return chars.length - fits;
  }

  /** Under the composer: how much room is left near the limit, and a clear error over it. */
  function checkLength() {
    if (!ui.input) return true;
    const text = ui.input.value;
    const over = overflow(text);
    const left = maxBytes() - byteLength(text);
    ui.hint.dataset.over = String(over > 0);
    ui.input.setAttribute('aria-invalid', String(over > 0));
    if (over > 0) ui.hint.textContent = t.tooLong(over);
    else if (left < 200) ui.hint.textContent = t.nearLimit(left);
    else ui.hint.textContent = '';
    ui.hint.hidden = !ui.hint.textContent;
    return over === 0;
  }

  function autosize() {
    const input = ui.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(140, Math.max(44, input.scrollHeight + 2))}px`;
  }

  function submit() {
    const text = ui.input.value;
    if (!text.trim()) return;
    if (!checkLength()) { // over the limit: nothing is sent, the text stays to be shortened
      ui.input.focus();
      return;
    }
    sendText(text);
    ui.input.value = '';
    autosize();
    checkLength();
    ui.input.focus();
  }

  function updateWelcome() {
    if (!ui.welcome) return;
    // A returning customer the shop signed in is greeted by name, and told about an open ticket.
    const info = state.info || {};
    const name = info.customer && info.customer.name ? String(info.customer.name) : '';
    const open = state.returning;
    const personal = !!(name || open != null);
    const lines = [name ? t.welcomeBack(name) : t.welcome];
    if (open != null) lines.push(t.openTicket(open));
    ui.welcome.textContent = lines.join(' ');
    ui.welcome.hidden = !personal && (state.transcript.length > 0 || ui.list.childElementCount > 0);
  }

  function nearBottom() {
    const s = ui.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }
  function scrollToBottom() {
    if (ui.scroll) ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  function setStatus(status) {
    state.status = status;
    if (!ui.root) return;
    ui.root.dataset.status = status;
    const info = state.info;
    let text = status === 'idle' ? t.tagline : t[status];
    if (status === 'online' && info && info.owner === 'agent') {
      text = info.queue && info.queue.agent ? t.withAgent(info.queue.agent) : t.waiting;
    }
    ui.stateText.textContent = text;
  }

  /** The server's `status` frame: who has the conversation, the queue, the wait, the reply email. */
  function applyStatus(f) {
    const before = state.info;
    state.statusFrame = f;
    // An open ticket found when the page loads (a returning customer) is mentioned in the greeting;
    // one opened during this visit is not.
    if (!before) state.returning = f.queue && f.queue.ticket != null ? f.queue.ticket : null;
    else if (!f.queue) state.returning = null;
    state.info = {
      owner: f.owner === 'agent' ? 'agent' : 'bot',
      queue: f.queue && typeof f.queue === 'object' ? f.queue : null,
      customer: f.customer && typeof f.customer === 'object' ? f.customer : null,
      reply_email: f.reply_email ? str(f.reply_email) : '',
      email_replies: !!f.email_replies,
      max_message_bytes: f.max_message_bytes,
    };
    const info = state.info;
    const q = info.queue;
    const agent = q && q.agent ? str(q.agent) : '';
    // "Agnes joined", once per person (a second device, or a reload, does not repeat it).
    const joinedBefore = state.transcript.filter((i) => i.kind === 'joined').pop();
    if (agent && (!joinedBefore || joinedBefore.agent !== agent || joinedBefore.ticket !== q.ticket)) {
      addItem({ kind: 'joined', agent, ticket: q.ticket, at: new Date().toISOString() });
    }
    if (!ui.root) return;
    setStatus(state.status);
    // A person has it: "talk to a person" is no longer offered.
    ui.human.hidden = info.owner === 'agent';
    if (info.owner === 'agent' && q) {
      let text;
      if (agent) text = t.agentHere(agent);
      else if (q.wait_minutes != null && q.position != null) text = t.queue(q.position, q.wait_minutes);
      else text = t.nobody;
      ui.queueText.textContent = info.reply_email ? `${text} ${t.emailSaved(info.reply_email)}` : text;
      ui.queue.dataset.nobody = String(!agent && q.wait_minutes == null);
      ui.queue.hidden = false;
      ui.emailForm.hidden = !info.email_replies || !!info.reply_email || !!agent;
    } else {
      ui.queue.hidden = true;
    }
    if (!before || before.max_message_bytes !== info.max_message_bytes) checkLength();
    updateWelcome();
  }

  function setUnread(n) {
    if (n !== state.unread) emit('unread', { count: n });
    state.unread = n;
    if (!ui.badge) return;
    ui.badge.hidden = n === 0;
    ui.badge.textContent = n > 9 ? '9+' : String(n);
    ui.launcher.setAttribute('aria-label', n ? `${t.launcherOpen} (${t.unread(n)})` : state.open ? t.launcherClose : t.launcherOpen);
  }

  function showTyping(who) {
    if (!ui.typing) return;
    ui.typingText.textContent = who === 'agent' ? t.typingAgent : t.typingBot;
    const stick = nearBottom();
    ui.typing.hidden = false;
    if (stick) scrollToBottom();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 5000);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    if (ui.typing) ui.typing.hidden = true;
  }

  /* ------------------------------------------------------------------ rendering */

  function shell(kind, side, who) {
    const row = el('div', `kundresa-msg kundresa-msg--${side}`);
    row.dataset.kind = kind;
    if (who) row.append(srOnly(`${who}: `));
    return row;
  }
  function systemRow(kind, text) {
    const row = shell(kind, 'system', t.system);
    row.append(el('div', 'kundresa-system', text));
    return row;
  }

  /** "14:05" (with the full date and time as its title), or null when the item has no time. */
  function stamp(item) {
    if (!item.at) return null;
    const d = new Date(item.at);
    if (Number.isNaN(d.getTime())) return null;
    const node = el('time', 'kundresa-time', d.toLocaleTimeString(cfg.lang === 'en' ? 'en-GB' : 'sv-SE', { hour: '2-digit', minute: '2-digit' }));
    node.dateTime = d.toISOString();
    node.title = d.toLocaleString(cfg.lang === 'en' ? 'en-GB' : 'sv-SE');
    return node;
  }
  function withStamp(row, item) {
    const time = stamp(item);
    if (time) {
      const meta = el('div', 'kundresa-meta kundresa-stamp');
      meta.append(time);
      row.append(meta);
    }
    return row;
  }

  /** An answer's short form: its first paragraph (a list or heading first: up to the first paragraph
   * break), or null when the whole answer is that short already. */
  function summaryOf(text) {
    const blocks = String(text || '').replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
    if (blocks.length < 2) return null;
    let first = blocks[0];
    if (/^#{1,6}\s/.test(first) && blocks.length > 2) first = blocks[1]; // a heading alone says little
    return first.length < String(text).trim().length - 40 ? first : null;
  }

  const RENDER = {
    message(item) {
      if (item.author && item.author !== 'customer') {
        const row = shell('message', 'them', t.agent);
        const bubble = el('div', 'kundresa-bubble');
        bubble.append(renderMarkdown(item.text));
        row.append(bubble);
        return withStamp(row, item);
      }
      const row = shell('message', 'me', t.you);
      if (item.id) row.dataset.id = item.id;
      row.append(el('div', 'kundresa-bubble', item.text), el('div', 'kundresa-meta'));
      return row;
    },
    answer(item) {
      // Reads like an answer: the article as a card, its first paragraph, and "Read more" for the rest.
      const row = shell('answer', 'them', t.bot);
      if (item.article && item.article.slug) row.dataset.article = item.article.slug;
      if (item.confidence != null) row.dataset.confidence = String(item.confidence);
      const bubble = el('div', 'kundresa-bubble');
      if (item.article && item.article.title) {
        const card = el('div', 'kundresa-card');
        const h = el('div', 'kundresa-article', item.article.title);
        h.setAttribute('role', 'heading');
        h.setAttribute('aria-level', '3');
        card.append(el('span', 'kundresa-card-kind', t.article), h);
        bubble.append(card);
      }
      const summary = summaryOf(item.text);
      const body = el('div', 'kundresa-answer-body');
      const show = (full) => {
        body.textContent = '';
        body.append(renderMarkdown(full || !summary ? item.text : summary));
      };
      show(!!item.expanded);
      bubble.append(body);
      if (summary) {
        const more = button('kundresa-more', item.expanded ? t.readLess : t.readMore);
        more.setAttribute('aria-expanded', String(!!item.expanded));
        more.addEventListener('click', () => {
          item.expanded = !item.expanded;
          saveTranscript();
          show(item.expanded);
          more.textContent = item.expanded ? t.readLess : t.readMore;
          more.setAttribute('aria-expanded', String(item.expanded));
        });
        bubble.append(more);
      }
      row.append(bubble);
      return withStamp(row, item);
    },
    clarify(item) {
      const row = shell('clarify', 'them', t.bot);
      const bubble = el('div', 'kundresa-bubble');
      bubble.append(el('p', 'kundresa-p', item.text || t.clarify));
      const group = el('div', 'kundresa-options');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', t.options);
      for (const opt of item.options || []) {
        if (!opt || !opt.slug) continue;
        const b = button('kundresa-option', opt.title || opt.slug);
        b.dataset.slug = opt.slug;
        if (item.chosen) {
          b.disabled = true;
          b.setAttribute('aria-pressed', String(item.chosen === opt.slug));
        }
        b.addEventListener('click', () => choose(item, opt.slug));
        group.append(b);
      }
      bubble.append(group);
      row.append(bubble);
      return row;
    },
    handoff(item) {
      const text = item.text || t.handoff;
      const row = systemRow('handoff', item.ticket != null ? `${text} (${t.ticket} #${item.ticket})` : text);
      if (item.ticket != null) row.dataset.ticket = String(item.ticket);
      return row;
    },
    agent_message(item) {
      const row = shell('agent_message', 'them');
      row.append(el('div', 'kundresa-author', item.agent ? `${item.agent} · ${t.agent}` : t.agent));
      const bubble = el('div', 'kundresa-bubble'); // Markdown, like the bot's answers
      bubble.append(renderMarkdown(item.text));
      row.append(bubble);
      return withStamp(row, item);
    },
    joined(item) {
      const row = shell('joined', 'wide', t.system);
      row.classList.add('kundresa-msg--system');
      row.append(el('div', 'kundresa-divider', t.joined(item.agent || t.agent)));
      return row;
    },
    csat_request(item) {
      // A divider marks the end of the person's part, then the rating card.
      const row = shell('csat_request', 'wide', t.bot);
      row.append(el('div', 'kundresa-divider', t.resolved));
      if (item.ticket != null) row.dataset.ticket = String(item.ticket);
      const bubble = el('div', 'kundresa-bubble');
      bubble.append(el('p', 'kundresa-p', item.text || t.csat));
      const scale = el('div', 'kundresa-scale');
      scale.setAttribute('role', 'group');
      scale.setAttribute('aria-label', t.csat);
      for (let n = 1; n <= 5; n++) {
        const b = button('kundresa-score', String(n), t.csatLabel(n));
        b.dataset.score = String(n);
        if (item.score) {
          b.disabled = true;
          b.setAttribute('aria-pressed', String(item.score === n));
        }
        b.addEventListener('click', () => rate(item, n));
        scale.append(b);
      }
      const legend = el('div', 'kundresa-scale-legend');
      legend.setAttribute('aria-hidden', 'true');
      legend.append(el('span', null, `1 = ${t.csatLow}`), el('span', null, `5 = ${t.csatHigh}`));
      bubble.append(scale, legend);
      row.append(bubble, el('div', 'kundresa-meta', item.score ? t.csatThanks : ''));
      return row;
    },
    error(item) {
      const row = systemRow('error', item.message || t.error);
      if (item.code) row.dataset.code = String(item.code);
      return row;
    },
    notice(item) {
      return systemRow('notice', item.text || '');
    },
    proactive(item) {
      // The offer in the panel too: what the bubble said, and "Show me" until it has been opened.
      const row = shell('proactive', 'them', t.agent);
      row.dataset.offer = String(item.offer);
      const bubble = el('div', 'kundresa-bubble');
      const md = el('div', 'kundresa-md');
      if (item.title) md.append(el('p', 'kundresa-p kundresa-mdh', item.title));
      if (item.text) md.append(el('p', 'kundresa-p', item.text));
      bubble.append(md);
      if (item.article) {
        const b = button('kundresa-option kundresa-offer-show', t.offerShow);
        b.addEventListener('click', () => openOffer(item));
        const group = el('div', 'kundresa-options');
        group.append(b);
        bubble.append(group);
      }
      row.append(bubble);
      return withStamp(row, item);
    },
  };

  function renderItem(item, live, before) {
    const render = RENDER[item.kind];
    if (!render || !ui.list) return null;
    const stick = !live || nearBottom() || item.kind === 'message';
    const row = render(item);
    if (item.seq != null && item.kind !== 'joined') row.dataset.seq = String(item.seq); // joined: a place only
    nodes.set(item, row);
    if (item.kind === 'proactive') refreshOfferRow(item);
    const next = before && nodes.get(before);
    if (next && next.parentNode === ui.list) ui.list.insertBefore(row, next);
    else ui.list.append(row);
    if (item.kind === 'message') updateCustomerStatus(item);
    if (live) {
      hideTyping();
      updateWelcome();
      if (item.kind === 'answer') refreshFeedbackRows();
    }
    if (stick) scrollToBottom();
    return row;
  }

  function updateCustomerStatus(item) {
    const row = nodes.get(item);
    if (!row || (item.author && item.author !== 'customer')) return;
    row.dataset.status = item.status || 'sent';
    if (item.seq != null) row.dataset.seq = String(item.seq); // known once acked
    const meta = row.querySelector('.kundresa-meta');
    meta.textContent = '';
    if (item.status === 'pending') meta.textContent = t.sending;
    else if (item.status === 'failed') {
      const retry = el('button', 'kundresa-inline-btn', t.retry);
      retry.type = 'button';
      retry.addEventListener('click', () => {
        item.status = 'pending';
        updateCustomerStatus(item);
        saveTranscript();
        transmit(item);
      });
      meta.append(`${t.failed} `, retry);
    } else if (item.channel && item.channel !== 'web') meta.textContent = t.via(item.channel);
    const time = item.status === 'sent' || !item.status ? stamp(item) : null;
    if (time) meta.append(time);
    meta.hidden = !meta.textContent;
  }

  /** 👍/👎 only under the newest answer: the feedback frame names no answer, so older ones would be ambiguous. */
  function refreshFeedbackRows() {
    const answers = state.transcript.filter((i) => i.kind === 'answer');
    const latest = answers[answers.length - 1];
    for (const item of answers) {
      const row = nodes.get(item);
      if (!row) continue;
      const existing = row.querySelector('.kundresa-feedback');
      if (item.feedback != null) {
        if (!existing) row.append(feedbackDone(item.feedback));
      } else if (item !== latest) {
        if (existing) existing.remove();
      } else if (!existing) {
        row.append(feedbackRow(item));
      }
    }
  }
  /** The choice made, without words of its own: the server's one reply (thanks, or the handoff) speaks. */
  function feedbackDone(helpful) {
    const done = el('div', 'kundresa-feedback');
    done.dataset.done = 'true';
    const b = button('kundresa-fb', null, helpful ? t.yes : t.no);
    b.append(icon(helpful ? ICON_UP : ICON_DOWN));
    b.disabled = true;
    b.setAttribute('aria-pressed', 'true');
    b.dataset.helpful = String(helpful);
    done.append(b);
    return done;
  }
  function feedbackRow(item) {
    const rowEl = el('div', 'kundresa-feedback');
    rowEl.append(el('span', null, t.helpful));
    for (const [helpful, glyph, label] of [[true, ICON_UP, t.yes], [false, ICON_DOWN, t.no]]) {
      const b = button('kundresa-fb', null, label);
      b.append(icon(glyph));
      b.dataset.helpful = String(helpful);
      b.addEventListener('click', () => {
        item.feedback = helpful;
        queueFrame({ type: 'feedback', helpful });
        saveTranscript();
        const done = feedbackDone(helpful);
        rowEl.replaceWith(done);
        if (ui.input) ui.input.focus();
      });
      rowEl.append(b);
    }
    return rowEl;
  }

  /* ------------------------------------------------------------------ actions */

  function choose(item, slug) {
    if (item.chosen) return;
    item.chosen = slug;
    saveTranscript();
    const row = nodes.get(item);
    if (row) {
      for (const b of row.querySelectorAll('.kundresa-option')) {
        b.disabled = true;
        b.setAttribute('aria-pressed', String(b.dataset.slug === slug));
      }
    }
    queueFrame({ type: 'choose', article: slug });
    if (ui.input) ui.input.focus();
  }

  function rate(item, score) {
    if (item.score) return;
    const stick = nearBottom();
    markRated(item, score);
    if (stick) scrollToBottom(); // the thanks under the card stays in sight
    queueFrame({ type: 'csat', score });
    if (ui.input) ui.input.focus();
  }
  /** A rating card shows as rated: clicked here, or rated before (another device; the server says so). */
  function markRated(item, score) {
    item.score = score;
    saveTranscript();
    const row = nodes.get(item);
    if (row) {
      for (const b of row.querySelectorAll('.kundresa-score')) {
        b.disabled = true;
        b.setAttribute('aria-pressed', String(Number(b.dataset.score) === score));
      }
      row.querySelector('.kundresa-meta').textContent = t.csatThanks;
    }
  }
  function ratingCard(ticket) {
    const cards = state.transcript.filter((i) => i.kind === 'csat_request');
    return cards.reverse().find((i) => ticket != null && i.ticket === ticket) || cards[0];
  }

  function requestHuman() {
    if (ui.human.getAttribute('aria-disabled') === 'true') return;
    queueFrame({ type: 'human' });
    ui.human.setAttribute('aria-disabled', 'true');
    clearTimeout(humanTimer);
    humanTimer = setTimeout(releaseHuman, 8000);
  }
  function releaseHuman() {
    clearTimeout(humanTimer);
    if (ui.human) ui.human.removeAttribute('aria-disabled');
  }

  function sendText(text) {
    const clean = String(text == null ? '' : text);
    if (!clean.trim() || overflow(clean) > 0) return null;
    const item = { kind: 'message', id: newClientId(), text: clean, status: 'pending', at: new Date().toISOString() };
    state.transcript.push(item);
    saveTranscript();
    renderItem(item, true);
    transmit(item);
    emit('message', { id: item.id, text: clean });
    return item.id;
  }

  function transmit(item) {
    if (sendFrame({ type: 'message', id: item.id, text: item.text })) armAckTimer();
    else connect();
  }

  /* ------------------------------------------------------------------ connection */

  const outbox = []; // non-message frames produced while offline
  let reconnectTimer = 0;
  let ackTimer = 0;
  let contextTimer = 0;

  function wsUrl() {
    // status=1: the server keeps us told of the queue (README "Web chat protocol").
    const params = new URLSearchParams({ visitor: state.visitor, lang: cfg.lang, status: '1' });
    if (state.reopen) params.set('reopen', state.reopen);
    if (cfg.user) params.set('user', cfg.user);
    if (cfg.user && cfg.name) params.set('name', cfg.name);
    if (cfg.email) params.set('email', cfg.email);
    if (cfg.sig) params.set('sig', cfg.sig);
    if (cfg.emailSig) params.set('email_sig', cfg.emailSig);
    if (cfg.vipSig) params.set('vip_sig', cfg.vipSig);
    if (Object.keys(state.context).length) params.set('context', JSON.stringify(state.context));
    return `${cfg.server.replace(/^http(s?):/i, 'ws$1:')}/ws/chat?${params}`;
  }

  function connect() {
    if (state.socket) return;
    clearTimeout(reconnectTimer);
    setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    state.socket = ws;
    let openedAt = 0;
    ws.onopen = () => {
      if (state.socket !== ws) return;
      openedAt = Date.now();
      setStatus('online');
      sendFrame({ type: 'resume', after: state.lastSeq });
      for (const item of state.pending) sendFrame({ type: 'message', id: item.id, text: item.text });
      if (state.pending.length) armAckTimer();
      while (outbox.length && sendFrame(outbox[0])) outbox.shift();
    };
    ws.onmessage = (ev) => {
      if (state.socket !== ws) return;
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      handleFrame(frame);
    };
    ws.onclose = () => {
      if (state.socket !== ws) return;
      state.socket = null;
      // A socket that opened and lived a while was healthy: start the backoff over.
      if (openedAt && Date.now() - openedAt > 5000) state.attempt = 0;
      setStatus('offline');
      scheduleReconnect();
    };
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  function disconnect() {
    const ws = state.socket;
    state.socket = null;
    clearTimeout(ackTimer);
    if (ws) {
      try { ws.close(1000); } catch { /* already closed */ }
    }
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    const delay = Math.min(10000, 500 * 2 ** state.attempt) * (0.85 + Math.random() * 0.15);
    state.attempt = Math.min(state.attempt + 1, 10);
    reconnectTimer = setTimeout(connect, delay);
  }

  function sendFrame(frame) {
    const ws = state.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch { return false; }
  }

  function queueFrame(frame) {
    if (!sendFrame(frame)) {
      outbox.push(frame);
      connect();
    }
  }

  /** A socket that takes sends but never acks is half-dead: drop it, reconnect, re-send with the same ids. */
  function armAckTimer() {
    clearTimeout(ackTimer);
    ackTimer = setTimeout(() => {
      if (state.pending.length && state.socket) {
        disconnect();
        setStatus('offline');
        scheduleReconnect();
      }
    }, 15000);
  }

  function findMessage(id) {
    return id ? state.transcript.find((i) => i.kind === 'message' && i.id === id) : undefined;
  }

  /** The server stored our message masked (a card number, a personnummer): show and keep that form. */
  function storedText(item, text) {
    if (typeof text !== 'string' || item.text === text) return;
    item.text = text;
    const bubble = nodes.get(item)?.querySelector('.kundresa-bubble');
    if (bubble) bubble.textContent = text;
    saveTranscript();
  }

  function handleFrame(f) {
    if (!f || typeof f !== 'object' || typeof f.type !== 'string') return;
    const seq = typeof f.seq === 'number' && Number.isFinite(f.seq) ? f.seq : null;
    const prev = typeof f.prev === 'number' && Number.isFinite(f.prev) && seq != null ? f.prev : seq - 1;

    if (f.type === 'ack') { // idempotent: a re-sent message may be acked again with its original seq
      const item = findMessage(f.id);
      if (item) storedText(item, f.text);
      if (item && item.status !== 'sent') {
        item.status = 'sent';
        if (seq != null) item.seq = seq;
        updateCustomerStatus(item);
        saveTranscript();
      }
      if (!state.pending.length) clearTimeout(ackTimer);
      if (seq != null) account(seq, prev); // our own message: shown since we sent it
      return;
    }
    // `typing` and `error` are about this moment and are not stored: their seq is the latest one the
    // socket has had, never a frame of their own.
    const ephemeral = f.type === 'typing' || f.type === 'error' || f.type === 'status' || f.type === 'reopened';
    if (seq != null && !ephemeral) {
      const shown = seq <= state.lastSeq || state.ahead.has(seq);
      if (!shown) show(f, seq);
      account(seq, prev); // a replayed frame shown before still tells us where the server's chain is
      return;
    }
    show(f, seq);
  }

  /** Show a frame (stored frames in seq order among those shown). */
  function show(f, seq) {
    switch (f.type) {
      case 'typing':
        showTyping(f.who);
        return;
      case 'status':
        applyStatus(f);
        return;
      case 'reopened': // a reply email's link: from now on this browser is that conversation's visitor
        state.reopen = '';
        if (typeof f.visitor === 'string' && f.visitor) {
          state.visitor = f.visitor;
          store.set(KEYS.visitor, f.visitor);
        }
        return;
      case 'message': {
        const mine = findMessage(f.id);
        if (mine) { // our own message echoed back (a resume, or another tab's socket): it is stored
          storedText(mine, f.text);
          if (mine.status !== 'sent' || mine.seq == null) {
            mine.status = 'sent';
            if (seq != null) mine.seq = seq;
            updateCustomerStatus(mine);
            saveTranscript();
          }
          return;
        }
        return addItem({ kind: 'message', id: f.id, text: str(f.text), author: f.author, channel: f.channel, status: 'sent', seq, at: atOf(f) });
      }
      case 'answer': {
        const item = { kind: 'answer', text: str(f.text), article: articleOf(f.article), confidence: f.confidence, seq, at: atOf(f) };
        addItem(item);
        emit('answer', { text: item.text, article: item.article, confidence: item.confidence ?? null });
        return;
      }
      case 'proactive': {
        if (f.offer == null) return;
        const item = {
          kind: 'proactive', offer: f.offer, rule: str(f.rule), title: str(f.title), text: str(f.text),
          article: articleOf(f.article), seq, at: atOf(f), seen: state.open || undefined,
        };
        addItem(item);
        updateOffer();
        emit('offer', offerDetail(item, 'shown'));
        return;
      }
      case 'clarify':
        return addItem({
          kind: 'clarify', text: f.text ? str(f.text) : undefined, seq,
          options: Array.isArray(f.options) ? f.options.map(articleOf).filter(Boolean) : [],
        });
      case 'handoff':
        releaseHuman();
        if (ui.human && !state.info) ui.human.hidden = true; // an older server sends no status: a person has it now
        addItem({ kind: 'handoff', ticket: f.ticket, text: f.text ? str(f.text) : undefined, seq, at: atOf(f) });
        emit('handoff', { ticket: f.ticket ?? null });
        return;
      case 'agent_message': {
        const agent = f.agent ? str(f.agent) : '';
        // Replayed history (another device, a cleared cache) has no live status: the person's first reply
        // says who joined.
        if (agent && seq != null && !state.transcript.some((i) => i.kind === 'joined' && i.agent === agent)) {
          addItem({ kind: 'joined', agent, seq: seq - 0.5, at: atOf(f) });
        }
        addItem({ kind: 'agent_message', text: str(f.text), agent, seq, at: atOf(f) });
        emit('agent_message', { text: str(f.text), agent });
        return;
      }
      case 'csat_request':
        if (ui.human && !state.info) ui.human.hidden = false;
        return addItem({ kind: 'csat_request', ticket: f.ticket, text: f.text ? str(f.text) : undefined, seq, at: atOf(f) });
      case 'notice':
        if (f.csat && typeof f.csat === 'object') { // the thanks for a rating: the card itself says it
          const card = ratingCard(f.csat.ticket);
          if (card) {
            if (!card.score) markRated(card, Number(f.csat.score));
            return;
          }
        }
        return addItem({ kind: 'notice', text: str(f.text), seq, at: atOf(f) });
      case 'error': { // shown, not cached: errors are about this moment
        releaseHuman();
        if (f.code === 'invalid_resume' && (state.lastSeq > 0 || state.ahead.size)) {
          // The server's conversation is not the one we remember (e.g. merged after signing in):
          // start over from its beginning rather than drop its frames as already seen.
          resetSeq();
          sendFrame({ type: 'resume', after: 0 });
          return;
        }
        if (f.code === 'invalid_link' || f.code === 'link_expired') state.reopen = '';
        // An event the shop's page sent wrong (or too many of them) is for its developer, not the customer.
        if (EVENT_ERRORS.has(f.code) || (Date.now() - lastEventAt < 3000 && !state.pending.length &&
            (f.code === 'rate_limited' || f.code === 'too_large'))) {
          if (window.console) console.warn(`Kundresa: ${f.code}: ${str(f.message)}`);
          return;
        }
        if (f.code === 'already_rated') { // rated before (another device): the stored score stands
          const card = ratingCard(typeof f.ticket === 'number' ? f.ticket : null);
          if (card) markRated(card, Number(f.score) || card.score);
          return;
        }
        const item = findMessage(f.id);
        if (item && item.status === 'pending') {
          if (PERMANENT.has(f.code)) takeBack(item);
          else {
            item.status = 'failed';
            updateCustomerStatus(item);
            saveTranscript();
          }
        }
        // In the widget's language, whatever the server's words; not kept in the transcript.
        const known = t.errors[f.code];
        renderItem({ kind: 'error', code: f.code, message: known || t.error, seq }, true);
        return;
      }
      default:
        // Unknown frame types are ignored, so the server can add new ones without breaking old widgets.
    }
  }

  const str = (v) => (v == null ? '' : String(v));
  const atOf = (f) => (typeof f.at === 'string' ? f.at : new Date().toISOString());

  /** A message the server refused for good: out of the transcript, its text back in the composer. */
  function takeBack(item) {
    const i = state.transcript.indexOf(item);
    if (i >= 0) state.transcript.splice(i, 1);
    saveTranscript();
    const row = nodes.get(item);
    if (row) row.remove();
    if (ui.input && !ui.input.value.trim()) {
      ui.input.value = item.text;
      autosize();
      checkLength();
    }
  }
  function articleOf(a) {
    if (!a || typeof a !== 'object' || !a.slug) return null;
    return { slug: String(a.slug), title: str(a.title || a.slug) };
  }

  /** Into the transcript at its seq's place: a frame that comes late goes before later ones shown. */
  function addItem(item) {
    const list = state.transcript;
    let at = list.length;
    if (item.seq != null) {
      const later = list.findIndex((i) => i.seq != null && i.seq > item.seq);
      if (later >= 0) at = later;
    }
    list.splice(at, 0, item);
    saveTranscript();
    renderItem(item, true, list[at + 1]);
    if (!state.open && item.kind !== 'message') setUnread(state.unread + 1);
  }

  /* ------------------------------------------------------------------ open / close / API */

  function open(options) {
    const focus = !options || options.focus !== false;
    whenReady(() => {
      const was = state.open;
      state.open = true;
      ui.panel.hidden = false;
      ui.root.classList.add('kundresa-is-open');
      ui.launcher.setAttribute('aria-expanded', 'true');
      setUnread(0);
      const offer = pendingOffer(); // shown in the panel now: no bubble for it after the panel closes
      if (offer) {
        offer.seen = true;
        saveTranscript();
      }
      updateOffer();
      connect();
      scrollToBottom();
      if (focus) ui.input.focus({ preventScroll: true });
      if (!was) emit('open');
    });
  }

  function close() {
    whenReady(() => {
      const hadFocus = ui.panel.contains(document.activeElement);
      const was = state.open;
      state.open = false;
      ui.panel.hidden = true;
      ui.root.classList.remove('kundresa-is-open');
      ui.launcher.setAttribute('aria-expanded', 'false');
      setUnread(state.unread);
      if (hadFocus) ui.launcher.focus();
      if (was) emit('close');
    });
  }

  function setContext(obj) {
    if (!obj || typeof obj !== 'object') return;
    const before = JSON.stringify(state.context);
    for (const [k, v] of Object.entries(obj)) {
      if (v == null) delete state.context[k];
      else state.context[k] = v;
    }
    // The context travels in the socket URL: reconnect (and resume) so the server sees the new page.
    updateLauncher();
    if (JSON.stringify(state.context) !== before) watchIdle(); // a new step (or data) is progress
    if (state.socket && JSON.stringify(state.context) !== before) {
      clearTimeout(contextTimer);
      contextTimer = setTimeout(() => {
        contextTimer = 0;
        if (!state.socket) return;
        disconnect();
        connect();
      }, 50);
    }
  }

  /* ------------------------------------------------------------------ shop events */

  const EVENT_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/; // router/shop_events/catalog.py NAME_RE
  const EVENT_ERRORS = new Set(['invalid_event', 'invalid_reason', 'unknown_offer']);
  let lastEventAt = 0;

  /** `Kundresa.track(name, data)`: an event on the customer's timeline (and maybe a proactive offer). */
  function track(name, detail) {
    if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
      if (window.console) console.warn('Kundresa.track: an event name is a lower-case letter, then up to 63 of a-z 0-9 _ . : -');
      return false;
    }
    const payload = detail && typeof detail === 'object' && !Array.isArray(detail) ? detail : {};
    if (name !== 'checkout_idle') watchIdle(); // the shop saying something happened is progress
    lastEventAt = Date.now();
    if (contextTimer) { // a new context is on its way: the event belongs to it, so send it on the new socket
      clearTimeout(contextTimer);
      contextTimer = 0;
      disconnect();
      connect();
    }
    queueFrame({ type: 'event', name, data: payload }); // before any conversation is fine: stored on the customer
    return true;
  }

  /** `checkout_idle`: this long on a payment step without progress (a new context, an event, a field filled
   * in on the page), sent once per page. */
  let idleTimer = 0;
  let idleSent = false;
  function watchIdle() {
    clearTimeout(idleTimer);
    const step = state.context && state.context.step != null ? String(state.context.step) : '';
    if (idleSent || !(cfg.idleSeconds > 0) || step !== 'payment') return;
    idleTimer = setTimeout(() => {
      idleSent = true;
      track('checkout_idle', { seconds: cfg.idleSeconds });
    }, cfg.idleSeconds * 1000);
  }
  function watchPageProgress() {
    const progress = (e) => { if (!ui.root || !ui.root.contains(e.target)) watchIdle(); };
    for (const type of ['input', 'change', 'submit']) document.addEventListener(type, progress, true);
  }

  /* ------------------------------------------------------------------ identity, language, launcher */

  const str0 = (v) => (v == null ? '' : String(v).trim());

  /** Sign in (or switch user) without a reload: the socket reconnects with the new identity. The same
   * person's anonymous chat is kept (the server folds it into the signed-in customer); another user's is not. */
  function setUser(user) {
    const u = user && typeof user === 'object' ? user : {};
    const id = str0(u.id);
    const before = cfg.user;
    const next = {
      user: id, sig: str0(u.sig), email: str0(u.email), emailSig: str0(u.email_sig || u.emailSig),
      name: str0(u.name), vipSig: str0(u.vip_sig || u.vipSig),
    };
    const same = Object.keys(next).every((k) => cfg[k] === next[k]);
    Object.assign(cfg, next);
    if (same && id) { store.set(KEYS.user, id); return; } // e.g. the snippet's call on every page
    if (!id) { logout(); return; }
    if (before && before !== id) { reset(); return; } // someone else: nothing of the previous user's
    store.set(KEYS.user, id);
    state.info = null;
    state.statusFrame = null;
    updateWelcome();
    reconnect();
  }

  /** Sign out: forget the stored conversation and chat on as a new anonymous visitor. */
  function logout() {
    Object.assign(cfg, { user: '', sig: '', email: '', emailSig: '', name: '', vipSig: '' });
    reset();
  }

  function reconnect() {
    if (!state.socket && state.status === 'idle') return; // not connected yet: the next connect uses it
    disconnect();
    connect();
  }

  /** `sv` or `en`: the widget's texts at once, and the server's (the socket reconnects with `lang`). */
  function setLocale(lang) {
    const next = /^en/i.test(str0(lang)) ? 'en' : /^sv/i.test(str0(lang)) ? 'sv' : '';
    if (!next || next === cfg.lang) return;
    cfg.lang = next;
    t = TEXT[next];
    whenReady(() => {
      const focused = ui.root.contains(document.activeElement) ? document.activeElement.id : '';
      const draft = ui.input.value;
      ui.root.remove();
      buildUi();
      ui.input.value = draft;
      if (state.open) {
        ui.panel.hidden = false;
        ui.root.classList.add('kundresa-is-open');
        ui.launcher.setAttribute('aria-expanded', 'true');
      }
      setStatus(state.status);
      if (state.statusFrame) applyStatus(state.statusFrame);
      setUnread(state.unread);
      const again = focused && document.getElementById(focused);
      if (again) again.focus({ preventScroll: true });
    });
    reconnect();
  }

  /** `{position: 'left'|'right', offsetX, offsetY, offsetYMobile, hideOnSteps}`; what is left out stays. */
  function setLauncher(options) {
    const o = options && typeof options === 'object' ? options : {};
    const l = cfg.launcher;
    if (o.position != null) l.left = String(o.position).toLowerCase() === 'left';
    const sameY = l.yMobile === l.y;
    l.x = px(o.offsetX, l.x);
    l.y = px(o.offsetY, l.y);
    l.yMobile = px(o.offsetYMobile, sameY ? l.y : l.yMobile);
    if (Array.isArray(o.hideOnSteps)) l.hideOnSteps = o.hideOnSteps.map((v) => String(v).trim()).filter(Boolean);
    whenReady(() => { applyLauncher(); updateLauncher(); });
  }
  function showLauncher(visible = true) {
    state.launcherHidden = !visible;
    whenReady(updateLauncher);
  }

  /** Forget this browser's conversation (e.g. when the shop signs the customer out). */
  function reset() {
    disconnect();
    clearTimeout(reconnectTimer);
    clearStorage();
    if (cfg.user) store.set(KEYS.user, cfg.user);
    outbox.length = 0;
    state.info = null;
    state.statusFrame = null;
    state.returning = null;
    state.attempt = 0;
    initIdentity();
    if (ui.list) {
      ui.list.textContent = '';
      ui.queue.hidden = true;
      ui.human.hidden = false;
      updateWelcome();
      hideTyping();
      updateOffer();
    }
    setUnread(0);
    setStatus('idle');
    if (state.open) connect();
  }

  let ready = false;
  const readyQueue = [];
  function whenReady(fn) {
    if (ready) fn();
    else readyQueue.push(fn);
  }

  function init() {
    buildUi();
    ready = true;
    setStatus(state.status);
    readyQueue.splice(0).forEach((fn) => fn());
    watchPageProgress();
    watchIdle();
    // Reconnect at once when the network or the tab comes back.
    window.addEventListener('online', () => { if (!state.socket && state.status === 'offline') connect(); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !state.socket && state.status === 'offline') connect();
    });
    // Connect at load only when there is a conversation to resume (or the panel opens); otherwise on first use.
    if (cfg.open) open({ focus: false });
    else if (state.lastSeq > 0 || state.transcript.length) connect();
    emit('ready', { lang: cfg.lang, open: state.open });
  }

  const api = {
    _loaded: true,
    open: () => open(),
    close,
    send: (text) => sendText(text),
    track,
    on,
    off,
    setUser,
    logout,
    setLocale,
    setContext,
    setLauncher,
    showLauncher: () => showLauncher(true),
    hideLauncher: () => showLauncher(false),
    human: () => whenReady(requestHuman),
    reset,
    get lang() { return cfg.lang; },
    get isOpen() { return state.open; },
    _state: state,
  };
  window.Kundresa = api;

  // Calls queued by the snippet before this loaded (`Kundresa.q`), in order; `arguments` objects work too.
  const queued = pre && (pre._q || pre.q);
  if (Array.isArray(queued)) {
    for (const entry of queued) {
      const [method, ...args] = entry && typeof entry === 'object' && typeof entry.length === 'number'
        ? Array.from(entry) : [entry];
      if (typeof api[method] === 'function' && method !== 'reset') {
        try { api[method](...args); } catch (err) { if (window.console) console.error('Kundresa:', err); }
      }
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
  else init();
})();
