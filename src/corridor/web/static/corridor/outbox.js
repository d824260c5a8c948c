/* The phone at the gate, without a connection (docs/workspace.md, "Offline at the gate").

   On a trip page, a tap on a gate step's "Record" goes into an outbox kept in IndexedDB, with the
   phone's clock at the tap and a key (a UUID) of its own, and the outbox is sent at once when there is
   a connection, or as soon as it returns. The server applies each key once, in order; a tap the trip
   no longer accepts comes back with a message, shown here until the monitor has seen it. The page
   always says what is waiting. A service worker (outbox-worker.js) keeps the day's trip pages, so that
   they open without a connection.

   Without this script (or without IndexedDB) the forms post as they always did. */
(function () {
  "use strict";

  var DB = "corridor-outbox";
  var PAGE_CACHES = ["corridor-pages-v1", "corridor-static-v1"];

  // Signing out forgets the pages kept for the day (not the taps still waiting: they are records).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.action || !/\/accounts\/logout\/$/.test(new URL(form.action, location.href).pathname)) return;
    if (!window.caches || form.dataset.forgotten) return;
    event.preventDefault();
    Promise.all(PAGE_CACHES.map(function (name) { return caches.delete(name); }))
      .catch(function () {})
      .then(function () { form.dataset.forgotten = "1"; form.submit(); });
  });

  var box = document.getElementById("outbox");
  if (!box || !window.indexedDB || !window.crypto || !crypto.randomUUID) return;

  var user = box.dataset.user;
  var zone = box.dataset.zone || "UTC";
  var language = document.documentElement.lang || "en";
  var actions = document.getElementById("actions");
  var tripId = actions && actions.dataset.trip ? Number(actions.dataset.trip) : null;
  var ahead = actions && actions.dataset.ahead ? JSON.parse(actions.dataset.ahead) : null;
  var sending = false;
  var lastFailure = "";

  // ------------------------------------------------------------------------------------ IndexedDB

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        // "taps": waiting to be sent, in the order tapped (autoIncrement). "answers": conflicts to see.
        db.createObjectStore("taps", { keyPath: "order", autoIncrement: true });
        db.createObjectStore("answers", { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all(store) {
    return run(store, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.filter(function (item) { return item.user === user; });
    });
  }

  // ------------------------------------------------------------------------------------- showing

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function clock(iso) {
    var options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat(language, options).format(new Date(iso));
    } catch (error) {
      return iso.slice(11, 16);
    }
  }

  function number(n) {
    try { return new Intl.NumberFormat(language).format(n); } catch (error) { return String(n); }
  }

  function render() {
    return Promise.all([all("taps"), all("answers")]).then(function (found) {
      var taps = found[0], answers = found[1];
      box.hidden = false;
      box.querySelector("h2").textContent = taps.length
        ? say(box.dataset.waiting, { n: number(taps.length) })
        : box.dataset.empty;
      var state = box.querySelector(".outbox-state");
      state.textContent = !taps.length ? "" : !navigator.onLine ? box.dataset.offline : sending ? box.dataset.sending : lastFailure;
      state.hidden = !state.textContent;
      box.classList.toggle("waiting", taps.length > 0);
      var list = box.querySelector(".outbox-waiting");
      list.textContent = "";
      taps.forEach(function (tap) {
        var item = document.createElement("li");
        var what = document.createElement("b");
        what.textContent = tap.label;
        item.appendChild(what);
        item.appendChild(document.createTextNode(" · " + tap.code + " · " + say(box.dataset.tapped, { time: clock(tap.tapped_at) })));
        item.dataset.key = tap.key;
        list.appendChild(item);
      });
      var conflicts = box.querySelector(".outbox-conflicts");
      var template = box.querySelector("template.outbox-conflict");
      conflicts.textContent = "";
      answers.forEach(function (answer) {
        var item = template.content.firstElementChild.cloneNode(true);
        item.querySelector("p").textContent = answer.message;
        item.dataset.key = answer.key;
        item.querySelector("button").addEventListener("click", function () {
          run("answers", "readwrite", function (s) { s.delete(answer.key); }).then(render);
        });
        conflicts.appendChild(item);
      });
      showNextSteps(taps);
    });
  }

  // With taps waiting on this trip, the buttons are those of the moment they bring the trip to.
  function showNextSteps(taps) {
    if (!actions || !ahead) return;
    var mine = taps.filter(function (tap) { return tap.trip === tripId; }).map(function (tap) { return tap.step; });
    if (!mine.length) return;
    var offered = ahead[mine.join(" ")] || [];
    Array.prototype.forEach.call(actions.querySelectorAll("details.action"), function (action) {
      var show = offered.indexOf(action.dataset.step) >= 0;
      action.hidden = !show;
      if (!show) action.open = false;
    });
  }

  // --------------------------------------------------------------------------------------- taps

  function token() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (error) { return ""; }
  }

  function tap(form) {
    var tapped = new Date();
    var step = form.dataset.outbox;
    var details = form.closest("details");
    var fields = new FormData(form);
    var item = {
      key: crypto.randomUUID(),
      user: user,
      trip: tripId,
      code: actions.dataset.tripCode,
      step: step,
      label: details.querySelector("summary").textContent.trim(),
      tapped_at: tapped.toISOString(),
    };
    ["date", "time", "note", "reason", "source", "certainty"].forEach(function (name) {
      if (fields.has(name)) item[name] = String(fields.get(name));
    });
    return run("taps", "readwrite", function (s) { s.add(item); }).then(function () {
      details.open = false;
      form.reset();
      return render();
    }).then(send);
  }

  function send() {
    if (sending || !navigator.onLine) return render();
    var taps;
    return all("taps").then(function (found) {
      // The oldest first, at most as many as the server takes at once (MOST_TAPS); the rest follow.
      taps = found.sort(function (a, b) { return a.order - b.order; }).slice(0, 100);
      if (!taps.length) return null;
      sending = true;
      render();
      return fetch(box.dataset.send, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
        body: JSON.stringify({ taps: taps.map(function (t) {
          var copy = Object.assign({}, t);
          delete copy.order; delete copy.user; delete copy.label; delete copy.code;
          return copy;
        }) }),
      }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 403) throw { said: box.dataset.signIn };
        if (!response.ok) throw { said: box.dataset.failed };
        return response.json();
      }).then(function (answer) {
        return settle(taps, answer.results || []);
      });
    }).then(function (settled) {
      sending = false;
      lastFailure = "";
      // The page as the server now has it, and what it said; not under a monitor filling in a form.
      if (settled && !document.querySelector("details.action[open]")) location.reload();
      else return render();
    }, function (error) {
      sending = false;
      // Said in the user's language: ours, or "will try again" for a cut connection and anything else.
      lastFailure = navigator.onLine ? (error && error.said) || box.dataset.failed : "";
      return render();
    });
  }

  // Each answer takes its tap out of the outbox; a refusal stays to be seen. Taps the server did not
  // answer (none, unless the request was cut) stay and are sent again, with the same keys.
  function settle(taps, results) {
    var byKey = {};
    results.forEach(function (result) { byKey[result.key] = result; });
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(["taps", "answers"], "readwrite");
        var done = 0;
        taps.forEach(function (t) {
          var result = byKey[t.key];
          if (!result) return;
          done += 1;
          tx.objectStore("taps").delete(t.order);
          if (result.status !== "recorded") {
            // The services' own words are in English for now: shown beside the message on English pages.
            var message = result.message + (language === "en" && result.detail && result.status === "refused" ? " (" + result.detail + ")" : "");
            tx.objectStore("answers").put({ key: t.key, user: user, trip: t.trip, message: message });
          }
        });
        tx.oncomplete = function () { db.close(); resolve(done > 0); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  // ------------------------------------------------------------------------------- the page itself

  Array.prototype.forEach.call(document.querySelectorAll("form[data-outbox]"), function (form) {
    form.querySelector(".tap-time").hidden = false;
    // A time the server put in when the page was made would be stale on a page kept for the day: empty
    // means "when I tap". (A hold's beginning, prefilled with the arrival, is what the monitor saw.)
    var time = form.querySelector("input[name=time]");
    if (time && !time.hasAttribute("data-arrival")) {
      time.value = "";
      time.defaultValue = "";
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy) return;  // a double tap on "Record" is one tap
      form.dataset.busy = "1";
      tap(form).then(function () { delete form.dataset.busy; }, function () { delete form.dataset.busy; });
    });
  });

  window.addEventListener("online", send);
  window.addEventListener("offline", render);
  setInterval(function () { if (navigator.onLine) send(); }, 30000);
  send();

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(box.dataset.worker).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var pages = JSON.parse(box.dataset.pages || "[]");
      var scripts = Array.prototype.map.call(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (e) {
        return e.getAttribute("src") || e.getAttribute("href");
      });
      if (registration.active) registration.active.postMessage({ keep: pages.concat(scripts, [location.pathname]) });
    }).catch(function () {});
  }
})();
