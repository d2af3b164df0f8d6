// The build stepper: the last build (layerlab.buildSteps) one instruction at a time — the
// instruction, CACHED or ran and why, the layer it made and its size, its file changes
// (layerlab.stepFiles) — drawn as a stack of layer bars that grows as the learner steps.
import { el } from './md.js';

function size(n) {
  if (!n) return '0 B';
  const u = ['B', 'kB', 'MB', 'GB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log10(n) / 3));
  return `${(n / 1000 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

export class Stepper {
  constructor(root, { layerlab }) {
    this.ll = layerlab;
    this.root = root;
    this.build = null;
    this.at = 0; // index into build.steps
    this.files = new Map(); // step -> file changes
    root.append(el('p', { class: 'empty' }, 'Run docker build in the terminal: its steps show here.'));
  }

  async refresh() {
    try {
      this.build = await this.ll.buildSteps();
    } catch (e) {
      this.root.replaceChildren(el('p', { class: 'bad' }, `Reading the last build: ${e.message}`));
      return;
    }
    this.files.clear();
    this.at = 0;
    await this.draw();
  }

  async draw() {
    const b = this.build;
    if (!b || !b.steps.length) {
      this.root.replaceChildren(el('p', { class: 'empty' }, b?.error ? `The last build failed: ${b.error}` : 'Run docker build in the terminal: its steps show here.'));
      return;
    }
    const s = b.steps[this.at];
    const max = Math.max(1, ...b.steps.map((x) => x.size || 0));
    const stack = el('ol', { class: 'stack build-stack', 'aria-label': 'Layers so far' }, b.steps.slice(0, this.at + 1).reverse().map((x) => el('li', {
      class: `${x.cached ? 'cached' : 'ran'}${x === s ? ' current' : ''}`,
    }, el('span', { class: 'bar', style: `width:${Math.max(2, Math.round(100 * (x.size || 0) / max))}%` }),
    el('span', { class: 'label' }, `${x.cached ? 'CACHED ' : ''}${x.instruction || x.name}${x.diffID ? ` · ${size(x.size)}` : ''}`))));
    const nav = el('div', { class: 'stepper-nav' },
      el('button', { type: 'button', 'data-act': 'step-refresh', onclick: () => this.refresh(), title: 'Show the latest build' }, '↻'),
      el('button', { type: 'button', 'data-act': 'step-prev', disabled: this.at === 0, onclick: () => { this.at--; this.draw(); } }, '◀ Previous'),
      el('span', { class: 'where' }, `Step ${this.at + 1} of ${b.steps.length}`),
      el('button', { type: 'button', 'data-act': 'step-next', disabled: this.at + 1 >= b.steps.length, onclick: () => { this.at++; this.draw(); } }, 'Next ▶'));
    const detail = el('div', { class: 'step-detail', 'aria-live': 'polite' },
      el('p', { class: 'step-name' }, el('code', { text: s.name })),
      el('p', { class: `step-state ${s.cached ? 'cached' : s.failed ? 'bad' : 'ran'}` }, s.cached ? 'CACHED' : s.failed ? 'FAILED' : 'RAN'),
      el('p', { class: 'step-why' }, s.reason),
      s.diffID ? el('p', { class: 'step-layer' }, `Layer ${s.diffID.slice(0, 19)}… · ${size(s.size)} compressed`) : el('p', { class: 'step-layer' }, 'No layer of its own.'));
    const filesBox = el('div', { class: 'step-files' });
    detail.append(filesBox);
    this.root.replaceChildren(nav, detail, el('h3', {}, 'The stack so far'), stack);
    if (s.diffID) await this.drawFiles(s, filesBox);
  }

  async drawFiles(s, box) {
    let fc = this.files.get(s.step);
    if (!fc) {
      try {
        fc = await this.ll.stepFiles(s.step);
      } catch (e) {
        box.replaceChildren(el('p', { class: 'empty' }, `Its files cannot be listed: ${e.message}`));
        return;
      }
      this.files.set(s.step, fc);
    }
    const view = el('pre', { class: 'file-view', hidden: true });
    box.replaceChildren(el('h3', {}, `Files (${fc.length})`), el('ul', { class: 'file-changes' }, fc.map((f) => el('li', { class: f.kind },
      el('span', { class: 'kind' }, f.kind === 'added' ? 'A' : f.kind === 'modified' ? 'M' : 'D'),
      f.type === 'file'
        ? el('button', { type: 'button', class: 'file', onclick: () => {
          view.hidden = false;
          view.textContent = f.hasText ? f.content : `${f.path}: ${size(f.size)}, not a small text file, so it is not shown here.`;
        } }, `/${f.path}`)
        : el('span', { class: 'file' }, `/${f.path}${f.type === 'dir' ? '/' : ''}${f.kind === 'deleted' ? ' (deleted)' : ''}`)))), view);
  }
}
