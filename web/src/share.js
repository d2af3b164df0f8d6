// The Share button (layerlab.shareLink) and a page opened with #build=...: what the link
// holds is shown, and only on the learner's word written into a new workspace folder.
// Nothing is built or pulled. A workspace too big for a link downloads as a tar instead.
import { el } from './md.js';

export class Share {
  constructor(box, { layerlab, lessons, onError }) {
    this.ll = layerlab;
    this.lessons = lessons;
    this.onError = onError;
    this.box = box;
  }

  async share() {
    const l = this.lessons?.lesson();
    const opts = l ? { lesson: l.id, step: this.lessons.step } : {};
    try {
      const link = await this.ll.shareLink(opts);
      let copied = false;
      try {
        await navigator.clipboard.writeText(link);
        copied = true;
      } catch { /* no clipboard permission: the link is shown to copy by hand */ }
      const input = el('input', { type: 'text', readonly: true, value: link, 'aria-label': 'Build link', class: 'share-link' });
      this.show(el('p', {}, copied ? 'Build link copied to the clipboard:' : 'Your build link (copy it):'), input,
        el('button', { type: 'button', 'data-act': 'close', onclick: () => this.hide() }, 'Close'));
      input.select();
      input.focus();
    } catch (e) {
      this.show(el('p', { class: 'bad' }, `Sharing: ${e.message}`),
        el('button', { type: 'button', 'data-act': 'download-workspace', onclick: () => this.download() }, 'Download workspace'),
        el('button', { type: 'button', 'data-act': 'close', onclick: () => this.hide() }, 'Close'));
      this.box.querySelector('button').focus();
    }
  }

  show(...kids) {
    this.box.replaceChildren(...kids);
    this.box.hidden = false;
  }

  hide() { this.box.hidden = true; this.box.replaceChildren(); }

  // offer reads location.hash's build link and asks before writing it anywhere.
  async offer() {
    if (!location.hash.startsWith('#build=')) return;
    let link;
    try {
      link = await this.ll.openShareLink(location.hash);
    } catch (e) {
      this.show(el('p', { class: 'bad' }, `This page's build link cannot be opened: ${e.message}`),
        el('button', { type: 'button', 'data-act': 'close', onclick: () => this.hide() }, 'Close'));
      return;
    }
    const names = Object.keys(link.files).sort();
    const folder = await this.freeFolder();
    const lesson = link.lesson ? (this.lessons?.lessons.find((l) => l.id === link.lesson)) : null;
    this.show(el('div', { class: 'share-offer', role: 'group', 'aria-label': 'Build link' },
      el('p', {}, `This link holds ${names.length} file${names.length === 1 ? '' : 's'}${link.lesson ? ` and a lesson step: ${lesson ? lesson.title : link.lesson}, step ${link.step + 1}` : ''}. Nothing has been written, built or pulled.`),
      el('ul', { class: 'share-files' }, names.map((n) => el('li', {}, el('code', { text: n }), typeof link.files[n] === 'string' ? ` (${link.files[n].length} characters)` : ` (${link.files[n].length} bytes)`))),
      el('button', { type: 'button', class: 'primary', 'data-act': 'open-link', onclick: () => this.apply(link, folder, lesson) }, `Open it in a new folder: ${folder}/`),
      el('button', { type: 'button', 'data-act': 'close', onclick: () => { this.hide(); history.replaceState(null, '', location.pathname + location.search); } }, 'Not now')));
  }

  async freeFolder() {
    const taken = new Set(await this.ll.readDir('/workspace').then((es) => es.map((e) => e.name), () => []));
    for (let i = 1; ; i++) {
      const name = i === 1 ? 'shared' : `shared-${i}`;
      if (!taken.has(name)) return name;
    }
  }

  async apply(link, folder, lesson) {
    try {
      for (const [p, data] of Object.entries(link.files)) await this.ll.writeFile(`${folder}/${p}`, data);
      history.replaceState(null, '', location.pathname + location.search);
      this.show(el('p', { class: 'good' }, `Opened the link in /workspace/${folder}/. Build it with: cd ${folder} && docker build .`),
        el('button', { type: 'button', 'data-act': 'close', onclick: () => this.hide() }, 'Close'));
      if (lesson) await this.lessons.open(lesson.id, link.step);
    } catch (e) {
      this.onError(`Opening the build link: ${e.message}`);
    }
  }

  // download packs the workspace into a tar file (ustar) the learner saves.
  async download() {
    try {
      const entries = [];
      const walk = async (dir, rel) => {
        for (const e of await this.ll.readDir(dir)) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.dir) { entries.push({ name: `${r}/`, dir: true, mtime: e.mtime }); await walk(e.path, r); } else entries.push({ name: r, data: await this.ll.readFile(e.path), mtime: e.mtime });
        }
      };
      await walk('/workspace', '');
      const a = el('a', { href: URL.createObjectURL(new Blob([tar(entries)], { type: 'application/x-tar' })), download: 'workspace.tar' });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) {
      this.onError(`Downloading the workspace: ${e.message}`);
    }
  }
}

function tar(entries) {
  const enc = new TextEncoder();
  const blocks = [];
  for (const e of entries) {
    const h = new Uint8Array(512);
    const put = (off, len, s) => h.set(enc.encode(s).subarray(0, len), off);
    const oct = (off, len, n) => put(off, len, n.toString(8).padStart(len - 1, '0'));
    let name = e.name;
    let prefix = '';
    if (enc.encode(name).length > 100) { const i = name.lastIndexOf('/', name.length - 2); prefix = name.slice(0, i); name = name.slice(i + 1); }
    const data = e.data ? (e.data instanceof Uint8Array ? e.data : enc.encode(String(e.data))) : new Uint8Array(0);
    put(0, 100, name);
    oct(100, 8, e.dir ? 0o755 : 0o644);
    oct(108, 8, 0); oct(116, 8, 0);
    oct(124, 12, data.length);
    oct(136, 12, Math.floor((e.mtime || 0) / 1000));
    h.fill(32, 148, 156);
    put(156, 1, e.dir ? '5' : '0');
    put(257, 6, 'ustar'); put(263, 2, '00');
    put(345, 155, prefix);
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, data);
    if (data.length % 512) blocks.push(new Uint8Array(512 - (data.length % 512)));
  }
  blocks.push(new Uint8Array(1024));
  return new Blob(blocks);
}
