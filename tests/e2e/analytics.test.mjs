// Offer analytics (issue 18) in real Chromium against a real collector: a seeded run of
// visits to a two-step offer with two variants gives exactly the counts and conversion
// figures expected in the report; the counting requests carry no identifier; nothing is
// counted for a page where the offer is not shown; the report pages pass axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOKEN, distFiles, launch, startCollector, startStatic, until, watch, widgetReady } from './harness.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const files = distFiles();
let browser;
let collector;
let site;
const routes = {};

const OFFER = {
  version: 1, id: 'ab-e2e', locale: 'en',
  offer: { kind: 'form', title: 'Guide A' },
  fields: [
    { id: 'email', type: 'email', label: 'Email', required: true },
    { id: 'company', type: 'text', label: 'Company' },
    { id: 'consent', type: 'consent', required: true, consent_version: '1', label: 'I agree' },
  ],
  steps: [{ fields: ['email'] }, { fields: ['company', 'consent'] }],
  variants: [{ id: 'a' }, { id: 'b', title: 'Guide B' }],
  endpoint: { url: '' },
};

before(async () => {
  browser = await launch();
  site = await startStatic(routes);
  collector = await startCollector({ allowOrigins: [site.url] });
  OFFER.endpoint.url = `${collector.url}/api/v1/leads`;
  await collector.addOffer(OFFER);
  const page = (host) => `<!doctype html><html lang="en"><head><title>t</title>
    <script src="/w/leadmagnet.js" async></script></head><body><main><h1>Analytics</h1>${host}</main></body></html>`;
  Object.assign(routes, {
    '/': { type: 'text/html', body: page(`<div data-leadmagnet="${collector.url}/offers/ab-e2e.json"></div>`) },
    // A modal opened only by a button nobody presses: never shown, never counted.
    '/unshown': { type: 'text/html', body: page(`<div data-leadmagnet="${collector.url}/offers/unshown.json"></div>`) },
    // The same offer twice on one page: one page view of it.
    '/twice': { type: 'text/html', body: page(`<div data-leadmagnet="${collector.url}/offers/twice.json"></div>
      <p>Between</p><div data-leadmagnet="${collector.url}/offers/twice.json"></div>`) },
    '/w/leadmagnet.js': { type: 'text/javascript', body: files.js },
    [`/w/${files.wasm}`]: { type: 'application/wasm', body: files.wasmBytes },
    [`/w/${files.full}`]: { type: 'application/wasm', body: files.fullBytes },
    [`/w/${files.fullPart}`]: { type: 'text/javascript', body: files.fullPartScript },
    [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
    [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
  });
  await collector.addOffer({ ...OFFER, id: 'twice', variants: [], steps: [] });
  await collector.addOffer({
    ...OFFER, id: 'unshown', variants: [], steps: [],
    display: { mode: 'modal', trigger: { click: '#never' } },
  });
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  await site?.close();
});

async function report(id) {
  const res = await fetch(`${collector.url}/api/v1/offers/${id}/report`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return res.json();
}

const host = '[data-leadmagnet]';

// The page is hidden: by `pagehide` (leaving), or by `visibilitychange` alone, as a mobile
// browser may do before closing a page without another word. Either sends the counts as a
// keepalive request; the events are dispatched while the page lives, so the request shows
// in the network log.
async function hide(tab, how) {
  // Its answer, not only its start: closing the tab at once could cut the request off.
  const sent = tab.waitForResponse((r) => r.url().includes('/api/v1/counts'));
  await tab.evaluate((how) => {
    if (how === 'pagehide') {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      return;
    }
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, how);
  assert.equal((await sent).status(), 202, 'counted');
}
async function show(tab) {
  await tab.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

test('a seeded run of visits across two variants comes out exactly in the report; the counts carry no identifier', async () => {
  const VISITS = 18;
  const counted = [];
  let requests = 0;
  const expected = { views: 0, starts: 0, step2: 0, submits: 0, refused: 0, invalidEmail: 0, abandonedEmail: 0, abandonedCompany: 0, a: [0, 0], b: [0, 0] };
  for (let i = 0; i < VISITS; i++) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const seen = watch(tab);
    tab.on('request', (r) => {
      if (r.url().includes('/api/v1/counts')) {
        counted.push({ url: r.url(), headers: r.headers(), body: r.postData() });
      }
    });
    await tab.goto(site.url + '/');
    await widgetReady(tab);
    const title = await tab.locator(`${host} >> .lm-title`).textContent();
    const variant = title.includes('Guide B') ? 'b' : 'a';
    expected.views += 1;
    expected[variant][0] += 1;
    const email = tab.locator(`${host} >> #lm-f-email`);
    const next = tab.locator(`${host} >> button`, { hasText: 'Next' });
    const secondStep = async () => {
      await email.fill(`visit${i}@contoso.example`);
      await next.click();
      await tab.locator(`${host} >> #lm-f-company`).fill('Contoso');
      expected.step2 += 1;
    };
    const send = async () => {
      await tab.locator(`${host} >> #lm-f-consent`).check();
      await tab.waitForTimeout(1200);
      await tab.locator(`${host} >> button[type="submit"]`).click();
      await tab.locator(`${host} >> .lm-success`).waitFor();
      expected.submits += 1;
      expected[variant][1] += 1;
    };
    switch (i % 6) {
      case 0: // looks, leaves
        break;
      case 1: // types, leaves at the email field; a phone closes the hidden page unannounced
        await email.fill('half');
        expected.starts += 1;
        expected.abandonedEmail += 1;
        break;
      case 2: // a wrong address, corrected, the second step, leaves at the company field
        await email.fill('ann@');
        await next.click();
        await tab.locator(`${host} >> #lm-f-email[aria-invalid="true"]`).waitFor();
        expected.invalidEmail += 1;
        expected.refused += 1;
        await secondStep();
        expected.starts += 1;
        expected.abandonedCompany += 1;
        break;
      case 3: // completes
        await secondStep();
        await send();
        expected.starts += 1;
        break;
      case 4: // switches away at the email field, comes back and completes: no abandonment
        await email.fill(`visit${i}@contoso.example`);
        await hide(tab, 'visibilitychange');
        requests += 1;
        await show(tab);
        await secondStep();
        await send();
        expected.starts += 1;
        break;
      default: // switches away at the email field, comes back, gives up at the company field
        await email.fill(`visit${i}@contoso.example`);
        await hide(tab, 'visibilitychange');
        requests += 1;
        await show(tab);
        await secondStep();
        expected.starts += 1;
        expected.abandonedCompany += 1;
    }
    // Leaving: the real navigation after it has nothing new to send.
    await hide(tab, i % 6 === 1 ? 'visibilitychange' : 'pagehide');
    requests += 1;
    await tab.goto('about:blank');
    await context.close();
    assert.deepEqual(seen.leadmagnet(), []);
  }
  const r = await until(async () => {
    const now = await report('ab-e2e');
    return now.funnel[0].count === VISITS && now.funnel[3].count === expected.submits && now;
  }, 20000, 'every visit counted');
  assert.deepEqual(r.funnel.map((s) => [s.stage, s.count]),
    [['views', expected.views], ['starts', expected.starts], ['step 2', expected.step2], ['submits', expected.submits]]);
  assert.equal(r.refused, expected.refused);
  assert.deepEqual(r.fields.map((f) => [f.field, f.invalid, f.abandoned]), [
    ['email', expected.invalidEmail, expected.abandonedEmail],
    ['company', 0, expected.abandonedCompany],
    ['consent', 0, 0],
  ]);
  for (const [i, v] of ['a', 'b'].entries()) {
    const [views, submits] = expected[v];
    assert.deepEqual([r.variants[i].variant, r.variants[i].views, r.variants[i].submits], [v, views, submits]);
    assert.equal(r.variants[i].conversion, views ? Math.round(submits / views * 10000) / 10000 : null);
  }
  assert.match(r.verdict, /^not enough data yet: each variant needs 100 views/);

  // The counting requests: one per page view, no cookie, no identifier, nothing but the
  // offer, its variant and what happened.
  assert.equal(counted.length, requests, JSON.stringify(counted.map((c) => c.body)));
  for (const c of counted) {
    const url = new URL(c.url);
    assert.equal(url.search, '', 'no query');
    assert.equal(url.pathname, '/api/v1/counts');
    assert.equal(c.headers.cookie, undefined, 'no cookie');
    const body = JSON.parse(c.body);
    assert.deepEqual(Object.keys(body).sort(), ['offers', 'version']);
    for (const o of body.offers) {
      assert.deepEqual(Object.keys(o).filter((k) => !['offer_id', 'variant', 'events'].includes(k)), []);
      for (const e of o.events) {
        assert.match(e, /^(view|start|submit|refused|step:\d+|(invalid|abandoned|resumed):(email|company|consent))$/);
      }
    }
    assert.doesNotMatch(c.body, /@|contoso|half|[0-9a-f]{8}-[0-9a-f]{4}/i, 'no typed value, no id');
  }
});

test('nothing is counted for a page where the offer is not shown', async () => {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const counted = [];
  tab.on('request', (r) => { if (r.url().includes('/api/v1/counts')) counted.push(r.url()); });
  await tab.goto(site.url + '/unshown');
  await tab.waitForFunction(() => document.querySelector('[data-leadmagnet]').shadowRoot?.querySelector('dialog'));
  await tab.goto('about:blank');
  await new Promise((r) => setTimeout(r, 500));
  await context.close();
  assert.deepEqual(counted, []);
  assert.equal((await report('unshown')).funnel[0].count, 0);
});

test('an offer shown twice on a page is one page view of it: one entry, counted once', async () => {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const seen = watch(tab);
  await tab.goto(site.url + '/twice');
  await tab.locator('[data-leadmagnet] >> nth=1 >> form').waitFor();
  await tab.locator('[data-leadmagnet] >> nth=0 >> form').waitFor();
  await tab.locator('[data-leadmagnet] >> nth=1 >> #lm-f-email').fill('x');
  const sent = tab.waitForResponse((r) => r.url().includes('/api/v1/counts'));
  await tab.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })));
  const response = await sent;
  assert.equal(response.status(), 202, await response.text());
  assert.deepEqual(JSON.parse(response.request().postData()).offers,
    [{ offer_id: 'twice', events: ['view', 'start', 'abandoned:email'] }]);
  await context.close();
  assert.deepEqual(seen.leadmagnet(), []);
  const r = await report('twice');
  assert.deepEqual(r.funnel.map((s) => s.count), [1, 1, 0]);
});

test('the inbox shows the report: funnel, fields, variants with the verdict, the daily trend, a CSV; no axe violations', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/inbox`);
  await page.getByLabel('Your token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'Offers' }).first().click();
  await page.getByRole('link', { name: 'ab-e2e' }).click();
  await page.getByRole('heading', { name: 'Funnel' }).waitFor();
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  })).violations.map((v) => v.id));
  assert.deepEqual(violations, []);
  assert.match(await page.locator('table.funnel-report').textContent(), /views18/);
  assert.match(await page.locator('p.verdict').textContent(), /not enough data yet/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Export CSV/ }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^offer_id,day,variant,views,starts,submits,refused,conversion\r\n/);
  const rows = csv.trim().split('\r\n').slice(1);
  assert.equal(rows.reduce((n, row) => n + Number(row.split(',')[3]), 0), 18, csv);
  await context.close();
});
