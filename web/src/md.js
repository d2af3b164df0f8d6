// A small Markdown renderer for lesson text that builds DOM nodes and never parses HTML:
// a lesson opened from a URL is untrusted, so every piece of its text goes in as text.
// It knows what lessons use: headings, paragraphs, lists, fenced code, quotes, `code`,
// **bold**, *emphasis* and [links](https://...) (http and https only).

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
  return e;
}

const inlineRe = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/;

export function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = rest.match(inlineRe);
    if (!m) { out.push(document.createTextNode(rest)); break; }
    if (m.index > 0) out.push(document.createTextNode(rest.slice(0, m.index)));
    const t = m[0];
    if (m[1]) out.push(el('code', { text: t.slice(1, -1) }));
    else if (m[2]) out.push(el('strong', {}, inline(t.slice(2, -2))));
    else if (m[3]) out.push(el('em', {}, inline(t.slice(1, -1))));
    else {
      const lm = t.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      let href = null;
      try {
        const u = new URL(lm[2], location.href);
        if (u.protocol === 'https:' || u.protocol === 'http:') href = u.href;
      } catch { /* not a URL: text */ }
      out.push(href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, lm[1]) : document.createTextNode(lm[1]));
    }
    rest = rest.slice(m.index + t.length);
  }
  return out;
}

// render turns Markdown text into a DocumentFragment.
export function render(md) {
  const frag = document.createDocumentFragment();
  const lines = String(md ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  let list = null;
  const flush = () => {
    if (para.length) frag.append(el('p', {}, inline(para.join(' '))));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^```\s*(\S*)/);
    if (fence) {
      flush(); list = null;
      const body = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      frag.append(el('pre', {}, el('code', { text: body.join('\n') })));
      continue;
    }
    const h = line.match(/^(#{1,6})\s+(.*)$/);
    const li = line.match(/^\s*(?:[-*]|\d+\.)\s+(.*)$/);
    if (h) {
      flush(); list = null;
      frag.append(el(`h${Math.min(6, h[1].length + 3)}`, {}, inline(h[2])));
    } else if (li) {
      flush();
      if (!list) { list = el(/^\s*\d/.test(line) ? 'ol' : 'ul'); frag.append(list); }
      list.append(el('li', {}, inline(li[1])));
    } else if (/^>\s?/.test(line)) {
      flush(); list = null;
      frag.append(el('blockquote', {}, inline(line.replace(/^>\s?/, ''))));
    } else if (!line.trim()) {
      flush(); list = null;
    } else if (list && /^\s+\S/.test(line)) {
      list.lastChild.append(' ', ...inline(line.trim()));
    } else {
      list = null;
      para.push(line.trim());
    }
  }
  flush();
  return frag;
}
