/* Fengqiao service worker: the officer's task list and open cases stay readable offline.
   What is cached is decided by the page (offline.js puts the officer's own pages into the
   "fq-officer" cache and removes the rest); this worker only answers navigations from that
   cache when the network fails, and never caches anything itself. */
const CACHE = "fq-officer";
const OFFLINE_PATHS = /^\/(tasks|cases\/[A-Za-z0-9-]+)$/;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && OFFLINE_PATHS.test(url.pathname)) {
    event.respondWith(
      fetch(req).catch(async () => {
        const cache = await caches.open(CACHE);
        const hit = await cache.match(url.pathname);
        return hit || new Response(
          "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
          "<p>离线：此页面未保存在手机上。Offline: this page was not saved on the phone.</p>" +
          "<p><a href='/tasks'>待办 / My tasks</a></p>",
          {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
      }));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      fetch(req).then(async (resp) => {
        if (resp.ok) (await caches.open(CACHE + "-static")).put(req, resp.clone());
        return resp;
      }).catch(async () => (await caches.open(CACHE + "-static")).match(req) || Response.error()));
  }
});
