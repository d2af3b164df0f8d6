// The terminal: xterm.js with a small line editor in front of layerlab.exec. The shell itself
// (pipes, redirection, cd, heredocs, docker) is the Go core's (core/term); this file only edits
// lines, keeps history and completes words.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

const HISTORY_KEY = 'layerlab.history';
const HISTORY_MAX = 500;

// The docker words completed after `docker` (the command layer's, core/cli).
const DOCKER_WORDS = ['images', 'history', 'image', 'inspect', 'tag', 'rmi', 'save', 'load', 'system', 'build', 'pull', 'push', 'login', 'logout', 'ls', 'prune', 'df', 'rm'];

export const themes = {
  dark: { background: '#1b1d23', foreground: '#d8dee9', cursor: '#d8dee9', selectionBackground: '#4c566a' },
  light: { background: '#fbfbfb', foreground: '#24292f', cursor: '#24292f', selectionBackground: '#b6d4fe', black: '#24292f', brightBlack: '#57606a', white: '#6e7781', brightWhite: '#8c959f', yellow: '#9a6700', brightYellow: '#7d4e00', green: '#116329', brightGreen: '#1a7f37', blue: '#0550ae', brightBlue: '#0969da', red: '#cf222e', brightRed: '#a40e26' },
};

function loadHistory() {
  try {
    const h = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(h) ? h.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

// A quoted word for the shell: what completion inserts for names with blanks.
function shellQuote(s) {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// needsMore says whether the text typed so far is an unfinished command: an open quote, a
// trailing backslash, or a heredoc whose end word has not come yet.
export function needsMore(text) {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '\\') {
      if (i === text.length - 1) return true;
      i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    }
  }
  if (quote) return true;
  const lines = text.split('\n');
  const ends = [];
  for (let i = 0; i < lines.length; i++) {
    if (ends.length) {
      const want = ends[0];
      if (lines[i].replace(want.strip ? /^\t+/ : /^$/, '') === want.word) ends.shift();
      continue;
    }
    for (const m of lines[i].matchAll(/<<(-?)\s*(['"]?)([A-Za-z_][\w]*)\2/g)) ends.push({ word: m[3], strip: m[1] === '-' });
  }
  return ends.length > 0;
}

export class Shell {
  constructor(el, { layerlab, onCommandDone, onEscape } = {}) {
    this.ll = layerlab;
    this.onEscape = onEscape;
    this.onCommandDone = onCommandDone;
    this.term = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: themes.dark,
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(el);
    this.fitNow();
    new ResizeObserver(() => this.fitNow()).observe(el);
    this.cwd = '/workspace';
    this.line = '';
    this.cursor = 0;
    this.pending = ''; // earlier lines of an unfinished command (heredoc, open quote)
    this.history = loadHistory();
    this.histPos = this.history.length;
    this.draft = '';
    this.running = null; // AbortController of the running command
    this.queue = []; // the further lines of a paste
    this.typeahead = ''; // keys typed while a command runs
    this.term.attachCustomKeyEventHandler((ev) => this.key(ev));
    this.term.onData((d) => this.data(d));
    this.term.textarea?.setAttribute('aria-label', 'Terminal: type shell commands, e.g. docker images; help lists them; Escape leaves the terminal');
  }

  fitNow() {
    try { this.fit.fit(); } catch { /* not laid out yet */ }
  }

  setTheme(name) { this.term.options.theme = themes[name]; }
  focus() { this.term.focus(); }

  // key lets the browser copy (Ctrl-C with a selection, Ctrl-Shift-C) and paste (Ctrl-V,
  // Ctrl-Shift-V): the textarea's paste event then reaches onData.
  key(ev) {
    if (ev.type !== 'keydown') return true;
    // The terminal takes Tab (completion), so Escape is the keyboard's way out of it.
    if (ev.key === 'Escape' && !ev.ctrlKey && !ev.altKey) {
      this.term.blur();
      this.onEscape?.();
      return false;
    }
    const mod = ev.ctrlKey || ev.metaKey;
    if (mod && (ev.key === 'c' || ev.key === 'C') && (ev.shiftKey || this.term.hasSelection())) {
      navigator.clipboard?.writeText(this.term.getSelection()).catch(() => {});
      return false;
    }
    if (mod && (ev.key === 'v' || ev.key === 'V')) return false;
    return true;
  }

  promptText() {
    const dir = this.cwd === '/root' ? '~' : this.cwd.startsWith('/root/') ? `~${this.cwd.slice(5)}` : this.cwd;
    return this.pending ? '> ' : `\x1b[1;32mlayerlab\x1b[0m:\x1b[1;34m${dir}\x1b[0m$ `;
  }

  prompt() {
    this.line = '';
    this.cursor = 0;
    this.cursorRow = 0;
    this.term.write(this.promptText());
  }

  // pos is where the n-th character of the line being edited sits, in rows below the prompt's
  // and cells filled in that row: the line may hold newlines (a heredoc recalled from history,
  // shown with "> " as it was typed) and wrap at the terminal's width.
  pos(n) {
    const cols = this.term.cols;
    let row = 0;
    let col = this.promptText().replace(/\x1b\[[0-9;]*m/g, '').length;
    for (let i = 0; i < n; i++) {
      if (this.line[i] === '\n') {
        row++;
        col = 2;
        continue;
      }
      if (col >= cols) {
        row++;
        col = 0;
      }
      col++;
    }
    return { row, col: Math.min(col, cols - 1) };
  }

  // redraw draws the prompt and the line again from the prompt's row, clearing what was
  // below, and puts the cursor where it belongs.
  redraw() {
    let s = `\r${this.cursorRow ? `\x1b[${this.cursorRow}A` : ''}\x1b[J${this.promptText()}${this.line.replace(/\n/g, '\r\n> ')}`;
    const end = this.pos(this.line.length);
    const cur = this.pos(this.cursor);
    if (end.row > cur.row) s += `\x1b[${end.row - cur.row}A`;
    s += `\r${cur.col ? `\x1b[${cur.col}C` : ''}`;
    this.cursorRow = cur.row;
    this.term.write(s);
  }

  start() {
    this.term.write('Welcome to layerlab: Docker images in your browser. Type \x1b[1mhelp\x1b[0m for the commands.\r\n');
    this.prompt();
  }

  data(d) {
    if (this.running && this.input && d !== '\x03') {
      this.inputData(d);
      return;
    }
    if (this.running) {
      // Keys typed while a command runs wait for the next prompt, and echo at once, as a
      // terminal echoes type-ahead; Ctrl-C cancels the command and drops them.
      if (d === '\x03') {
        this.typeahead = '';
        this.input?.resolve(null);
        this.input = null;
        this.running.abort();
      } else if (d === '\x7f' || d === '\b') {
        if (this.typeahead && !this.typeahead.endsWith('\r')) {
          this.typeahead = this.typeahead.slice(0, -1);
          this.term.write('\b \b');
        }
      } else {
        this.typeahead += d;
        if (!d.startsWith('\x1b')) this.term.write(d.replace(/\r/g, '\r\n').replace(/[\x00-\x09\x0b\x0c\x0e-\x1f]/g, ''));
      }
      return;
    }
    // Pasted text with line ends runs line by line (a pasted heredoc included).
    if (d.length > 1 && /[\r\n]/.test(d) && !d.startsWith('\x1b')) {
      const parts = d.replace(/\r\n/g, '\r').split(/[\r\n]/);
      this.insert(parts.shift());
      this.queue.push(...parts.slice(0, -1));
      const last = parts.length ? parts[parts.length - 1] : null;
      this.enter().then(() => { if (last) this.insert(last); });
      return;
    }
    switch (d) {
      case '\r': this.enter(); return;
      case '\x7f': case '\b':
        if (this.cursor > 0) {
          this.line = this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor);
          this.cursor--;
          this.redraw();
        }
        return;
      case '\x1b[3~':
        if (this.cursor < this.line.length) {
          this.line = this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1);
          this.redraw();
        }
        return;
      case '\x1b[D': if (this.cursor > 0) { this.cursor--; this.redraw(); } return;
      case '\x1b[C': if (this.cursor < this.line.length) { this.cursor++; this.redraw(); } return;
      case '\x1b[H': case '\x1bOH': case '\x01': this.cursor = 0; this.redraw(); return;
      case '\x1b[F': case '\x1bOF': case '\x05': this.cursor = this.line.length; this.redraw(); return;
      case '\x15': this.line = this.line.slice(this.cursor); this.cursor = 0; this.redraw(); return;
      case '\x0b': this.line = this.line.slice(0, this.cursor); this.redraw(); return;
      case '\x17': {
        const before = this.line.slice(0, this.cursor).replace(/\S+\s*$/, '');
        this.line = before + this.line.slice(this.cursor);
        this.cursor = before.length;
        this.redraw();
        return;
      }
      case '\x1b[A': this.historyMove(-1); return;
      case '\x1b[B': this.historyMove(1); return;
      case '\x03':
        this.term.write('^C\r\n');
        this.pending = '';
        this.prompt();
        return;
      case '\x0c': this.term.clear(); this.redraw(); return;
      case '\t': this.complete(); return;
      default:
        if (d.startsWith('\x1b')) return; // other keys (F1, PgUp, ...) do nothing
        this.insert(d.replace(/[\x00-\x08\x0e-\x1f]/g, ''));
    }
  }

  // readInput is exec's onInput: a command (docker login) waits for a line typed here, shown
  // as typed unless echo is false (a password).
  readInput({ echo }) {
    // A prompt's own blanks ("Username: ") are drawn before what is typed after it.
    this.flushBlanks?.();
    return new Promise((resolve) => {
      this.input = { resolve, echo, text: '' };
      // keys typed before the command asked are its input, as in a real terminal (they
      // echoed as they were typed: not again)
      const ahead = this.typeahead;
      this.typeahead = '';
      if (ahead) this.inputData(ahead, true);
    });
  }

  inputData(d, echoed = false) {
    this.flushBlanks?.(); // the prompt's blanks come before what is typed
    const inp = this.input;
    const echo = inp.echo && !echoed;
    for (const c of d) {
      if (c === '\r') {
        this.input = null;
        if (echo) this.term.write('\r\n');
        inp.resolve(`${inp.text}\n`);
        return;
      }
      if (c === '\x7f' || c === '\b') {
        if (inp.text && echo) this.term.write('\b \b');
        inp.text = inp.text.slice(0, -1);
      } else if (c >= ' ') {
        inp.text += c;
        if (echo) this.term.write(c);
      }
    }
  }

  insert(s) {
    if (!s) return;
    this.line = this.line.slice(0, this.cursor) + s + this.line.slice(this.cursor);
    this.cursor += s.length;
    if (this.cursor === this.line.length && !s.includes('\n')) {
      this.term.write(s);
      this.cursorRow = this.pos(this.cursor).row;
    } else {
      this.redraw();
    }
  }

  historyMove(dir) {
    if (!this.history.length) return;
    if (this.histPos === this.history.length) this.draft = this.line;
    const pos = Math.min(this.history.length, Math.max(0, this.histPos + dir));
    if (pos === this.histPos) return;
    this.histPos = pos;
    this.line = pos === this.history.length ? this.draft : this.history[pos];
    this.cursor = this.line.length;
    this.redraw();
  }

  remember(cmd) {
    if (!cmd.trim() || this.history[this.history.length - 1] === cmd) return;
    this.history.push(cmd);
    if (this.history.length > HISTORY_MAX) this.history.splice(0, this.history.length - HISTORY_MAX);
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(this.history)); } catch { /* full: keep in memory */ }
  }

  async enter() {
    // Below the whole of a line that spans rows, wherever the cursor was in it.
    const below = this.pos(this.line.length).row - (this.cursorRow || 0);
    this.term.write(`${below > 0 ? `\x1b[${below}B` : ''}\r\n`);
    const text = this.pending ? `${this.pending}\n${this.line}` : this.line;
    if (needsMore(text)) {
      this.pending = text;
      this.prompt();
      return;
    }
    this.pending = '';
    this.remember(text);
    this.histPos = this.history.length;
    if (text.trim()) await this.run(text);
    this.prompt();
    const next = this.queue.shift();
    if (next !== undefined) {
      this.insert(next);
      await this.enter();
      return;
    }
    const ahead = this.typeahead;
    this.typeahead = '';
    if (ahead) this.data(ahead);
  }

  // run runs one command in the core, streaming its output; Ctrl-C aborts it.
  async run(text) {
    const ac = new AbortController();
    this.running = ac;
    let last = '\n';
    // Blanks at the ends of lines (Docker pads table columns, the last one too) are not drawn:
    // in a terminal narrower than the table they would wrap into rows that look empty. A
    // chunk's trailing blanks wait for what follows them. What exec returns keeps every byte.
    const blanks = { stdout: '', stderr: '' };
    this.flushBlanks = () => {
      for (const stream of ['stdout', 'stderr']) {
        if (blanks[stream]) this.term.write(blanks[stream]);
        blanks[stream] = '';
      }
    };
    const show = (chunk, stream) => {
      let s = blanks[stream] + chunk;
      const tail = / +$/.exec(s);
      blanks[stream] = tail ? tail[0] : '';
      if (tail) s = s.slice(0, -tail[0].length);
      s = s.replace(/ +(?=\r?\n)/g, '');
      if (s) this.term.write(stream === 'stderr' ? `\x1b[31m${s}\x1b[0m` : s);
    };
    try {
      const r = await this.ll.exec(text, {
        tty: true,
        columns: this.term.cols,
        cwd: this.cwd,
        onInput: (req) => this.readInput(req),
        signal: ac.signal,
        onOutput: (chunk, stream) => {
          if (!chunk) return;
          last = chunk[chunk.length - 1];
          show(chunk, stream);
        },
      });
      this.flushBlanks();
      if (r.exitCode === 130 && ac.signal.aborted) {
        this.term.write(last === '\n' ? '^C\r\n' : '^C\r\n');
        last = '\n';
      }
      if (r.cwd) this.cwd = r.cwd;
      this.lastExit = r.exitCode;
    } catch (e) {
      this.term.write(`\x1b[31mlayerlab: the core failed: ${e.message}\x1b[0m\r\n`);
      last = '\n';
    } finally {
      this.running = null;
      this.input = null;
    }
    if (last !== '\n') this.term.write('\x1b[7m%\x1b[0m\r\n');
    this.onCommandDone?.(text);
  }

  // complete completes the word before the cursor: a command, a docker word, an image name
  // or a file name.
  async complete() {
    const before = this.line.slice(0, this.cursor);
    const m = before.match(/(\S*)$/);
    const word = m[1];
    const words = before.slice(0, before.length - word.length).trim().split(/\s+/).filter(Boolean);
    const atCommand = words.length === 0 || /[|;&]$/.test(words[words.length - 1]);
    let candidates = [];
    try {
      if (atCommand) {
        candidates = (await this.ll.commands()).filter((c) => c.startsWith(word)).map((c) => ({ text: c, end: ' ' }));
      } else {
        if (words[words.length - 1] === 'docker' || (words.length === 2 && words[0] === 'docker' && ['image', 'system'].includes(words[1]))) {
          candidates.push(...DOCKER_WORDS.filter((c) => c.startsWith(word)).map((c) => ({ text: c, end: ' ' })));
        }
        if (words[0] === 'docker' && !word.startsWith('.') && !word.startsWith('~')) {
          const r = await this.ll.exec("docker images --format '{{.Repository}}:{{.Tag}}'");
          for (const n of r.stdout.split('\n')) {
            if (n && !n.includes('<none>') && n.startsWith(word)) candidates.push({ text: n, end: ' ' });
          }
        }
        candidates.push(...await this.fileCandidates(word));
      }
    } catch (e) {
      return; // completion is best effort
    }
    const seen = new Set();
    candidates = candidates.filter((c) => !seen.has(c.text) && seen.add(c.text));
    if (!candidates.length) return;
    if (candidates.length === 1) {
      const c = candidates[0];
      this.replaceWord(word, shellQuote(c.text) + c.end);
      return;
    }
    let prefix = candidates[0].text;
    for (const c of candidates) while (!c.text.startsWith(prefix)) prefix = prefix.slice(0, -1);
    if (prefix.length > word.length) {
      this.replaceWord(word, prefix);
      return;
    }
    this.term.write(`\r\n${candidates.map((c) => c.text.split('/').filter(Boolean).pop() + (c.end === '/' ? '/' : '')).join('  ')}\r\n`);
    this.cursorRow = 0;
    this.redraw();
  }

  replaceWord(word, text) {
    this.line = this.line.slice(0, this.cursor - word.length) + text + this.line.slice(this.cursor);
    this.cursor += text.length - word.length;
    this.redraw();
  }

  async fileCandidates(word) {
    const slash = word.lastIndexOf('/');
    const dirPart = slash >= 0 ? word.slice(0, slash + 1) : '';
    const base = slash >= 0 ? word.slice(slash + 1) : word;
    let dir = dirPart.replace(/^~(?=\/|$)/, '/root');
    if (!dir.startsWith('/')) dir = `${this.cwd}/${dir}`;
    let entries;
    try {
      entries = await this.ll.readDir(dir.replace(/\/+$/, '') || '/');
    } catch {
      return [];
    }
    return entries
      .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
      .map((e) => ({ text: dirPart + e.name + (e.dir ? '/' : ''), end: e.dir ? '' : ' ' }));
  }

  // text is what the terminal shows, line by line (for tests and screen readers).
  text() {
    const b = this.term.buffer.active;
    const out = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true));
    while (out.length && out[out.length - 1] === '') out.pop();
    return out.join('\n');
  }
}
