// The main thread's side of the core: starts the Web Worker the Go wasm runs in (worker.js)
// and returns an object with the same API the wasm installs (docs/api.md), each call
// forwarded to the worker. Handlers (onOutput, on) and AbortSignals stay here; only data
// crosses.

const functions = ['writeFile', 'readFile', 'readDir', 'mkdir', 'remove', 'storage', 'commands',
  'lessons', 'loadLesson', 'check', 'progress', 'restartLesson', 'shareLink', 'openShareLink',
  'buildSteps', 'stepFiles'];

// onFatal(message) is told once if the core stops for good (its worker crashed or the Go
// program exited): every later call rejects with that message.
export function startCore(workerURL, wasmURL, { onFatal } = {}) {
  const worker = new Worker(workerURL);
  const pending = new Map(); // id -> {resolve, reject, onOutput}
  const handlers = new Map(); // event -> Set of handlers
  const subscribing = new Map(); // event -> Promise of the worker's subscription
  let nextID = 1;
  let fatal = null;

  let settleReady;
  const ready = new Promise((resolve, reject) => { settleReady = { resolve, reject }; });
  ready.catch(() => {}); // a caller that never awaits ready must not see an unhandled rejection

  function fail(msg) {
    if (fatal) return;
    fatal = new Error(msg);
    settleReady.reject(fatal);
    for (const p of pending.values()) p.reject(fatal);
    pending.clear();
    onFatal?.(msg);
  }

  worker.onmessage = (ev) => {
    const m = ev.data;
    switch (m.type) {
      case 'ready':
        if (m.error) fail(m.error);
        else settleReady.resolve();
        break;
      case 'result': {
        const p = pending.get(m.id);
        if (!p) break;
        pending.delete(m.id);
        if ('error' in m) p.reject(new Error(m.error));
        else p.resolve(m.value);
        break;
      }
      case 'output': {
        const p = pending.get(m.id);
        if (!p || !p.onOutput) break;
        try {
          p.onOutput(m.chunk, m.stream);
        } catch (e) {
          console.error(`layerlab.exec: onOutput threw: ${e}`);
        }
        break;
      }
      case 'input': {
        const p = pending.get(m.id);
        const reply = (text) => worker.postMessage({ type: 'inputLine', id: m.id, text: typeof text === 'string' ? text : null });
        if (!p || !p.onInput) { reply(null); break; }
        Promise.resolve().then(() => p.onInput({ echo: m.echo })).then(reply, () => reply(null));
        break;
      }
      case 'event':
        for (const h of handlers.get(m.event) ?? []) setTimeout(h, 0, m.detail);
        break;
      case 'fatal':
        fail(m.message);
        break;
    }
  };
  worker.onerror = (ev) => fail(`the core's worker failed: ${ev.message || 'it could not be loaded'}`);

  // Compiled here, while it streams in, and handed to the worker: the fetch is the one the
  // page's preload started, and V8 compiles off the main thread.
  WebAssembly.compileStreaming(fetch(wasmURL)).then(
    (module) => worker.postMessage({ type: 'module', module }),
    (e) => fail(`loading the core: ${e.message}`),
  );

  function send(msg, extra = {}) {
    return new Promise((resolve, reject) => {
      if (fatal) return reject(fatal);
      const id = nextID++;
      pending.set(id, { resolve, reject, ...extra });
      extra.onID?.(id);
      try {
        worker.postMessage({ ...msg, id });
      } catch (e) { // e.g. an argument that cannot be cloned
        pending.delete(id);
        reject(new Error(`layerlab.${msg.fn ?? msg.type}: ${e.message}`));
      }
    });
  }

  const api = { ready };
  for (const fn of functions) {
    api[fn] = (...args) => send({ type: 'call', fn, args });
  }

  api.exec = (line, options) => {
    if (!options || typeof options !== 'object') return send({ type: 'call', fn: 'exec', args: [line, options] });
    const { onOutput, onInput, signal } = options;
    // true stands for a function or a signal (which cannot cross to the worker); any other
    // value passes as it is, for the core to refuse as it would.
    const o = { ...options, __proxied: true };
    if (o.onOutput === true) o.onOutput = 'true';
    if (o.signal === true) o.signal = 'true';
    const hasSignal = typeof AbortSignal !== 'undefined' && signal instanceof AbortSignal;
    if (typeof onOutput === 'function') o.onOutput = true;
    if (o.onInput === true) o.onInput = 'true';
    if (typeof onInput === 'function') o.onInput = true;
    if (hasSignal) {
      o.signal = true;
      o.aborted = signal.aborted;
    }
    let abort;
    const p = send({ type: 'call', fn: 'exec', args: [line, o] }, {
      onOutput: typeof onOutput === 'function' ? onOutput : null,
      onInput: typeof onInput === 'function' ? onInput : null,
      onID: (id) => {
        if (hasSignal && !signal.aborted) {
          abort = () => worker.postMessage({ type: 'abort', id });
          signal.addEventListener('abort', abort, { once: true });
        }
      },
    });
    return abort === undefined ? p : p.finally(() => signal.removeEventListener('abort', abort));
  };

  api.on = async (event, handler) => {
    if (typeof event !== 'string' || typeof handler !== 'function') {
      throw new Error('layerlab.on: want an event name and a handler function');
    }
    if (!subscribing.has(event)) {
      const s = send({ type: 'subscribe', event });
      subscribing.set(event, s);
      s.catch(() => subscribing.delete(event));
    }
    await subscribing.get(event);
    if (!handlers.has(event)) handlers.set(event, new Set());
    handlers.get(event).add(handler);
    return async () => { handlers.get(event)?.delete(handler); };
  };

  // persist() exists only on the page (not in workers): ask here. Best effort.
  navigator.storage?.persist?.().catch(() => {});
  return api;
}
