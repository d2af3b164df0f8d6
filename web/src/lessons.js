// The lessons panel: the course's lessons (layerlab.lessons), the current step's text, its
// commands (pasted into the terminal, not run), the files it offers to create (never
// overwriting without asking), Check, hints one at a time, "Show me", progress, restart,
// and a lesson opened from a URL. Lesson text is rendered by md.js, as text only.
import { el, render } from './md.js';
import './lessons.css';

export class Lessons {
  constructor(root, { layerlab, shell, onError }) {
    this.ll = layerlab;
    this.shell = shell;
    this.onError = onError;
    this.root = root;
    this.lessons = [];
    this.current = null; // lesson id
    this.step = 0;
    this.hintsShown = 0;
    this.progress = { done: [], shown: [] };
    this.select = el('select', { 'aria-label': 'Lesson', onchange: () => this.open(this.select.value) });
    this.urlInput = el('input', { type: 'url', placeholder: 'https://…/lesson.md', 'aria-label': 'Lesson URL' });
    this.urlForm = el('form', { class: 'lesson-url', onsubmit: (ev) => { ev.preventDefault(); this.openURL(this.urlInput.value.trim()); } },
      this.urlInput, el('button', { type: 'submit' }, 'Open lesson from URL'));
    this.body = el('div', { class: 'lesson-body' });
    this.msg = el('p', { class: 'lesson-msg', role: 'status', 'aria-live': 'polite' });
    root.append(el('div', { class: 'lesson-top' }, this.select,
      el('button', { type: 'button', 'data-act': 'restart', onclick: () => this.restart() }, 'Restart lesson')), this.urlForm, this.msg, this.body);
  }

  async load() {
    this.lessons = await this.ll.lessons();
    this.select.replaceChildren(...this.lessons.map((l) => el('option', { value: l.id }, `${l.order ? `${l.order}. ` : ''}${l.title}`)));
    if (!this.current && this.lessons.length) await this.open(this.lessons[0].id);
  }

  lesson() { return this.lessons.find((l) => l.id === this.current); }

  async open(id, step) {
    this.current = id;
    this.select.value = id;
    this.progress = await this.ll.progress(id);
    const l = this.lesson();
    this.step = step ?? firstUndone(l, this.progress);
    this.hintsShown = 0;
    this.say('');
    this.draw();
  }

  say(text, kind = '') {
    this.msg.textContent = text;
    this.msg.className = `lesson-msg ${kind}`;
  }

  draw() {
    const l = this.lesson();
    if (!l) { this.body.replaceChildren(el('p', { class: 'empty' }, 'No lessons.')); return; }
    const marks = el('ol', { class: 'step-marks', 'aria-label': 'Steps' }, l.steps.map((s, i) => {
      const done = this.progress.done.includes(i);
      const shown = this.progress.shown.includes(i);
      const label = `Step ${i + 1}: ${s.title || ''}${done ? (shown ? ' (done by show me)' : ' (done)') : ''}`;
      return el('li', {}, el('button', {
        type: 'button', class: `mark${done ? ' done' : ''}${shown ? ' shown' : ''}`, 'aria-label': label, title: label,
        'aria-current': i === this.step ? 'step' : null, onclick: () => { this.step = i; this.hintsShown = 0; this.say(''); this.draw(); },
      }, done ? '✓' : String(i + 1)));
    }));
    const s = l.steps[this.step];
    const parts = [el('h3', { class: 'lesson-title' }, l.title), marks];
    if (this.step === 0 && l.intro) parts.push(el('div', { class: 'lesson-intro' }, render(l.intro)));
    parts.push(el('h4', {}, `Step ${this.step + 1} of ${l.steps.length}${s.title ? `: ${s.title}` : ''}`));
    parts.push(el('div', { class: 'lesson-text' }, render(s.text)));
    if (s.commands.length) {
      parts.push(el('ul', { class: 'lesson-cmds', 'aria-label': 'Commands' }, s.commands.map((c) => el('li', {},
        el('code', { text: c }),
        el('button', { type: 'button', 'data-act': 'paste', onclick: () => this.paste(c), 'aria-label': `Paste into the terminal: ${c}` }, 'Paste')))));
    }
    const files = Object.entries(s.files);
    if (files.length) {
      parts.push(el('ul', { class: 'lesson-files', 'aria-label': 'Files' }, files.map(([p, content]) => el('li', {},
        el('details', {}, el('summary', {}, el('code', { text: p })), el('pre', {}, el('code', { text: content }))),
        el('button', { type: 'button', 'data-act': 'create', onclick: (ev) => this.create(p, content, ev.target), 'aria-label': `Create ${p}` }, 'Create')))));
    }
    const hints = el('ul', { class: 'lesson-hints' }, s.hints.slice(0, this.hintsShown).map((h) => el('li', {}, render(h))));
    const actions = el('div', { class: 'lesson-actions' },
      el('button', { type: 'button', 'data-act': 'check', class: 'primary', onclick: () => this.check() }, 'Check'),
      this.hintsShown < s.hints.length ? el('button', { type: 'button', 'data-act': 'hint', onclick: () => { this.hintsShown++; this.draw(); this.root.querySelector('[data-act=hint], [data-act=check]')?.focus(); } },
        `Hint (${this.hintsShown + 1} of ${s.hints.length})`) : null,
      el('button', { type: 'button', 'data-act': 'showme', onclick: () => this.showMe() }, 'Show me'),
      this.step > 0 ? el('button', { type: 'button', 'data-act': 'prev', onclick: () => this.go(-1) }, 'Back') : null,
      this.progress.done.includes(this.step) && this.step + 1 < l.steps.length ? el('button', { type: 'button', 'data-act': 'next', onclick: () => this.go(1) }, 'Next step') : null);
    parts.push(hints, actions);
    if (l.steps.every((_, i) => this.progress.done.includes(i))) parts.push(el('p', { class: 'lesson-finished' }, 'Lesson complete.'));
    this.body.replaceChildren(...parts);
  }

