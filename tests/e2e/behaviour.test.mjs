// Behaviour events, attribution across visits and form metrics (issue 5): what a lead
// carries about the visitor's behaviour, what is kept on the device and when — only with
// marketing consent, never under Global Privacy Control — and that the score reads it.
// Real Chromium against the real collector; every stored payload is checked against
// www/schema/lead.v1.json by `collector.leads()`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startCollector, until, widgetReady } from './harness.mjs';

const KEY = 'leadmagnet:activity:v1';
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

const kept = (page) => page.evaluate((key) => JSON.parse(localStorage.getItem(key)), KEY);

/** Fills the demo eBook form; `pause` ms pass between the first input and the rest. */
/** With `known`, the visitor consented before: the widget remembers them (one script meets
 *  them with the full build) and asks only the tick boxes again. */
async function fill(page, { email, newsletter, pause = 0, known = false }) {
  if (known) {
    await page.locator('.lm-welcome').waitFor();
    for (const id of ['email', 'company_size', 'timeline']) {
      assert.ok(await page.locator(`#lm-f-${id}`).isHidden(), `${id} is not asked again`);
    }
  } else {
    await page.getByLabel('Business email').fill(email);
    if (pause) await page.waitForTimeout(pause);
    await page.getByLabel('Company size').selectOption('50-249');
    await page.getByLabel('When do you plan to buy?').selectOption({ label: 'This quarter' });
  }
  if (newsletter) await page.getByLabel('Send me the monthly lead-management newsletter').check();
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
}

async function send(page) {
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
}

/** The payloads stored for `email`, oldest first. */
async function leadsOf(email) {
  const leads = (await collector.leads()).filter((l) => l.payload.fields.email === email);
  return leads.map((l) => l.payload).sort((a, b) => a.submitted_at.localeCompare(b.submitted_at));
}

const unique = (name) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@contoso.example`;

test('a first lead carries this page view (seconds visible, scroll depth), the offer view, form metrics and the email class; without marketing consent nothing is kept', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/?utm_source=newsletter&utm_campaign=fall&gclid=g-1`);
  await widgetReady(page);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  // One refused submit: email and consent are missing.
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Please fill in this field.').waitFor();
  const email = unique('first');
  await fill(page, { email, newsletter: false, pause: 1200 });
  await send(page);

  const [lead] = await leadsOf(email);
  assert.deepEqual(lead.events.map((e) => e.type), ['page_view', 'offer_view']);
  const [view, offer] = lead.events;
  assert.equal(view.url, `${collector.url}/`, 'no query string in event URLs');
  assert.ok(view.seconds >= 1, `seconds visible: ${view.seconds}`);
  assert.equal(view.scroll_percent, 100, 'scrolled to the bottom');
  assert.equal(offer.offer_id, 'ebook-lead-scoring');
  assert.deepEqual(Object.keys(lead.attribution), ['last_touch'], 'no first touch without marketing consent');
  assert.equal(lead.attribution.last_touch.utm_source, 'newsletter');
  assert.equal(lead.attribution.last_touch.gclid, 'g-1');
  assert.equal(lead.form.refused_attempts, 1);
  assert.equal(lead.form.validation_errors, 2, 'email and consent were missing');
  assert.ok(lead.form.seconds >= 1, `time to complete: ${lead.form.seconds}`);
  assert.deepEqual(lead.form.asked, ['email', 'first_name', 'company', 'company_size', 'timeline', 'newsletter', 'consent']);
  assert.deepEqual(lead.form.known, []);
  assert.equal(lead.email_domain_class, 'business');
  assert.equal(lead.context.device, 'desktop', 'a 1280 px viewport with a mouse');
  const newsletter = lead.consent.purposes.find((p) => p.field === 'newsletter');
  assert.deepEqual([newsletter.purpose, newsletter.granted, newsletter.text_version], ['marketing', false, '2026-11']);
  assert.equal(await kept(page), null, 'no behaviour record without marketing consent');
  await context.close();
});

