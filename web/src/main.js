// The playground page: loads the Go core (wasm) and shows that it answers by running
// `docker images`. The terminal, editor and image panel are built on this (next issue).
import '../generated/wasm_exec.js'; // Go's loader, copied from $(go env GOROOT)/lib/wasm at build
import './main.css';

// __LAYERLAB_WASM__ is the wasm's content-hashed URL, defined by web/build.mjs.
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
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmURL), go.importObject);
  // run resolves only when the Go program exits, which it should never do.
  go.run(instance).then(() => setStatus('The core stopped unexpectedly; reload the page.', true));
  if (!globalThis.layerlab) throw new Error('the core loaded but did not install globalThis.layerlab');
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