  go(d) { this.step += d; this.hintsShown = 0; this.say(''); this.draw(); }

  paste(cmd) {
    if (this.shell.running) { this.say('A command is running in the terminal: paste again when it has finished.', 'bad'); return; }
    this.shell.insert(cmd);
    this.shell.focus();
  }

  // create writes an offered file; an existing file with other content is replaced only
  // after the learner says so.
  async create(p, content, button, replace = false) {
    try {
      if (!replace) {
        const old = await this.ll.readFile(p).then((b) => new TextDecoder().decode(b), () => null);
        if (old !== null && old !== content) {
          const ask = el('span', { class: 'ask', role: 'group', 'aria-label': `${p} exists` },
            `${p} already exists with other content. `,
            el('button', { type: 'button', 'data-act': 'replace', onclick: () => { ask.remove(); this.create(p, content, button, true); } }, 'Replace it'),
            el('button', { type: 'button', 'data-act': 'keep', onclick: () => { ask.remove(); this.say(`Kept your ${p}.`); } }, 'Keep mine'));
          button.after(ask);
          ask.querySelector('button').focus();
          return;
        }
      }
      await this.ll.writeFile(p, content);
      this.say(`Created ${p}.`, 'good');
    } catch (e) {
      this.onError(`Creating ${p}: ${e.message}`);
    }
  }

  async check(opts = {}) {
    const l = this.lesson();
    try {
      const r = await this.ll.check(l.id, this.step, opts);
      this.progress = await this.ll.progress(l.id);
      // ${USER} in the lessons is the Docker ID the learner logged in with: read them again
      this.lessons = await this.ll.lessons();
      this.draw();
      const prefix = opts.shown ? 'Done for you by "Show me". ' : '';
      this.say(prefix + (r.passed ? `✓ ${r.message || 'Passed.'}` : `✗ ${r.message}`), r.passed ? 'good' : 'bad');
      return r;
    } catch (e) {
      this.say(`Checking: ${e.message}`, 'bad');
      return null;
    }
  }

  // showMe does the step in plain sight: writes its files, types its commands into the
  // terminal one by one, then checks, recording that it was shown.
  async showMe() {
    const l = this.lesson();
    const s = l.steps[this.step];
    if (this.shell.running) { this.say('A command is running in the terminal: try again when it has finished.', 'bad'); return; }
    const did = [];
    for (const [p, content] of Object.entries(s.files)) {
      try {
        await this.ll.writeFile(p, content);
        did.push(`wrote ${p}`);
      } catch (e) {
        this.say(`Show me: writing ${p}: ${e.message}`, 'bad');
        return;
      }
    }
    this.say(`Show me is doing this step for you${s.commands.length ? ': watch the terminal' : ''}…`);
    for (const c of s.commands) {
      this.shell.line = '';
      this.shell.cursor = 0;
      this.shell.insert(c);
      await this.shell.enter();
      did.push(`ran ${c}`);
    }
    const r = await this.check({ shown: true });
    if (r) this.say(`Show me did this step for you (${did.join(', ') || 'nothing to do'}). ${r.passed ? '✓' : '✗'} ${r.message}`, r.passed ? 'good' : 'bad');
  }

  async restart() {
    const l = this.lesson();
    if (!l) return;
    await this.ll.restartLesson(l.id);
    await this.open(l.id, 0);
    this.say('Lesson restarted: your files and images stay as they are.');
  }

  async openURL(url) {
    if (!url) return;
    let name = 'lesson.md';
    try {
      const u = new URL(url, location.href);
      name = decodeURIComponent(u.pathname.split('/').pop() || 'lesson.md');
      const r = await fetch(u);
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      const text = await r.text();
      const l = await this.ll.loadLesson(name, text);
      await this.load();
      await this.open(l.id, 0);
      this.say(`Opened ${l.title} from ${u.host}.`, 'good');
    } catch (e) {
      this.say(`Opening the lesson ${name}: ${e.message}`, 'bad');
    }
  }
}

function firstUndone(l, p) {
  if (!l) return 0;
  const i = l.steps.findIndex((_, k) => !p.done.includes(k));
  return i < 0 ? 0 : i;
}
