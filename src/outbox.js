import {
  KEEPALIVE_BUDGET, backoffMs, keepaliveBatch, keepaliveHeaders, outcomeOf, retryAfterMs, utf8Length,
} from "./js/delivery.mjs";
import { PREFIX } from "./js/failures.mjs";
import { BATCH_TTL_MS } from "./js/contract.mjs";

  // Leadmagnet outbox (src/outbox.js): no lead a visitor typed is lost. An ES module the
  // build bundles with the loader, which hands `deliver` to the widget; its rules (what an
  // answer means, backoff, Retry-After, the keepalive budget) are in js/delivery.mjs.
  //
  // Every lead is written to IndexedDB before its first attempt and removed only when the
  // endpoint took it (2xx). Network errors, timeouts, 408, 409 (the collector is still
  // storing an earlier attempt of the same lead), 429 and 5xx are retried with
  // full-jitter exponential backoff (honouring Retry-After), and again on the next page
  // load, when the browser comes online and when the page becomes visible. Any other 4xx is
  // kept, marked failed with the endpoint's answer, for inspection: never silently dropped.
  // When the page is hidden or closed while leads wait, a last attempt goes out as a
  // keepalive request (text/plain: no CORS preflight), within the browser's 64 KiB budget.
  // Every attempt carries the same lead_id, so the collector stores a lead once however
  // often it arrives. Nothing is stored before a visitor submits: the database is created
  // by the first lead, never by looking for one.
  var OUTBOX_DB = "leadmagnet";
  var OUTBOX = "outbox";
  var outboxDb = null;
  // Entries this page knows, by lead_id: what a closing page can still send synchronously.
  var waiting = {};
  var inFlight = {};
  var timers = {};

  // The database, or a rejection. With `create` false an absent database stays absent
  // (the upgrade is aborted), so looking for queued leads stores nothing.
  function openOutbox(create) {
    if (outboxDb) {
      return outboxDb;
    }
    var opened = new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        throw new Error("this browser offers no IndexedDB");
      }
      var request = indexedDB.open(OUTBOX_DB, 1);
      request.onupgradeneeded = function (event) {
        if (!create && event.oldVersion === 0) {
          request.transaction.abort();
          return;
        }
        request.result.createObjectStore(OUTBOX, { keyPath: "id" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error || new Error("IndexedDB did not open"));
      };
    });
    return opened.then(function (db) {
      outboxDb = opened;
      return db;
    });
  }

  // Runs `work(store)` in one transaction; resolves with the last request's result once
  // the transaction is durable.
  function outboxTx(create, work) {
    return openOutbox(create).then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(OUTBOX, "readwrite");
        var request = work(tx.objectStore(OUTBOX));
        tx.oncomplete = function () {
          resolve(request && request.result);
        };
        tx.onerror = tx.onabort = function () {
          reject(tx.error || new Error("IndexedDB transaction failed"));
        };
      });
    });
  }

  function saveEntry(entry) {
    if (entry.memoryOnly) {
      return Promise.resolve();
    }
    return outboxTx(true, function (store) { return store.put(entry); });
  }

  function removeEntry(entry) {
    // A newer batch of the same page view took this one's place: it stays.
    if (entry.kind && waiting[entry.id] && waiting[entry.id] !== entry) {
      return Promise.resolve();
    }
    delete waiting[entry.id];
    if (entry.memoryOnly) {
      return Promise.resolve();
    }
    return outboxTx(true, function (store) { return store.delete(entry.id); });
  }

  function retryLater(entry, delay, reason) {
    entry.attempts += 1;
    entry.last_error = reason;
    if (delay === null) {
      delay = backoffMs(entry.attempts, Math.random());
    }
    entry.next_at = Date.now() + delay;
    schedule(entry);
    return saveEntry(entry).then(function () {
      return { status: "queued", reason: reason };
    }, function () {
      return { status: "queued", reason: reason };
    });
  }

  function schedule(entry) {
    waiting[entry.id] = entry;
    clearTimeout(timers[entry.id]);
    timers[entry.id] = setTimeout(function () { attempt(entry); }, Math.max(0, entry.next_at - Date.now()));
  }

  // One attempt: resolves {status: "sent" | "queued" | "failed", reason}.
  function attempt(entry) {
    if (inFlight[entry.id]) {
      return inFlight[entry.id];
    }
    clearTimeout(timers[entry.id]);
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, entry.timeout_ms);
    var sending = fetch(entry.url, {
      method: "POST",
      mode: entry.mode,
      // Leads carry no cookies: the endpoint needs none, and none of the host page's leak.
      credentials: "omit",
      headers: entry.headers,
      body: entry.body,
      // Survives a navigation away mid-send (the outbox resends if its answer is lost).
      keepalive: utf8Length(entry.body) < KEEPALIVE_BUDGET / 2,
      signal: controller.signal,
    }).then(function (response) {
      clearTimeout(timer);
      // The answer is in: from here a closing page's last attempt may resend this lead
      // (an attempt still waiting for its answer is itself a keepalive request).
      settled();
      // `no-cors` (Salesforce Web-to-Lead) answers opaquely: sent is all anyone can know.
      var status = response.status;
      var outcome = outcomeOf(status, response.type === "opaque");
      if (outcome === "sent") {
        return removeEntry(entry).then(function () { return { status: "sent" }; });
      }
      if (outcome === "retry") {
        return retryLater(entry, retryAfterMs(response.headers.get("retry-after"), Date.now()), entry.url + " answered HTTP " + status);
      }
      if (entry.kind) {
        // An event batch refused: dropped (it names no lead to inspect); 410 tells the
        // loader this device may send no more.
        refused(status);
        return removeEntry(entry).then(function () { return { status: "failed" }; });
      }
      return response.text().then(function (text) {
        entry.status = "failed";
        entry.response = { status: status, body: text.slice(0, 4000), at: new Date().toISOString() };
        delete waiting[entry.id];
        var outcome = { status: "failed", reason: entry.url + " answered HTTP " + status + ": " + text.slice(0, 500) };
        return saveEntry(entry).then(function () { return outcome; }, function () { return outcome; });
      });
    }, function (error) {
      clearTimeout(timer);
      settled();
      return retryLater(entry, null, controller.signal.aborted
        ? "no answer from " + entry.url + " within " + entry.timeout_ms / 1000 + " s"
        : "could not reach " + entry.url + " (" + error.message + ")");
    });
    function settled() {
      if (inFlight[entry.id] === sending) {
        delete inFlight[entry.id];
      }
    }
    inFlight[entry.id] = sending;
    return sending;
  }

  // The widget's way out: store, then the first attempt. Resolves "sent" or "queued";
  // rejects with the endpoint's answer when it refused the lead (a 4xx).
  // `request` is {url, body, headers, mode} in the endpoint's format, as the core made it
  // (core/src/formats.rs); `id` is the lead_id, with `#n` for its n-th extra endpoint.
  export function deliver(request, id, timeoutMs) {
    var entry = {
      id: id, url: request.url, body: request.body, headers: request.headers, mode: request.mode,
      timeout_ms: timeoutMs || 10000,
      attempts: 0, next_at: 0, status: "pending", created_at: new Date().toISOString(),
    };
    waiting[entry.id] = entry;
    return saveEntry(entry).catch(function (error) {
      // Private windows and blocked storage: the lead still goes out, and is retried while
      // this page stays open.
      console.warn(PREFIX + "the outbox cannot use IndexedDB (" + error.message + "); " +
        "a lead that cannot be sent now is retried only while this page stays open.");
      entry.memoryOnly = true;
    }).then(function () {
      return attempt(entry);
    }).then(function (outcome) {
      if (outcome.status === "failed") {
        throw new Error(outcome.reason);
      }
      if (outcome.status === "queued") {
        console.warn(PREFIX + "lead " + id + " is queued on this device: " + outcome.reason);
      }
      return outcome.status;
    });
  }

  // Event batches (engagement after the form, src/loader.js) travel the same way, except:
  // a refusal drops them (`onRefused(status)` is told), they expire BATCH_TTL_MS after
  // they were made, and a closing page sends its last one at once as a keepalive request.
  var refused = function () {};
  export function onRefused(handler) {
    refused = handler;
  }
  export function sendEvents(request, id, closing) {
    var entry = {
      id: id, url: request.url, body: request.body, headers: request.headers, mode: request.mode,
      timeout_ms: 10000, attempts: 0, next_at: 0, status: "pending", created_at: new Date().toISOString(),
      kind: "events",
    };
    waiting[id] = entry;
    var saved = saveEntry(entry).catch(function () { entry.memoryOnly = true; });
    if (closing) {
      keepalive(entry);
    } else {
      saved.then(function () { attempt(entry); });
    }
  }
  // Withdrawal: the batches not sent yet go.
  export function dropEvents() {
    Object.keys(waiting).forEach(function (id) {
      if (waiting[id].kind) {
        delete waiting[id];
      }
    });
    return deleteWhere(function (entry) { return entry.kind; });
  }

  // Sends what waits in the outbox (of any page of this site): due entries now, the rest
  // when their time comes.
  export function flushOutbox() {
    outboxTx(false, function (store) { return store.getAll(); }).then(function (entries) {
      (entries || []).forEach(function (entry) {
        if (entry.status !== "pending" || inFlight[entry.id]) {
          return;
        }
        if (entry.kind && !(Date.now() - Date.parse(entry.created_at) < BATCH_TTL_MS)) {
          removeEntry(entry);
          return;
        }
        if (entry.next_at <= Date.now()) {
          attempt(entry);
        } else {
          schedule(entry);
        }
      });
    }, function () {});
    Object.keys(waiting).forEach(function (id) {
      if (waiting[id].memoryOnly && !inFlight[id]) {
        attempt(waiting[id]);
      }
    });
  }

  // The page is going away (or into the background, where it may be discarded): one
  // last keepalive attempt for each waiting lead. The entries stay until a 2xx is seen,
  // so the next page load resends anything this did not deliver (a replay, not a copy).
  function lastAttempt() {
    var entries = Object.keys(waiting).filter(function (id) { return !inFlight[id]; })
      .map(function (id) { return waiting[id]; });
    keepaliveBatch(entries, KEEPALIVE_BUDGET).forEach(keepalive);
  }
  function keepalive(entry) {
    try {
      fetch(entry.url, {
        method: "POST", mode: entry.mode, credentials: "omit", keepalive: true,
        headers: keepaliveHeaders(entry.headers), body: entry.body,
      }).then(function (response) {
        if (entry.kind && response.ok) {
          removeEntry(entry);
        }
      }, function () {});
    } catch (error) {
      if (navigator.sendBeacon) {
        navigator.sendBeacon(entry.url, entry.body);
      }
    }
  }

  // Leadmagnet.forget(): the kept failures and the event batches go; waiting leads stay
  // until they are sent.
  export function forgetOutbox() {
    return dropEvents().then(function () {
      return deleteWhere(function (entry) { return entry.status !== "pending"; });
    });
  }

  function deleteWhere(test) {
    return outboxTx(false, function (store) {
      var cursor = store.openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (c) {
          if (test(c.value)) {
            c.delete();
          }
          c.continue();
        }
      };
      return cursor;
    }).then(function () {}, function () {});
  }

  window.addEventListener("online", flushOutbox);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      flushOutbox();
    } else {
      lastAttempt();
    }
  });
  window.addEventListener("pagehide", lastAttempt);
