// The service worker: keeps the site (the page, its bundles and the wasm) in the Cache API so
// that a second visit downloads nothing and the playground opens offline. web/build.mjs
// writes it to /sw.js with the asset list and a version filled in.
//
// Content-hashed assets never change, so they are answered from the cache first. The page
// itself (/) is fetched from the network when it can be (a new build names new assets) and
// from the cache when it cannot.
const VERSION = __LAYERLAB_SW_VERSION__;
const ASSETS = __LAYERLAB_SW_ASSETS__;
const CACHE = `layerlab-${VERSION}`;

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('layerlab-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' || url.pathname === '/' || url.pathname === '/index.html') {
    ev.respondWith((async () => {
      try {
        const res = await fetch(req);
        if (res.ok) (await caches.open(CACHE)).put('/', res.clone());
        return res;
      } catch (e) {
        const cached = await caches.match('/');
        if (cached) return cached;
        throw e;
      }
    })());
    return;
  }
  if (!ASSETS.includes(url.pathname)) return;
  ev.respondWith(caches.match(url.pathname).then((cached) => cached ?? fetch(req)));
});
