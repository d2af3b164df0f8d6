// The playground page: starts the Go core (wasm, in a Web Worker) and shows that it answers
// by running `docker images`. The terminal, editor and image panel are built on this.
import { startCore } from './core.js';
import './main.css';

// The worker bundle's and the wasm's content-hashed URLs, defined by web/build.mjs.
const workerURL = __LAYERLAB_WORKER__;
const wasmURL = __LAYERLAB_WASM__;

const statusEl = document.getElementById('status');
const outputEl = document.getElementById('output');
const form = document.getElementById('run');
const lineEl = document.getElementById('line');

function setStatus(text, isError = false) {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', isError);
}

function show(line, { exitCode, stdout, stderr }) {
  outputEl.replaceChildren();
  const prompt = document.createElement('span');
  prompt.textContent = `$ ${line}\n`;
  const out = document.createElement('span');
  out.textContent = stdout;
  const err = document.createElement('span');
  err.className = 'stderr';
  err.textContent = stderr;
  outputEl.append(prompt, out, err);
  outputEl.dataset.exitCode = String(exitCode);
}

async function run(line) {
  try {
    show(line, await globalThis.layerlab.exec(line));
  } catch (e) {
    setStatus(`The core failed: ${e.message}`, true);
  }
}

async function start() {
  // The core runs in a worker so that long work never freezes the page; this object gives
  // the page (and lessons, and tests) the API of docs/api.md.
  globalThis.layerlab = startCore(workerURL, wasmURL);
  // The service worker caches the site for the next visit and offline use (web/src/sw.js).
  navigator.serviceWorker?.register('/sw.js').catch((e) => console.warn(`layerlab: no offline copy: ${e.message}`));
  await globalThis.layerlab.ready;
  setStatus('The core is ready. It answered:');
  form.hidden = false;
  await run('docker images');
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(lineEl.value);
});

start().catch((e) => setStatus(`Loading the core failed: ${e.message}`, true));
