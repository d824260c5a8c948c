/* Corridor's service worker: keeps the day's trip pages and our static files for a phone at the gate.

   Served at /trips/worker.js, so it controls the trip pages (/trips/…) and nothing else. Pages and
   static files are asked of the network first, and the answer is kept; without a connection the kept
   copy is served. The page (outbox.js) names the pages of the day's trips to keep ahead of time.
   Nothing is ever sent from here: taps wait in the page's outbox until the page sends them. */
"use strict";

var PAGES = "corridor-pages-v1";
var STATIC = "corridor-static-v1";
var FRESH = 15 * 60 * 1000;
// Django's pages vary on the cookie and the language; a kept copy is this user's own (the cache is
// forgotten at sign-out) in the language they chose, so it is found whatever the request's headers.
// A page is kept under the request that brought it (a visit, or the list of the day's pages): two
// copies that never replace each other, so that one being rewritten never leaves the page without one.
var ANY = { ignoreVary: true };

function keep(cache, request, response) {
  return cache.put(request, response);
}

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("corridor-") === 0 && name !== PAGES && name !== STATIC;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(response) {
  // Only a page as the signed-in user saw it: not a redirect to sign in, not an error.
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function ours(url) {
  return url.origin === self.location.origin && (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/trips/") === 0);
}

self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  event.waitUntil(Promise.all(urls.map(function (address) {
    var url = new URL(address, self.location.origin);
    if (!ours(url)) return null;
    var store = url.pathname.indexOf("/static/") === 0 ? STATIC : PAGES;
    return caches.open(store).then(function (cache) {
      return cache.match(url.href, ANY).then(function (kept) {
        // Over a poor link, a page kept in the last quarter of an hour is not fetched again.
        var age = kept ? Date.now() - Date.parse(kept.headers.get("Date") || "") : Infinity;
        if (age < FRESH) return null;
        return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
          return keepable(response) ? keep(cache, url.href, response) : null;
        });
      });
    }).catch(function () { return null; });
  })));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || !ours(url) || url.pathname === "/trips/worker.js") return;
  var store = url.pathname.indexOf("/static/") === 0 ? STATIC : PAGES;
  event.respondWith(
    fetch(request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        caches.open(store).then(function (cache) { return keep(cache, request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(store).then(function (cache) {
        // By its address: Chromium does not match a reload's navigation request to the kept copy.
        return cache.match(request.url, ANY).then(function (kept) {
          if (kept) return kept;
          // A page not kept: the day's list, if it was.
          return caches.match(url.pathname.indexOf("/static/") === 0 ? request : "/trips/", {
            ignoreSearch: true,
            ignoreVary: true,
          });
        });
      }).then(function (kept) {
        return kept || new Response("", { status: 503, statusText: "offline" });
      });
    })
  );
});
