/**
 * Kundresa agent console — plain ES2020, no dependencies, no build step. Served at /agent/agent.js.
 *
 * Log in with an agent API token (kept in sessionStorage). The page talks to the JSON API
 * (/api/tickets…, /api/articles, /api/agents/me/presence) and keeps itself live over /agent/ws:
 *   {"type":"snapshot","queue":[…],"mine":[…],"agent":{…}}  on connect,
 *   {"type":"ticket","event":…,"ticket":{…}}               when a ticket changes,
 *   {"type":"message","ticket_id":…,"message":{…}}          when a message is added to an active ticket.
 * While the agent writes a reply (not an internal note) the page sends {"type":"typing","ticket":ID}, at
 * most every TYPING_EVERY ms; the customer's chat shows "Support is typing…". A refused one comes back
 * as {"type":"error",…} and is ignored.
 * Every piece of customer or article text is put in the page with textContent, never as markup.
 */
(() => {
  'use strict';

  const KC = window.KundresaConsole; // console-common.js, loaded first
  const { $, store, el, showError } = KC;
  const BASE = KC.basePath('agent');
  const TOKEN_KEY = 'kundresa.agent.token';
  const LANG_KEY = 'kundresa.agent.lang';
  const OPEN = ['open', 'assigned', 'waiting_customer'];
  const TYPING_EVERY = 3000; // ms between typing frames while the agent writes (the widget shows one for 5 s)
  const NOTIFY_KEY = 'kundresa.agent.notify';
  const SOUND_KEY = 'kundresa.agent.sound';
  const CUSTOMER_TYPING_MS = 6000; // the widget sends a typing hint every ~2.5 s while the customer writes

  const TEXT = {
    sv: {
      consoleTitle: 'Agentkonsol', skip: 'Hoppa till konversationen', logout: 'Logga ut',
      loginTitle: 'Logga in', loginIntro: 'Klistra in din API-nyckel för agenter.', tokenLabel: 'API-nyckel',
      loginButton: 'Logga in', badToken: 'Nyckeln godtogs inte. Kontrollera den och försök igen.',
      needToken: 'Skriv in din API-nyckel.', netError: 'Kunde inte nå servern. Försök igen.',
      queue: 'Kö', mine: 'Mina ärenden', queueEmpty: 'Ingen väntar just nu.', mineEmpty: 'Du har inga öppna ärenden.',
      noTicket: 'Inget ärende valt', pickTicket: 'Välj ett ärende i kön till vänster.', timeline: 'Tidslinje',
      replyLabel: 'Svar till kunden', internal: 'Intern anteckning', cannedLabel: 'Sök färdigt svar',
      cannedPlaceholder: 'Färdiga svar – sök artikel…', send: 'Skicka', sendNote: 'Spara anteckning',
      enterHint: 'Enter skickar · Shift+Enter ny rad', replyPlaceholder: 'Skriv ett svar till kunden…',
      notePlaceholder: 'Intern anteckning – syns inte för kunden…',
      contextPane: 'Kontext', noContext: 'Kund och sida visas här.', customer: 'Kund', page: 'Sida',
      botTried: 'Det här försökte boten', actions: 'Åtgärder', claim: 'Ta ärendet', claimed: 'Ditt ärende',
      transferTo: 'Flytta till team', transfer: 'Flytta', resolveArticle: 'Artikeln som svarade (valfri)',
      noArticle: '— ingen artikel —', resolveHint: 'Kundens fråga blir en exempelfråga för artikeln.',
      resolve: 'Lös ärendet', online: 'Tillgänglig', away: 'Borta', presenceLabel: 'Din status',
      connOnline: 'Live', connOffline: 'Frånkopplad – ansluter igen…', connConnecting: 'Ansluter…',
      name: 'Namn', email: 'E-post', vip: 'VIP', channels: 'Kanaler', yes: 'Ja', no: 'Nej',
      step: 'Steg', order: 'Order', amount: 'Belopp', currency: 'Valuta', reason: 'Orsak', question: 'Fråga',
      noAttempts: 'Boten hittade inga artiklar.', noContextData: 'Ingen sidinformation.',
      customerN: (n) => `Kund #${n}`, ticketN: (n) => `Ärende #${n}`, team: 'Team', status: 'Status',
      waited: (d) => `väntat ${d}`, ago: (d) => `för ${d} sedan`, now: 'nyss',
      min: (n) => `${n} min`, hour: (h, m) => (m ? `${h} h ${m} min` : `${h} h`), day: (n) => `${n} d`,
      payment: 'Betalning', prio: (n) => `Prio ${n}`, assignedTo: (n) => `Agent: ${n}`,
      statuses: { open: 'I kö', assigned: 'Tilldelad', waiting_customer: 'Väntar på kund', resolved: 'Löst', closed: 'Stängd' },
      reasons: { asked_for_human: 'Bad om en person', no_answer: 'Inget säkert svar', clarify_failed: 'Förtydligande hjälpte inte', frustrated: 'Frustrerad kund', not_helpful: 'Svaret hjälpte inte' },
      otherReason: 'Annan orsak',
      transferAgent: 'Till agent', anyAgent: '— vem som helst i teamet —', pickTeam: 'Välj ett team.',
      transferToAgent: (a, t) => `Flyttat till ${a} (${t}).`, agentAway: 'borta',
      notify: 'Aviseringar', notifyOn: 'Aviseringar på', notifyBlocked: 'Webbläsaren blockerar aviseringar för sidan.',
      sound: 'Ljud', soundOn: 'Ljud på',
      notifyNewTicket: (n, who) => `Nytt ärende #${n}: ${who}`, notifyAssigned: (n, who) => `Ärende #${n} är ditt: ${who}`,
      notifyMessage: (who) => `${who} skrev`,
      customerTyping: 'Kunden skriver…',
      shortcuts: 'Kortkommandon', shortcutsHelp: 'Tryck ? för kortkommandon', close: 'Stäng',
      keys: { next: 'Nästa ärende', prev: 'Föregående ärende', claim: 'Ta ärendet', resolve: 'Lös ärendet', reply: 'Skriv svar', canned: 'Färdigt svar (i svarsrutan)', help: 'Visa kortkommandon', escape: 'Stäng / lämna svarsrutan' },
      slashHint: 'Skriv / i svarsrutan för färdiga svar', noCanned: 'Inga färdiga svar matchar.', saveCanned: 'Spara som färdigt svar',
      cannedTitle: 'Rubrik för det färdiga svaret', cannedSaved: 'Det färdiga svaret är sparat.', needReply: 'Skriv svaret först.',
      history: 'Tidigare kontakter', lastContact: 'Senaste kontakt', csatAverage: 'Snittbetyg', noHistory: 'Inga tidigare ärenden.',
      earlierTicket: (n) => `Ärende #${n}`, conversationsN: (n) => (n === 1 ? '1 konversation' : `${n} konversationer`),
      unreadTitle: (n) => `(${n}) `,
      authors: { customer: 'Kund', bot: 'Bot', agent: 'Agent', system: 'System' },
      channelNames: { web: 'Webb', slack: 'Slack', email: 'E-post' },
      identities: { web_visitor: 'Webb (anonym)', web_user: 'Webb (inloggad)', slack_user: 'Slack', email: 'E-post' },
      kinds: { csat_request: 'Bad kunden om betyg', handoff: 'Överlämnat till person', note: 'Intern anteckning' },
      noteTag: 'Intern', options: 'Alternativ', sent: 'Skickat.', noteSaved: 'Anteckning sparad.',
      claimDone: 'Ärendet är ditt.', transferDone: (t) => `Flyttat till ${t}.`, needTeam: 'Skriv ett team.',
      resolvedDone: 'Ärendet är löst. Kunden får frågan om betyg.',
      learned: (q) => `Boten har lärt sig frågan: ”${q}”`, takenBy: (n) => `Ärendet har tagits av ${n}.`,
      newTicket: (n) => `Nytt ärende i kön: #${n}`, error: 'Något gick fel', noResults: 'Inga artiklar hittades.',
      csat: (n) => `Betyg ${n}/5`,
    },
    en: {
      consoleTitle: 'Agent console', skip: 'Skip to the conversation', logout: 'Log out',
      loginTitle: 'Log in', loginIntro: 'Paste your agent API token.', tokenLabel: 'API token',
      loginButton: 'Log in', badToken: 'That token was not accepted. Check it and try again.',
      needToken: 'Enter your API token.', netError: 'Could not reach the server. Try again.',
      queue: 'Queue', mine: 'My tickets', queueEmpty: 'Nobody is waiting right now.', mineEmpty: 'You have no open tickets.',
      noTicket: 'No ticket selected', pickTicket: 'Pick a ticket from the queue on the left.', timeline: 'Timeline',
      replyLabel: 'Reply to the customer', internal: 'Internal note', cannedLabel: 'Search canned answers',
      cannedPlaceholder: 'Canned answers – search articles…', send: 'Send', sendNote: 'Save note',
      enterHint: 'Enter sends · Shift+Enter new line', replyPlaceholder: 'Write a reply to the customer…',
      notePlaceholder: 'Internal note – the customer never sees it…',
      contextPane: 'Context', noContext: 'Customer and page show here.', customer: 'Customer', page: 'Page',
      botTried: 'What the bot tried', actions: 'Actions', claim: 'Claim', claimed: 'Your ticket',
      transferTo: 'Transfer to team', transfer: 'Transfer', resolveArticle: 'Article that answered it (optional)',
      noArticle: '— no article —', resolveHint: 'The customer\'s question becomes an example question of the article.',
      resolve: 'Resolve', online: 'Online', away: 'Away', presenceLabel: 'Your status',
      connOnline: 'Live', connOffline: 'Disconnected – reconnecting…', connConnecting: 'Connecting…',
      name: 'Name', email: 'Email', vip: 'VIP', channels: 'Channels', yes: 'Yes', no: 'No',
      step: 'Step', order: 'Order', amount: 'Amount', currency: 'Currency', reason: 'Reason', question: 'Question',
      noAttempts: 'The bot found no articles.', noContextData: 'No page information.',
      customerN: (n) => `Customer #${n}`, ticketN: (n) => `Ticket #${n}`, team: 'Team', status: 'Status',
      waited: (d) => `waited ${d}`, ago: (d) => `${d} ago`, now: 'just now',
      min: (n) => `${n} min`, hour: (h, m) => (m ? `${h} h ${m} min` : `${h} h`), day: (n) => `${n} d`,
      payment: 'Payment', prio: (n) => `Prio ${n}`, assignedTo: (n) => `Agent: ${n}`,
      statuses: { open: 'Queued', assigned: 'Assigned', waiting_customer: 'Waiting for customer', resolved: 'Resolved', closed: 'Closed' },
      reasons: { asked_for_human: 'Asked for a person', no_answer: 'No confident answer', clarify_failed: 'Clarifying did not help', frustrated: 'Frustrated customer', not_helpful: 'The answer did not help' },
      otherReason: 'Other reason',
      transferAgent: 'To agent', anyAgent: '— anyone in the team —', pickTeam: 'Choose a team.',
      transferToAgent: (a, t) => `Transferred to ${a} (${t}).`, agentAway: 'away',
      notify: 'Notifications', notifyOn: 'Notifications on', notifyBlocked: 'The browser blocks notifications for this page.',
      sound: 'Sound', soundOn: 'Sound on',
      notifyNewTicket: (n, who) => `New ticket #${n}: ${who}`, notifyAssigned: (n, who) => `Ticket #${n} is yours: ${who}`,
      notifyMessage: (who) => `${who} wrote`,
      customerTyping: 'The customer is typing…',
      shortcuts: 'Keyboard shortcuts', shortcutsHelp: 'Press ? for keyboard shortcuts', close: 'Close',
      keys: { next: 'Next ticket', prev: 'Previous ticket', claim: 'Claim the ticket', resolve: 'Resolve the ticket', reply: 'Write a reply', canned: 'Canned reply (in the reply box)', help: 'Show keyboard shortcuts', escape: 'Close / leave the reply box' },
      slashHint: 'Type / in the reply box for canned replies', noCanned: 'No canned replies match.', saveCanned: 'Save as canned reply',
      cannedTitle: 'Title of the canned reply', cannedSaved: 'The canned reply is saved.', needReply: 'Write the reply first.',
      history: 'Earlier contacts', lastContact: 'Last contact', csatAverage: 'Average rating', noHistory: 'No earlier tickets.',
      earlierTicket: (n) => `Ticket #${n}`, conversationsN: (n) => (n === 1 ? '1 conversation' : `${n} conversations`),
      unreadTitle: (n) => `(${n}) `,
      authors: { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'System' },
      channelNames: { web: 'Web', slack: 'Slack', email: 'Email' },
      identities: { web_visitor: 'Web (anonymous)', web_user: 'Web (signed in)', slack_user: 'Slack', email: 'Email' },
      kinds: { csat_request: 'Asked the customer for a rating', handoff: 'Handed over to a person', note: 'Internal note' },
      noteTag: 'Internal', options: 'Options', sent: 'Sent.', noteSaved: 'Note saved.',
      claimDone: 'The ticket is yours.', transferDone: (t) => `Transferred to ${t}.`, needTeam: 'Enter a team.',
      resolvedDone: 'Resolved. The customer is asked for a rating.',
      learned: (q) => `The bot has learned the question: “${q}”`, takenBy: (n) => `${n} has taken this ticket.`,
      newTicket: (n) => `New ticket in the queue: #${n}`, error: 'Something went wrong', noResults: 'No articles found.',
      csat: (n) => `Rating ${n}/5`,
    },
  };
  // Channel icons as SVG paths (no icon font, no emoji font needed).
  const CHANNEL_ICONS = {
    web: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M3 12h18', 'M12 3c2.5 2.6 3.7 5.6 3.7 9s-1.2 6.4-3.7 9c-2.5-2.6-3.7-5.6-3.7-9s1.2-6.4 3.7-9z'],
    slack: ['M9 3L7 21', 'M17 3l-2 18', 'M4 8.5h17', 'M3 15.5h17'],
    email: ['M3 6h18v12H3z', 'M3 6l9 7l9-7'],
    other: ['M5 5h14v10H9l-4 4z'],
  };

  const state = {
    lang: KC.savedLang(LANG_KEY),
    token: store.get(TOKEN_KEY) || '',
    agent: null,
    queue: new Map(),
    mine: new Map(),
    current: null, // the opened ticket
    customer: null, // GET /api/customers/{id}/timeline → customer
    seen: new Set(), // "conversation:seq" of rendered timeline messages
    unread: new Set(),
    articles: [],
    socket: null,
    attempt: 0,
    reconnectTimer: 0,
    typing: { ticket: null, at: 0 }, // the last typing frame sent
    // The article picked in "article that answered", and the ticket it was picked on: a choice made on
    // one ticket is never sent when resolving another (the server refuses it too: `picked_for`).
    pick: { ticket: null, slug: '' },
    teams: [], // GET /api/teams
    history: null, // the opened ticket's customer's earlier contacts
    notify: store.get(NOTIFY_KEY, localStorage) === '1',
    sound: store.get(SOUND_KEY, localStorage) === '1',
    slash: { items: [], index: 0, start: -1, seq: 0 }, // the `/` canned-reply popup
  };
  let t = TEXT[state.lang];

  /* ------------------------------------------------------------------ helpers */

  function icon(paths) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'icon');
    for (const d of paths) {
      const path = document.createElementNS(NS, 'path');
      path.setAttribute('d', d);
      svg.append(path);
    }
    return svg;
  }
  function kv(dl, label, value) {
    if (value == null || value === '') return;
    dl.append(el('dt', null, label), el('dd', null, value));
  }
  function duration(ms) {
    const mins = Math.max(0, Math.floor(ms / 60000));
    if (mins < 1) return null;
    if (mins < 60) return t.min(mins);
    if (mins < 48 * 60) return t.hour(Math.floor(mins / 60), mins % 60);
    return t.day(Math.floor(mins / 1440));
  }
  function waited(iso) {
    const d = duration(Date.now() - Date.parse(iso));
    return d ? t.waited(d) : t.now;
  }
  function clock(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const sameDay = new Date().toDateString() === d.toDateString();
    const loc = state.lang === 'en' ? 'en-GB' : 'sv-SE';
    return sameDay
      ? d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString(loc, { dateStyle: 'short', timeStyle: 'short' });
  }
  function money(amount, currency) {
    if (amount == null || amount === '') return null;
    const n = Number(amount);
    if (!Number.isFinite(n)) return String(amount);
    try {
      if (currency) return new Intl.NumberFormat(state.lang === 'en' ? 'en-GB' : 'sv-SE', { style: 'currency', currency: String(currency) }).format(n);
    } catch { /* unknown currency code */ }
    return `${n.toLocaleString(state.lang === 'en' ? 'en-GB' : 'sv-SE')}${currency ? ` ${currency}` : ''}`;
  }
  const isPayment = (ticket) => /^(payment|betalning|checkout|kassa)$/i.test(String((ticket.context || {}).step || ''));
  const isVip = (ticket) => Boolean((ticket.customer && ticket.customer.vip) || ticket.priority >= 100);
  // Name, email or verified id where known (`display_name`); "Customer #N" only for an anonymous visitor.
  const customerName = (ticket) => {
    const c = ticket.customer;
    return (c && (c.display_name || c.name || c.email)) || t.customerN(ticket.customer_id);
  };
  const reasonText = (r) => (r ? t.reasons[r] || t.otherReason : null);

  let toastTimer = 0;
  function toast(text) {
    const box = $('agent-toast');
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 5000);
  }
  const announce = (text) => KC.announce('agent-announce', text);
  const notice = (text) => showError('agent-action-notice', text);

  /* ------------------------------------------------------------------ API */

  const { api, act } = KC.client({
    base: BASE,
    token: () => state.token,
    loggedIn: () => Boolean(state.agent),
    expired: (message) => logout(message),
    text: () => t,
    toast,
  });

  /* ------------------------------------------------------------------ language */

  function applyLang() {
    t = TEXT[state.lang];
    KC.applyTexts(t, state.lang, 'agent-lang');
    $('agent-canned').placeholder = t.cannedPlaceholder;
    updateComposerMode();
    renderPresence();
    renderAlerts();
    renderShortcuts();
    setConn($('agent-conn').dataset.state);
    renderLists();
    if (state.current) {
      renderHead();
      renderSide();
      reloadTimeline();
    }
  }

  /* ------------------------------------------------------------------ login */

  const LOGIN_FORM = { view: 'agent-login-view', error: 'agent-login-error', button: 'agent-login', input: 'agent-token' };

  async function login(token) {
    const ok = await KC.checkToken({
      token,
      key: TOKEN_KEY,
      form: LOGIN_FORM,
      text: t,
      check: (tok) => api('GET', '/api/tickets?status=active&mine=1', undefined, tok),
      refused: (e) => (e.status === 401 || e.status === 403 ? t.badToken : e.message),
    });
    if (!ok) return;
    state.token = token;
    $('agent-login-view').hidden = true;
    $('agent-console').hidden = false;
    $('agent-logout').hidden = false;
    $('agent-presence').hidden = false;
    for (const id of ['agent-notify', 'agent-sound', 'agent-help']) $(id).hidden = false;
    connect();
    loadArticles();
    loadTeams();
  }

  function logout(message) {
    state.token = '';
    state.agent = null;
    store.del(TOKEN_KEY);
    disconnect();
    state.queue.clear();
    state.mine.clear();
    closeTicket();
    $('agent-console').hidden = true;
    $('agent-logout').hidden = true;
    $('agent-presence').hidden = true;
    for (const id of ['agent-notify', 'agent-sound', 'agent-help']) $(id).hidden = true;
    state.unread.clear();
    $('agent-who').textContent = '';
    setConn('idle');
    KC.showLogin(LOGIN_FORM, message);
  }

  /* ------------------------------------------------------------------ socket */

  function setConn(s) {
    const box = $('agent-conn');
    box.dataset.state = s || 'idle';
    box.textContent = s === 'online' ? t.connOnline : s === 'offline' ? t.connOffline : s === 'connecting' ? t.connConnecting : '';
  }

  function connect() {
    if (!state.token || state.socket) return;
    clearTimeout(state.reconnectTimer);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}${BASE}/agent/ws`;
    setConn('connecting');
    const ws = new WebSocket(url);
    state.socket = ws;
    // The token goes in the first frame, never in the URL (access logs keep URLs).
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: state.token })));
    ws.addEventListener('message', (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch { return; }
      if (frame && typeof frame === 'object') onFrame(frame);
    });
    ws.addEventListener('close', () => {
      if (state.socket !== ws) return;
      state.socket = null;
      if (!state.token) return;
      setConn('offline');
      const delay = Math.min(30000, 1000 * 2 ** Math.min(state.attempt, 5)) * (0.75 + Math.random() / 2);
      state.attempt += 1;
      state.reconnectTimer = setTimeout(async () => {
        // A token that no longer works shows the login form instead of retrying forever.
        try { await api('GET', '/api/tickets?status=active&mine=1'); } catch (e) { if (e.status === 401) return; }
        connect();
      }, delay);
    });
  }

  function disconnect() {
    clearTimeout(state.reconnectTimer);
    const ws = state.socket;
    state.socket = null;
    if (ws) ws.close(1000);
  }

  function onFrame(frame) {
    if (frame.type === 'snapshot') {
      const reconnect = state.attempt > 0 || state.agent !== null;
      state.attempt = 0;
      setConn('online');
      state.agent = frame.agent || {};
      $('agent-who').textContent = [state.agent.name, state.agent.team].filter(Boolean).join(' · ');
      renderPresence();
      state.queue = new Map((frame.queue || []).map((tk) => [tk.id, tk]));
      state.mine = new Map((frame.mine || []).map((tk) => [tk.id, tk]));
      renderLists();
      if (reconnect && state.current) reloadTimeline(); // catch up on anything missed while away
    } else if (frame.type === 'error') {
      // A typing frame refused (say the ticket was resolved meanwhile): nothing the agent needs to see.
    } else if (frame.type === 'typing') {
      if (frame.who === 'customer' && state.current && frame.ticket_id === state.current.id) customerTyping();
    } else if (frame.type === 'ticket' && frame.ticket) {
      upsertTicket(frame.ticket, frame.event);
    } else if (frame.type === 'message' && frame.message) {
      if (frame.ticket) upsertTicket(frame.ticket, 'message');
      const current = state.current;
      const m = frame.message;
      const here = current && (frame.ticket_id === current.id || (frame.ticket && frame.ticket.customer_id === current.customer_id));
      if (here) {
        appendMessage(m, true);
        if (m.author === 'customer') hideCustomerTyping();
      }
      const mine = state.agent && frame.ticket && frame.ticket.assignee_id === state.agent.id;
      if (m.author === 'customer' && frame.ticket_id != null && (!here || !pageVisible())) {
        state.unread.add(frame.ticket_id);
        renderLists();
      }
      if (m.author === 'customer' && mine && (!here || !pageVisible())) {
        alertAgent(t.notifyMessage(customerName(frame.ticket)), m.text || '', frame.ticket_id);
      }
    }
  }

  function upsertTicket(ticket, event) {
    const prev = state.queue.get(ticket.id) || state.mine.get(ticket.id) || (state.current && state.current.id === ticket.id ? state.current : null);
    if (prev && prev.customer && !ticket.customer) ticket.customer = prev.customer;
    const wasQueued = state.queue.has(ticket.id);
    const wasMine = state.mine.has(ticket.id) || Boolean(prev && state.agent && prev.assignee_id === state.agent.id);
    state.queue.delete(ticket.id);
    state.mine.delete(ticket.id);
    if (ticket.status === 'open') state.queue.set(ticket.id, ticket);
    if (state.agent && ticket.assignee_id === state.agent.id && OPEN.includes(ticket.status)) state.mine.set(ticket.id, ticket);
    if (!wasQueued && ticket.status === 'open' && (event === 'opened' || event === 'reopened' || event === 'transferred')) {
      announce(t.newTicket(ticket.id));
      if (inMyTeam(ticket)) alertAgent(t.notifyNewTicket(ticket.id, customerName(ticket)), ticket.question || '', ticket.id);
    }
    const nowMine = state.agent && ticket.assignee_id === state.agent.id && OPEN.includes(ticket.status);
    if (nowMine && !wasMine && event !== 'claimed') { // a claim is the agent's own doing
      if (!state.current || state.current.id !== ticket.id) { state.unread.add(ticket.id); }
      alertAgent(t.notifyAssigned(ticket.id, customerName(ticket)), ticket.question || '', ticket.id);
    }
    if (state.current && state.current.id === ticket.id) {
      const takenByOther = state.agent && ticket.assignee_id && ticket.assignee_id !== state.agent.id
        && state.current.assignee_id !== ticket.assignee_id;
      state.current = { ...state.current, ...ticket };
      renderHead();
      renderSide();
      if (takenByOther && ticket.assignee) notice(t.takenBy(ticket.assignee));
    }
    renderLists();
  }

  /* ------------------------------------------------------------------ lists */

  function sortTickets(map) {
    return [...map.values()].sort((a, b) => (b.priority - a.priority) || (a.id - b.id));
  }

  function queueItem(ticket) {
    const li = el('li');
    const b = el('button', 'queue-item');
    b.type = 'button';
    b.dataset.ticket = String(ticket.id);
    b.dataset.priority = String(ticket.priority);
    b.dataset.status = ticket.status;
    if (state.current && state.current.id === ticket.id) b.setAttribute('aria-current', 'true');
    const row1 = el('span', 'row1');
    row1.append(el('span', 'name', `#${ticket.id} · ${customerName(ticket)}`));
    if (state.unread.has(ticket.id)) {
      const dot = el('span', 'unread');
      dot.setAttribute('aria-hidden', 'true');
      row1.append(dot);
    }
    const wait = el('span', 'wait', waited(ticket.created_at));
    wait.dataset.since = ticket.created_at;
    row1.append(wait);
    b.append(row1);
    if (ticket.question) b.append(el('span', 'q', ticket.question));
    const badges = el('span', 'badges');
    if (isVip(ticket)) badges.append(el('span', 'badge vip', t.vip));
    if (isPayment(ticket)) badges.append(el('span', 'badge pay', t.payment));
    if (ticket.priority > 0) badges.append(el('span', 'badge prio', t.prio(ticket.priority)));
    badges.append(el('span', 'badge', ticket.team));
    if (ticket.status !== 'open') badges.append(el('span', 'badge status', t.statuses[ticket.status] || ticket.status));
    b.append(badges);
    b.addEventListener('click', () => openTicket(ticket.id));
    li.append(b);
    return li;
  }

  function renderList(id, map) {
    const list = $(id);
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.ticket : null;
    const items = sortTickets(map);
    list.replaceChildren(...items.map(queueItem));
    $(`${id}-count`).textContent = String(items.length);
    $(`${id}-empty`).hidden = items.length > 0;
    if (focused) {
      const again = list.querySelector(`.queue-item[data-ticket="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function renderLists() {
    renderList('agent-queue', state.queue);
    renderList('agent-mine', state.mine);
    // The tab counts what is unread for this agent: tickets newly theirs, customers' messages not seen.
    document.title = `${state.unread.size ? t.unreadTitle(state.unread.size) : ''}Kundresa · ${t.consoleTitle}`;
  }

  // Wait times move on without events.
  setInterval(() => {
    for (const n of document.querySelectorAll('.queue-item .wait[data-since]')) n.textContent = waited(n.dataset.since);
  }, 30000);

  /* ------------------------------------------------------------------ the opened ticket */

  async function openTicket(id) {
    const data = await act(() => api('GET', `/api/tickets/${id}`));
    if (!data) return;
    const known = state.queue.get(id) || state.mine.get(id);
    const { timeline, ...ticket } = data;
    state.current = { ...(known || {}), ...ticket };
    state.unread.delete(id);
    state.seen.clear();
    state.history = null;
    state.customer = null;
    resetArticlePick();
    hideCustomerTyping();
    hideSlash();
    notice('');
    $('agent-timeline').replaceChildren();
    $('agent-placeholder').hidden = true;
    $('agent-composer').hidden = false;
    $('agent-side-placeholder').hidden = true;
    $('agent-side-body').hidden = false;
    for (const m of timeline || []) appendMessage(m, false);
    scrollTimeline();
    renderHead();
    renderSide();
    renderLists();
    loadCustomer(ticket.customer_id);
    $('agent-reply').focus();
  }

  function closeTicket() {
    state.current = null;
    state.customer = null;
    state.history = null;
    resetArticlePick();
    hideCustomerTyping();
    state.seen.clear();
    $('agent-timeline').replaceChildren();
    $('agent-placeholder').hidden = false;
    $('agent-composer').hidden = true;
    $('agent-side-placeholder').hidden = false;
    $('agent-side-body').hidden = true;
    $('agent-ticket-title').textContent = t.noTicket;
    $('agent-ticket-sub').textContent = '';
  }

  async function reloadTimeline() {
    const cur = state.current;
    if (!cur) return;
    const data = await act(() => api('GET', `/api/tickets/${cur.id}`));
    if (!data || !state.current || state.current.id !== cur.id) return;
    state.seen.clear();
    $('agent-timeline').replaceChildren();
    for (const m of data.timeline || []) appendMessage(m, false);
    scrollTimeline();
  }

  async function loadCustomer(customerId) {
    const data = await act(() => api('GET', `/api/customers/${customerId}/timeline`));
    if (!data || !state.current || state.current.customer_id !== customerId) return;
    state.customer = data.customer;
    state.history = data.history || null;
    renderHead();
    renderSide();
  }

  function renderHead() {
    const cur = state.current;
    if (!cur) return;
    const name = customerName(state.customer ? { ...cur, customer: state.customer } : cur);
    $('agent-ticket-title').textContent = `${t.ticketN(cur.id)} · ${name}`;
    const parts = [t.statuses[cur.status] || cur.status, `${t.team}: ${cur.team}`];
    if (cur.assignee) parts.push(t.assignedTo(cur.assignee));
    if (cur.csat) parts.push(t.csat(cur.csat));
    $('agent-ticket-sub').textContent = parts.join(' · ');
  }

  function scrollTimeline() {
    const list = $('agent-timeline');
    list.scrollTop = list.scrollHeight;
  }

  function messageText(m) {
    const p = m.payload || {};
    if (m.kind === 'csat_request') return t.kinds.csat_request;
    if (m.kind === 'csat' || p.score != null) return t.csat(p.score);
    return m.text || p.text || t.kinds[m.kind] || m.kind;
  }

  function appendMessage(m, live) {
    const key = `${m.conversation_id}:${m.seq}`;
    if (state.seen.has(key)) return;
    state.seen.add(key);
    const list = $('agent-timeline');
    const stick = !live || list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    const p = m.payload || {};
    const li = el('li', 'tl-msg');
    li.dataset.kind = m.kind;
    li.dataset.author = m.author;
    li.dataset.seq = String(m.seq);
    li.dataset.conversation = String(m.conversation_id);
    if (m.direction === 'out') li.classList.add('out');
    if (m.internal) {
      li.classList.add('tl-internal');
      li.dataset.internal = 'true';
    }
    if (m.kind === 'csat_request' || m.author === 'system') li.classList.add('tl-system');

    const meta = el('div', 'tl-meta');
    if (m.internal) meta.append(el('span', 'tl-note-tag', t.noteTag));
    const author = m.author === 'agent' && p.agent ? p.agent : (t.authors[m.author] || m.author);
    meta.append(el('span', 'tl-author', author));
    const chan = el('span', 'tl-chan');
    chan.dataset.channel = m.channel;
    chan.append(icon(CHANNEL_ICONS[m.channel] || CHANNEL_ICONS.other), t.channelNames[m.channel] || m.channel);
    meta.append(chan);
    const time = el('time', null, clock(m.created_at));
    time.dateTime = m.created_at;
    meta.append(time);
    li.append(meta);

    if (m.kind === 'answer' && p.article && p.article.title) {
      const title = el('div', 'tl-title', p.article.title);
      if (p.confidence != null) title.textContent += ` (${Number(p.confidence).toFixed(2)})`;
      li.append(title);
    }
    li.append(el('div', 'tl-text', messageText(m)));
    if (m.kind === 'clarify' && Array.isArray(p.options)) {
      const ul = el('ul', 'tl-opts');
      ul.setAttribute('aria-label', t.options);
      for (const o of p.options) ul.append(el('li', null, (o && (o.title || o.slug)) || ''));
      li.append(ul);
    }
    list.append(li);
    if (stick) scrollTimeline();
  }

  function renderSide() {
    const cur = state.current;
    if (!cur) return;
    const cust = state.customer || cur.customer || {};
    const dl = $('agent-customer');
    dl.replaceChildren();
    kv(dl, t.name, cust.name || cust.display_name || t.customerN(cur.customer_id));
    kv(dl, t.email, cust.email);
    kv(dl, t.vip, isVip({ ...cur, customer: cust }) ? t.yes : t.no);
    if (Array.isArray(cust.identities) && cust.identities.length) {
      const kinds = [...new Set(cust.identities.map((i) => `${t.identities[i.kind] || i.kind}${i.verified ? ' ✓' : ''}`))];
      kv(dl, t.channels, kinds.join(', '));
    }

    const ctx = cur.context || {};
    const cdl = $('agent-context');
    cdl.replaceChildren();
    kv(cdl, t.step, ctx.step);
    kv(cdl, t.order, ctx.order_id);
    kv(cdl, t.amount, money(ctx.amount, ctx.currency));
    kv(cdl, t.currency, ctx.currency);
    if (!cdl.childElementCount) cdl.append(el('dd', 'hint', t.noContextData));

    const rdl = $('agent-bot-reason');
    rdl.replaceChildren();
    kv(rdl, t.reason, reasonText(cur.reason));
    kv(rdl, t.question, cur.question);
    const ul = $('agent-attempts');
    ul.replaceChildren();
    const attempts = Array.isArray(cur.bot_attempts) ? cur.bot_attempts : [];
    // Scores are not 0–1: bars are relative to the best attempt.
    const best = Math.max(0, ...attempts.map((a) => Number(a && a.score)).filter(Number.isFinite));
    for (const a of attempts) {
      if (!a || typeof a !== 'object') continue;
      const li = el('li');
      li.dataset.slug = a.slug || '';
      const score = Number(a.score);
      li.append(el('span', null, a.title || a.slug), el('span', 'score', Number.isFinite(score) ? score.toFixed(2) : '–'));
      li.append(el('span', 'slug', a.matched ? `${a.slug} · “${a.matched}”` : a.slug));
      const bar = el('span', 'bar');
      bar.setAttribute('aria-hidden', 'true');
      const fill = el('i');
      fill.style.width = `${best > 0 && score > 0 ? Math.round((score / best) * 100) : 0}%`;
      bar.append(fill);
      li.append(bar);
      ul.append(li);
    }
    if (!ul.childElementCount) ul.append(el('li', 'hint', t.noAttempts));

    const mine = state.agent && cur.assignee_id === state.agent.id;
    const active = OPEN.includes(cur.status);
    const claim = $('agent-claim');
    claim.disabled = !active || mine;
    claim.textContent = mine ? t.claimed : t.claim;
    $('agent-transfer').disabled = !active;
    $('agent-resolve').disabled = !active;
    renderTransfer();
    renderHistory();
  }

  /* ------------------------------------------------------------------ actions */

  async function claim() {
    const cur = state.current;
    if (!cur) return;
    let data;
    try {
      data = await api('POST', `/api/tickets/${cur.id}/claim`);
    } catch (e) {
      // 409: another agent was quicker, or the ticket ended meanwhile. The server says who has it; the
      // console socket brings the ticket's new state.
      const message = e instanceof KC.ApiError ? e.message : t.error;
      if (e instanceof KC.ApiError && e.status === 409) notice(message);
      toast(message);
      return;
    }
    upsertTicket({ ...data, assignee: state.agent.name }, 'claimed');
    notice(t.claimDone);
    $('agent-reply').focus();
  }

  /* Transfer: the configured teams (GET /api/teams) in a select, then optionally one of that team's agents. */
  async function loadTeams() {
    const data = await act(() => api('GET', '/api/teams'));
    if (!data) return;
    state.teams = data.teams || [];
    state.teamless = data.teamless || [];
    renderTransfer();
  }

  function renderTransfer() {
    const cur = state.current;
    const teamSel = $('agent-transfer-team');
    const keep = teamSel.value;
    const teams = state.teams.filter((x) => !cur || x.name !== cur.team);
    teamSel.replaceChildren(...teams.map((x) => { const o = el('option', null, x.name); o.value = x.name; return o; }));
    if (teams.some((x) => x.name === keep)) teamSel.value = keep;
    const team = state.teams.find((x) => x.name === teamSel.value);
    const agentSel = $('agent-transfer-agent');
    const keepAgent = agentSel.value;
    const anyone = el('option', null, t.anyAgent);
    anyone.value = '';
    const agents = [...(team ? team.agents : []), ...(state.teamless || [])]
      .filter((a) => !state.agent || a.id !== state.agent.id);
    agentSel.replaceChildren(anyone, ...agents.map((a) => {
      const o = el('option', null, a.presence === 'online' ? a.name : `${a.name} (${t.agentAway})`);
      o.value = String(a.id);
      return o;
    }));
    if (agents.some((a) => String(a.id) === keepAgent)) agentSel.value = keepAgent;
  }

  async function transfer() {
    const cur = state.current;
    if (!cur) return;
    const team = $('agent-transfer-team').value;
    if (!team) { toast(t.pickTeam); $('agent-transfer-team').focus(); return; }
    const agentId = Number($('agent-transfer-agent').value) || null;
    const body = agentId ? { team, agent: agentId } : { team };
    const data = await act(() => api('POST', `/api/tickets/${cur.id}/transfer`, body));
    if (!data) return;
    const agentName = agentId ? ($('agent-transfer-agent').selectedOptions[0] || {}).textContent : null;
    upsertTicket({ ...data, assignee: agentId ? agentName : null }, 'transferred');
    notice(agentId ? t.transferToAgent(agentName, team) : t.transferDone(team));
    loadTeams(); // loads changed
  }

  async function resolve() {
    const cur = state.current;
    if (!cur) return;
    const slug = state.pick.ticket === cur.id ? $('agent-resolve-article').value : '';
    const body = slug ? { article: slug, picked_for: cur.id } : {};
    const data = await act(() => api('POST', `/api/tickets/${cur.id}/resolve`, body));
    if (!data) return;
    upsertTicket(data, 'resolved');
    notice(data.learned_question ? `${t.resolvedDone} ${t.learned(data.learned_question)}` : t.resolvedDone);
  }

  async function send() {
    const cur = state.current;
    const box = $('agent-reply');
    const text = box.value.trim();
    if (!cur || !text) return;
    const internal = $('agent-internal').checked;
    $('agent-send').disabled = true;
    const data = await act(() => api('POST', `/api/tickets/${cur.id}/messages`, { text, internal }));
    $('agent-send').disabled = false;
    if (!data) return;
    box.value = '';
    state.typing.at = 0; // writing the next reply shows at once
    if (internal) { // a note is one message: the next one goes to the customer unless ticked again
      $('agent-internal').checked = false;
      updateComposerMode();
    }
    hideSlash();
    announce(internal ? t.noteSaved : t.sent);
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) reloadTimeline();
    box.focus();
  }

  // The customer sees "Support is typing…" while the agent writes a reply: one frame every TYPING_EVERY ms
  // at most, none for an empty box, an internal note or a ticket that is no longer active.
  function typing() {
    const cur = state.current;
    const ws = state.socket;
    if (!cur || !OPEN.includes(cur.status) || $('agent-internal').checked) return;
    if (!$('agent-reply').value.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    if (state.typing.ticket === cur.id && now - state.typing.at < TYPING_EVERY) return;
    state.typing = { ticket: cur.id, at: now };
    try { ws.send(JSON.stringify({ type: 'typing', ticket: cur.id })); } catch { /* closing: no matter */ }
  }

  function updateComposerMode() {
    const internal = $('agent-internal').checked;
    $('agent-composer').classList.toggle('internal-mode', internal);
    $('agent-reply').placeholder = internal ? t.notePlaceholder : t.replyPlaceholder;
    $('agent-send').textContent = internal ? t.sendNote : t.send;
  }

  function renderPresence() {
    const b = $('agent-presence');
    const online = Boolean(state.agent && state.agent.presence === 'online');
    b.setAttribute('aria-pressed', String(online));
    b.textContent = online ? t.online : t.away;
    b.setAttribute('aria-label', `${t.presenceLabel}: ${online ? t.online : t.away}`);
  }

  async function togglePresence() {
    if (!state.agent) return;
    const next = state.agent.presence === 'online' ? 'away' : 'online';
    const data = await act(() => api('POST', '/api/agents/me/presence', { presence: next }));
    if (!data) return;
    state.agent.presence = data.presence;
    renderPresence();
  }

  /* ------------------------------------------------------------------ articles: canned answers, resolve */

  async function loadArticles() {
    const data = await act(() => api('GET', '/api/articles?status=published'));
    if (!data) return;
    state.articles = data.articles || [];
    const select = $('agent-resolve-article');
    const keep = select.value;
    const none = el('option', null, t.noArticle);
    none.value = '';
    none.dataset.i18n = 'noArticle';
    const opts = state.articles
      .slice()
      .sort((a, b) => String(a.title).localeCompare(String(b.title)))
      .map((a) => { const o = el('option', null, `${a.title} (${a.slug})`); o.value = a.slug; return o; });
    select.replaceChildren(none, ...opts);
    select.value = state.current && state.pick.ticket === state.current.id ? keep : '';
  }

  let cannedTimer = 0;
  let cannedSeq = 0;
  async function searchCanned() {
    const q = $('agent-canned').value.trim();
    const mySeq = ++cannedSeq;
    if (!q) { hideCanned(); return; }
    const data = await act(() => api('GET', `/api/articles?status=published&q=${encodeURIComponent(q)}`));
    if (!data || mySeq !== cannedSeq) return;
    const ul = $('agent-canned-results');
    const items = (data.articles || []).slice(0, 12).map((a) => {
      const li = el('li');
      const b = el('button');
      b.type = 'button';
      b.dataset.slug = a.slug;
      b.append(el('span', null, a.title), el('small', null, a.slug));
      b.addEventListener('click', () => insertArticle(a));
      li.append(b);
      return li;
    });
    if (!items.length) items.push(el('li', 'hint', t.noResults));
    ul.replaceChildren(...items);
    ul.hidden = false;
    $('agent-canned').setAttribute('aria-expanded', 'true');
  }
  function hideCanned() {
    $('agent-canned-results').hidden = true;
    $('agent-canned').setAttribute('aria-expanded', 'false');
  }
  function insertArticle(a) {
    const box = $('agent-reply');
    const body = String(a.body || '').trim();
    const start = box.selectionStart ?? box.value.length;
    const end = box.selectionEnd ?? box.value.length;
    const before = box.value.slice(0, start);
    const sep = before && !before.endsWith('\n') ? '\n' : '';
    box.value = `${before}${sep}${body}${box.value.slice(end)}`;
    const caret = before.length + sep.length + body.length;
    box.setSelectionRange(caret, caret);
    const select = $('agent-resolve-article');
    if ([...select.options].some((o) => o.value === a.slug)) { // likely the answer
      select.value = a.slug;
      if (state.current) state.pick = { ticket: state.current.id, slug: a.slug };
    }
    $('agent-canned').value = '';
    hideCanned();
    box.focus();
    typing();
  }

  /* ------------------------------------------------------------------ the article that answered */

  function resetArticlePick() {
    state.pick = { ticket: null, slug: '' };
    $('agent-resolve-article').value = '';
  }

  /* ------------------------------------------------------------------ noticing things: alerts, title, typing */

  const pageVisible = () => document.visibilityState === 'visible' && document.hasFocus();
  // A queued ticket is for this agent when it is their team's, or when they have no team (they take all).
  const inMyTeam = (ticket) => Boolean(state.agent && (!state.agent.team || state.agent.team === ticket.team));

  function renderAlerts() {
    const n = $('agent-notify');
    const on = state.notify && typeof Notification !== 'undefined' && Notification.permission === 'granted';
    n.setAttribute('aria-pressed', String(on));
    n.textContent = on ? t.notifyOn : t.notify;
    const snd = $('agent-sound');
    snd.setAttribute('aria-pressed', String(state.sound));
    snd.textContent = state.sound ? t.soundOn : t.sound;
  }

  // Desktop notifications are asked for on a click (browsers ignore a request made without one).
  async function toggleNotify() {
    if (typeof Notification === 'undefined') { toast(t.notifyBlocked); return; }
    if (state.notify && Notification.permission === 'granted') {
      state.notify = false;
    } else {
      let permission = Notification.permission;
      if (permission === 'default') {
        try { permission = await Notification.requestPermission(); } catch { permission = 'denied'; }
      }
      state.notify = permission === 'granted';
      if (!state.notify) toast(t.notifyBlocked);
    }
    store.set(NOTIFY_KEY, state.notify ? '1' : '0', localStorage);
    renderAlerts();
  }

  function toggleSound() {
    state.sound = !state.sound;
    store.set(SOUND_KEY, state.sound ? '1' : '0', localStorage);
    renderAlerts();
    if (state.sound) beep();
  }

  let audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
      window.__kundresaBeeps = (window.__kundresaBeeps || 0) + 1; // tests count them
    } catch { /* no audio: the notification and the title still say it */ }
  }

  // Something for this agent: a sound (if on) and, when the page is not in front, a desktop notification.
  function alertAgent(title, body, ticketId) {
    if (state.sound) beep();
    if (!state.notify || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    if (pageVisible()) return;
    try {
      const n = new Notification(title, { body: String(body || '').slice(0, 200), tag: `kundresa-${ticketId}`, lang: state.lang });
      n.onclick = () => { window.focus(); openTicket(ticketId); n.close(); };
    } catch { /* some browsers only allow notifications from a service worker */ }
  }

  let customerTypingTimer = 0;
  function customerTyping() {
    $('agent-customer-typing').hidden = false;
    clearTimeout(customerTypingTimer);
    customerTypingTimer = setTimeout(hideCustomerTyping, CUSTOMER_TYPING_MS);
  }
  function hideCustomerTyping() {
    clearTimeout(customerTypingTimer);
    $('agent-customer-typing').hidden = true;
  }

  /* ------------------------------------------------------------------ a returning customer's earlier contacts */

  function renderHistory() {
    const cur = state.current;
    const h = state.history;
    const section = $('agent-history-section');
    const earlier = h && cur ? (h.tickets || []).filter((x) => x.id !== cur.id) : [];
    const convs = h && cur ? (h.conversations || []) : [];
    section.hidden = !(h && h.verified && (earlier.length || convs.length > 1));
    if (section.hidden) return;
    const dl = $('agent-history-summary');
    dl.replaceChildren();
    kv(dl, t.lastContact, h.last_contact ? clock(h.last_contact) : null);
    kv(dl, t.csatAverage, h.csat_average != null ? `${h.csat_average}/5 (${h.csat_count})` : null);
    kv(dl, t.channels, t.conversationsN(convs.length));
    const ul = $('agent-history');
    ul.replaceChildren(...earlier.slice(0, 10).map((x) => {
      const li = el('li');
      li.dataset.ticket = String(x.id);
      li.append(el('span', null, `${t.earlierTicket(x.id)} · ${t.statuses[x.status] || x.status}`),
        el('span', 'score', x.csat ? t.csat(x.csat) : ''));
      const bits = [clock(x.created_at), reasonText(x.reason), x.question].filter(Boolean);
      li.append(el('span', 'slug', bits.join(' · ')));
      return li;
    }));
    if (!earlier.length) ul.append(el('li', 'hint', t.noHistory));
  }

  /* ------------------------------------------------------------------ keyboard shortcuts */

  const SHORTCUTS = [['j', 'next'], ['k', 'prev'], ['c', 'claim'], ['e', 'resolve'], ['r', 'reply'], ['/', 'canned'], ['?', 'help'], ['Esc', 'escape']];

  function renderShortcuts() {
    const dl = $('agent-shortcut-list');
    dl.replaceChildren(...SHORTCUTS.flatMap(([key, what]) => {
      const dt = el('dt');
      dt.append(el('kbd', null, key));
      return [dt, el('dd', null, t.keys[what])];
    }));
  }

  function showShortcuts(show) {
    $('agent-shortcuts').hidden = !show;
    if (show) $('agent-shortcuts-close').focus();
    else $('agent-help').focus();
  }

  function stepTicket(delta) {
    const all = [...sortTickets(state.mine), ...sortTickets(state.queue)];
    if (!all.length) return;
    const i = state.current ? all.findIndex((x) => x.id === state.current.id) : -1;
    const next = all[(i + delta + all.length) % all.length] || all[0];
    openTicket(next.id);
  }

  function onShortcut(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || !state.agent) return;
    if (!$('agent-shortcuts').hidden) {
      if (e.key === 'Escape' || e.key === '?') { e.preventDefault(); showShortcuts(false); }
      return;
    }
    const target = e.target;
    const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing) {
      if (e.key === 'Escape' && target.id === 'agent-reply' && $('agent-slash').hidden) target.blur();
      return;
    }
    const actions = {
      '?': () => showShortcuts(true),
      j: () => stepTicket(1),
      k: () => stepTicket(-1),
      c: () => { if (state.current && !$('agent-claim').disabled) claim(); },
      e: () => { if (state.current && !$('agent-resolve').disabled) resolve(); },
      r: () => { if (state.current) $('agent-reply').focus(); },
    };
    const run = actions[e.key];
    if (run) { e.preventDefault(); run(); }
  }

  /* ------------------------------------------------------------------ canned replies: `/` in the reply box */

  // The `/word` being typed at the caret (a slash at the start or after a space), or null.
  function slashQuery() {
    const box = $('agent-reply');
    const caret = box.selectionStart ?? box.value.length;
    const before = box.value.slice(0, caret);
    const m = /(^|\s)\/([^\s/]*)$/.exec(before);
    return m ? { start: caret - m[2].length - 1, q: m[2] } : null;
  }

  async function updateSlash() {
    const found = slashQuery();
    if (!found) { hideSlash(); return; }
    const seq = ++state.slash.seq;
    const data = await act(() => api('GET', `/api/canned?q=${encodeURIComponent(found.q)}`));
    if (!data || seq !== state.slash.seq) return;
    state.slash = { ...state.slash, items: (data.canned || []).slice(0, 8), index: 0, start: found.start };
    renderSlash();
  }

  function renderSlash() {
    const ul = $('agent-slash');
    const { items, index } = state.slash;
    if (!items.length) {
      ul.replaceChildren(el('li', 'hint', t.noCanned));
    } else {
      ul.replaceChildren(...items.map((c, i) => {
        const li = el('li');
        li.setAttribute('role', 'option');
        li.id = `agent-slash-${c.id}`;
        li.setAttribute('aria-selected', String(i === index));
        const b = el('button');
        b.type = 'button';
        b.tabIndex = -1;
        b.dataset.canned = String(c.id);
        b.append(el('span', null, c.title), el('small', null, String(c.body).slice(0, 90)));
        b.addEventListener('mousedown', (e) => { e.preventDefault(); pickSlash(i); });
        li.append(b);
        return li;
      }));
    }
    ul.hidden = false;
    const active = items[index];
    $('agent-reply').setAttribute('aria-activedescendant', active ? `agent-slash-${active.id}` : '');
  }

  function hideSlash() {
    state.slash.seq += 1;
    state.slash.items = [];
    $('agent-slash').hidden = true;
    $('agent-reply').removeAttribute('aria-activedescendant');
  }

  function pickSlash(i) {
    const c = state.slash.items[i];
    const found = slashQuery();
    if (!c || !found) { hideSlash(); return; }
    const box = $('agent-reply');
    const caret = box.selectionStart ?? box.value.length;
    const body = String(c.body);
    box.value = `${box.value.slice(0, found.start)}${body}${box.value.slice(caret)}`;
    const at = found.start + body.length;
    box.setSelectionRange(at, at);
    hideSlash();
    box.focus();
    typing();
  }

  // Keys in the reply box while the `/` popup is open: arrows move, Enter or Tab inserts, Escape closes.
  function slashKey(e) {
    if ($('agent-slash').hidden) return false;
    const n = state.slash.items.length;
    if (e.key === 'Escape') { hideSlash(); return true; }
    if (!n) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      state.slash.index = (state.slash.index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      renderSlash();
      return true;
    }
    if (e.key === 'Enter' || e.key === 'Tab') { pickSlash(state.slash.index); return true; }
    return false;
  }

  async function saveCanned() {
    const text = $('agent-reply').value.trim();
    if (!text) { toast(t.needReply); $('agent-reply').focus(); return; }
    const title = (window.prompt(t.cannedTitle, text.split('\n')[0].slice(0, 60)) || '').trim();
    if (!title) return;
    const data = await act(() => api('POST', '/api/canned', { title, body: text }));
    if (data) toast(t.cannedSaved);
  }

  /* ------------------------------------------------------------------ wiring */

  function init() {
    $('agent-login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      login($('agent-token').value.trim());
    });
    $('agent-logout').addEventListener('click', () => logout());
    $('agent-lang').addEventListener('click', () => {
      state.lang = KC.switchLang(LANG_KEY, state.lang);
      applyLang();
    });
    $('agent-presence').addEventListener('click', togglePresence);
    $('agent-claim').addEventListener('click', claim);
    $('agent-transfer').addEventListener('click', transfer);
    $('agent-transfer-team').addEventListener('change', renderTransfer);
    $('agent-notify').addEventListener('click', toggleNotify);
    $('agent-sound').addEventListener('click', toggleSound);
    $('agent-help').addEventListener('click', () => showShortcuts(true));
    $('agent-shortcuts-close').addEventListener('click', () => showShortcuts(false));
    $('agent-shortcuts').addEventListener('click', (e) => { if (e.target === $('agent-shortcuts')) showShortcuts(false); });
    document.addEventListener('keydown', onShortcut);
    $('agent-resolve-article').addEventListener('change', () => {
      const slug = $('agent-resolve-article').value;
      state.pick = { ticket: state.current && slug ? state.current.id : null, slug };
    });
    $('agent-canned-save').addEventListener('click', saveCanned);
    // Coming back to the tab: what is open in front of the agent is read.
    const seen = () => {
      if (pageVisible() && state.current && state.unread.delete(state.current.id)) renderLists();
    };
    window.addEventListener('focus', seen);
    document.addEventListener('visibilitychange', seen);
    $('agent-resolve').addEventListener('click', resolve);
    $('agent-composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
    $('agent-reply').addEventListener('keydown', (e) => {
      if (!e.isComposing && slashKey(e)) { e.preventDefault(); return; }
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        send();
      }
    });
    $('agent-reply').addEventListener('input', () => { typing(); updateSlash(); });
    $('agent-reply').addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== $('agent-reply')) hideSlash(); }, 150));
    $('agent-internal').addEventListener('change', updateComposerMode);
    $('agent-canned').addEventListener('input', () => {
      clearTimeout(cannedTimer);
      cannedTimer = setTimeout(searchCanned, 200);
    });
    $('agent-canned').addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { hideCanned(); return; }
      if (e.key === 'ArrowDown' || e.key === 'Enter') {
        const first = $('agent-canned-results').querySelector('button');
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    $('agent-canned-results').addEventListener('keydown', (e) => {
      const buttons = [...$('agent-canned-results').querySelectorAll('button')];
      const i = buttons.indexOf(document.activeElement);
      if (e.key === 'ArrowDown' && i < buttons.length - 1) { e.preventDefault(); buttons[i + 1].focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? buttons[i - 1] : $('agent-canned')).focus(); }
      if (e.key === 'Escape') { hideCanned(); $('agent-canned').focus(); }
    });
    document.addEventListener('click', (e) => {
      if (!e.target.closest || !e.target.closest('.canned')) hideCanned();
    });
    applyLang();
    if (state.token) login(state.token);
    else $('agent-token').focus();
  }

  KC.ready(init);
})();
