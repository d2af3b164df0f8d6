// The core's Web Worker: runs the Go wasm off the main thread, so a long command (a 100 MB
// docker load) never freezes typing or scrolling. The page talks to it through core.js, which
// gives the page the same globalThis.layerlab API the wasm installs here (docs/api.md).
//
// Messages from the page: {type: "module", module} (the compiled wasm, first),
// {type: "call", id, fn, args}, {type: "abort", id},
// {type: "subscribe", id, event}, {type: "inputLine", id, text} (a line typed for a command's
// stdin, null for none). To the page: {type: "ready", error?},
// {type: "result", id, value | error}, {type: "output", id, chunk, stream},
// {type: "input", id, echo} (a command waits for a line; echo: show it as typed),
// {type: "event", event, detail}, {type: "fatal", message}.
import '../generated/wasm_exec.js'; // Go's loader, copied from $(go env GOROOT)/lib/wasm at build

// The page fetches and compiles the wasm (streaming, and using the preload index.html starts
// with the page) and sends the compiled module here.
let gotModule;
const module = new Promise((resolve) => { gotModule = resolve; });

async function load() {
  const go = new Go();
  const instance = await WebAssembly.instantiate(await module, go.importObject);
  // run resolves only when the Go program exits, which it should never do.
  go.run(instance).then(() => postMessage({ type: 'fatal', message: 'the core stopped unexpectedly; reload the page' }));
  if (!self.layerlab) throw new Error('the core loaded but did not install layerlab');
  await self.layerlab.ready;
  return self.layerlab;
}

const ready = load();
ready.then(() => postMessage({ type: 'ready' }), (e) => postMessage({ type: 'ready', error: e.message }));

const aborts = new Map(); // call id -> AbortController of a running exec
const inputs = new Map(); // call id -> resolve of the line its command waits for

function message(e) {
  return e && typeof e.message === 'string' ? e.message : String(e);
}

// exec's options as the page sent them: functions and signals cannot cross to a worker, so the
// page sends flags and the worker makes their stand-ins here. Anything else passes through,
// and the core judges it as it would on the page.
function execArgs(id, args) {
  const o = args[1];
  if (!o || typeof o !== 'object' || !o.__proxied) return args;
  const opts = { stdin: o.stdin, tty: o.tty, columns: o.columns, cwd: o.cwd, onOutput: o.onOutput, signal: o.signal, onInput: o.onInput };
  if (o.onOutput === true) {
    opts.onOutput = (chunk, stream) => postMessage({ type: 'output', id, chunk, stream });
  }
  if (o.onInput === true) {
    // a line typed at the page's terminal, asked for by a command reading its stdin
    opts.onInput = ({ echo }) => new Promise((resolve) => {
      inputs.set(id, resolve);
      postMessage({ type: 'input', id, echo });
    });
  }
  if (o.signal === true) {
    const ac = new AbortController();
    aborts.set(id, ac);
    if (o.aborted) ac.abort();
    opts.signal = ac.signal;
  }
  return [args[0], opts];
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === 'module') {
    gotModule(m.module);
    return;
  }
  if (m.type === 'abort') {
    aborts.get(m.id)?.abort();
    inputs.get(m.id)?.(null);
    return;
  }
  if (m.type === 'inputLine') {
    const resolve = inputs.get(m.id);
    inputs.delete(m.id);
    resolve?.(m.text);
    return;
  }
  try {
    const ll = await ready;
    let value;
    if (m.type === 'subscribe') {
      await ll.on(m.event, (detail) => postMessage({ type: 'event', event: m.event, detail }));
    } else if (m.type === 'call') {
      const args = m.fn === 'exec' ? execArgs(m.id, m.args) : m.args;
      value = await ll[m.fn](...args);
    } else {
      throw new Error(`unknown message type ${m.type}`);
    }
    const transfer = value instanceof Uint8Array ? [value.buffer] : [];
    postMessage({ type: 'result', id: m.id, value }, transfer);
  } catch (e) {
    postMessage({ type: 'result', id: m.id, error: message(e) });
  } finally {
    aborts.delete(m.id);
    inputs.delete(m.id);
  }
};
