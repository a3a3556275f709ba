// Lead delivery that loses nothing (issue 5): the loader's IndexedDB outbox against the
// real collector, with failures injected in front of it by Playwright's request routing.
// Every case ends with exactly one stored lead holding exactly the values typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { distFiles, launch, startCollector, startStatic, until, watch, widgetReady } from './harness.mjs';

let collector;
let browser;

before(async () => {
  collector = await startCollector();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
});

const QUEUED = "Saved on this device: we'll send it as soon as you're back online.";


const leadsWith = async (email) => (await collector.leads()).filter((l) => l.payload.fields.email === email);

/** The outbox's entries as the page sees them; null when no database exists. */
function outbox(page) {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'leadmagnet')) return null;
    return new Promise((resolve, reject) => {
      const req = indexedDB.open('leadmagnet');
      req.onsuccess = () => {
        const db = req.result;
        const all = db.transaction('outbox').objectStore('outbox').getAll();
        all.onsuccess = () => { db.close(); resolve(all.result); };
        all.onerror = () => reject(all.error);
      };
      req.onerror = () => reject(req.error);
    });
  });
}

/** The demo page with its eBook offer, filled in (not sent). */
async function demo(context = null) {
  const ctx = context || await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  const seen = watch(page);
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const email = `outbox-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@contoso.example`;
  await page.getByLabel('Business email').fill(email);
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
  return { ctx, page, seen, email };
}

const submit = (page) => page.getByRole('button', { name: 'Get the free eBook' }).click();

function assertTyped(stored, email) {
  assert.equal(stored.length, 1, 'exactly one stored lead');
  assert.deepEqual(stored[0].payload.fields, { email, first_name: 'Ada', newsletter: false, consent: true });
}

/** Routes the lead endpoint: `plan[i]` answers the i-th request; later ones go through. */
async function routeLeads(page, plan) {
  const times = [];
  await page.route(`${collector.url}/api/v1/leads`, async (route) => {
    const i = times.length;
    times.push(Date.now());
    const step = plan[i];
    if (!step) return route.continue();
    return step(route);
  });
  return times;
}

test('the endpoint down, then up: queued honestly, then delivered once', async () => {
  const { ctx, page, email } = await demo();
  const times = await routeLeads(page, [(r) => r.abort('connectionrefused'), (r) => r.abort('connectionrefused')]);
  await submit(page);
  await page.getByText(QUEUED).waitFor();
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  assert.ok(times.length >= 3, `three attempts, saw ${times.length}`);
  assert.deepEqual(await until(async () => (await outbox(page))?.length === 0 && [], 5000, 'an empty outbox'), []);
  await ctx.close();
});

test('503 twice, then 201: one lead, the same lead_id every time', async () => {
  const { ctx, page, email } = await demo();
  const ids = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/leads')) ids.push([r.headers()['idempotency-key'], JSON.parse(r.postData()).lead_id]); });
  const times = await routeLeads(page, [
    (r) => r.fulfill({ status: 503, body: 'busy' }),
    (r) => r.fulfill({ status: 503, body: 'busy' }),
  ]);
  await submit(page);
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  assert.equal(times.length, 3);
  assert.equal(new Set(ids.map(([header, body]) => `${header}|${body}`)).size, 1, 'one lead_id, in header and body alike');
  assert.equal(ids[0][0], stored[0].payload.lead_id);
  await ctx.close();
});

test('429 with Retry-After: the next attempt waits as long as asked', async () => {
  const { ctx, page, email } = await demo();
  const times = await routeLeads(page, [(r) => r.fulfill({ status: 429, headers: { 'Retry-After': '2' }, body: 'slow down' })]);
  await submit(page);
  await page.getByText(QUEUED).waitFor();
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  assert.ok(times[1] - times[0] >= 1900, `retried after ${times[1] - times[0]} ms, asked for 2000`);
  await ctx.close();
});

