/**
 * Kundresa admin console — plain ES2020, no dependencies, no build step. Served at /admin/admin.js.
 *
 * Log in with an admin API token (kept in sessionStorage). Everything goes through the JSON API:
 *   /api/admin/config, /api/articles… (list, CRUD, versions, restore, questions, import, export, health),
 *   /api/search (try a question), /api/gaps + /api/gaps/handled, /api/stats.
 * The live preview uses window.KundresaMarkdown (bot/static/markdown.js), the widget's own renderer.
 * Every piece of data is put in the page with textContent or DOM calls, never as markup; the dashboard
 * charts are inline SVG built here with createElementNS.
 */
(() => {
  'use strict';

  const KC = window.KundresaConsole; // router/static/console-common.js, loaded first
  const { $, store, el, showError, ApiError } = KC;
  const BASE = KC.basePath('admin');
  const TOKEN_KEY = 'kundresa.admin.token';
  const LANG_KEY = 'kundresa.admin.lang';
  const VIEWS = ['articles', 'try', 'gaps', 'health', 'dashboard', 'io'];
  const SLUG_RE = /^[a-z0-9][a-z0-9._-]{0,199}$/;

  const TEXT = {
    sv: {
      consoleTitle: 'Administration', skip: 'Hoppa till innehållet', logout: 'Logga ut', sections: 'Avsnitt',
      loginTitle: 'Logga in', loginIntro: 'Klistra in din API-nyckel för administratörer.', tokenLabel: 'API-nyckel',
      loginButton: 'Logga in', badToken: 'Nyckeln godtogs inte. Kontrollera den och försök igen.',
      notAdmin: 'Nyckeln tillhör inte en administratör. Agenter använder agentkonsolen (/agent).',
      needToken: 'Skriv in din API-nyckel.', netError: 'Kunde inte nå servern. Försök igen.', error: 'Något gick fel',
      tabArticles: 'Artiklar', tabTry: 'Testa en fråga', tabGaps: 'Kunskapsluckor', tabHealth: 'Artikelhälsa',
      tabDashboard: 'Statistik', tabIo: 'Import och export',
      articles: 'Artiklar', newArticle: 'Ny artikel', searchArticles: 'Sök artiklar', searchPlaceholder: 'Sök rubrik, text, fråga…',
      status: 'Status', all: 'Alla', published: 'Publicerad', draft: 'Utkast', language: 'Språk', tag: 'Tagg', team: 'Team',
      allLangs: 'Alla språk', allTags: 'Alla taggar', allTeams: 'Alla team', noArticles: 'Inga artiklar matchar.',
      pickArticle: 'Välj en artikel i listan eller skapa en ny.', title: 'Rubrik', slug: 'Slug (adress)',
      slugHint: 'Små bokstäver, siffror och bindestreck.', slugFixed: 'Slug kan inte ändras när artikeln finns.',
      tags: 'Taggar', tagsPlaceholder: 't.ex. betalning, swish', body: 'Svar (Markdown)',
      translationOf: 'Språkversion av', noTranslation: '– ingen: egen artikel –',
      translationOfHint: 'Samma svar på ett annat språk. Boten svarar på kundens språk när den versionen är publicerad.',
      languageVersions: 'Språkversioner', mainVersion: 'huvudversion', alsoIn: (langs) => `även ${langs}`,
      bodyHint: '**fetstil**, *kursiv*, [länk](https://…), `kod`, listor med - eller 1. och # rubrik.',
      questions: 'Exempelfrågor', questionsHint: 'Så som kunder formulerar sig. Boten känner igen liknande frågor.',
      newQuestion: 'Ny exempelfråga', questionPlaceholder: 'Skriv en fråga som en kund skulle ställa…', addQuestion: 'Lägg till fråga',
      removeQuestion: (q) => `Ta bort frågan: ${q}`, remove: 'Ta bort', noQuestions: 'Inga exempelfrågor ännu.',
      sources: { admin: 'admin', resolved_ticket: 'löst ärende', gap: 'kunskapslucka' }, pendingGap: 'sparas med artikeln',
      saveDraft: 'Spara som utkast', publish: 'Publicera', publishChanges: 'Publicera ändringar',
      unpublish: 'Avpublicera (spara som utkast)', delete: 'Ta bort', confirmDelete: 'Klicka igen för att ta bort',
      saveHint: 'Ctrl+S sparar.', preview: 'Förhandsvisning i chatten', newHeading: 'Ny artikel',
      versionN: (n) => `version ${n}`, unsaved: 'Osparade ändringar', leave: 'Du har osparade ändringar. Lämna ändå?',
      teamHint: (team, tag) => (tag ? `Överlämningar går till team ${team} (taggen ”${tag}”).` : `Överlämningar går till team ${team}.`),
      needTitle: 'Skriv en rubrik.', badSlug: 'Slug: små bokstäver, siffror, punkt, understreck eller bindestreck (börja med bokstav eller siffra).',
      savedDraft: 'Sparad som utkast.', published_: 'Publicerad – boten använder den nu.', unpublished: 'Avpublicerad – boten använder den inte längre.',
      deleted: (s) => `Artikeln ${s} är borttagen.`, unchanged: 'Inget att spara – inget har ändrats.',
      questionAdded: 'Frågan är tillagd.', questionRemoved: 'Frågan är borttagen.', questionExists: 'Den frågan finns redan.',
      gapNotice: (n) => `Från en kunskapslucka: ${n} kundfrågor är ifyllda som exempelfrågor. Gruppen markeras som hanterad när du sparar.`,
      gapAttached: (n) => `${n} frågor från kunskapsluckan är tillagda som exempelfrågor.`,
      history: 'Versionshistorik', restore: 'Återställ vald version', restoreN: (n) => `Återställ version ${n}`,
      compareFrom: 'Jämför', compareTo: 'med', diff: 'Skillnader', current: 'nuvarande', noDiff: 'Versionerna är likadana.',
      diffSummary: (a, d) => `${a} rader tillagda, ${d} borttagna`, folded: (n) => `… ${n} oförändrade rader …`,
      restored: (v, n) => `Version ${v} är återställd som version ${n}.`, pickVersion: 'Välj en äldre version att återställa.',
      by: (a) => `av ${a}`,
      tryTitle: 'Testa en fråga', tryIntro: 'Skriv en fråga som en kund skulle göra (svenska eller engelska) och se vad boten skulle göra.',
      tryLabel: 'Kundens fråga', tryRun: 'Testa', tryPlaceholder: 't.ex. Varför nekas mitt kort?', includeDrafts: 'Ta med utkast',
      articleLang: 'Kundens språk', allLanguages: 'Kundens språk: som frågan', tryEmpty: 'Skriv en fråga först.',
      confidenceBar: 'Säkerhet', zones: { answer: 'svarar', clarify: 'frågar vad kunden menar', handoff: 'lämnar över' },
      marks: { answer: (x) => `svarar från ${x}`, clarify: (x) => `frågar från ${x}` },
      decisions: { answer: 'Svarar', clarify: 'Frågar vad kunden menar', handoff: 'Lämnar över till en person' },
      decisionHelp: {
        answer: 'Boten är säker nog och svarar med den översta artikeln.',
        clarify: 'Flera artiklar ligger nära varandra: kunden får välja bland de markerade.',
        handoff: 'Ingen artikel är tillräckligt nära: en person tar över.',
      },
      confidence: (c) => `säkerhet ${c}`, rank: '#', article: 'Artikel', score: 'Poäng', dense: 'Betydelse', lexical: 'Ord',
      why: 'Varför', offered: 'erbjuds', noHits: 'Inga artiklar alls matchade.',
      kinds: { question: 'exempelfråga', passage: 'stycke i svaret', title: 'rubrik' },
      gapsTitle: 'Kunskapsluckor', refresh: 'Uppdatera', noGaps: 'Inga obesvarade frågor just nu.',
      gapsIntro: 'Frågor boten inte kunde besvara, eller där kunden sa att svaret inte hjälpte, grupperade efter likhet – största först.',
      nQuestions: (n) => (n === 1 ? '1 fråga' : `${n} frågor`), createArticle: 'Skapa artikel', addToArticle: 'Lägg till i artikel',
      chooseArticle: 'Välj artikel…', suggested: 'Förslag', allArticles: 'Alla artiklar', dismiss: 'Avfärda',
      similar: 'Liknande artiklar:', lastSeen: (d) => `senast ${d}`, needTarget: 'Välj en artikel först.',
      attached: (n, s) => `${n} frågor tillagda i ${s}.`, dismissed: 'Gruppen är avfärdad.',
      reasons: { no_answer: 'inget svar', not_helpful: 'hjälpte inte', clarify_failed: 'förtydligande hjälpte inte', frustrated: 'frustrerad' },
      channels: { web: 'webb', slack: 'Slack', email: 'e-post' },
      healthTitle: 'Artikelhälsa', healthIntro: 'Hur ofta boten visat varje artikel, vad kunderna tyckte och hur ofta det ändå blev en överlämning.',
      shown: 'Visad', helped: 'Hjälpte', notHelped: 'Hjälpte inte', helpedRate: 'Andel hjälpte', handoffs: 'Överlämningar efter',
      attention: 'behöver ses över', noHealth: 'Inga artiklar ännu.',
      from: 'Från', to: 'Till', show: 'Visa', last7: '7 dagar', last30: '30 dagar', last90: '90 dagar',
      conversations: 'Samtal', answeredShare: 'Besvarade av boten', clarifiedShare: 'Förtydligade', handedOffShare: 'Överlämnade',
      resolution: 'Löst av boten', firstResponse: 'Median första svar', csat: 'Nöjdhet (CSAT)', ticketsOpened: 'Ärenden',
      ofOutcomes: 'av botens utfall', ofConversations: 'av samtalen', nRatings: (n) => `${n} betyg`, nAnswers: (n) => `${n} svar`,
      chartConversations: 'Samtal per dag', chartShares: 'Besvarat, förtydligat, överlämnat per dag',
      chartResolution: 'Andel löst av boten per dag', chartResponse: 'Median första svarstid per dag', chartCsat: 'Nöjdhet (CSAT) per dag',
      answered: 'Besvarat', clarified: 'Förtydligat', handedOff: 'Överlämnat', asTable: 'Visa som tabell', date: 'Datum',
      noData: 'Ingen data för perioden.', badRange: 'Välj ett giltigt datumintervall.',
      importTitle: 'Importera artiklar', importFile: 'Fil', importRun: 'Importera', dryRun: 'Förhandsgranska bara (ändra inget)',
      importIntro: 'Samma format som kundresa kb import: .md-filer med front matter (eller en .zip med dem), .jsonl eller .csv. Artiklar med samma slug uppdateras.',
      needFile: 'Välj en fil först.', uploading: (p) => `Laddar upp… ${p} %`, processing: 'Läser och kontrollerar…',
      importDone: (c, u, s) => `Klart: ${c} nya, ${u} ändrade, ${s} oförändrade.`,
      dryDone: (c, u, s) => `Förhandsgranskning: ${c} skulle skapas, ${u} ändras, ${s} är oförändrade. Inget är sparat.`,
      created: 'Nya', updated: 'Ändrade', unchangedList: 'Oförändrade', nothingImported: 'Inget importerades.',
      exportTitle: 'Exportera artiklar', exportIntro: 'Alla artiklar, utkast också – samma som kundresa kb export.',
      exportZip: '.zip med .md-filer', exported: (n) => `Hämtade ${n}.`, downloading: 'Hämtar…',
      seconds: (s) => `${s} s`, minutes: (m) => `${m} min`, hours: (h, m) => (m ? `${h} h ${m} min` : `${h} h`),
      confirmPublish: (title) => `Publicera ”${title}”? Boten börjar använda den ändrade artikeln direkt.`,
      confirmRestore: (v) => `Återställa version ${v}? Den blir en ny version av artikeln; boten använder den om artikeln är publicerad.`,
      errors: {
        network: 'Kunde inte nå servern. Försök igen.', unauthorized: 'Nyckeln godtogs inte. Logga in igen.',
        forbidden: 'Det här kräver administratörsbehörighet.', not_found: 'Det finns inte (längre).',
        conflict: 'Någon annan hann ändra det här. Ladda om och försök igen.', too_large: 'Filen eller texten är för stor.',
        unknown_format: 'Okänt filformat: välj en .jsonl, .csv, .zip med .md-filer eller .md-filer.',
        invalid_date: 'Välj ett giltigt datum.', rate_limited: 'För många försök. Vänta en stund.',
        invalid_utf8: 'Texten är inte giltig UTF-8.', invalid_json: 'Servern förstod inte begäran.',
        unknown_gap_question: 'Frågorna finns inte längre: uppdatera kunskapsluckorna.',
        invalid_request: 'Servern godtog inte uppgifterna. Kontrollera fälten och försök igen.',
        internal_error: 'Något gick fel hos oss. Det är loggat; försök igen.',
      },
      badImportFile: (file, line) => (line ? `Filen ${file} har ett fel på rad ${line}. Inget importerades.` : `Filen ${file} kunde inte läsas. Inget importerades.`),
      technical: 'Teknisk detalj (engelska)',
      statusError: (s) => `Något gick fel (${s}).`,
    },
    en: {
      consoleTitle: 'Administration', skip: 'Skip to the content', logout: 'Log out', sections: 'Sections',
      loginTitle: 'Log in', loginIntro: 'Paste your admin API token.', tokenLabel: 'API token',
      loginButton: 'Log in', badToken: 'That token was not accepted. Check it and try again.',
      notAdmin: 'That token does not belong to an admin. Agents use the agent console (/agent).',
      needToken: 'Enter your API token.', netError: 'Could not reach the server. Try again.', error: 'Something went wrong',
      tabArticles: 'Articles', tabTry: 'Try a question', tabGaps: 'Knowledge gaps', tabHealth: 'Article health',
      tabDashboard: 'Dashboard', tabIo: 'Import and export',
      articles: 'Articles', newArticle: 'New article', searchArticles: 'Search articles', searchPlaceholder: 'Search title, text, question…',
      status: 'Status', all: 'All', published: 'Published', draft: 'Draft', language: 'Language', tag: 'Tag', team: 'Team',
      allLangs: 'All languages', allTags: 'All tags', allTeams: 'All teams', noArticles: 'No articles match.',
      pickArticle: 'Pick an article from the list or create a new one.', title: 'Title', slug: 'Slug (address)',
      slugHint: 'Lowercase letters, digits and hyphens.', slugFixed: 'The slug cannot change once the article exists.',
      tags: 'Tags', tagsPlaceholder: 'e.g. payment, swish', body: 'Answer (Markdown)',
      translationOf: 'Language version of', noTranslation: '– none: an article of its own –',
      translationOfHint: 'The same answer in another language. The bot answers in the customer\'s language when that version is published.',
      languageVersions: 'Language versions', mainVersion: 'main version', alsoIn: (langs) => `also ${langs}`,
      bodyHint: '**bold**, *italic*, [link](https://…), `code`, lists with - or 1. and # heading.',
      questions: 'Example questions', questionsHint: 'The way customers put it. The bot recognises similar questions.',
      newQuestion: 'New example question', questionPlaceholder: 'Type a question a customer would ask…', addQuestion: 'Add question',
      removeQuestion: (q) => `Remove the question: ${q}`, remove: 'Remove', noQuestions: 'No example questions yet.',
      sources: { admin: 'admin', resolved_ticket: 'resolved ticket', gap: 'knowledge gap' }, pendingGap: 'saved with the article',
      saveDraft: 'Save as draft', publish: 'Publish', publishChanges: 'Publish changes',
      unpublish: 'Unpublish (save as draft)', delete: 'Delete', confirmDelete: 'Click again to delete',
      saveHint: 'Ctrl+S saves.', preview: 'Preview in the chat', newHeading: 'New article',
      versionN: (n) => `version ${n}`, unsaved: 'Unsaved changes', leave: 'You have unsaved changes. Leave anyway?',
      teamHint: (team, tag) => (tag ? `Handoffs go to team ${team} (tag “${tag}”).` : `Handoffs go to team ${team}.`),
      needTitle: 'Enter a title.', badSlug: 'Slug: lowercase letters, digits, dot, underscore or hyphen (start with a letter or digit).',
      savedDraft: 'Saved as a draft.', published_: 'Published – the bot uses it now.', unpublished: 'Unpublished – the bot no longer uses it.',
      deleted: (s) => `Article ${s} is deleted.`, unchanged: 'Nothing to save – nothing changed.',
      questionAdded: 'Question added.', questionRemoved: 'Question removed.', questionExists: 'That question is already there.',
      gapNotice: (n) => `From a knowledge gap: ${n} customer questions are filled in as example questions. The group is marked handled when you save.`,
      gapAttached: (n) => `${n} questions from the knowledge gap were added as example questions.`,
      history: 'Version history', restore: 'Restore the selected version', restoreN: (n) => `Restore version ${n}`,
      compareFrom: 'Compare', compareTo: 'with', diff: 'Differences', current: 'current', noDiff: 'The versions are the same.',
      diffSummary: (a, d) => `${a} lines added, ${d} removed`, folded: (n) => `… ${n} unchanged lines …`,
      restored: (v, n) => `Version ${v} is restored as version ${n}.`, pickVersion: 'Pick an older version to restore.',
      by: (a) => `by ${a}`,
      tryTitle: 'Try a question', tryIntro: 'Type a question the way a customer would (Swedish or English) and see what the bot would do.',
      tryLabel: 'The customer\'s question', tryRun: 'Try', tryPlaceholder: 'e.g. Why is my card declined?', includeDrafts: 'Include drafts',
      articleLang: 'Customer\'s language', allLanguages: 'Customer\'s language: as the question', tryEmpty: 'Type a question first.',
      confidenceBar: 'Confidence', zones: { answer: 'answers', clarify: 'asks what the customer means', handoff: 'hands off' },
      marks: { answer: (x) => `answers from ${x}`, clarify: (x) => `clarifies from ${x}` },
      decisions: { answer: 'Answers', clarify: 'Asks what the customer means', handoff: 'Hands over to a person' },
      decisionHelp: {
        answer: 'The bot is sure enough and answers with the top article.',
        clarify: 'Several articles are close: the customer picks among the marked ones.',
        handoff: 'No article is close enough: a person takes over.',
      },
      confidence: (c) => `confidence ${c}`, rank: '#', article: 'Article', score: 'Score', dense: 'Meaning', lexical: 'Words',
      why: 'Why', offered: 'offered', noHits: 'No article matched at all.',
      kinds: { question: 'example question', passage: 'passage of the answer', title: 'title' },
      gapsTitle: 'Knowledge gaps', refresh: 'Refresh', noGaps: 'No unanswered questions right now.',
      gapsIntro: 'Questions the bot could not answer, or where the customer said the answer did not help, grouped by similarity – largest first.',
      nQuestions: (n) => (n === 1 ? '1 question' : `${n} questions`), createArticle: 'Create article', addToArticle: 'Add to article',
      chooseArticle: 'Choose article…', suggested: 'Suggested', allArticles: 'All articles', dismiss: 'Dismiss',
      similar: 'Similar articles:', lastSeen: (d) => `last ${d}`, needTarget: 'Choose an article first.',
      attached: (n, s) => `${n} questions added to ${s}.`, dismissed: 'The group is dismissed.',
      reasons: { no_answer: 'no answer', not_helpful: 'did not help', clarify_failed: 'clarifying did not help', frustrated: 'frustrated' },
      channels: { web: 'web', slack: 'Slack', email: 'email' },
      healthTitle: 'Article health', healthIntro: 'How often the bot showed each article, what customers thought and how often it still ended in a handoff.',
      shown: 'Shown', helped: 'Helped', notHelped: 'Didn\'t help', helpedRate: 'Helped share', handoffs: 'Handoffs after',
      attention: 'needs a look', noHealth: 'No articles yet.',
      from: 'From', to: 'To', show: 'Show', last7: '7 days', last30: '30 days', last90: '90 days',
      conversations: 'Conversations', answeredShare: 'Answered by the bot', clarifiedShare: 'Clarified', handedOffShare: 'Handed off',
      resolution: 'Resolved by the bot', firstResponse: 'Median first response', csat: 'Satisfaction (CSAT)', ticketsOpened: 'Tickets',
      ofOutcomes: 'of the bot\'s outcomes', ofConversations: 'of conversations', nRatings: (n) => `${n} ratings`, nAnswers: (n) => `${n} replies`,
      chartConversations: 'Conversations per day', chartShares: 'Answered, clarified, handed off per day',
      chartResolution: 'Share resolved by the bot per day', chartResponse: 'Median first response time per day', chartCsat: 'Satisfaction (CSAT) per day',
      answered: 'Answered', clarified: 'Clarified', handedOff: 'Handed off', asTable: 'Show as a table', date: 'Date',
      noData: 'No data for the period.', badRange: 'Choose a valid date range.',
      importTitle: 'Import articles', importFile: 'File', importRun: 'Import', dryRun: 'Preview only (change nothing)',
      importIntro: 'The formats of kundresa kb import: .md files with front matter (or a .zip of them), .jsonl or .csv. Articles with the same slug are updated.',
      needFile: 'Choose a file first.', uploading: (p) => `Uploading… ${p} %`, processing: 'Reading and checking…',
      importDone: (c, u, s) => `Done: ${c} new, ${u} changed, ${s} unchanged.`,
      dryDone: (c, u, s) => `Preview: ${c} would be created, ${u} changed, ${s} are unchanged. Nothing is saved.`,
      created: 'New', updated: 'Changed', unchangedList: 'Unchanged', nothingImported: 'Nothing was imported.',
      exportTitle: 'Export articles', exportIntro: 'Every article, drafts too – the same as kundresa kb export.',
      exportZip: '.zip of .md files', exported: (n) => `Downloaded ${n}.`, downloading: 'Downloading…',
      seconds: (s) => `${s} s`, minutes: (m) => `${m} min`, hours: (h, m) => (m ? `${h} h ${m} min` : `${h} h`),
      confirmPublish: (title) => `Publish “${title}”? The bot starts using the changed article at once.`,
      confirmRestore: (v) => `Restore version ${v}? It becomes a new version of the article; the bot uses it if the article is published.`,
      errors: {
        network: 'Could not reach the server. Try again.', unauthorized: 'That token was not accepted. Log in again.',
        forbidden: 'This needs the admin role.', not_found: 'It does not exist (any more).',
        conflict: 'Someone else changed this first. Reload and try again.', too_large: 'The file or text is too large.',
        unknown_format: 'Unknown file type: choose a .jsonl, a .csv, a .zip of .md files or .md files.',
        invalid_date: 'Choose a valid date.', rate_limited: 'Too many attempts. Wait a moment.',
        invalid_utf8: 'The text is not valid UTF-8.', invalid_json: 'The server did not understand the request.',
        unknown_gap_question: 'Those questions are gone: refresh the knowledge gaps.',
        invalid_request: 'The server did not accept the data. Check the fields and try again.',
        internal_error: 'Something went wrong on our side. It is logged; try again.',
      },
      badImportFile: (file, line) => (line ? `The file ${file} has an error on line ${line}. Nothing was imported.` : `The file ${file} could not be read. Nothing was imported.`),
      technical: 'Technical detail',
      statusError: (s) => `Something went wrong (${s}).`,
    },
  };

  const state = {
    lang: KC.savedLang(LANG_KEY),
    token: store.get(TOKEN_KEY) || '',
    config: null,
    view: 'articles',
    articles: [],
    base: null, // the opened article as the server has it; null while creating a new one
    questions: [], // [{text, source, pending}] shown in the editor
    gap: null, // the knowledge-gap group a new article is created from
    slugTouched: false,
    versions: [],
    selectedVersion: null,
    tryResult: null,
    gaps: [],
    health: [],
    healthSort: { key: 'shown', dir: -1 },
    stats: null,
    busy: false,
  };
  let t = TEXT[state.lang];

  /* ------------------------------------------------------------------ helpers */

  function button(cls, text, onClick) {
    const b = el('button', cls, text);
    b.type = 'button';
    if (onClick) b.addEventListener('click', onClick);
    return b;
  }
  function option(value, text) {
    const o = el('option', null, text);
    o.value = value;
    return o;
  }
  const loc = () => (state.lang === 'en' ? 'en-GB' : 'sv-SE');
  function when(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(loc(), { dateStyle: 'short', timeStyle: 'short' });
  }
  const pct = (x) => (x == null || !Number.isFinite(x) ? '–' : `${Math.round(x * 100)} %`);
  const num = (x, digits = 0) => (x == null || !Number.isFinite(Number(x)) ? '–'
    : Number(x).toLocaleString(loc(), { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  function duration(seconds) {
    if (seconds == null || !Number.isFinite(seconds)) return '–';
    const s = Math.round(seconds);
    if (s < 90) return t.seconds(s);
    const m = Math.round(s / 60);
    if (m < 120) return t.minutes(m);
    return t.hours(Math.floor(m / 60), m % 60);
  }
  const enc = encodeURIComponent;
  const unique = (items) => [...new Set(items)];
  const parseTags = (text) => unique(String(text || '').split(',').map((s) => s.trim()).filter(Boolean));

  let toastTimer = 0;
  function toast(text, kind) {
    const box = $('admin-toast');
    box.textContent = text;
    box.dataset.kind = kind || 'info';
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 8000 : 4500);
  }
  const announce = (text) => KC.announce('admin-announce', text);

  /* ------------------------------------------------------------------ API */

  const { api, act } = KC.client({
    base: BASE,
    token: () => state.token,
    loggedIn: () => Boolean(state.config),
    expired: (message) => logout(message),
    text: () => t,
    toast,
    describe: (e) => localError(e),
  });

  // An error in the admin's language: the server's messages are English, so known codes get their own
  // text here (a bad import file: which file and line; its English detail goes under "technical").
  function localError(e) {
    if (!(e instanceof ApiError)) return t.error;
    if (e.code === 'bad_import_file') return t.badImportFile(e.file || '?', e.line);
    if (e.code === 'network') return t.errors.network;
    return t.errors[e.code] || t.statusError(e.status);
  }

  /* ------------------------------------------------------------------ language */

  function applyLang() {
    t = TEXT[state.lang];
    KC.applyTexts(t, state.lang, 'admin-lang');
    $('article-search').placeholder = t.searchPlaceholder;
    $('editor-tags').placeholder = t.tagsPlaceholder;
    $('editor-question-input').placeholder = t.questionPlaceholder;
    $('try-input').placeholder = t.tryPlaceholder;
    if (!state.config) return;
    renderFilters();
    renderList();
    if (!$('editor').hidden) { renderEditorChrome(); renderQuestions(); renderPreview(); renderVersions(state.base); }
    if (!$('history-card').hidden) renderHistory();
    if (state.tryResult) renderTry(state.tryResult);
    renderGaps();
    renderHealth();
    if (state.stats) renderStats(state.stats);
  }

  /* ------------------------------------------------------------------ login */

  const LOGIN_FORM = { view: 'admin-login-view', error: 'admin-login-error', button: 'admin-login', input: 'admin-token' };

  async function login(token) {
    const ok = await KC.checkToken({
      token,
      key: TOKEN_KEY,
      form: LOGIN_FORM,
      text: t,
      check: (tok) => api('GET', '/api/admin/config', undefined, tok),
      refused: (e) => (e.status === 401 ? t.badToken : e.status === 403 ? t.notAdmin : e.message),
    });
    if (!ok) return;
    const config = ok.data;
    state.token = token;
    state.config = config;
    $('admin-login-view').hidden = true;
    $('admin-app').hidden = false;
    $('admin-logout').hidden = false;
    $('admin-who').textContent = config.user ? config.user.name : '';
    await loadArticles();
    applyLang();
    const wanted = location.hash.replace('#', '');
    showView(VIEWS.includes(wanted) ? wanted : 'articles', false);
  }

  function logout(message) {
    state.token = '';
    state.config = null;
    store.del(TOKEN_KEY);
    $('admin-app').hidden = true;
    $('admin-logout').hidden = true;
    $('admin-who').textContent = '';
    KC.showLogin(LOGIN_FORM, message);
  }

  /* ------------------------------------------------------------------ tabs */

  function showView(name, focus = true) {
    state.view = name;
    for (const v of VIEWS) {
      const tab = $(`tab-${v}`);
      const on = v === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      $(`view-${v}`).hidden = !on;
    }
    try { history.replaceState(null, '', `#${name}`); } catch { /* file: or sandboxed */ }
    if (name === 'gaps') loadGaps();
    if (name === 'health') loadHealth();
    if (name === 'dashboard') loadStats();
    if (name === 'try' && focus) $('try-input').focus();
    if (name === 'articles') loadArticles();
  }

  /* ------------------------------------------------------------------ articles: list */

  function teamOf(article) {
    const teams = (state.config && state.config.teams) || {};
    for (const tag of article.tags || []) if (teams[tag]) return { team: teams[tag], tag };
    return { team: (state.config && state.config.default_team) || 'support', tag: null };
  }

  async function loadArticles() {
    const data = await act(() => api('GET', '/api/articles'));
    if (!data) return;
    state.articles = data.articles || [];
    renderFilters();
    renderList();
  }

  function fillSelect(select, allText, values, labels = {}) {
    const keep = select.value;
    select.replaceChildren(option('', allText), ...values.map((v) => option(v, labels[v] || v)));
    select.value = values.includes(keep) ? keep : '';
  }

  function renderFilters() {
    const arts = state.articles;
    const langs = unique(arts.map((a) => a.lang)).sort();
    const tags = unique(arts.flatMap((a) => a.tags || [])).sort((a, b) => a.localeCompare(b));
    const cfg = state.config || {};
    const teams = unique([...Object.values(cfg.teams || {}), cfg.default_team || 'support', ...arts.map((a) => teamOf(a).team)]).sort();
    fillSelect($('filter-lang'), t.allLangs, langs);
    fillSelect($('filter-tag'), t.allTags, tags);
    fillSelect($('filter-team'), t.allTeams, teams);
    const st = $('filter-status');
    for (const o of st.options) o.textContent = o.value ? t[o.value] : t.all;
    $('tag-options').replaceChildren(...tags.map((tag) => option(tag, tag)));
    const langSel = $('editor-lang');
    const have = [...langSel.options].map((o) => o.value);
    for (const l of langs) if (!have.includes(l)) langSel.append(option(l, l));
    renderTranslationSelect($('editor-translation').value);
  }

  /** "Language version of": every other article; the saved value is kept even before the list loads. */
  function renderTranslationSelect(value) {
    const select = $('editor-translation');
    const own = state.base ? state.base.slug : $('editor-slug').value.trim();
    const others = state.articles.filter((a) => a.slug !== own)
      .sort((a, b) => String(a.title).localeCompare(String(b.title), loc()));
    const options = others.map((a) => option(a.slug, `${a.title} (${a.lang}) · ${a.slug}`));
    if (value && !others.some((a) => a.slug === value)) options.unshift(option(value, value));
    select.replaceChildren(option('', t.noTranslation), ...options);
    select.value = value || '';
  }

  /** The article's other language versions, each a link that opens it. */
  function renderVersions(a) {
    const versions = (a && a.translations) || [];
    const main = a ? a.translation_of || a.slug : null;
    const items = versions.map((v) => {
      const li = el('li');
      li.dataset.slug = v.slug;
      li.append(el('span', 'badge', v.lang), button('btn-link', v.title, () => openArticle(v.slug)));
      if (v.slug === main) li.append(el('span', 'hint', t.mainVersion));
      if (v.status === 'draft') li.append(el('span', 'badge draft', t.draft));
      return li;
    });
    $('editor-versions').replaceChildren(...items);
    $('editor-versions-box').hidden = !items.length;
  }

  function matches(a, words) {
    if (!words.length) return true;
    const hay = [a.title, a.slug, (a.tags || []).join(' '), (a.questions || []).join(' '), a.body].join('\n').toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function renderList() {
    const words = $('article-search').value.toLowerCase().split(/\s+/).filter(Boolean);
    const status = $('filter-status').value;
    const lang = $('filter-lang').value;
    const tag = $('filter-tag').value;
    const team = $('filter-team').value;
    const shown = state.articles.filter((a) => (!status || a.status === status) && (!lang || a.lang === lang)
      && (!tag || (a.tags || []).includes(tag)) && (!team || teamOf(a).team === team) && matches(a, words))
      .sort((a, b) => String(a.title).localeCompare(String(b.title), loc()));
    const current = state.base ? state.base.slug : null;
    const items = shown.map((a) => {
      const li = el('li');
      const b = button('article-item');
      b.dataset.slug = a.slug;
      if (a.slug === current) b.setAttribute('aria-current', 'true');
      const meta = el('span', 'meta');
      meta.append(el('span', `badge ${a.status}`, t[a.status] || a.status), el('span', null, a.lang), el('span', null, `· ${teamOf(a).team}`),
        el('span', null, `· ${t.nQuestions((a.questions || []).length)}`));
      const others = unique((a.translations || []).map((v) => v.lang));
      if (others.length) meta.append(el('span', 'versions-langs', `· ${t.alsoIn(others.join(', '))}`));
      b.append(el('span', 'title', a.title), meta);
      b.addEventListener('click', () => openArticle(a.slug));
      li.append(b);
      return li;
    });
    $('article-list').replaceChildren(...items);
    $('article-list-empty').hidden = items.length > 0;
    $('article-count').textContent = String(shown.length);
  }

  /* ------------------------------------------------------------------ articles: editor */

  function snapshotOf(a) {
    return JSON.stringify([a.title, a.slug, a.lang, (a.tags || []).join(','), a.body, a.translation_of || null]);
  }
  function fields() {
    return {
      title: $('editor-title').value.trim(),
      slug: $('editor-slug').value.trim(),
      lang: $('editor-lang').value,
      tags: parseTags($('editor-tags').value),
      body: $('editor-body').value,
      translation_of: $('editor-translation').value || null,
    };
  }
  function isDirty() {
    if ($('editor').hidden) return false;
    const now = fields();
    if (!state.base) return Boolean(now.title || now.body.trim() || state.questions.length);
    return snapshotOf(now) !== snapshotOf(state.base);
  }
  function confirmLeave() {
    return !isDirty() || window.confirm(t.leave);
  }
  function updateDirty() {
    const box = $('editor-dirty');
    const dirty = isDirty();
    box.hidden = !dirty;
    box.textContent = dirty ? t.unsaved : '';
  }

  function showEditor() {
    $('editor-empty').hidden = true;
    $('editor').hidden = false;
    showError('editor-error', '');
  }

  function fillEditor(a) {
    $('editor-title').value = a.title || '';
    $('editor-slug').value = a.slug || '';
    const langSel = $('editor-lang');
    if (a.lang && ![...langSel.options].some((o) => o.value === a.lang)) langSel.append(option(a.lang, a.lang));
    langSel.value = a.lang || 'sv';
    $('editor-tags').value = (a.tags || []).join(', ');
    $('editor-body').value = a.body || '';
    renderTranslationSelect(a.translation_of || '');
    renderVersions(a.slug ? a : null);
  }

  function questionsFrom(article) {
    const sources = article.question_sources || [];
    return (article.questions || []).map((text, i) => ({ text, source: (sources[i] && sources[i].source) || 'admin', pending: false }));
  }

  function loadIntoEditor(article) {
    state.base = article;
    state.gap = null;
    state.slugTouched = true;
    state.questions = questionsFrom(article);
    fillEditor(article);
    showEditor();
    renderEditorChrome();
    renderQuestions();
    renderPreview();
    updateDirty();
    renderList();
  }

  async function openArticle(slug, { force = false } = {}) {
    if (!force && state.base && state.base.slug === slug && !$('editor').hidden) return;
    if (!force && !confirmLeave()) return;
    if (state.view !== 'articles') showView('articles', false);
    const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
    if (!article) return;
    loadIntoEditor(article);
    await loadVersions();
  }

  function openNew(prefill = {}) {
    if (!confirmLeave()) return;
    if (state.view !== 'articles') showView('articles', false);
    state.base = null;
    state.gap = prefill.gap || null;
    state.slugTouched = false;
    state.questions = (prefill.questions || []).map((q) => ({ text: q.text, source: q.source || 'admin', pending: Boolean(q.pending) }));
    fillEditor({ title: prefill.title || '', slug: prefill.title ? slugify(prefill.title) : '', lang: prefill.lang || 'sv', tags: [], body: '' });
    showEditor();
    $('history-card').hidden = true;
    state.versions = [];
    renderEditorChrome();
    renderQuestions();
    renderPreview();
    updateDirty();
    renderList();
    $('editor-title').focus();
  }

  function slugify(text) {
    return String(text).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80).replace(/-+$/, '');
  }

  function renderEditorChrome() {
    const a = state.base;
    const isNew = !a;
    $('editor-heading').textContent = isNew ? t.newHeading : a.title;
    const status = isNew ? 'draft' : a.status;
    const badge = $('editor-status');
    badge.className = `badge ${status}`;
    badge.textContent = isNew ? t.newHeading : t[status];
    badge.hidden = isNew;
    $('editor-version').textContent = isNew ? '' : t.versionN(a.version);
    $('editor-slug').readOnly = !isNew;
    $('editor-slug-hint').textContent = isNew ? t.slugHint : t.slugFixed;
    const published = !isNew && a.status === 'published';
    $('editor-save-draft').hidden = published;
    $('editor-unpublish').hidden = !published;
    $('editor-publish').textContent = published ? t.publishChanges : t.publish;
    $('editor-delete').hidden = isNew;
    $('editor-delete').textContent = t.delete;
    delete $('editor-delete').dataset.armed;
    const gapBox = $('editor-gap-notice');
    gapBox.hidden = !state.gap;
    gapBox.textContent = state.gap ? t.gapNotice(state.questions.filter((q) => q.pending).length) : '';
    renderTeamHint();
  }

  function renderTeamHint() {
    const { team, tag } = teamOf({ tags: parseTags($('editor-tags').value) });
    $('editor-team').textContent = t.teamHint(team, tag);
  }

  function renderQuestions() {
    const items = state.questions.map((q, i) => {
      const li = el('li');
      li.dataset.source = q.source;
      li.append(el('span', 'q', q.text));
      const src = el('span', `badge src-${q.source}`, t.sources[q.source] || q.source);
      if (q.pending) src.title = t.pendingGap;
      li.append(src);
      const rm = button('btn btn-small question-remove', t.remove, () => removeQuestion(i));
      rm.setAttribute('aria-label', t.removeQuestion(q.text));
      li.append(rm);
      return li;
    });
    if (!items.length) items.push(el('li', 'empty', t.noQuestions));
    $('editor-questions').replaceChildren(...items);
    $('editor-question-count').textContent = String(state.questions.length);
  }

  let previewFrame = 0;
  function renderPreview() {
    cancelAnimationFrame(previewFrame);
    previewFrame = requestAnimationFrame(() => {
      // The same structure as the widget's answer bubble (widget.js RENDER.answer), with its renderer.
      const row = el('div', 'kundresa-msg kundresa-msg--them');
      row.dataset.kind = 'answer';
      const bubble = el('div', 'kundresa-bubble');
      const title = $('editor-title').value.trim();
      if (title) {
        const h = el('div', 'kundresa-article', title);
        h.setAttribute('role', 'heading');
        h.setAttribute('aria-level', '3');
        bubble.append(h);
      }
      bubble.append(window.KundresaMarkdown.render($('editor-body').value));
      row.append(bubble);
      $('editor-preview').replaceChildren(row);
    });
  }

  function validate(data) {
    if (!data.title) return t.needTitle;
    if (!SLUG_RE.test(data.slug)) return t.badSlug;
    return null;
  }

  async function save(status) {
    if (state.busy) return;
    const data = { ...fields(), status };
    const problem = validate(data);
    showError('editor-error', problem);
    if (problem) {
      (data.title ? $('editor-slug') : $('editor-title')).focus();
      return;
    }
    const isNew = !state.base;
    data.questions = state.questions.filter((q) => !q.pending).map((q) => q.text);
    state.busy = true;
    try {
      if (!isNew && snapshotOf(data) === snapshotOf(state.base) && status === state.base.status) {
        toast(t.unchanged);
        return;
      }
      // Publishing changes what customers get at once: asked first (the button and Ctrl+S alike).
      if (status === 'published' && !window.confirm(t.confirmPublish(data.title))) return;
      const wasPublished = !isNew && state.base.status === 'published';
      let article = isNew
        ? await api('POST', '/api/articles', data)
        : await api('PUT', `/api/articles/${enc(state.base.slug)}`, data);
      if (isNew && state.gap) {
        const learned = await settleGap(state.gap, article.slug);
        article = await api('GET', `/api/articles/${enc(article.slug)}`);
        if (learned) toast(t.gapAttached(learned));
      }
      loadIntoEditor(article);
      await Promise.all([loadVersions(), loadArticles()]);
      const msg = status === 'published' ? t.published_ : wasPublished ? t.unpublished : t.savedDraft;
      if (!(isNew && state.gap)) toast(msg);
      announce(msg);
    } catch (e) {
      showError('editor-error', localError(e));
    } finally {
      state.busy = false;
    }
  }

  /** A new article made from a gap group: its kept questions join it (source "gap"), the group is handled. */
  async function settleGap(gap, slug) {
    const kept = new Set(state.questions.filter((q) => q.pending).map((q) => q.text));
    const examples = gap.examples || [];
    const exampleIds = new Set(examples.map((e) => e.id));
    const keep = examples.filter((e) => kept.has(String(e.text).trim())).map((e) => e.id);
    const hidden = (gap.ids || []).filter((id) => !exampleIds.has(id)); // beyond the examples shown: same group
    const drop = examples.filter((e) => !kept.has(String(e.text).trim())).map((e) => e.id);
    let learned = 0;
    if (keep.length + hidden.length) {
      const res = await api('POST', '/api/gaps/handled', { ids: [...keep, ...hidden], article: slug });
      learned = (res && res.learned ? res.learned.length : 0);
    }
    if (drop.length) await api('POST', '/api/gaps/handled', { ids: drop });
    state.gap = null;
    return learned;
  }

  async function unpublish() {
    await save('draft');
  }

  async function deleteArticle() {
    const btn = $('editor-delete');
    if (!state.base) return;
    if (!btn.dataset.armed) {
      btn.dataset.armed = '1';
      btn.textContent = t.confirmDelete;
      setTimeout(() => { if (btn.dataset.armed) { delete btn.dataset.armed; btn.textContent = t.delete; } }, 5000);
      return;
    }
    const slug = state.base.slug;
    const ok = await act(() => api('DELETE', `/api/articles/${enc(slug)}`));
    if (!ok) return;
    state.base = null;
    $('editor').hidden = true;
    $('history-card').hidden = true;
    $('editor-empty').hidden = false;
    toast(t.deleted(slug));
    await loadArticles();
  }

  async function refreshQuestionsFrom(article) {
    // The server made a new version: take its questions and version, keep unsaved edits to the other fields.
    const edited = fields();
    state.base = article;
    state.questions = questionsFrom(article);
    fillEditor({ ...article, ...edited });
    renderEditorChrome();
    renderQuestions();
    updateDirty();
    await Promise.all([loadVersions(), loadArticles()]);
  }

  async function addQuestion() {
    const input = $('editor-question-input');
    const text = input.value.trim();
    if (!text) { input.focus(); return; }
    if (state.questions.some((q) => q.text === text)) { toast(t.questionExists); return; }
    if (!state.base) {
      state.questions.push({ text, source: 'admin', pending: false });
      input.value = '';
      renderQuestions();
      updateDirty();
      announce(t.questionAdded);
      return;
    }
    const slug = state.base.slug;
    const res = await act(() => api('POST', `/api/articles/${enc(slug)}/questions`, { text }));
    if (!res) return;
    input.value = '';
    const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
    if (article) await refreshQuestionsFrom(article);
    announce(t.questionAdded);
    input.focus();
  }

  async function removeQuestion(i) {
    const q = state.questions[i];
    if (!q) return;
    if (!state.base) {
      state.questions.splice(i, 1);
      renderQuestions();
      renderEditorChrome();
      updateDirty();
      announce(t.questionRemoved);
      $('editor-question-input').focus();
      return;
    }
    const res = await act(() => api('DELETE', `/api/articles/${enc(state.base.slug)}/questions`, { text: q.text }));
    if (!res) return;
    await refreshQuestionsFrom(res.article);
    announce(t.questionRemoved);
    $('editor-question-input').focus();
  }

  /* ------------------------------------------------------------------ history and diff */

  async function loadVersions() {
    if (!state.base) return;
    const slug = state.base.slug;
    const data = await act(() => api('GET', `/api/articles/${enc(slug)}/versions`));
    if (!data || !state.base || state.base.slug !== slug) return;
    state.versions = data.versions || [];
    const current = state.base.version;
    if (!state.versions.some((v) => v.version === state.selectedVersion) || state.selectedVersion === current) {
      state.selectedVersion = null;
    }
    const from = $('diff-from');
    const to = $('diff-to');
    const previous = state.versions.filter((v) => v.version < current).map((v) => v.version);
    from.dataset.value = String(state.selectedVersion || (previous.length ? previous[previous.length - 1] : current));
    to.dataset.value = String(current);
    $('history-card').hidden = false;
    renderHistory();
  }

  function renderHistory() {
    const current = state.base ? state.base.version : null;
    const items = state.versions.slice().reverse().map((v) => {
      const li = el('li');
      const b = button('version-item');
      b.dataset.version = String(v.version);
      b.setAttribute('aria-pressed', String(v.version === state.selectedVersion));
      const snap = v.article || {};
      b.append(el('span', 'v', `v${v.version}`), el('span', `badge ${snap.status}`, t[snap.status] || snap.status || ''),
        el('span', 'meta', [when(v.created_at), v.author ? t.by(v.author) : ''].filter(Boolean).join(' · ')));
      if (v.version === current) b.append(el('span', 'badge', t.current));
      b.title = snap.title || '';
      b.addEventListener('click', () => selectVersion(v.version));
      li.append(b);
      return li;
    });
    $('history').replaceChildren(...items);
    const label = (v) => `v${v.version}${v.version === current ? ` (${t.current})` : ''} · ${when(v.created_at)}`;
    for (const id of ['diff-from', 'diff-to']) {
      const sel = $(id);
      const want = sel.dataset.value || sel.value;
      sel.replaceChildren(...state.versions.slice().reverse().map((v) => option(String(v.version), label(v))));
      sel.value = want;
    }
    const restore = $('history-restore');
    const sel = state.selectedVersion;
    restore.disabled = !sel || sel === current;
    restore.textContent = sel && sel !== current ? t.restoreN(sel) : t.restore;
    restore.title = sel && sel !== current ? '' : t.pickVersion;
    renderDiff();
  }

  function selectVersion(version) {
    state.selectedVersion = version;
    const current = state.base ? state.base.version : version;
    $('diff-from').dataset.value = String(version === current ? Math.max(1, version - 1) : version);
    $('diff-to').dataset.value = String(current);
    renderHistory();
    const btn = $('history').querySelector(`.version-item[data-version="${version}"]`);
    if (btn) btn.focus();
  }

  function versionText(snap) {
    const lines = [
      `title: ${snap.title || ''}`,
      `lang: ${snap.lang || ''}`,
      ...(snap.translation_of ? [`translation_of: ${snap.translation_of}`] : []),
      `status: ${snap.status || ''}`,
      `tags: ${(snap.tags || []).join(', ')}`,
      'questions:',
      ...(snap.questions || []).map((q) => `  - ${q}`),
      '---',
      ...String(snap.body || '').replace(/\r\n?/g, '\n').split('\n'),
    ];
    return lines;
  }

  /** Line diff (longest common subsequence after trimming the common head and tail). */
  function diffLines(a, b) {
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA -= 1; endB -= 1; }
    const ops = [];
    for (let i = 0; i < start; i += 1) ops.push(['same', a[i]]);
    const ma = a.slice(start, endA);
    const mb = b.slice(start, endB);
    const n = ma.length;
    const m = mb.length;
    if (n * m > 4e6) {
      for (const l of ma) ops.push(['del', l]);
      for (const l of mb) ops.push(['add', l]);
    } else {
      const w = m + 1;
      const L = new Uint32Array((n + 1) * w);
      for (let i = n - 1; i >= 0; i -= 1) {
        for (let j = m - 1; j >= 0; j -= 1) {
          L[i * w + j] = ma[i] === mb[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
        }
      }
      let i = 0;
      let j = 0;
      while (i < n && j < m) {
        if (ma[i] === mb[j]) { ops.push(['same', ma[i]]); i += 1; j += 1; }
        else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) { ops.push(['del', ma[i]]); i += 1; }
        else { ops.push(['add', mb[j]]); j += 1; }
      }
      while (i < n) { ops.push(['del', ma[i]]); i += 1; }
      while (j < m) { ops.push(['add', mb[j]]); j += 1; }
    }
    for (let i = endA; i < a.length; i += 1) ops.push(['same', a[i]]);
    return ops;
  }

  function renderDiff() {
    const box = $('history-diff');
    const find = (id) => state.versions.find((v) => String(v.version) === $(id).value);
    const a = find('diff-from');
    const b = find('diff-to');
    if (!a || !b) { box.replaceChildren(); $('diff-summary').textContent = ''; return; }
    if (a === b) { box.replaceChildren(); $('diff-summary').textContent = t.noDiff; return; }
    const ops = diffLines(versionText(a.article || {}), versionText(b.article || {}));
    const added = ops.filter((o) => o[0] === 'add').length;
    const removed = ops.filter((o) => o[0] === 'del').length;
    $('diff-summary').textContent = added || removed ? t.diffSummary(added, removed) : t.noDiff;
    const out = [];
    const CONTEXT = 3;
    for (let i = 0; i < ops.length;) {
      if (ops[i][0] !== 'same') { out.push(el('li', ops[i][0], ops[i][1])); i += 1; continue; }
      let j = i;
      while (j < ops.length && ops[j][0] === 'same') j += 1;
      const run = ops.slice(i, j);
      const head = i === 0 ? 0 : CONTEXT;
      const tail = j === ops.length ? 0 : CONTEXT;
      if (run.length > head + tail + 1) {
        for (const o of run.slice(0, head)) out.push(el('li', 'same', o[1]));
        out.push(el('li', 'fold', t.folded(run.length - head - tail)));
        for (const o of run.slice(run.length - tail)) out.push(el('li', 'same', o[1]));
      } else {
        for (const o of run) out.push(el('li', 'same', o[1]));
      }
      i = j;
    }
    box.replaceChildren(...out);
  }

  async function restoreSelected() {
    const v = state.selectedVersion;
    if (!state.base || !v || v === state.base.version) return;
    if (isDirty() && !window.confirm(t.leave)) return;
    if (!window.confirm(t.confirmRestore(v))) return;
    const slug = state.base.slug;
    const article = await act(() => api('POST', `/api/articles/${enc(slug)}/versions/${v}/restore`));
    if (!article) return;
    state.selectedVersion = null;
    loadIntoEditor(article);
    await Promise.all([loadVersions(), loadArticles()]);
    const msg = t.restored(v, article.version);
    toast(msg);
    announce(msg);
  }

  /* ------------------------------------------------------------------ try a question */

  async function runTry() {
    const q = $('try-input').value.trim();
    if (!q) { toast(t.tryEmpty); $('try-input').focus(); return; }
    const params = new URLSearchParams({ q });
    if ($('try-drafts').checked) params.set('drafts', '1');
    if ($('try-lang').value) params.set('lang', $('try-lang').value);
    $('try-run').disabled = true;
    const data = await act(() => api('GET', `/api/search?${params}`));
    $('try-run').disabled = false;
    if (!data) return;
    state.tryResult = data;
    renderTry(data);
  }

  function scoreCell(value, max) {
    const td = el('td', 'num');
    const wrap = el('div', 'scorebar');
    wrap.append(el('span', null, num(value, 3)));
    const bar = el('span', 'bar');
    const fill = el('i');
    fill.style.width = `${Math.max(0, Math.min(100, (Number(value) / (max || 1)) * 100))}%`;
    bar.append(fill);
    wrap.append(bar);
    td.append(wrap);
    return td;
  }

  /** The confidence (0–1) as a bar with the clarify and answer thresholds marked; null without thresholds. */
  function confidenceBar(data) {
    const th = data.thresholds;
    if (!th || !Number.isFinite(Number(th.answer)) || !Number.isFinite(Number(th.clarify))) return null;
    const clamp = (x) => Math.max(0, Math.min(1, Number(x) || 0));
    const conf = clamp(data.confidence);
    const zone = conf >= Number(th.answer) ? 'answer' : conf >= Number(th.clarify) ? 'clarify' : 'handoff';
    const box = el('div', 'confbar');
    box.dataset.zone = zone;
    const track = el('div', 'confbar-track');
    track.setAttribute('role', 'meter');
    track.setAttribute('aria-valuemin', '0');
    track.setAttribute('aria-valuemax', '1');
    track.setAttribute('aria-valuenow', String(conf));
    track.setAttribute('aria-valuetext', `${num(conf, 2)}: ${t.zones[zone]}`);
    track.setAttribute('aria-label', t.confidenceBar);
    const fill = el('i', 'confbar-fill');
    fill.style.width = `${conf * 100}%`;
    track.append(fill);
    for (const kind of ['clarify', 'answer']) {
      const mark = el('span', `confbar-mark mark-${kind}`);
      mark.style.left = `${clamp(th[kind]) * 100}%`;
      mark.title = t.marks[kind](num(th[kind], 2));
      mark.dataset.threshold = kind;
      const tag = el('span', `confbar-tag tag-${kind}`, `${t.zones[kind]} ≥ ${num(th[kind], 2)}`);
      tag.style.left = `${clamp(th[kind]) * 100}%`;
      track.append(mark, tag);
    }
    const legend = el('div', 'confbar-legend');
    const label = el('span', 'confbar-label');
    label.append(`${t.confidenceBar} ${num(conf, 2)}: `, el('b', null, t.zones[zone]));
    legend.append(label, el('span', null, `${t.marks.clarify(num(th.clarify, 2))} · ${t.marks.answer(num(th.answer, 2))}`));
    box.append(track, legend);
    return box;
  }

  function renderTry(data) {
    const box = $('try-result');
    const head = el('div', 'decision');
    head.dataset.decision = data.decision;
    head.append(el('span', `badge d-${data.decision}`, t.decisions[data.decision] || data.decision),
      el('span', 'hint', t.confidence(num(data.confidence, 3))));
    const help = el('p', 'hint', t.decisionHelp[data.decision] || '');
    const bar = confidenceBar(data);
    const top = bar ? [head, help, bar] : [head, help];
    const articles = data.articles || [];
    if (!articles.length) { box.replaceChildren(...top, el('p', 'empty', t.noHits)); return; }
    const offered = new Set(data.options || []);
    const max = Math.max(1, ...articles.map((a) => Number(a.score) || 0));
    const table = el('table', 'data');
    const hr = el('tr');
    for (const h of [t.rank, t.article, t.score, t.dense, t.lexical, t.why]) hr.append(el('th', null, h));
    const thead = el('thead');
    thead.append(hr);
    const tbody = el('tbody');
    articles.forEach((a, i) => {
      const tr = el('tr', `try-article${offered.has(a.slug) ? ' offered' : ''}`);
      tr.dataset.slug = a.slug;
      tr.append(el('td', 'num', String(i + 1)));
      const name = el('td');
      const open = button('btn-link', a.title, () => openArticle(a.slug));
      name.append(open, el('div', 'hint', `${a.slug} · ${a.lang}`));
      const badges = el('div', 'row');
      if (a.status === 'draft') badges.append(el('span', 'badge draft', t.draft));
      if (offered.has(a.slug)) badges.append(el('span', 'badge d-answer', t.offered));
      if (badges.childNodes.length) name.append(badges);
      tr.append(name, scoreCell(a.score, max), scoreCell(a.dense, 1), scoreCell(a.lexical, 1));
      const why = el('td');
      why.append(el('span', 'badge matched-kind', t.kinds[a.matched_kind] || a.matched_kind || ''));
      const p = el('p', 'matched');
      p.append(el('q', null, a.matched || ''));
      why.append(p);
      tr.append(why);
      tbody.append(tr);
    });
    table.append(thead, tbody);
    const wrap = el('div', 'table-wrap');
    wrap.append(table);
    box.replaceChildren(...top, wrap);
  }

  /* ------------------------------------------------------------------ knowledge gaps */

  async function loadGaps() {
    const data = await act(() => api('GET', '/api/gaps'));
    if (!data) return;
    state.gaps = (data.groups || []).slice().sort((a, b) => b.size - a.size);
    renderGaps();
  }

  function guessLang(text) {
    const s = ` ${String(text).toLowerCase()} `;
    if (/[åäö]/.test(s)) return 'sv';
    const sv = (s.match(/\s(jag|hur|kan|det|är|och|min|mitt|mina|på|för|med|inte|vad|varför|ni|er|att|ett|en)\s/g) || []).length;
    const en = (s.match(/\s(i|how|can|the|is|and|my|on|for|with|not|what|why|you|your|to|a|an|do)\s/g) || []).length;
    return en > sv ? 'en' : 'sv';
  }
  function titleFrom(text) {
    const s = String(text).trim().replace(/[?!.]+$/, '');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function createFromGap(group) {
    const texts = unique((group.examples || []).map((e) => String(e.text).trim()).filter(Boolean));
    if (!texts.length && group.representative) texts.push(String(group.representative).trim());
    openNew({
      title: titleFrom(group.representative || texts[0] || ''),
      lang: guessLang(texts.join(' ')),
      questions: texts.map((text) => ({ text, source: 'gap', pending: true })),
      gap: { ids: group.ids || (group.examples || []).map((e) => e.id), examples: group.examples || [] },
    });
    renderEditorChrome();
  }

  async function attachGap(group, slug) {
    if (!slug) { toast(t.needTarget); return; }
    const ids = group.ids || (group.examples || []).map((e) => e.id);
    const res = await act(() => api('POST', '/api/gaps/handled', { ids, article: slug }));
    if (!res) return;
    toast(t.attached((res.learned || []).length, slug));
    await Promise.all([loadGaps(), loadArticles()]);
    if (state.base && state.base.slug === slug) {
      const article = await act(() => api('GET', `/api/articles/${enc(slug)}`));
      if (article) await refreshQuestionsFrom(article);
    }
  }

  async function dismissGap(group) {
    const ids = group.ids || (group.examples || []).map((e) => e.id);
    const res = await act(() => api('POST', '/api/gaps/handled', { ids }));
    if (!res) return;
    toast(t.dismissed);
    await loadGaps();
  }

  function renderGaps() {
    const items = state.gaps.map((group, gi) => {
      const li = el('li', 'card gap-group');
      li.dataset.size = String(group.size);
      const head = el('div', 'gap-head');
      head.append(el('span', 'gap-size', String(group.size)), el('span', 'hint', t.nQuestions(group.size).replace(/^\d+\s*/, '')),
        el('span', 'gap-rep', group.representative || ''));
      for (const [reason, n] of Object.entries(group.reasons || {})) {
        head.append(el('span', 'badge', `${t.reasons[reason] || reason} ${n}`));
      }
      if (group.last_seen) head.append(el('span', 'hint', t.lastSeen(when(group.last_seen))));
      const ex = el('ul', 'gap-examples');
      for (const e of group.examples || []) {
        const item = el('li');
        item.append(el('span', null, e.text));
        const meta = el('span', 'meta');
        meta.append(el('span', 'badge channel', t.channels[e.channel] || e.channel || '–'), ' ',
          el('span', null, `${t.reasons[e.reason] || e.reason || ''} · ${when(e.created_at)}`));
        item.append(meta);
        ex.append(item);
      }
      li.append(head, ex);
      const suggested = group.suggested_articles || [];
      if (suggested.length) {
        const p = el('p', 'hint');
        p.append(t.similar, ' ');
        suggested.forEach((s, i) => {
          if (i) p.append(', ');
          p.append(button('btn-link', `${s.title} (${num(s.score, 2)})`, () => openArticle(s.slug)));
        });
        li.append(p);
      }
      const actions = el('div', 'gap-actions');
      actions.append(button('btn btn-primary gap-create', t.createArticle, () => createFromGap(group)));
      const selId = `gap-target-${gi}`;
      const label = el('label', 'sr', t.addToArticle);
      label.htmlFor = selId;
      const sel = el('select', 'gap-target');
      sel.id = selId;
      sel.append(option('', t.chooseArticle));
      if (suggested.length) {
        const og = el('optgroup');
        og.label = t.suggested;
        for (const s of suggested) og.append(option(s.slug, s.title));
        sel.append(og);
      }
      const all = el('optgroup');
      all.label = t.allArticles;
      for (const a of state.articles.slice().sort((x, y) => String(x.title).localeCompare(String(y.title), loc()))) {
        all.append(option(a.slug, a.title));
      }
      sel.append(all);
      actions.append(label, sel, button('btn gap-attach', t.addToArticle, () => attachGap(group, sel.value)),
        button('btn btn-link gap-dismiss', t.dismiss, () => dismissGap(group)));
      li.append(actions);
      return li;
    });
    $('gaps').replaceChildren(...items);
    $('gaps-empty').hidden = items.length > 0 || $('view-gaps').hidden;
  }

  /* ------------------------------------------------------------------ article health */

  async function loadHealth() {
    const data = await act(() => api('GET', '/api/articles/health'));
    if (!data) return;
    state.health = data.articles || [];
    renderHealth();
  }

  const HEALTH_COLUMNS = [
    ['title', 'article', false], ['status', 'status', false], ['shown', 'shown', true], ['helped', 'helped', true],
    ['not_helped', 'notHelped', true], ['helped_rate', 'helpedRate', true], ['handoffs', 'handoffs', true],
  ];

  function renderHealth() {
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

  /* ------------------------------------------------------------------ dashboard */

  const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  function setRange(days) {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    $('stats-from').value = isoDay(from);
    $('stats-to').value = isoDay(to);
  }

  async function loadStats() {
    if (!$('stats-from').value || !$('stats-to').value) setRange(30);
    const from = $('stats-from').value;
    const to = $('stats-to').value;
    if (!from || !to || from > to) { showError('stats-error', t.badRange); return; }
    showError('stats-error', '');
    let data;
    try {
      data = await api('GET', `/api/stats?from=${enc(from)}&to=${enc(to)}`);
    } catch (e) {
      showError('stats-error', localError(e));
      return;
    }
    state.stats = data;
    renderStats(data);
  }

  function outcomes(d) {
    const total = (d.answered || 0) + (d.clarified || 0) + (d.handed_off || 0);
    return { total, answered: total ? d.answered / total : null, clarified: total ? d.clarified / total : null, handed_off: total ? d.handed_off / total : null };
  }

  function kpi(label, value, sub) {
    const box = el('div', 'kpi');
    box.append(el('div', 'k', label), el('div', 'v', value));
    if (sub) box.append(el('div', 's', sub));
    return box;
  }

  function renderStats(data) {
    const tot = data.totals || {};
    const share = outcomes(tot);
    $('stats-kpis').replaceChildren(
      kpi(t.conversations, num(tot.conversations)),
      kpi(t.answeredShare, pct(share.answered), `${num(tot.answered)} ${t.ofOutcomes}`),
      kpi(t.clarifiedShare, pct(share.clarified), `${num(tot.clarified)} ${t.ofOutcomes}`),
      kpi(t.handedOffShare, pct(share.handed_off), `${num(tot.handed_off)} ${t.ofOutcomes}`),
      kpi(t.resolution, pct(tot.bot_resolution_rate), t.ofConversations),
      kpi(t.firstResponse, duration(tot.median_first_response_seconds), tot.first_responses != null ? t.nAnswers(tot.first_responses) : null),
      kpi(t.csat, tot.csat_average == null ? '–' : `${num(tot.csat_average, 1)} / 5`, t.nRatings(tot.csat_count || 0)),
    );
    const days = data.days || [];
    const labels = days.map((d) => d.date);
    const charts = [
      chartCard(t.chartConversations, [['sw-bar', t.conversations]], barChart(labels, [{ cls: 's-bar', name: t.conversations, values: days.map((d) => d.conversations || 0) }], { fmt: (v) => num(v) }),
        labels, [[t.conversations, days.map((d) => num(d.conversations))]]),
      chartCard(t.chartShares, [['sw-answer', t.answered], ['sw-clarify', t.clarified], ['sw-handoff', t.handedOff]],
        barChart(labels, [
          { cls: 's-answer', name: t.answered, values: days.map((d) => outcomes(d).answered), counts: days.map((d) => d.answered) },
          { cls: 's-clarify', name: t.clarified, values: days.map((d) => outcomes(d).clarified), counts: days.map((d) => d.clarified) },
          { cls: 's-handoff', name: t.handedOff, values: days.map((d) => outcomes(d).handed_off), counts: days.map((d) => d.handed_off) },
        ], { stacked: true, max: 1, fmt: pct }),
        labels, [[t.answered, days.map((d) => num(d.answered))], [t.clarified, days.map((d) => num(d.clarified))], [t.handedOff, days.map((d) => num(d.handed_off))]]),
      chartCard(t.chartResolution, [['sw-line', t.resolution]], lineChart(labels, days.map((d) => d.bot_resolution_rate), { min: 0, max: 1, fmt: pct }),
        labels, [[t.resolution, days.map((d) => pct(d.bot_resolution_rate))]]),
      chartCard(t.chartResponse, [['sw-line', t.firstResponse]], lineChart(labels, days.map((d) => d.median_first_response_seconds), { min: 0, fmt: duration, steps: DURATION_STEPS }),
        labels, [[t.firstResponse, days.map((d) => duration(d.median_first_response_seconds))]]),
      chartCard(t.chartCsat, [['sw-csat', t.csat]], lineChart(labels, days.map((d) => d.csat_average), { min: 1, max: 5, fmt: (v) => num(v, 1), cls: 's-csat', dot: 's-csat-dot', counts: days.map((d) => d.csat_count) }),
        labels, [[t.csat, days.map((d) => (d.csat_average == null ? '–' : num(d.csat_average, 1)))], [t.nRatings('').trim(), days.map((d) => num(d.csat_count))]]),
    ];
    $('stats-charts').replaceChildren(...charts);
  }

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
  const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

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

  function barChart(labels, series, { stacked = false, max = null, fmt = String } = {}) {
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

  function lineChart(labels, values, { min = 0, max = null, fmt = String, cls = 's-line', dot = 's-dot', counts = null, steps = null } = {}) {
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

  function chartCard(title, legend, chart, labels, columns) {
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

  /* ------------------------------------------------------------------ import and export */

  function upload(files, dry, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const f of files) form.append('file', f, f.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${BASE}/api/articles/import${dry ? '?dry_run=1' : ''}`);
      xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
      xhr.upload.addEventListener('load', () => onProgress(null));
      xhr.addEventListener('load', () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
        else {
          const err = KC.apiError(xhr.status, data, t.error);
          const detail = (data && data.error) || {};
          err.file = detail.file; // a bad import file: where
          err.line = detail.line;
          reject(err);
        }
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, 'network', t.netError)));
      xhr.send(form);
    });
  }

  async function runImport() {
    const files = [...$('import-file').files];
    showError('import-error', '');
    if (!files.length) { showError('import-error', t.needFile); $('import-file').focus(); return; }
    const dry = $('import-dry').checked;
    const bar = $('import-progress');
    const status = $('import-status');
    bar.hidden = false;
    bar.value = 0;
    $('import-run').disabled = true;
    $('import-report').replaceChildren();
    try {
      const report = await upload(files, dry, (p) => {
        if (p == null) { bar.removeAttribute('value'); status.textContent = t.processing; } // indeterminate
        else { bar.value = Math.round(p * 100); status.textContent = t.uploading(Math.round(p * 100)); }
      });
      bar.value = 100;
      status.textContent = ''; // the report says it, once
      renderImportReport(report);
      if (!report.dry_run) await loadArticles();
    } catch (e) {
      status.textContent = '';
      showError('import-error', e instanceof ApiError && e.code !== 'bad_import_file' ? `${localError(e)} ${t.nothingImported}` : localError(e));
      if (e instanceof ApiError && e.code === 'bad_import_file') {
        const details = el('details', 'technical');
        details.append(el('summary', null, t.technical));
        const detail = el('p', null, e.message);
        detail.lang = 'en';
        details.append(detail);
        $('import-report').replaceChildren(details);
      }
    } finally {
      bar.hidden = true;
      $('import-run').disabled = false;
    }
  }

  function renderImportReport(r) {
    const c = (r.created || []).length;
    const u = (r.updated || []).length;
    const s = (r.unchanged || []).length;
    const summary = r.dry_run ? t.dryDone(c, u, s) : t.importDone(c, u, s);
    const box = $('import-report');
    const parts = [el('p', 'notice', summary)];
    for (const [key, label] of [['created', t.created], ['updated', t.updated], ['unchanged', t.unchangedList]]) {
      const slugs = r[key] || [];
      if (!slugs.length) continue;
      const details = el('details');
      details.dataset.kind = key;
      if (key !== 'unchanged') details.open = true;
      details.append(el('summary', null, `${label} (${slugs.length})`));
      const ul = el('ul');
      for (const slug of slugs) {
        const li = el('li');
        if (r.dry_run || !state.articles.some((a) => a.slug === slug)) li.textContent = slug;
        else li.append(button('btn-link', slug, () => openArticle(slug)));
        ul.append(li);
      }
      details.append(ul);
      parts.push(details);
    }
    box.replaceChildren(...parts);
    announce(summary);
  }

  async function runExport(format) {
    const status = $('export-status');
    status.textContent = t.downloading;
    let resp;
    try {
      resp = await fetch(`${BASE}/api/articles/export?format=${format}`, { headers: { Authorization: `Bearer ${state.token}` } });
    } catch {
      status.textContent = t.netError;
      return;
    }
    if (!resp.ok) {
      let code = null;
      try { code = (await resp.json()).error.code; } catch { /* not JSON */ }
      status.textContent = localError(new ApiError(resp.status, code || 'http_error', ''));
      return;
    }
    const blob = await resp.blob();
    const disp = resp.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(disp);
    const name = m ? m[1] : `kundresa-articles.${format}`;
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.textContent = t.exported(name);
  }

  /* ------------------------------------------------------------------ wiring */

  function init() {
    $('admin-login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      login($('admin-token').value.trim());
    });
    $('admin-logout').addEventListener('click', () => { if (confirmLeave()) logout(); });
    $('admin-lang').addEventListener('click', () => {
      state.lang = KC.switchLang(LANG_KEY, state.lang);
      applyLang();
    });

    const tabs = VIEWS.map((v) => $(`tab-${v}`));
    tabs.forEach((tab, i) => {
      tab.addEventListener('click', () => showView(tab.dataset.view));
      tab.addEventListener('keydown', (e) => {
        let j = null;
        if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
        if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
        if (e.key === 'Home') j = 0;
        if (e.key === 'End') j = tabs.length - 1;
        if (j == null) return;
        e.preventDefault();
        tabs[j].focus();
        showView(tabs[j].dataset.view, false);
      });
    });

    for (const id of ['filter-status', 'filter-lang', 'filter-tag', 'filter-team']) $(id).addEventListener('change', renderList);
    let searchTimer = 0;
    $('article-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(renderList, 120); });
    $('article-search').addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        const first = $('article-list').querySelector('.article-item');
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    $('article-list').addEventListener('keydown', (e) => {
      const items = [...$('article-list').querySelectorAll('.article-item')];
      const i = items.indexOf(document.activeElement);
      if (i < 0) return;
      if (e.key === 'ArrowDown' && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); (i > 0 ? items[i - 1] : $('article-search')).focus(); }
    });
    $('article-new').addEventListener('click', () => openNew());

    $('editor').addEventListener('submit', (e) => e.preventDefault());
    $('editor-title').addEventListener('input', () => {
      if (!state.base && !state.slugTouched) $('editor-slug').value = slugify($('editor-title').value);
      renderPreview();
      updateDirty();
    });
    $('editor-slug').addEventListener('input', () => { state.slugTouched = true; updateDirty(); });
    $('editor-body').addEventListener('input', () => { renderPreview(); updateDirty(); });
    $('editor-tags').addEventListener('input', () => { renderTeamHint(); updateDirty(); });
    $('editor-lang').addEventListener('change', updateDirty);
    $('editor-translation').addEventListener('change', updateDirty);
    $('editor-question-add').addEventListener('click', addQuestion);
    $('editor-question-input').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); addQuestion(); }
    });
    $('editor-save-draft').addEventListener('click', () => save('draft'));
    $('editor-publish').addEventListener('click', () => save('published'));
    $('editor-unpublish').addEventListener('click', unpublish);
    $('editor-delete').addEventListener('click', deleteArticle);
    $('editor').addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        save(state.base && state.base.status === 'published' ? 'published' : 'draft');
      }
    });
    $('history-restore').addEventListener('click', restoreSelected);
    $('history').addEventListener('keydown', (e) => {
      const items = [...$('history').querySelectorAll('.version-item')];
      const i = items.indexOf(document.activeElement);
      if (i < 0) return;
      if (e.key === 'ArrowDown' && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
      if (e.key === 'ArrowUp' && i > 0) { e.preventDefault(); items[i - 1].focus(); }
    });
    for (const id of ['diff-from', 'diff-to']) {
      $(id).addEventListener('change', () => { $(id).dataset.value = $(id).value; renderDiff(); });
    }

    $('try-form').addEventListener('submit', (e) => { e.preventDefault(); runTry(); });
    $('try-drafts').addEventListener('change', () => { if ($('try-input').value.trim()) runTry(); });
    $('try-lang').addEventListener('change', () => { if ($('try-input').value.trim()) runTry(); });

    $('gaps-refresh').addEventListener('click', loadGaps);
    $('health-refresh').addEventListener('click', loadHealth);

    $('stats-form').addEventListener('submit', (e) => { e.preventDefault(); loadStats(); });
    for (const b of document.querySelectorAll('#stats-form [data-days]')) {
      b.addEventListener('click', () => { setRange(Number(b.dataset.days)); loadStats(); });
    }

    $('import-run').addEventListener('click', runImport);
    $('export-jsonl').addEventListener('click', () => runExport('jsonl'));
    $('export-csv').addEventListener('click', () => runExport('csv'));
    $('export-zip').addEventListener('click', () => runExport('zip'));

    window.addEventListener('beforeunload', (e) => {
      if (state.config && isDirty()) { e.preventDefault(); e.returnValue = ''; }
    });

    applyLang();
    if (state.token) login(state.token);
    else $('admin-token').focus();
  }

  KC.ready(init);
})();
