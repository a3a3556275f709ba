// The integration surface for the host page (issue 5): CustomEvents on the host element,
// Leadmagnet.on / open / forget, and the dataLayer hand-over — on the demo pages, in real
// Chromium against the real collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startCollector, watch, widgetReady } from './harness.mjs';

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

/** Records every leadmagnet:* event, twice: through Leadmagnet.on and a plain listener. */
async function record(page, names) {
  await page.evaluate((names) => {
    window.__seen = [];
    window.__plain = [];
    for (const name of names) {
      window.Leadmagnet.on(name, (detail, host) => window.__seen.push({ name, detail, host: host.getAttribute('data-leadmagnet') }));
      document.addEventListener(`leadmagnet:${name}`, (e) => window.__plain.push({ name, bubbles: e.bubbles, composed: e.composed }));
    }
  }, names);
}

async function fillDemo(page) {
  const email = `events-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@contoso.example`;
  await page.getByLabel('Business email').fill(email);
  await page.getByLabel('Company size').selectOption('50-249');
  await page.getByLabel('When do you plan to buy?').selectOption({ label: 'This quarter' });
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
  return email;
}

test('events: submit and success bubble out of the host with offer, lead id and stage; dataLayer gets generate_lead', async () => {
  const page = await browser.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await record(page, ['view', 'submit', 'success', 'queued', 'error']);
  const email = await fillDemo(page);
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const seen = await page.evaluate(() => window.__seen);
  const [stored] = (await collector.leads()).filter((l) => l.payload.fields.email === email);
  const detail = { offer_id: 'ebook-lead-scoring', lead_id: stored.payload.lead_id, lead_stage: 'mql' };
  assert.deepEqual(seen, [
    { name: 'submit', detail, host: '/offers/ebook.json' },
    { name: 'success', detail, host: '/offers/ebook.json' },
  ]);
  assert.ok((await page.evaluate(() => window.__plain)).every((e) => e.bubbles && e.composed));
  assert.deepEqual(await page.evaluate(() => window.dataLayer), [
    { event: 'generate_lead', offer_id: 'ebook-lead-scoring', lead_stage: 'mql', currency: 'EUR', value: 50 },
  ]);
  await page.close();
});

test('events: view when an inline offer mounts, queued when offline, error on a refusal', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Listening before the widget starts: the inline offer's view comes with its mount.
  await page.addInitScript(() => {
    window.__views = [];
    document.addEventListener('leadmagnet:view', (e) => window.__views.push(e.detail.offer_id));
  });
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await page.waitForFunction(() => window.__views.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__views), ['ebook-lead-scoring']);
  await record(page, ['queued', 'error', 'success']);
  await fillDemo(page);
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.waitForFunction(() => window.__seen.length === 1);
  assert.equal(await page.evaluate(() => window.__seen[0].name), 'queued');
  await context.setOffline(false);
  await context.close();

  const refusing = await browser.newPage();
  await refusing.route(`${collector.url}/api/v1/leads`, (r) => r.fulfill({ status: 400, body: 'no thanks' }));
  await refusing.goto(`${collector.url}/`);
  await widgetReady(refusing);
  await record(refusing, ['error', 'success', 'queued']);
  await fillDemo(refusing);
  await refusing.getByRole('button', { name: 'Get the free eBook' }).click();
  await refusing.waitForFunction(() => window.__seen.length === 1);
  const [error] = await refusing.evaluate(() => window.__seen);
  assert.equal(error.name, 'error');
  assert.equal(error.detail.offer_id, 'ebook-lead-scoring');
  assert.match(error.detail.error, /answered HTTP 400: no thanks/);
  assert.equal(await refusing.evaluate(() => window.dataLayer), undefined, 'no generate_lead for a refused lead');
  await refusing.close();
});

test('Leadmagnet.open opens a modal offer whatever its trigger, and names an unknown id', async () => {
  const page = await browser.newPage();
  const seen = watch(page);
  await page.goto(`${collector.url}/checklist.html`);
  await page.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
  await record(page, ['view']);
  assert.equal(await page.evaluate(() => window.Leadmagnet.open('mql-checklist')), true);
  await page.locator('[data-leadmagnet="/offers/checklist.json"] >> dialog[open]').waitFor();
  assert.deepEqual((await page.evaluate(() => window.__seen)).map((e) => [e.name, e.detail.offer_id]), [['view', 'mql-checklist']]);
  assert.equal(await page.evaluate(() => window.Leadmagnet.open('no-such-offer')), false);
  assert.ok(seen.leadmagnet().some((m) => /open\("no-such-offer"\): no offer with that id/.test(m.text)));
  await page.close();
});