test('409 (the collector still storing an earlier attempt) is retried, and the retry is a replay: one row', async () => {
  const { ctx, page, email } = await demo();
  // The first attempt reaches the collector and is stored, but the browser hears 409, as
  // when a second attempt of the same lead arrives while the first is being stored.
  const times = await routeLeads(page, [async (r) => {
    await r.fetch();
    await r.fulfill({ status: 409, headers: { 'Retry-After': '1' }, body: '{"error":{"code":"request_in_progress"}}' });
  }]);
  await submit(page);
  await until(() => times.length >= 2, 20000, 'the retry');
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const stored = await leadsWith(email);
  assertTyped(stored, email);
  assert.ok(times[1] - times[0] >= 900, `retried after ${times[1] - times[0]} ms, asked for 1000`);
  await ctx.close();
});

test('a timeout counts as a failure and is retried (endpoint.timeout_seconds)', async () => {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  // An offer with a 1 s timeout, mounted beside the demo's (and known to the collector).
  const slow = {
    version: 1, id: 'slow-endpoint', locale: 'en', offer: { kind: 'form', title: 'Slow endpoint' },
    fields: [{ id: 'email', type: 'email', label: 'Work email', required: true }],
    endpoint: { url: '/api/v1/leads', timeout_seconds: 1 },
  };
  await collector.addOffer(slow);
  await page.evaluate((config) => {
    const host = document.createElement('div');
    host.id = 'slow';
    document.body.append(host);
    return window.Leadmagnet.mount(host, config);
  }, slow);
  let first = true;
  await page.route(`${collector.url}/api/v1/leads`, async (route) => {
    if (!first) return route.continue();
    first = false;
    // Held past the widget's timeout; the browser has given up on it by then.
    await new Promise((r) => setTimeout(r, 2500));
    await route.abort().catch(() => {});
  });
  const email = `timeout-${Date.now()}@contoso.example`;
  await page.locator('#slow').getByLabel('Work email').fill(email);
  await page.locator('#slow').getByRole('button', { name: 'Submit' }).click();
  await page.locator('#slow').getByText(QUEUED).waitFor();
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assert.equal(stored.length, 1);
  assert.deepEqual(stored[0].payload.fields, { email });
  await ctx.close();
});

test('offline, then online: the lead waits in IndexedDB and goes out on the online event', async () => {
  const { ctx, page, email } = await demo();
  await ctx.setOffline(true);
  await submit(page);
  await page.getByText(QUEUED).waitFor();
  const waiting = await outbox(page);
  assert.equal(waiting.length, 1, 'stored before it could be sent');
  assert.equal(waiting[0].status, 'pending');
  assert.equal(JSON.parse(waiting[0].body).fields.email, email);
  assert.equal((await leadsWith(email)).length, 0);
  await ctx.setOffline(false);
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  await until(async () => (await outbox(page))?.length === 0, 5000, 'an empty outbox');
  await ctx.close();
});

test('navigating away right after submitting loses nothing and stores nothing twice', async () => {
  const { ctx, page, email } = await demo();
  await submit(page);
  await page.goto(`${collector.url}/quiz.html`);
  await widgetReady(page);
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  // Whatever the old page did not see answered, this page resent (a replay): still one row.
  await until(async () => (await outbox(page) || []).length === 0, 10000, 'an empty outbox');
  assert.equal((await leadsWith(email)).length, 1);
  await ctx.close();
});

test('a reloaded tab sends the lead that was queued before', async () => {
  const { ctx, page, email } = await demo();
  await page.route(`${collector.url}/api/v1/leads`, (r) => r.abort('connectionrefused'));
  await submit(page);
  await page.getByText(QUEUED).waitFor();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  // Back to a page that never saw the submission: the loader flushes the outbox on start.
  await page.reload();
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 20000, 'the lead');
  assertTyped(stored, email);
  await ctx.close();
});

