// The outbox's rules (src/outbox.js), kept free of the browser so they are tested as code
// (tests/js/delivery.test.mjs): what an answer means, how long to wait before the next
// attempt, and what a closing page can still send.

export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 5 * 60 * 1000;
// What browsers allow all keepalive requests of a page together, in bytes of body.
export const KEEPALIVE_BUDGET = 64 * 1024;

// What an endpoint's answer means for the lead: "sent" (2xx, or the opaque answer of a
// no-cors request, where sent is all anyone can know), "retry" (408, 409 — the collector
// is still storing an earlier attempt —, 429 and 5xx) or "failed" (any other status: the
// endpoint refused the lead itself; kept with its answer, never retried).
export function outcomeOf(status, opaque) {
  if (opaque || (status >= 200 && status < 300)) {
    return "sent";
  }
  return status === 408 || status === 409 || status === 429 || status >= 500 ? "retry" : "failed";
}

// A Retry-After value (delay seconds or an HTTP date) in milliseconds from `now`, between
// 0 and RETRY_CAP_MS; null when absent or unreadable (then the backoff decides).
export function retryAfterMs(value, now) {
  if (!value) {
    return null;
  }
  // An HTTP date starts with the day's name (RFC 9110 §5.6.7); Date.parse alone would
  // also take "-5" or "2" as years.
  var ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000
    : /^\s*(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*[ ,]/.test(value) ? Date.parse(value) - now : NaN;
  return isNaN(ms) ? null : Math.min(Math.max(ms, 0), RETRY_CAP_MS);
}

// The wait before the next attempt after the `attempts`-th failure: full jitter, anywhere
// (`random` in [0, 1)) up to an exponential ceiling capped at RETRY_CAP_MS, so visitors who
// retry at once spread out.
export function backoffMs(attempts, random) {
  return random * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, attempts));
}

// The length of `text` in UTF-8 bytes: what a request body costs of the keepalive budget
// (a JavaScript string's length counts UTF-16 units, up to three times fewer).
export function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

// The waiting entries a closing page sends with keepalive: in order, each whose body still
// fits what is left of `budget` bytes (a larger one is skipped; the next page load sends it).
export function keepaliveBatch(entries, budget) {
  var batch = [];
  entries.forEach(function (entry) {
    var size = utf8Length(entry.body);
    if (size <= budget) {
      budget -= size;
      batch.push(entry);
    }
  });
  return batch;
}

// The headers of a keepalive request: only a CORS-safelisted Content-Type (JSON goes as
// text/plain) and no other header, since a closing page cannot wait for a preflight.
export function keepaliveHeaders(headers) {
  var type = headers && headers["Content-Type"];
  return { "Content-Type": type === "application/json" || !type ? "text/plain" : type };
}
