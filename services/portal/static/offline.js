/* Fengqiao offline workbench (officers): keeps the officer's task list and open cases readable
   where the signal drops, queues accept and follow-up made offline with their idempotency keys,
   sends them when the connection returns and shows each result. Everything it keeps on the
   phone is cleared at logout, and when someone else logs in on the same phone. */
(function () {
  "use strict";
  var CACHE = "fq-officer";
  var QUEUE = "fq-queue";
  var RESULTS = "fq-results";
  var OWNER = "fq-owner";
  var SAVED = "fq-saved:";
  var QUEUEABLE = /^\/cases\/([A-Za-z0-9-]+)\/actions\/(accept|follow-up)$/;
  var body = document.body;
  var user = body.dataset.user || "";
  var officer = body.dataset.role === "officer";
  var banner = document.getElementById("offline-banner");
  var text = banner ? banner.dataset : {};

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function store(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function keys(prefix) {
    return Object.keys(localStorage).filter(function (k) { return k.indexOf(prefix) === 0; });
  }
  function clearSaved() {
    keys(SAVED).forEach(function (k) { localStorage.removeItem(k); });
    if (!window.caches) return Promise.resolve();
    return Promise.all([caches.delete(CACHE), caches.delete(CACHE + "-static")]);
  }
  function clearAll() {
    keys("fq-").forEach(function (k) { localStorage.removeItem(k); });
    return clearSaved();
  }
  function when(iso) {
    var d = new Date(iso);
    return d.toLocaleString(document.documentElement.lang || undefined,
      {month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"});
  }

  function render() {
    if (!banner) return;
    var queue = load(QUEUE);
    var results = load(RESULTS);
    var offline = !navigator.onLine;
    var status = document.getElementById("offline-status");
    var saved = localStorage.getItem(SAVED + location.pathname);
    status.textContent = offline
      ? text.offline + (saved ? " · " + text.saved + " " + when(saved) : "") : "";
    status.hidden = !offline;
    var count = document.getElementById("offline-queue");
    count.textContent = queue.length ? text.queued + " " + queue.length : "";
    count.hidden = !queue.length;
    var list = document.getElementById("offline-results");
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = r.ok ? "applied" : "refused";
      var a = document.createElement("a");
      a.href = "/cases/" + r.case_id;
      a.textContent = (r.title || r.case_id) + " · " + r.label;
      li.appendChild(a);
      li.appendChild(document.createTextNode(
        ": " + (r.ok ? text.applied : text.refused + " " + r.reason)));
      list.appendChild(li);
    });
    document.getElementById("offline-dismiss").hidden = !results.length;
    banner.hidden = !offline && !queue.length && !results.length;
    body.dataset.queued = String(queue.length);
  }

  function queueAction(form, path, match) {
    var queue = load(QUEUE);
    var button = form.querySelector("button");
    var heading = document.querySelector("main h1");
    queue.push({
      path: path,
      body: new URLSearchParams(new FormData(form)).toString(),
      case_id: match[1],
      action: match[2],
      label: button ? button.textContent.trim() : match[2],
      title: heading ? heading.textContent.trim() : "",
      at: new Date().toISOString()
    });
    store(QUEUE, queue);
    var note = document.createElement("p");
    note.className = "offline-kept";
    note.setAttribute("role", "status");
    note.textContent = text.kept;
    form.parentNode.insertBefore(note, form);
    form.reset();
    render();
  }

  var flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine || !user) return;
    flushing = true;
    try {
      var token = document.querySelector("input[name=csrf_token]");
      for (;;) {
        var queue = load(QUEUE);
        if (!queue.length) break;
        var item = queue[0];
        var params = new URLSearchParams(item.body);
        if (token) params.set("csrf_token", token.value);  // this session's token
        var resp;
        try {
          resp = await fetch(item.path, {
            method: "POST", body: params, credentials: "same-origin", redirect: "manual"
          });
        } catch (e) {
          break;  // still no connection: keep it for the next try
        }
        var ok = resp.type === "opaqueredirect" || (resp.status >= 200 && resp.status < 400);
        if (!ok && (resp.status >= 500 || resp.status === 0)) break;  // the server: try later
        var reason = "";
        if (!ok) {
          var page = new DOMParser().parseFromString(await resp.text(), "text/html");
          var el = page.querySelector("#refused .fq-reason") ||
            page.querySelector("#action-" + item.action + " .fq-error") ||
            page.querySelector("main .fq-error, main p");
          reason = el ? el.textContent.trim() : "HTTP " + resp.status;
        }
        var results = load(RESULTS);
        results.push({case_id: item.case_id, action: item.action, label: item.label,
          title: item.title, ok: ok, reason: reason, at: new Date().toISOString()});
        store(RESULTS, results);
        store(QUEUE, load(QUEUE).slice(1));
        render();
      }
    } finally {
      flushing = false;
    }
  }

  async function keepForOffline() {
    // the officer's own task list and the open cases on it, nothing else
    if (!window.caches || !officer || !navigator.onLine) return;
    var cache = await caches.open(CACHE);
    var resp = await fetch("/tasks", {credentials: "same-origin"});
    if (!resp.ok) return;
    var html = await resp.clone().text();
    await cache.put("/tasks", resp);
    var now = new Date().toISOString();
    localStorage.setItem(SAVED + "/tasks", now);
    var page = new DOMParser().parseFromString(html, "text/html");
    var wanted = {"/tasks": true};
    page.querySelectorAll("#tasks a[href^='/cases/']").forEach(function (a) {
      wanted[a.getAttribute("href")] = true;
    });
    for (var path in wanted) {
      if (path === "/tasks") continue;
      var r = await fetch(path, {credentials: "same-origin"});
      if (r.ok) {
        await cache.put(path, r);
        localStorage.setItem(SAVED + path, now);
      }
    }
    var entries = await cache.keys();
    for (var i = 0; i < entries.length; i++) {
      var p = new URL(entries[i].url).pathname;
      if (!wanted[p]) {
        await cache.delete(entries[i]);
        localStorage.removeItem(SAVED + p);
      }
    }
    body.dataset.offlineReady = "1";
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var path = new URL(form.action, location.href).pathname;
    if (path === "/logout") {
      var pending = load(QUEUE).length;
      if (pending && !window.confirm(text.logoutConfirm)) {
        ev.preventDefault();
        return;
      }
      ev.preventDefault();
      clearAll().then(function () { form.submit(); });
      return;
    }
    var match = QUEUEABLE.exec(path);
    if (match && !navigator.onLine) {
      ev.preventDefault();
      queueAction(form, path, match);
    }
  });
  window.addEventListener("online", function () { render(); flush(); });
  window.addEventListener("offline", render);
  var dismiss = document.getElementById("offline-dismiss");
  if (dismiss) dismiss.addEventListener("click", function () { store(RESULTS, []); render(); });

  var owner = localStorage.getItem(OWNER);
  var ready = Promise.resolve();
  if (!user) {
    ready = clearSaved();  // logged out or session over: no case stays readable on the phone
  } else if (owner && owner !== user) {
    ready = clearAll();  // someone else's phone data
  }
  ready.then(function () {
    if (user) localStorage.setItem(OWNER, user);
    render();
    if (officer && "serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function () {
        var last = localStorage.getItem(SAVED + "/tasks");
        var stale = !last || Date.now() - Date.parse(last) > 5 * 60 * 1000;
        if (location.pathname === "/tasks" || stale) return keepForOffline();
        body.dataset.offlineReady = "1";
      }).catch(function () {});
    }
    flush();
  });
})();
