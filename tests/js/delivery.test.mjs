// The outbox's rules (src/js/delivery.mjs) as code: answers, backoff, Retry-After and the
// keepalive budget. Run with `node --test tests/js/` (a step of `make test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KEEPALIVE_BUDGET, RETRY_CAP_MS, backoffMs, keepaliveBatch, keepaliveHeaders, outcomeOf, retryAfterMs, utf8Length,
} from '../../src/js/delivery.mjs';

test('failure kinds: 2xx and opaque answers are sent; 408, 409, 429, 5xx retried; other 4xx failed', () => {
  for (const status of [200, 201, 204, 299]) assert.equal(outcomeOf(status, false), 'sent', status);
  assert.equal(outcomeOf(0, true), 'sent', 'a no-cors answer');
  for (const status of [408, 409, 429, 500, 502, 503, 504, 599]) assert.equal(outcomeOf(status, false), 'retry', status);
  for (const status of [400, 401, 403, 404, 405, 410, 413, 415, 422, 451, 300, 304]) {
    assert.equal(outcomeOf(status, false), 'failed', status);
  }
});

test('Retry-After: delay seconds or an HTTP date, clamped to [0, 5 min]; anything else is null', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  assert.equal(retryAfterMs('7', now), 7000);
  assert.equal(retryAfterMs('  0 ', now), 0);
  assert.equal(retryAfterMs('86400', now), RETRY_CAP_MS, 'capped');
  assert.equal(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now), 30000);
  assert.equal(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now), 0, 'a date in the past: now');
  assert.equal(retryAfterMs('Tuesday, 01-Dec-26 10:00:10 GMT', now), 10000, 'the obsolete RFC 850 form');
  assert.equal(retryAfterMs('Tue Dec  1 10:00:20 2026', now) !== null, true, 'the asctime form');
  for (const bad of [null, undefined, '', 'soon', '-5', '1.5', '0x10', '2026-12-01', 'Tue']) {
    assert.equal(retryAfterMs(bad, now), null, String(bad));
  }
});

test('backoff: full jitter under an exponential ceiling that stops at 5 minutes', () => {
  assert.equal(backoffMs(1, 0), 0);
  assert.equal(backoffMs(1, 0.5), 1000);
  assert.equal(backoffMs(3, 0.999999), 0.999999 * 8000);
  for (let attempts = 1; attempts < 40; attempts++) {
    const ceiling = Math.min(RETRY_CAP_MS, 1000 * 2 ** attempts);
    assert.ok(backoffMs(attempts, 0.999999) < ceiling + 1 && backoffMs(attempts, 0.999999) <= RETRY_CAP_MS, attempts);
  }
  assert.ok(Number.isFinite(backoffMs(5000, 0.5)), 'no overflow after many attempts');
});

test('the keepalive budget counts UTF-8 bytes, in order, skipping what no longer fits', () => {
  for (const [text, bytes] of [['', 0], ['a', 1], ['é', 2], ['€', 3], ['😀', 4], ['a😀é€', 10], ['\ud800', 3], ['\udc00x', 4]]) {
    assert.equal(utf8Length(text), bytes, JSON.stringify(text));
    if (!/[\ud800-\udfff]/.test(text)) assert.equal(utf8Length(text), Buffer.byteLength(text), text);
  }
  const body = (n, ch = 'a') => ({ body: ch.repeat(n) });
  // 30,000 euro signs are 90,000 bytes: over the budget though only 30,000 units long.
  assert.deepEqual(keepaliveBatch([body(30000, '€')], KEEPALIVE_BUDGET), []);
  const [a, b, c, d] = [body(40000), body(30000), body(20000), body(5000)];
  assert.deepEqual(keepaliveBatch([a, b, c, d], KEEPALIVE_BUDGET), [a, c, d], 'b would overflow; c and d still fit');
  assert.deepEqual(keepaliveBatch([], KEEPALIVE_BUDGET), []);
  assert.deepEqual(keepaliveBatch([body(KEEPALIVE_BUDGET)], KEEPALIVE_BUDGET).length, 1, 'exactly the budget fits');
});

test('keepalive headers: only a CORS-safelisted Content-Type, JSON as text/plain', () => {
  assert.deepEqual(keepaliveHeaders({ 'Content-Type': 'application/json', 'Idempotency-Key': 'x' }), { 'Content-Type': 'text/plain' });
  assert.deepEqual(keepaliveHeaders({ 'Content-Type': 'application/x-www-form-urlencoded', 'X-Source': 'y' }),
    { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.deepEqual(keepaliveHeaders({}), { 'Content-Type': 'text/plain' });
  assert.deepEqual(keepaliveHeaders(undefined), { 'Content-Type': 'text/plain' });
});