test('Leadmagnet.forget erases the profile, the consent and kept failures on this device', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${collector.url}/checklist.html`);
  await page.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
  await page.evaluate(() => window.Leadmagnet.open('mql-checklist'));
  const modal = '[data-leadmagnet="/offers/checklist.json"]';
  await page.locator(`${modal} >> #lm-f-email`).fill(`forget-${Date.now()}@contoso.example`);
  await page.locator(`${modal} >> #lm-f-consent`).check();
  await page.locator(`${modal} >> button[type=submit]`).click();
  await page.locator(`${modal} >> #lm-success`).waitFor();
  assert.match(await page.evaluate(() => localStorage.getItem('leadmagnet:v1')), /forget-/, 'remembered after consent');
  await page.keyboard.press('Escape');
  await page.locator(`${modal} >> dialog[open]`).waitFor({ state: 'detached' });
  // A refused lead kept in the outbox (a second offer, its endpoint answering 400; it asks
  // for a note, as the email is known by now and not asked again).
  await page.route(`${collector.url}/api/v1/leads`, (r) => r.fulfill({ status: 400, body: 'no' }));
  await page.evaluate(() => {
    const host = document.createElement('div');
    host.id = 'other';
    document.body.append(host);
    return window.Leadmagnet.mount(host, {
      version: 1, id: 'refused', locale: 'en', offer: { kind: 'form', title: 'Refused' },
      fields: [{ id: 'email', type: 'email', label: 'Email', required: true }, { id: 'note', type: 'text', label: 'Note', required: true }],
      endpoint: { url: '/api/v1/leads' },
    });
  });
  await page.locator('#other').getByLabel('Note').fill('please keep this');
  await page.locator('#other').getByRole('button', { name: 'Submit' }).click();
  await page.locator('#other').getByText('Sending did not work.').waitFor();
  const failures = () => page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('leadmagnet');
    req.onsuccess = () => {
      const all = req.result.transaction('outbox').objectStore('outbox').getAll();
      all.onsuccess = () => { req.result.close(); resolve(all.result.map((e) => e.status)); };
    };
  }));
  assert.deepEqual(await failures(), ['failed']);

  await page.evaluate(() => window.Leadmagnet.forget());
  assert.equal(await page.evaluate(() => localStorage.getItem('leadmagnet:v1')), null);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('leadmagnet:v1')), null);
  assert.deepEqual(await failures(), []);
  // A new page view: not greeted, nothing known.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
  assert.equal(await page.locator(`${modal} >> .lm-welcome`).count(), 0);
  assert.equal(await page.evaluate(() => localStorage.getItem('leadmagnet:v1')), null);
  await context.close();
});

/** FNV-1a (32 bit), as the loader hashes the wording it showed. */
function fnv(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

test('enrichment: time zone, viewport, last-touch attribution and a consent record with GPC', async () => {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin', viewport: { width: 1280, height: 800 } });
  // The browser's Global Privacy Control signal, as browsers with GPC expose it.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const page = await context.newPage();
  const landing = `${collector.url}/?utm_source=newsletter&utm_medium=email&utm_campaign=q4&gclid=Cj0abc`;
  await page.goto(landing, { referer: 'https://search.example/results?q=lead+scoring' });
  await widgetReady(page);
  const email = await fillDemo(page);
  await page.getByLabel('Send me the monthly lead-management newsletter').check();
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const [{ payload }] = (await collector.leads()).filter((l) => l.payload.fields.email === email);
  assert.equal(payload.context.time_zone, 'Europe/Berlin');
  assert.equal(payload.context.viewport, 'large');
  assert.match(payload.context.config_hash, /^[0-9a-f]{8}$/);
  const touch = payload.attribution.last_touch;
  assert.match(touch.at, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual({ ...touch, at: undefined }, {
    landing_page: landing, referrer: 'https://search.example/results?q=lead+scoring', at: undefined,
    utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'q4', gclid: 'Cj0abc',
  });
  assert.deepEqual(payload.consent, {
    purposes: [
      { purpose: 'marketing', field: 'newsletter', granted: true, text_hash: fnv('Send me the monthly lead-management newsletter'), text_version: '2026-11' },
      { purpose: 'processing', field: 'consent', granted: true, text_hash: fnv('I agree that Leadmagnet may process my details to send me this eBook.'), text_version: '2026-11' },
    ],
    locale: 'en', page_url: landing, at: payload.submitted_at, gpc: true,
  });
  await context.close();
});
