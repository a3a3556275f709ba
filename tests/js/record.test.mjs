// The behaviour record's rules (src/js/record.mjs) as code: touches, visits, bounds, merge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_AGE_MS, MAX_EVENTS, VISIT_GAP_MS, arrive, history, readRecord, stringMap, touchOf, validEvent, wellFormed,
} from '../../src/js/record.mjs';

test('a touch: landing page, time, referrer, campaign keys and click ids, nothing else', () => {
  const url = 'https://x.example/p?utm_source=news&utm_medium=email&gclid=g1&email=ann%40x.example&utm_term=';
  assert.deepEqual(touchOf(url, 'https://search.example/', 't'), {
    landing_page: url, at: 't', referrer: 'https://search.example/', utm_source: 'news', utm_medium: 'email', gclid: 'g1',
  });
  assert.deepEqual(touchOf('https://x.example/', '', 't'), { landing_page: 'https://x.example/', at: 't' });
});

test('a stored record reads only when it is one', () => {
  assert.deepEqual(readRecord('{"events":[],"first_touch":{"at":"t"}}'), { events: [], first_touch: { at: 't' }, last_touch: { at: 't' } });
  for (const bad of [null, '', 'nope', '{}', '{"events":{}}', '{"events":[]}', '[]', 'null', '{"events":[],"first_touch":null}']) {
    assert.equal(readRecord(bad), null, String(bad));
  }
});

test('a new visit after 30 minutes takes the new touch; within a visit only a campaign link does', () => {
  const now = 1_800_000_000_000;
  const plain = { landing_page: 'https://x.example/b', at: 'b' };
  const campaign = { landing_page: 'https://x.example/c?utm_source=ad', at: 'c', utm_source: 'ad' };
  let record = { last_seen: now - VISIT_GAP_MS, last_touch: 'old' };
  assert.equal(arrive(record, plain, now), true, 'exactly 30 minutes: a new visit');
  assert.equal(record.last_touch, plain);
  record = { last_seen: now - VISIT_GAP_MS + 1, last_touch: 'old' };
  assert.equal(arrive(record, plain, now), false);
  assert.equal(record.last_touch, 'old', 'same visit, no campaign: the touch stays');
  assert.equal(arrive(record, campaign, now), false);
  assert.equal(record.last_touch, campaign, 'same visit, a campaign link: the latest touch');
  record = { last_touch: 'old' };
  assert.equal(arrive(record, plain, now), true, 'no last_seen: a new visit');
});

test('merge: other page views kept, this one replaced, oldest first, 90 days, newest 100', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const at = (ms) => new Date(ms).toISOString();
  const mine = [{ type: 'page_view', at: at(now - 1000), page: 2, seconds: 9 }];
  const record = {
    events: [
      { type: 'page_view', at: at(now - 5000), page: 1 },
      { type: 'page_view', at: at(now - 2000), page: 2, seconds: 1 }, // this page's older copy
      { type: 'offer_view', at: at(now - MAX_AGE_MS - 1), page: 0 }, // too old
      { type: 'offer_view', at: at(now - 3000), page: 3 }, // a tab open beside this one
    ],
  };
  assert.deepEqual(history(record, mine, 2, now).map((e) => [e.page, e.type]),
    [[1, 'page_view'], [3, 'offer_view'], [2, 'page_view']]);
  assert.equal(history(record, mine, 2, now).at(-1).seconds, 9, "this page's latest measure wins");
  // Bounds: 250 events of other page views and this page's: the newest 100, this page's last.
  const many = { events: Array.from({ length: 250 }, (_, i) => ({ type: 'offer_view', at: at(now - 10_000 + i), page: 7 })) };
  const merged = history(many, mine, 2, now);
  assert.equal(merged.length, MAX_EVENTS);
  assert.equal(merged.at(-1).page, 2);
  assert.equal(merged[0].at, at(now - 10_000 + 151));
});

test('what a page or an older build left in the record is cleaned, never fatal', () => {
  const record = readRecord(JSON.stringify({
    events: [null, 1, 'x', { type: 'page_view' }, { type: 'page_view', at: 't', seconds: '5' }, { type: 'page_view', at: 't', url: 7 },
      { type: 'offer_view', at: 't', offer_id: 'o', seconds: 3, scroll_percent: 50, page: 1 }],
    first_touch: { at: 1, landing_page: 'https://x.example/', utm_source: ['a'], gclid: 'g' },
    last_touch: 'nonsense',
  }));
  assert.deepEqual(record.events, [{ type: 'offer_view', at: 't', offer_id: 'o', seconds: 3, scroll_percent: 50, page: 1 }]);
  assert.deepEqual(record.first_touch, { landing_page: 'https://x.example/', gclid: 'g' });
  assert.deepEqual(record.last_touch, {});
  for (const bad of [{ type: 'a', at: 't', seconds: Infinity }, { type: 'a', at: 't', seconds: NaN }, { type: 2, at: 't' }]) {
    assert.equal(validEvent(bad), false, JSON.stringify(bad));
  }
  assert.equal(validEvent({ type: 'a', at: 't', url: null }), true);
});

test('strings are made well-formed: lone surrogates become U+FFFD, pairs stay', () => {
  assert.equal(wellFormed('a\ud800b'), 'a\ufffdb');
  assert.equal(wellFormed('\udc00'), '\ufffd');
  assert.equal(wellFormed('😀'), '😀');
  assert.equal(wellFormed('\ud83d\ude00\ud83d'), '😀\ufffd');
  assert.equal(JSON.stringify(wellFormed('x\ud800')), '"x\ufffd"', 'no escape left for a reader to refuse');
  assert.deepEqual(stringMap({ a: 'b', c: 1, d: null }), { a: 'b' });
  assert.deepEqual(stringMap(null), {});
  assert.deepEqual(stringMap(['a']), {});
});