test('with marketing consent the history is kept across pages and visits, scored, and sent with first and last touch; forget() erases it', async () => {
  const context = await browser.newContext();
  // Before any consent, a page view is not kept anywhere.
  const before = await context.newPage();
  await before.goto(`${collector.url}/pricing.html`);
  await before.waitForFunction(() => window.Leadmagnet);
  assert.equal(await kept(before), null);
  await before.close();

  const page = await context.newPage();
  await page.goto(`${collector.url}/?utm_source=google&utm_medium=cpc&gclid=first-click`);
  await widgetReady(page);
  const email = unique('kept');
  await fill(page, { email, newsletter: true });
  await send(page);
  const record = await kept(page);
  assert.deepEqual(record.events.map((e) => e.type), ['page_view', 'offer_view', 'offer_completed']);
  assert.equal(record.first_touch.gclid, 'first-click');

  // Same visit: the pricing page, read for a while, then left.
  const pricing = await context.newPage();
  await pricing.goto(`${collector.url}/pricing.html`);
  await pricing.waitForFunction(() => window.Leadmagnet);
  await pricing.waitForTimeout(1200);
  await pricing.close({ runBeforeUnload: true });
  // Tabs see each other's localStorage writes a moment later.
  await until(async () => (await kept(page)).events.find((e) => e.url.endsWith('/pricing.html') && e.seconds >= 1),
    5000, 'the pricing page view kept with its seconds visible');

  // Two hours later (the record's last activity moved back), from a LinkedIn ad.
  const later = await context.newPage();
  await later.addInitScript((key) => {
    const r = JSON.parse(localStorage.getItem(key));
    r.last_seen -= 2 * 3600 * 1000;
    localStorage.setItem(key, JSON.stringify(r));
  }, KEY);
  await later.goto(`${collector.url}/?utm_source=linkedin&utm_campaign=retarget`);
  await widgetReady(later);
  await fill(later, { email, newsletter: true, known: true });
  await send(later);

  const [first, second] = await leadsOf(email);
  assert.deepEqual(first.events.map((e) => e.type), ['page_view', 'offer_view'], 'a first lead knows only its page');
  assert.equal(first.attribution.first_touch.gclid, 'first-click');
  assert.deepEqual(second.events.map((e) => `${e.type} ${new URL(e.url || 'http://x/').pathname}`), [
    'page_view /', 'offer_view /', 'offer_completed /', 'page_view /pricing.html',
    'return_visit /', 'page_view /', 'offer_view /',
  ]);
  assert.equal(second.attribution.first_touch.gclid, 'first-click', 'the first touch is kept across visits');
  assert.equal(second.attribution.last_touch.utm_source, 'linkedin', 'the new visit is the last touch');
  const counted = Object.fromEntries(second.score.breakdown.filter((c) => c.kind === 'engagement').map((c) => [c.rule, c.events]));
  assert.deepEqual(counted, { 'pricing-visit': 1, downloaded: 1, 'came-back': 1 }, 'the score reads the kept history');
  assert.ok(second.score.engagement > first.score.engagement);

  await later.evaluate(() => window.Leadmagnet.forget());
  assert.equal(await kept(later), null, 'forget() erases the record');
  await context.close();
});

test('with Global Privacy Control on, a kept record is erased and a lead carries only this page', async () => {
  const context = await browser.newContext();
  await context.addInitScript((key) => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    const at = new Date(Date.now() - 3600 * 1000).toISOString();
    const touch = { landing_page: 'https://old.example/?utm_source=old', at, utm_source: 'old' };
    localStorage.setItem(key, JSON.stringify({ first_touch: touch, last_touch: touch, last_seen: 0,
      events: [{ type: 'page_view', at, url: 'https://old.example/pricing', page: 'earlier' }] }));
  }, KEY);
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  assert.equal(await kept(page), null, 'erased at load');
  const email = unique('gpc');
  await fill(page, { email, newsletter: true });
  await send(page);
  const [lead] = await leadsOf(email);
  assert.deepEqual(lead.events.map((e) => e.type), ['page_view', 'offer_view'], 'no history, no return visit');
  assert.deepEqual(Object.keys(lead.attribution), ['last_touch']);
  assert.equal(lead.attribution.last_touch.utm_source, undefined);
  assert.equal(lead.consent.gpc, true);
  assert.equal(await kept(page), null, 'nothing kept after the lead either');
  await context.close();
});

