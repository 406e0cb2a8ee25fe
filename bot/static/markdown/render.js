/**
 * Kundresa's safe Markdown renderer — plain ES2020, no dependencies. The one copy: the widget imports it
 * (bot/static/widget/*.js, assembled into /widget.js) and so does the admin console's live preview
 * (served at /markdown/render.js), so an article previews exactly as customers will see it.
 * `renderMarkdown(markdown)` -> HTMLDivElement.kundresa-md. Text never becomes markup: HTML in an article
 * shows as text; links are http(s) only. One top-level name (its helpers live inside) because the widget's
 * assembler puts every module in one scope.
 */
export const renderMarkdown = (() => {
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
