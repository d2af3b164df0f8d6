// Builds the site layerlab serve embeds: node web/build.mjs [OUTDIR]
//
// Inputs (the Makefile makes the first two): web/generated/layerlab.wasm (GOOS=js go build
// ./wasm), web/generated/wasm_exec.js (from $(go env GOROOT)/lib/wasm), index.html and
// web/src/. Output: OUTDIR (default cmd/layerlab/site) holding index.html and content-hashed
// assets, each beside its brotli (.br) and gzip (.gz) versions when those are smaller. The
// server picks the version the browser accepts, and lets browsers keep hashed names forever.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'cmd/layerlab/site');

function fail(msg) {
  console.error(`web/build.mjs: ${msg}`);
  process.exit(1);
}

function read(path) {
  try {
    return readFileSync(path);
  } catch (e) {
    fail(`reading ${relative(root, path)}: ${e.message} (run make build)`);
  }
}

// The wasm: named by its content, as esbuild names the bundle (uppercase, so the server's
// "hashed name" rule matches both).
const wasm = read(join(root, 'web/generated/layerlab.wasm'));
const wasmName = `layerlab-${createHash('sha256').update(wasm).digest('hex').slice(0, 16).toUpperCase()}.wasm`;

// Two bundles: the worker that runs the wasm, then the page (it needs the names of both).
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  target: ['es2020'],
  sourcemap: 'linked',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: 'out', // names only: nothing is written
  write: false,
  metafile: true,
  logLevel: 'warning',
};
const workerResult = await esbuild.build({
  ...common,
  entryPoints: ['web/src/worker.js'],
  format: 'iife', // a classic worker: module workers add nothing here
}).catch(() => fail('esbuild failed on web/src/worker.js (see above)'));
const workerName = Object.entries(workerResult.metafile.outputs)
  .filter(([, meta]) => meta.entryPoint === 'web/src/worker.js').map(([out]) => basename(out))[0];
if (!workerName) fail('esbuild produced no bundle for web/src/worker.js');

const result = await esbuild.build({
  ...common,
  entryPoints: ['web/src/main.js'],
  format: 'esm',
  define: {
    __LAYERLAB_WORKER__: JSON.stringify(`/${workerName}`),
    __LAYERLAB_WASM__: JSON.stringify(`/${wasmName}`),
  },
}).catch(() => fail('esbuild failed (see above)'));

const files = new Map([[wasmName, wasm]]);
const entryOut = {}; // extension -> hashed name of the entry point's js and css
for (const f of [...workerResult.outputFiles, ...result.outputFiles]) {
  const name = relative(join(root, 'out'), f.path);
  files.set(name, Buffer.from(f.contents));
}
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint === 'web/src/main.js') entryOut.js = basename(out);
  if (meta.cssBundle) entryOut.css = basename(meta.cssBundle);
}
if (!entryOut.js || !entryOut.css) fail(`esbuild produced no bundle for web/src/main.js (${JSON.stringify(entryOut)})`);

let html = read(join(root, 'index.html')).toString();
for (const [src, out] of [['/web/src/main.js', entryOut.js], ['/web/src/main.css', entryOut.css]]) {
  if (!html.includes(`"${src}"`)) fail(`index.html does not reference "${src}"`);
  html = html.replace(`"${src}"`, `"/${out}"`);
}
// Start the wasm download with the page instead of after the bundle has run. crossorigin
// matches fetch()'s default mode, so the page's fetch reuses this response.
const preload = `<link rel="preload" href="/${wasmName}" as="fetch" type="application/wasm" crossorigin>`;
html = html.replace(/^(\s*)<script type="module"/m, `$1${preload}\n$1<script type="module"`);
if (!html.includes(preload)) fail('index.html has no <script type="module"> to put the wasm preload before');
files.set('index.html', Buffer.from(html));

// The service worker at the site's root (its scope), not content-hashed: browsers check it
// for updates on each visit. It caches the page and every asset but source maps.
const assets = ['/', ...[...files.keys()].filter((n) => n !== 'index.html' && !n.endsWith('.map')).map((n) => `/${n}`)].sort();
const version = createHash('sha256').update(assets.join('\n')).update(html).digest('hex').slice(0, 16);
const sw = await esbuild.build({
  ...common,
  entryPoints: ['web/src/sw.js'],
  format: 'iife',
  sourcemap: false,
  metafile: false,
  entryNames: '[name]',
  define: {
    __LAYERLAB_SW_VERSION__: JSON.stringify(version),
    __LAYERLAB_SW_ASSETS__: JSON.stringify(assets),
  },
}).catch(() => fail('esbuild failed on web/src/sw.js (see above)'));
files.set('sw.js', Buffer.from(sw.outputFiles[0].contents));

// Replace the directory's contents (its committed .gitignore stays).
mkdirSync(outdir, { recursive: true });
for (const name of readdirSync(outdir)) {
  if (name !== '.gitignore') rmSync(join(outdir, name), { recursive: true, force: true });
}

const compressible = /\.(html|js|css|wasm|map|json|svg|txt)$/;
let total = 0;
for (const [name, data] of files) {
  writeFileSync(join(outdir, name), data);
  const sizes = [`${data.length}`];
  if (compressible.test(name) && data.length > 1024) {
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        [constants.BROTLI_PARAM_LGWIN]: 24,
      },
    });
    const gz = gzipSync(data, { level: 9 });
    for (const [ext, c] of [['.br', br], ['.gz', gz]]) {
      if (c.length < data.length) {
        writeFileSync(join(outdir, name + ext), c);
        sizes.push(`${ext.slice(1)} ${c.length}`);
      }
    }
  }
  total += data.length;
  console.log(`  ${name}  ${sizes.join(', ')} bytes`);
}
console.log(`web/build.mjs: wrote ${files.size} files (${total} bytes before compression) to ${relative(root, outdir) || '.'}`);