test('a later lead without marketing consent withdraws it: only this page is sent and the record is erased', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const email = unique('withdrawn');
  await fill(page, { email, newsletter: true });
  await send(page);
  assert.ok(await kept(page));
  // Two hours later: this page view is a return visit, known only from the kept record.
  const again = await context.newPage();
  await again.addInitScript((key) => {
    const r = JSON.parse(localStorage.getItem(key));
    if (r) {
      r.last_seen -= 2 * 3600 * 1000;
      localStorage.setItem(key, JSON.stringify(r));
    }
  }, KEY);
  await again.goto(`${collector.url}/?utm_source=again`);
  await widgetReady(again);
  const before = await kept(again);
  assert.ok(before.events.some((e) => e.type === 'return_visit'), 'the record knows the return visit');
  await fill(again, { email, newsletter: false, known: true });
  await send(again);
  const [, second] = await leadsOf(email);
  assert.deepEqual(second.events.map((e) => e.type), ['page_view', 'offer_view'], 'no history and no return visit without consent');
  assert.ok(second.events.every((e) => e.at >= second.events[0].at), 'nothing from the earlier page');
  assert.deepEqual(Object.keys(second.attribution), ['last_touch']);
  assert.equal(await kept(again), null);
  await context.close();
});

test('the kept record is bounded: the newest 100 events of the last 90 days', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/pricing.html`);
  await page.waitForFunction(() => window.Leadmagnet);
  const seeded = await page.evaluate((key) => {
    const now = Date.now();
    const iso = (ms) => new Date(ms).toISOString();
    const old = Array.from({ length: 30 }, (_, i) => ({ type: 'page_view', at: iso(now - (100 + i) * 864e5), url: `https://x.example/old-${i}`, page: `old-${i}` }));
    const recent = Array.from({ length: 120 }, (_, i) => ({ type: 'offer_view', at: iso(now - (120 - i) * 60e3), url: `https://x.example/r-${i}`, offer_id: 'x', page: `r-${i}` }));
    const touch = { landing_page: 'https://x.example/', at: iso(now - 200 * 864e5) };
    localStorage.setItem(key, JSON.stringify({ first_touch: touch, last_touch: touch, last_seen: now, events: old.concat(recent) }));
    return recent.map((e) => e.url);
  }, KEY);
  await page.reload();
  await page.waitForFunction(() => window.Leadmagnet);
  const record = await kept(page);
  assert.equal(record.events.length, 100);
  assert.ok(record.events.every((e) => Date.parse(e.at) > Date.now() - 90 * 864e5), 'nothing older than 90 days');
  assert.deepEqual(record.events.slice(0, 99).map((e) => e.url), seeded.slice(21), 'the newest recent ones');
  assert.equal(record.events[99].url, `${collector.url}/pricing.html`, 'then this page view');
  assert.equal(record.first_touch.landing_page, 'https://x.example/', 'the first touch stays, however old');
  await context.close();
});

test('tabs open side by side each merge only their own events into the kept record', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await fill(page, { email: unique('tabs'), newsletter: true });
  await send(page);
  assert.ok(await kept(page), 'a record exists after a lead with marketing consent');
  // Two tabs open at once: each arrived before the other saved anything.
  const [a, b] = [await context.newPage(), await context.newPage()];
  await a.goto(`${collector.url}/pricing.html`);
  await b.goto(`${collector.url}/calculator.html`);
  await a.waitForFunction(() => window.Leadmagnet);
  await b.waitForFunction(() => window.Leadmagnet);
  await a.waitForTimeout(1200);
  // A leaves first; B, which loaded the record before A saved, leaves after.
  await a.close({ runBeforeUnload: true });
  await until(async () => (await kept(page)).events.some((e) => e.url.endsWith('/pricing.html')), 5000, "A's page view kept");
  await b.close({ runBeforeUnload: true });
  await until(async () => (await kept(page)).events.some((e) => e.url.endsWith('/calculator.html')), 5000, "B's page view kept");
  const views = (await kept(page)).events.filter((e) => e.type === 'page_view').map((e) => new URL(e.url).pathname);
  assert.deepEqual(views.filter((p) => p !== '/'), ['/pricing.html', '/calculator.html'],
    'both tabs kept, once each: B did not overwrite what A wrote');
  await context.close();
});