test('a page closed while its lead waits sends it with one last keepalive request', async () => {
  const { ctx, page, email } = await demo();
  // The endpoint refuses every attempt while the page is open.
  const seen = [];
  await ctx.route(`${collector.url}/api/v1/leads`, (r) => {
    const type = r.request().headers()['content-type'] || '';
    seen.push(type);
    return r.abort('connectionrefused');
  });
  await submit(page);
  await page.getByText(QUEUED).waitFor();
  assert.equal((await leadsWith(email)).length, 0);
  await page.close({ runBeforeUnload: true });
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 10000, 'the lead');
  assertTyped(stored, email);
  // Every attempt the page made while open was refused (and routed, so seen here); the
  // lead arrived all the same: through the keepalive request sent on pagehide, which the
  // browser completes after the page is gone, outside Playwright's routing.
  assert.ok(seen.length >= 1 && seen.every((type) => type.startsWith('application/json')), `routed: ${seen}`);
  await ctx.close();
});

test('a refusal (400) is shown, kept as failed with the answer, and never stored', async () => {
  const { ctx, page, seen, email } = await demo();
  await routeLeads(page, [(r) => r.fulfill({ status: 400, contentType: 'application/json', body: '{"error":{"code":"nope"}}' })]);
  await submit(page);
  await page.getByText('Sending did not work.').waitFor();
  assert.equal(await page.getByLabel('Business email').inputValue(), email, 'what was typed is still there');
  const kept = await outbox(page);
  assert.equal(kept.length, 1);
  assert.equal(kept[0].status, 'failed');
  assert.equal(kept[0].response.status, 400);
  assert.match(kept[0].response.body, /nope/);
  assert.ok(seen.leadmagnet().some((m) => /answered HTTP 400/.test(m.text)), 'the console names the refusal');
  assert.equal((await leadsWith(email)).length, 0);
  await ctx.close();
});

test('no demo page stores anything before a lead is sent: loading, typing, scrolling, opening overlays', async () => {
  // Every demo page, in a fresh context each: the full build's pages too (variants,
  // frequency caps, slide-ins), whose memory stays in the page until the visitor consents.
  for (const path of ['/', '/quiz.html', '/calculator.html', '/checklist.html', '/pricing.html']) {
    const ctx = await browser.newContext({ locale: 'de-DE' });
    const page = await ctx.newPage();
    await page.goto(`${collector.url}${path}`);
    await page.waitForFunction(() => window.Leadmagnet).catch(() => {});
    await page.evaluate(() => window.Leadmagnet.ready).catch(() => {});
    await page.waitForTimeout(300);
    // Type into every visible text input of every widget, tick nothing, send nothing.
    const inputs = page.locator('[data-leadmagnet] >> input[type=email], [data-leadmagnet] >> input[type=text], [data-leadmagnet] >> input[type=number]');
    for (let i = 0; i < await inputs.count(); i++) {
      const input = inputs.nth(i);
      if (await input.isVisible() && await input.isEditable()) await input.fill(i === 0 ? 'ada@contoso.example' : '42');
    }
    await page.mouse.wheel(0, 5000);
    await page.waitForTimeout(600);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForTimeout(600);
    const stored = await page.evaluate(async () => ({
      local: Object.keys(localStorage),
      session: Object.keys(sessionStorage),
      cookies: document.cookie,
      databases: (await indexedDB.databases()).map((d) => d.name),
    }));
    assert.deepEqual(stored, { local: [], session: [], cookies: '', databases: [] }, path);
    assert.deepEqual(await ctx.cookies(), [], path);
    await ctx.close();
  }
});

test('nothing is stored before submitting: no cookies, web storage or IndexedDB', async () => {
  const { ctx, page } = await demo();
  await page.waitForTimeout(300);
  const stored = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    cookies: document.cookie,
    databases: (await indexedDB.databases()).map((d) => d.name),
  }));
  assert.deepEqual(stored, { local: 0, session: 0, cookies: '', databases: [] });
  assert.deepEqual(await ctx.cookies(), []);
  await ctx.close();
});

test('without usable IndexedDB (blocked storage) the lead still goes out, with one console line', async () => {
  const ctx = await browser.newContext({ locale: 'en-US' });
  // Storage blocked as in some private windows: every open fails.
  await ctx.addInitScript(() => {
    IDBFactory.prototype.open = function () { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); };
  });
  const { page, seen, email } = await demo(ctx);
  await submit(page);
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const stored = await until(async () => (await leadsWith(email)).length && leadsWith(email), 10000, 'the lead');
  assertTyped(stored, email);
  assert.ok(seen.leadmagnet().some((m) => /cannot use IndexedDB/.test(m.text)), JSON.stringify(seen.leadmagnet()));
  await ctx.close();
});

