// The file panel: the workspace as a tree; create, rename, delete, upload (also by dropping
// files and folders) and download. Renames and deletes run the shell's mv and rm.
const ROOT = '/workspace';

function q(s) { return `'${s.replace(/'/g, `'\\''`)}'`; }
function rel(p) { return p === ROOT ? '.' : p.slice(ROOT.length + 1); }

export class Files {
  constructor(el, { layerlab, onOpen, onRename, onError }) {
    this.el = el;
    this.ll = layerlab;
    this.onOpen = onOpen;
    this.onRename = onRename; // (from, to) before a rename; may return what undoes it
    this.onError = onError;
    this.selected = null; // {path, dir}
    this.open = new Set([ROOT]);
    this.tree = el.querySelector('.tree');
    const on = (sel, fn) => el.querySelector(sel).addEventListener('click', fn);
    on('[data-act=new-file]', () => this.create(false));
    on('[data-act=new-folder]', () => this.create(true));
    on('[data-act=rename]', () => this.rename());
    on('[data-act=delete]', () => this.remove());
    on('[data-act=download]', () => this.download());
    on('[data-act=upload]', () => el.querySelector('input[name=files]').click());
    on('[data-act=upload-folder]', () => el.querySelector('input[name=folder]').click());
    for (const input of el.querySelectorAll('input[type=file]')) {
      input.addEventListener('change', async () => {
        await this.upload([...input.files].map((f) => [f.webkitRelativePath || f.name, f]));
        input.value = '';
      });
    }
    el.addEventListener('dragover', (ev) => { ev.preventDefault(); el.classList.add('drop'); });
    el.addEventListener('dragleave', () => el.classList.remove('drop'));
    el.addEventListener('drop', (ev) => this.drop(ev));
    this.refreshSoon = debounce(() => this.refresh(), 100);
  }

  targetDir() {
    if (!this.selected) return ROOT;
    return this.selected.dir ? this.selected.path : this.selected.path.replace(/\/[^/]+$/, '');
  }

  async create(dir) {
    const name = prompt(dir ? 'New folder name' : 'New file name', dir ? 'app' : 'Dockerfile');
    if (!name) return;
    const path = name.startsWith('/') ? name : `${this.targetDir()}/${name}`;
    try {
      if (dir) await this.ll.mkdir(path);
      else await this.ll.writeFile(path, '');
      this.open.add(path.replace(/\/[^/]+$/, ''));
      await this.refresh();
      this.select({ path, dir });
      if (!dir) this.onOpen(path);
    } catch (e) {
      this.onError(`Creating ${name}: ${e.message}`);
    }
  }

  async rename() {
    if (!this.selected) return this.onError('Select a file or folder to rename.');
    const from = this.selected.path;
    const name = prompt(`Rename ${rel(from)} to`, from.split('/').pop());
    if (!name) return;
    if (name.includes('/')) return this.onError(`Renaming ${rel(from)}: a name cannot hold "/"; to move it, use mv in the terminal.`);
    const to = from.replace(/[^/]+$/, name);
    // the editor follows a file it has open before the move, so it never sees the file gone
    const undo = await this.onRename?.(from, to);
    if (!(await this.run(`mv -- ${q(from)} ${q(to)}`))) {
      undo?.();
      return;
    }
    this.selected = { ...this.selected, path: to };
  }

  async remove() {
    if (!this.selected) return this.onError('Select a file or folder to delete.');
    const p = this.selected.path;
    if (!confirm(`Delete ${rel(p)}${this.selected.dir ? ' and everything in it' : ''}?`)) return;
    await this.run(`rm -rf -- ${q(p)}`);
    this.selected = null;
  }

  // run runs line in the shell and reports whether it succeeded; a failure is shown.
  async run(line) {
    const r = await this.ll.exec(line);
    if (r.exitCode !== 0) this.onError(r.stderr.trim() || `${line} failed`);
    return r.exitCode === 0;
  }

  async download() {
    if (!this.selected || this.selected.dir) return this.onError('Select a file to download.');
    try {
      const b = await this.ll.readFile(this.selected.path);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([b]));
      a.download = this.selected.path.split('/').pop();
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) {
      this.onError(`Downloading: ${e.message}`);
    }
  }

  // upload writes [relativePath, File] pairs under the selected folder; a null File is a
  // folder (so an empty folder dropped arrives too). The folders it wrote into open in the tree.
  async upload(items) {
    const dir = this.targetDir();
    this.open.add(dir);
    for (const [name, file] of items) {
      const path = `${dir}/${name}`;
      try {
        if (file) await this.ll.writeFile(path, new Uint8Array(await file.arrayBuffer()));
        else await this.ll.mkdir(path);
      } catch (e) {
        this.onError(`Uploading ${name}: ${e.message}`);
        break;
      }
      for (let p = file ? path.replace(/\/[^/]+$/, '') : path; p.length > dir.length; p = p.replace(/\/[^/]+$/, '')) this.open.add(p);
    }
    this.refreshSoon();
  }

  async drop(ev) {
    ev.preventDefault();
    this.el.classList.remove('drop');
    const entries = [...ev.dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    const items = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        items.push([prefix + entry.name, await new Promise((res, rej) => entry.file(res, rej))]);
      } else if (entry.isDirectory) {
        items.push([prefix + entry.name, null]);
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
        }
      }
    };
    if (entries.length) {
      try {
        for (const e of entries) await walk(e, '');
      } catch (e) {
        this.onError(`Reading what was dropped: ${e.message}`);
        return;
      }
    } else {
      for (const f of ev.dataTransfer.files) items.push([f.name, f]);
    }
    await this.upload(items);
  }

  select(sel) {
    this.selected = sel;
    for (const b of this.tree.querySelectorAll('button[data-path]')) {
      b.setAttribute('aria-selected', String(b.dataset.path === sel?.path));
    }
  }

  async refresh() {
    const ul = document.createElement('ul');
    ul.setAttribute('role', 'tree');
    try {
      await this.fill(ul, ROOT, 0);
    } catch (e) {
      this.onError(`Reading the workspace: ${e.message}`);
      return;
    }
    if (!ul.children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No files yet: make a Dockerfile with New file, or in the terminal: cat > Dockerfile <<EOF';
      ul.append(li);
    }
    this.tree.replaceChildren(ul);
    if (this.selected) this.select(this.selected);
  }

  async fill(ul, dir, depth) {
    for (const e of await this.ll.readDir(dir)) {
      const li = document.createElement('li');
      li.setAttribute('role', 'treeitem');
      const b = document.createElement('button');
      b.dataset.path = e.path;
      b.style.paddingLeft = `${0.4 + depth * 0.9}rem`;
      b.textContent = `${e.dir ? (this.open.has(e.path) ? '▾ ' : '▸ ') : ''}${e.name}`;
      b.title = e.dir ? `${rel(e.path)} (folder)` : `${rel(e.path)} (${e.size} bytes)`;
      b.addEventListener('click', () => {
        this.select({ path: e.path, dir: e.dir });
        if (e.dir) {
          if (this.open.has(e.path)) this.open.delete(e.path);
          else this.open.add(e.path);
          this.refresh();
        } else {
          this.onOpen(e.path);
        }
      });
      li.append(b);
      ul.append(li);
      if (e.dir && this.open.has(e.path)) {
        li.setAttribute('aria-expanded', 'true');
        const sub = document.createElement('ul');
        sub.setAttribute('role', 'group');
        await this.fill(sub, e.path, depth + 1);
        li.append(sub);
      } else if (e.dir) {
        li.setAttribute('aria-expanded', 'false');
      }
    }
  }
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
