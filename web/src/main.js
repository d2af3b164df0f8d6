// The playground page: starts the Go core (wasm, in a Web Worker) and wires the file panel,
// the editor, the terminal and the image panel to it. Everything goes through the public API
// of docs/api.md (globalThis.layerlab).
import { startCore } from './core.js';
import { Shell } from './terminal.js';
import { Editor } from './editor.js';
import { Files, debounce } from './files.js';
import { Images } from './images.js';
import { mountLearn } from './learn.js';
import './main.css';

// The worker bundle's and the wasm's content-hashed URLs, defined by web/build.mjs.
const workerURL = __LAYERLAB_WORKER__;
const wasmURL = __LAYERLAB_WASM__;

const statusEl = document.getElementById('status');

function setStatus(text, isError = false) {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

// showError puts a core error where the learner is looking: the status line at the top,
// announced to screen readers, until dismissed or replaced.
function showError(msg) {
  setStatus(msg, true);
}

// showFatal puts up a banner when the core stops for good (its worker crashed): nothing
// works until a reload, which keeps files and images (they are in IndexedDB).
let readyOnce = false;
function showFatal(msg) {
  if (!readyOnce) return; // before ready, start() reports it in the status line
  if (document.getElementById('fatal')) return;
  const banner = document.createElement('div');
  banner.id = 'fatal';
  banner.setAttribute('role', 'alert');
  const text = document.createElement('span');
  text.textContent = `The core stopped: ${msg}. Reload the page to start it again; your files and images are kept.`;
  const reload = document.createElement('button');
  reload.type = 'button';
  reload.textContent = 'Reload';
  reload.addEventListener('click', () => location.reload());
  banner.append(text, reload);
  document.body.prepend(banner);
  setStatus('The core stopped.', true);
}

const THEME_KEY = 'layerlab.theme';
const darkQuery = matchMedia('(prefers-color-scheme: dark)');
function preferredTheme() {
  return localStorage.getItem(THEME_KEY) || (darkQuery.matches ? 'dark' : 'light');
}

async function start() {
  // The core runs in a worker so that long work never freezes the page; this object gives
  // the page (and lessons, and tests) the API of docs/api.md.
  const ll = startCore(workerURL, wasmURL, { onFatal: showFatal });
  globalThis.layerlab = ll;
  // The service worker caches the site for the next visit and offline use (web/src/sw.js).
  navigator.serviceWorker?.register('/sw.js').catch((e) => console.warn(`layerlab: no offline copy: ${e.message}`));

  const images = new Images(document.getElementById('images'), { layerlab: ll, onError: showError });
  const editor = new Editor(document.getElementById('editor'), document.getElementById('editor-title'), { layerlab: ll, onError: showError });
  const files = new Files(document.getElementById('files'), { layerlab: ll, onOpen: (p) => editor.open(p), onRename: (from, to) => editor.renamed(from, to), onError: showError });
  const shell = new Shell(document.getElementById('terminal'), {
    layerlab: ll,
    onEscape: () => (document.querySelector('#images button') || document.getElementById('theme')).focus(),
  });

  const applyTheme = (name) => {
    document.documentElement.dataset.theme = name;
    shell.setTheme(name);
    document.getElementById('theme').setAttribute('aria-label', name === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme');
  };
  applyTheme(preferredTheme());
  document.getElementById('theme').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
  // Without a choice of their own, the page follows the system's theme as it changes.
  darkQuery.addEventListener('change', () => { if (!localStorage.getItem(THEME_KEY)) applyTheme(preferredTheme()); });
  statusEl.addEventListener('click', () => { if (statusEl.classList.contains('error')) setStatus('Ready.'); });

  // A small hook for tests and tools: what the terminal shows, and the parts of the page.
  globalThis.layerlabPage = { shell, editor, files, images, terminalText: () => shell.text() };

  const learn = mountLearn({ layerlab: ll, shell, onError: showError });
  globalThis.layerlabPage.learn = learn;
  await ll.ready;
  readyOnce = true;
  setStatus('Ready.');
  shell.start();
  shell.focus();
  const refreshImages = debounce(() => images.refresh(), 150);
  await ll.on('images', refreshImages);
  await ll.on('files', (d) => { files.refreshSoon(); editor.changed(d.path); });
  await Promise.all([files.refresh(), images.refresh()]);
  const dockerfile = await ll.readDir('/workspace').then((es) => es.find((e) => e.name === 'Dockerfile'), () => null);
  if (dockerfile) await editor.open(dockerfile.path);
}

start().catch((e) => setStatus(`Loading the core failed: ${e.message}`, true));
