// The behaviour record's rules (src/loader.js, "Behaviour"), kept free of the browser so
// they are tested as code (tests/js/record.test.mjs): where a page view came from, when a
// new visit starts, and which events the record keeps.

// The newest MAX_EVENTS events of the last MAX_AGE_MS; a visit starts after VISIT_GAP_MS
// without activity (the core's values: crates/core/src/record.rs).
import { MAX_AGE_MS, MAX_EVENTS, VISIT_GAP_MS } from "./contract.mjs";
export { MAX_AGE_MS, MAX_EVENTS, VISIT_GAP_MS };
// Campaign keys and click ids a link may carry.
export var TOUCH_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
  "gclid", "fbclid", "msclkid", "li_fat_id"];

// Where a page view came from: landing page, time, referrer, campaign keys, click ids.
export function touchOf(url, referrer, at) {
  var touch = { landing_page: url, at: at };
  if (referrer) {
    touch.referrer = referrer;
  }
  var params = new URL(url).searchParams;
  TOUCH_KEYS.forEach(function (key) {
    if (params.get(key)) {
      touch[key] = params.get(key);
    }
  });
  return touch;
}

// `text` as well-formed Unicode: a lone surrogate (which JSON.stringify writes as an escape
// no reader here gives back unchanged) becomes U+FFFD.
export function wellFormed(text) {
  return String(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

// A map of strings only (a touch, labels): other values, which a stored record or a page
// may hold, are left out.
export function stringMap(value) {
  var out = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    Object.keys(value).forEach(function (key) {
      if (typeof value[key] === "string") {
        out[wellFormed(key)] = value[key];
      }
    });
  }
  return out;
}

// Whether an event has the types the core reads (`type` and `at` strings; `url`, `offer_id`
// strings, `seconds`, `scroll_percent` finite numbers, when present).
export function validEvent(e) {
  var optional = function (key, type) {
    return e[key] === undefined || e[key] === null || (typeof e[key] === type && (type !== "number" || isFinite(e[key])));
  };
  return !!e && typeof e === "object" && typeof e.type === "string" && typeof e.at === "string" &&
    optional("url", "string") && optional("offer_id", "string") &&
    optional("seconds", "number") && optional("scroll_percent", "number");
}

// A record as stored, if it is one (events and a first touch); null otherwise. What does
// not have its type (a page's own script, an older build) is left out, so one bad entry
// never costs a lead its facts.
export function readRecord(text) {
  try {
    var record = JSON.parse(text);
    if (!record || typeof record !== "object" || !Array.isArray(record.events) ||
      !record.first_touch || typeof record.first_touch !== "object") {
      return null;
    }
    record.events = record.events.filter(validEvent);
    record.first_touch = stringMap(record.first_touch);
    record.last_touch = stringMap(record.last_touch || record.first_touch);
    return record;
  } catch (ignored) {
    return null;
  }
}

// A page view arriving with `touch` at `now` (ms) on a kept record: a new visit after the
// gap (a `return_visit`, and this is the latest touch), or, within a visit, a campaign
// link is the latest touch. Returns whether a new visit started.
export function arrive(record, touch, now) {
  if (!(now - record.last_seen < VISIT_GAP_MS)) {
    record.last_touch = touch;
    return true;
  }
  // A campaign link: it carries a campaign key or click id.
  if (Object.keys(touch).some(function (k) { return TOUCH_KEYS.indexOf(k) >= 0; })) {
    record.last_touch = touch;
  }
  return false;
}

// The kept events of other page views and this one's (`page` tags this page view's),
// oldest first: the newest MAX_EVENTS of the last MAX_AGE_MS before `now`. Each page view
// replaces only its own events, so tabs open side by side do not overwrite each other.
// (Times are all toISOString's: text order is time order.)
export function history(record, pageEvents, page, now) {
  var since = now - MAX_AGE_MS;
  return record.events.filter(function (e) { return e.page !== page && Date.parse(e.at) > since; })
    .concat(pageEvents).sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; })
    .slice(-MAX_EVENTS);
}
