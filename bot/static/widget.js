/**
 * Kundresa web chat widget — plain ES2020, no dependencies, no build step.
 *
 *   <script src="https://support.example/widget.js" data-lang="sv"
 *           data-context='{"step":"payment","order_id":"NH-1","amount":1847,"currency":"SEK"}'></script>
 *
 * Data attributes: server, user, email, sig, email-sig, vip-sig, lang (sv|en), open ("true"), context (JSON), color (CSS colour).
 * Protocol: SPEC.md, "Web chat (customer side)". Only global: window.Kundresa.
 * Before load a shop may set `window.Kundresa = {context: {...}}` or queue calls in `window.Kundresa._q`
 * (e.g. `[["setContext", {...}], ["open"]]`).
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
    email: data('email'),
    sig: data('sig'),
    emailSig: data('email-sig'),
    vipSig: data('vip-sig'),
    lang: /^en/i.test(data('lang')) ? 'en' : 'sv',
    open: data('open') === 'true',
    color: data('color'),
  };

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
    },
  };
  const t = TEXT[cfg.lang];

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
  const MAX_TEXT = 4000;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  const newClientId = () => `c-${uuid().replace(/-/g, '').slice(0, 20)}`;

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
    get pending() { return this.transcript.filter((i) => i.kind === 'message' && i.status === 'pending'); },
  };

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
  if (pre && pre.context && typeof pre.context === 'object') Object.assign(state.context, pre.context);

  function saveTranscript() {
    const items = state.transcript.slice(-MAX_CACHE);
    state.transcript = items;
    store.set(KEYS.transcript, JSON.stringify(items));
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
#kundresa-launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border:0;border-radius:50%;padding:0;display:flex;align-items:center;
  justify-content:center;background:var(--kundresa-accent);color:var(--kundresa-accent-text);box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s ease}
#kundresa-launcher:hover{transform:scale(1.05)}
#kundresa-launcher .kundresa-icon{width:28px;height:28px}
.kundresa-badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d4351c;color:#fff;
  font:700 12px/22px system-ui,sans-serif;text-align:center;border:2px solid #fff}
.kundresa-badge[hidden]{display:none}
#kundresa-panel{position:fixed;right:20px;bottom:92px;width:380px;height:min(620px,calc(100vh - 112px));display:flex;flex-direction:column;
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
@media (max-width:480px){
  #kundresa-panel{inset:0;right:0;bottom:0;width:100%;height:100%;height:100dvh;max-height:none;border-radius:0;border:0}
  .kundresa-root.kundresa-is-open #kundresa-launcher{display:none}
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
    const style = el('style', 'kundresa-style');
    if (script && script.nonce) style.nonce = script.nonce;
    style.textContent = STYLES;
    document.head.append(style);

    const root = ui.root = el('div', 'kundresa-root');
    root.dataset.status = state.status;
    if (cfg.color && window.CSS && CSS.supports('color', cfg.color)) root.style.setProperty('--kundresa-accent', cfg.color);

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
    input.maxLength = MAX_TEXT;
    input.placeholder = t.placeholder;
    input.setAttribute('enterkeyhint', 'send');
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    input.addEventListener('input', autosize);
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
    footer.append(human, form);

    panel.append(header, scroll, footer);
    root.append(panel, launcher);
    document.body.append(root);

    for (const item of state.transcript) renderItem(item, false);
    refreshFeedbackRows();
    updateWelcome();
  }

  function autosize() {
    const input = ui.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(140, Math.max(44, input.scrollHeight + 2))}px`;
  }

  function submit() {
    const text = ui.input.value;
    if (!text.trim()) return;
    sendText(text);
    ui.input.value = '';
    autosize();
    ui.input.focus();
  }

  function updateWelcome() {
    if (ui.welcome) ui.welcome.hidden = state.transcript.length > 0 || ui.list.childElementCount > 0;
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
    ui.stateText.textContent = status === 'idle' ? t.tagline : t[status];
  }

  function setUnread(n) {
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

  const RENDER = {
    message(item) {
      if (item.author && item.author !== 'customer') {
        const row = shell('message', 'them', t.agent);
        row.append(el('div', 'kundresa-bubble', item.text));
        return row;
      }
      const row = shell('message', 'me', t.you);
      if (item.id) row.dataset.id = item.id;
      row.append(el('div', 'kundresa-bubble', item.text), el('div', 'kundresa-meta'));
      return row;
    },
    answer(item) {
      const row = shell('answer', 'them', t.bot);
      if (item.article && item.article.slug) row.dataset.article = item.article.slug;
      if (item.confidence != null) row.dataset.confidence = String(item.confidence);
      const bubble = el('div', 'kundresa-bubble');
      if (item.article && item.article.title) {
        const h = el('div', 'kundresa-article', item.article.title);
        h.setAttribute('role', 'heading');
        h.setAttribute('aria-level', '3');
        bubble.append(h);
      }
      bubble.append(renderMarkdown(item.text));
      row.append(bubble);
      return row;
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
      row.append(el('div', 'kundresa-bubble', item.text));
      return row;
    },
    csat_request(item) {
      const row = shell('csat_request', 'them', t.bot);
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
  };

  function renderItem(item, live, before) {
    const render = RENDER[item.kind];
    if (!render || !ui.list) return null;
    const stick = !live || nearBottom() || item.kind === 'message';
    const row = render(item);
    if (item.seq != null) row.dataset.seq = String(item.seq);
    nodes.set(item, row);
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
  function feedbackDone(helpful) {
    const done = el('div', 'kundresa-feedback', helpful ? t.thanks : t.sorry);
    done.dataset.done = 'true';
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
    queueFrame({ type: 'csat', score });
    if (ui.input) ui.input.focus();
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
    const clean = String(text == null ? '' : text).slice(0, MAX_TEXT);
    if (!clean.trim()) return null;
    const item = { kind: 'message', id: newClientId(), text: clean, status: 'pending' };
    state.transcript.push(item);
    saveTranscript();
    renderItem(item, true);
    transmit(item);
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
    const params = new URLSearchParams({ visitor: state.visitor, lang: cfg.lang });
    if (cfg.user) params.set('user', cfg.user);
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
    const ephemeral = f.type === 'typing' || f.type === 'error';
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
        return addItem({ kind: 'message', id: f.id, text: str(f.text), author: f.author, channel: f.channel, status: 'sent', seq });
      }
      case 'answer':
        return addItem({ kind: 'answer', text: str(f.text), article: articleOf(f.article), confidence: f.confidence, seq });
      case 'clarify':
        return addItem({
          kind: 'clarify', text: f.text ? str(f.text) : undefined, seq,
          options: Array.isArray(f.options) ? f.options.map(articleOf).filter(Boolean) : [],
        });
      case 'handoff':
        releaseHuman();
        return addItem({ kind: 'handoff', ticket: f.ticket, text: f.text ? str(f.text) : undefined, seq });
      case 'agent_message':
        return addItem({ kind: 'agent_message', text: str(f.text), agent: f.agent ? str(f.agent) : '', seq });
      case 'csat_request':
        return addItem({ kind: 'csat_request', text: f.text ? str(f.text) : undefined, seq });
      case 'notice':
        return addItem({ kind: 'notice', text: str(f.text), seq });
      case 'error': { // shown, not cached: errors are about this moment
        releaseHuman();
        if (f.code === 'invalid_resume' && (state.lastSeq > 0 || state.ahead.size)) {
          // The server's conversation is not the one we remember (e.g. merged after signing in):
          // start over from its beginning rather than drop its frames as already seen.
          resetSeq();
          sendFrame({ type: 'resume', after: 0 });
          return;
        }
        const item = findMessage(f.id);
        if (item && item.status === 'pending') {
          item.status = 'failed';
          updateCustomerStatus(item);
          saveTranscript();
        }
        renderItem({ kind: 'error', code: f.code, message: f.message ? str(f.message) : '', seq }, true);
        return;
      }
      default:
        // Unknown frame types are ignored, so the server can add new ones without breaking old widgets.
    }
  }

  const str = (v) => (v == null ? '' : String(v));
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
      state.open = true;
      ui.panel.hidden = false;
      ui.root.classList.add('kundresa-is-open');
      ui.launcher.setAttribute('aria-expanded', 'true');
      setUnread(0);
      connect();
      scrollToBottom();
      if (focus) ui.input.focus({ preventScroll: true });
    });
  }

  function close() {
    whenReady(() => {
      const hadFocus = ui.panel.contains(document.activeElement);
      state.open = false;
      ui.panel.hidden = true;
      ui.root.classList.remove('kundresa-is-open');
      ui.launcher.setAttribute('aria-expanded', 'false');
      setUnread(state.unread);
      if (hadFocus) ui.launcher.focus();
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
    if (state.socket && JSON.stringify(state.context) !== before) {
      clearTimeout(contextTimer);
      contextTimer = setTimeout(() => {
        if (!state.socket) return;
        disconnect();
        connect();
      }, 50);
    }
  }

  /** Forget this browser's conversation (e.g. when the shop signs the customer out). */
  function reset() {
    disconnect();
    clearTimeout(reconnectTimer);
    clearStorage();
    if (cfg.user) store.set(KEYS.user, cfg.user);
    outbox.length = 0;
    initIdentity();
    if (ui.list) {
      ui.list.textContent = '';
      updateWelcome();
      hideTyping();
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
    // Reconnect at once when the network or the tab comes back.
    window.addEventListener('online', () => { if (!state.socket && state.status === 'offline') connect(); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && !state.socket && state.status === 'offline') connect();
    });
    // Connect at load only when there is a conversation to resume (or the panel opens); otherwise on first use.
    if (cfg.open) open({ focus: false });
    else if (state.lastSeq > 0 || state.transcript.length) connect();
  }

  const api = {
    _loaded: true,
    open: () => open(),
    close,
    send: (text) => sendText(text),
    setContext,
    human: () => whenReady(requestHuman),
    reset,
    _state: state,
  };
  window.Kundresa = api;

  const queued = pre && (pre._q || pre.q);
  if (Array.isArray(queued)) {
    for (const call of queued) {
      const [method, ...args] = Array.isArray(call) ? call : [call];
      if (typeof api[method] === 'function' && method !== 'reset') api[method](...args);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
  else init();
})();
