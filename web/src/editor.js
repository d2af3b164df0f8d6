// The editor: CodeMirror 6 over one workspace file at a time, saved as you type.
import { basicSetup } from 'codemirror';
import { EditorView } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { dockerFile } from '@codemirror/legacy-modes/mode/dockerfile';
import { shell } from '@codemirror/legacy-modes/mode/shell';

const SAVE_DELAY = 300; // ms after the last keystroke
const MAX_TEXT = 2 << 20; // larger files (image tars) are not opened as text

// highlight colours the syntax with the page's theme variables (main.css), readable in the
// light and the dark theme alike; CodeMirror's default style is for light backgrounds only.
const highlight = syntaxHighlighting(HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword], color: 'var(--hl-keyword)' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: 'var(--hl-string)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment, tags.meta], color: 'var(--hl-comment)', fontStyle: 'italic' },
  { tag: [tags.number, tags.bool, tags.atom, tags.null], color: 'var(--hl-number)' },
  { tag: [tags.special(tags.variableName), tags.variableName, tags.definition(tags.variableName), tags.attributeName], color: 'var(--hl-variable)' },
  { tag: [tags.standard(tags.variableName), tags.function(tags.variableName), tags.operator], color: 'var(--hl-builtin)' },
  { tag: tags.invalid, color: 'var(--hl-invalid)' },
]));

function languageFor(path) {
  const name = path.split('/').pop();
  if (/^(Dockerfile|Containerfile)(\..*)?$|\.dockerfile$/i.test(name)) return StreamLanguage.define(dockerFile);
  if (/\.(sh|bash)$/.test(name)) return StreamLanguage.define(shell);
  return [];
}

export class Editor {
  constructor(el, titleEl, { layerlab, onError }) {
    this.ll = layerlab;
    this.titleEl = titleEl;
    this.onError = onError;
    this.path = null;
    this.timer = null;
    this.saving = Promise.resolve();
    this.opening = Promise.resolve();
    this.lastSaved = '';
    this.language = new Compartment();
    this.editable = new Compartment();
    this.view = new EditorView({
      parent: el,
      state: this.state(''),
    });
    this.view.contentDOM.setAttribute('aria-label', 'Editor');
    this.setTitle();
  }

  state(doc, path = '') {
    return EditorState.create({
      doc,
      extensions: [
        basicSetup,
        highlight,
        this.language.of(path ? languageFor(path) : []),
        this.editable.of(EditorView.editable.of(Boolean(path))),
        EditorView.updateListener.of((u) => { if (u.docChanged && this.path) this.scheduleSave(); }),
      ],
    });
  }

  setTitle(note = '') {
    const name = this.path ? this.path.replace(/^\/workspace\//, '') : 'No file open: pick one in Files';
    this.titleEl.textContent = note ? `${name} — ${note}` : name;
  }

  // open shows path in the editor. A rename waits for an open under way (see renamed). The
  // file already open stays as it is (cursor and all): changes made elsewhere reach it
  // through changed.
  open(path) {
    if (path === this.path) return this.opening;
    this.opening = this.openNow(path);
    return this.opening;
  }

  async openNow(path) {
    await this.flush();
    let text;
    try {
      const b = await this.ll.readFile(path);
      if (b.length > MAX_TEXT || b.includes(0)) {
        this.path = null;
        this.view.setState(this.state(`${path} is not a text file (${b.length} bytes): it stays as it is.`));
        this.setTitle();
        return;
      }
      text = new TextDecoder().decode(b);
    } catch (e) {
      this.onError(`Opening ${path}: ${e.message}`);
      return;
    }
    this.path = path;
    this.lastSaved = text;
    this.view.setState(this.state(text, path));
    this.setTitle('saved');
  }

  scheduleSave() {
    clearTimeout(this.timer);
    this.setTitle('editing…');
    this.timer = setTimeout(() => this.save(), SAVE_DELAY);
  }

  save() {
    clearTimeout(this.timer);
    this.timer = null;
    const path = this.path;
    const text = this.view.state.doc.toString();
    if (!path || text === this.lastSaved) return this.saving;
    this.saving = this.saving.then(async () => {
      try {
        await this.ll.writeFile(path, text);
        this.lastSaved = text;
        if (this.path === path) this.setTitle(this.timer ? 'editing…' : 'saved');
      } catch (e) {
        this.setTitle('not saved');
        this.onError(`Saving ${path}: ${e.message}`);
      }
    });
    return this.saving;
  }

  flush() { return this.timer ? this.save() : this.saving; }

  // renamed is told, before the file panel moves from to to, so that a file open in the
  // editor (from, or one inside the folder from) stays open under its new path; typing not
  // yet saved is saved first. It returns what undoes that when the move fails.
  async renamed(from, to) {
    await this.opening;
    if (!this.path || (this.path !== from && !this.path.startsWith(`${from}/`))) return () => {};
    await this.flush();
    const before = this.path;
    this.path = to + before.slice(from.length);
    this.setTitle('saved');
    return () => {
      if (this.path !== to + before.slice(from.length)) return;
      this.path = before;
      this.setTitle('saved');
    };
  }

  // changed is told about a file changed elsewhere (the terminal, another tab): an open file
  // with no unsaved typing shows the new content.
  async changed(path) {
    if (!this.path) return;
    if (path !== this.path && !this.path.startsWith(`${path}/`)) return;
    if (this.timer) return;
    const open = this.path;
    const before = this.view.state.doc.toString();
    await this.saving;
    let text;
    try {
      text = new TextDecoder().decode(await this.ll.readFile(open));
    } catch {
      if (this.path !== open) return; // the editor moved on (another file, a rename) meanwhile
      this.path = null; // removed or renamed
      this.view.setState(this.state(''));
      this.setTitle();
      return;
    }
    // typing while the file was read wins: the read may hold the content from before it
    if (this.timer || this.path !== open || this.view.state.doc.toString() !== before) return;
    if (text === this.lastSaved || text === this.view.state.doc.toString()) return;
    this.lastSaved = text;
    const sel = Math.min(this.view.state.selection.main.head, text.length);
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text }, selection: { anchor: sel } });
    clearTimeout(this.timer);
    this.timer = null;
    this.setTitle('saved');
  }
}