test("the page's last keepalive request reaches the endpoint as text/plain, without a preflight", async () => {
  // An endpoint of its own that records what the browser sends and refuses it all (503),
  // so the lead waits until the page closes.
  const { createServer } = await import('node:http');
  const got = [];
  const endpoint = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type, idempotency-key',
      'access-control-allow-methods': 'POST' };
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ method: req.method, type: req.headers['content-type'] || '', key: req.headers['idempotency-key'], body });
      // Retry-After: no regular retry can come between the first attempt and the close,
      // so the only request after it is the closing page's.
      res.writeHead(req.method === 'OPTIONS' ? 204 : 503,
        { ...cors, 'retry-after': '120', 'access-control-expose-headers': 'retry-after' });
      res.end();
    });
  });
  await new Promise((ok) => endpoint.listen(0, '127.0.0.1', ok));
  // Whatever happens, both servers close: an open one would keep this file's process alive.
  let site;
  try {
    const url = `http://127.0.0.1:${endpoint.address().port}/leads`;
    // A plain page of its own (the demo page's CSP would not let it reach this endpoint).
    const files = distFiles();
    site = await startStatic({
      '/': { type: 'text/html', body: '<!doctype html><html lang="en"><head><title>k</title><script src="/w/leadmagnet.js" async></script></head><body></body></html>' },
      '/w/leadmagnet.js': { type: 'text/javascript', body: files.js },
      [`/w/${files.wasm}`]: { type: 'application/wasm', body: files.wasmBytes },
      [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
      [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
    });
    const ctx = await browser.newContext({ locale: 'en-US' });
    const page = await ctx.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => window.Leadmagnet);
    await page.evaluate(() => window.Leadmagnet.ready);
    const email = `keepalive-${Date.now()}@contoso.example`;
    await page.evaluate(([url]) => {
      const host = document.createElement('div');
      host.id = 'kept';
      document.body.append(host);
      return window.Leadmagnet.mount(host, { version: 1, id: 'ebook-lead-scoring', locale: 'en',
        offer: { kind: 'form', title: 'Keepalive' }, fields: [{ id: 'email', type: 'email', label: 'Email', required: true }],
        endpoint: { url } });
    }, [url]);
    await page.locator('#kept >> #lm-f-email').fill(email);
    // The widget has the endpoint's 503 (not merely sent the request) when it says the lead waits.
    const queued = page.waitForEvent('console', { predicate: (m) => /is queued on this device/.test(m.text()), timeout: 15000 });
    await page.locator('#kept >> button[type=submit]').click();
    await queued;
    assert.ok(got.some((r) => r.method === 'POST'), 'the first attempt reached the endpoint');
    const whileOpen = got.length;
    await page.close({ runBeforeUnload: true });
    const last = await until(async () => got.slice(whileOpen).find((r) => r.method === 'POST'), 10000, 'the keepalive request');
    assert.equal(last.type, 'text/plain', 'a CORS-safelisted type: no preflight from a closing page');
    assert.equal(last.key, undefined, 'no other header');
    assert.equal(JSON.parse(last.body).fields.email, email, 'the whole payload');
    // (GET: the proof-of-work challenge the widget asks this endpoint's folder for.)
    assert.ok(got.slice(0, whileOpen).every((r) => r.method !== 'POST' || r.type === 'application/json'),
      'while open: JSON, after its preflight');
    assert.ok(got.slice(0, whileOpen).some((r) => r.method === 'OPTIONS'), 'the preflight while open');
    assert.equal(got.slice(whileOpen).filter((r) => r.method === 'OPTIONS').length, 0, 'no preflight for the last one');
    await ctx.close();
  } finally {
    await site?.close();
    endpoint.closeAllConnections?.();
    await new Promise((ok) => endpoint.close(ok));
  }
});
