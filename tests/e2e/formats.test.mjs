// Endpoint formats (issue 5): HubSpot Forms API v3, Salesforce Web-to-Lead, webhooks (JSON
// and form-encoded, with static headers), and several endpoints per offer, each with its
// own outbox entry. HubSpot and Salesforce have fixed addresses on the internet, so
// stand-in receivers answer for them (request routing) and assert the documented shapes;
// the webhook receiver is a real HTTP server on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { distFiles, launch, startCollector, startStatic, until } from './harness.mjs';

const files = distFiles();
let collector;
let browser;
let site;

before(async () => {
  browser = await launch();
  // A plain host page (no CSP) with the default build, beside its wasm and the checker.
  site = await startStatic({
    '/': { type: 'text/html', body: '<!doctype html><html lang="en"><head><title>Formats</title><script src="/w/leadmagnet.js"></script></head><body><h1>Formats</h1><div id="host"></div></body></html>' },
    '/w/leadmagnet.js': { type: 'text/javascript', body: files.js },
    [`/w/${files.wasm}`]: { type: 'application/wasm', body: files.wasmBytes },
    [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
    [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
  });
  // The collector takes leads from that page's origin.
  collector = await startCollector({ allowOrigins: [site.url] });
  // The collector checks every lead against its offer config.
  await collector.addOffer({ version: 1, id: 'formats', locale: 'en', offer: { kind: 'form', title: 'Formats' },
    fields: FIELDS, endpoint: { url: `${collector.url}/api/v1/leads` } });
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  await site?.close();
});


const FIELDS = [
  { id: 'email', type: 'email', label: 'Work email', required: true },
  { id: 'first_name', type: 'text', label: 'First name' },
  { id: 'newsletter', type: 'checkbox', purpose: 'marketing', label: 'Send me the monthly newsletter' },
  { id: 'consent', type: 'consent', required: true, label: 'I agree to the processing of my details for this offer.' },
];

/** Mounts `endpoint` (and `extra` config) on the plain page, fills and sends the form. */
async function send(context, endpoint, extra = {}) {
  const page = await context.newPage();
  await page.goto(`${site.url}/`);
  await page.waitForFunction(() => window.Leadmagnet);
  await page.evaluate((config) => window.Leadmagnet.mount(document.getElementById('host'), config), {
    version: 1, id: 'formats', locale: 'en', offer: { kind: 'form', title: 'Formats' }, fields: FIELDS, endpoint, ...extra,
  });
  const email = `formats-${Date.now()}@contoso.example`;
  await page.locator('#host').getByLabel('Work email').fill(email);
  await page.locator('#host').getByLabel('First name').fill('Ada');
  await page.locator('#host').getByLabel('I agree to the processing').check();
  await page.locator('#host').getByRole('button', { name: 'Submit' }).click();
  await page.locator('#host .lm-success').waitFor();
  return { page, email };
}

test('hubspot: Forms API v3 with mapped fields, hutk, page context and legal consent', async () => {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'hubspotutk', value: 'a1b2c3d4e5f6', url: site.url }]);
  const received = [];
  // HubSpot's stand-in: the documented request, answered as HubSpot answers.
  await context.route('https://api.hsforms.com/**', async (route) => {
    const req = route.request();
    received.push({ url: req.url(), method: req.method(), type: req.headers()['content-type'], body: JSON.parse(req.postData()) });
    await route.fulfill({ status: 200, contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': '*' }, body: '{"inlineMessage":"Thanks"}' });
  });
  const guid = '0b5a1e2c-1111-4222-8333-444455556666';
  const { email } = await send(context, {
    format: 'hubspot', portal_id: '1234567', form_guid: guid, subscription_type_id: 999, field_map: { first_name: 'firstname' },
  });
  assert.equal(received.length, 1);
  const [hs] = received;
  assert.equal(hs.url, `https://api.hsforms.com/submissions/v3/integration/submit/1234567/${guid}`);
  assert.equal(hs.method, 'POST');
  assert.equal(hs.type, 'application/json');
  assert.match(hs.body.submittedAt, /^\d{13}$/);
  assert.deepEqual(hs.body.fields, [
    { objectTypeId: '0-1', name: 'consent', value: 'true' },
    { objectTypeId: '0-1', name: 'email', value: email },
    { objectTypeId: '0-1', name: 'firstname', value: 'Ada' },
    { objectTypeId: '0-1', name: 'newsletter', value: 'false' },
  ]);
  assert.deepEqual(hs.body.context, { pageUri: `${site.url}/`, pageName: 'Formats', hutk: 'a1b2c3d4e5f6' });
  assert.deepEqual(hs.body.legalConsentOptions, {
    consent: {
      consentToProcess: true, text: 'I agree to the processing of my details for this offer.',
      communications: [{ value: false, subscriptionTypeId: 999, text: 'Send me the monthly newsletter' }],
    },
  });
  assert.equal((await collector.leads()).filter((l) => l.payload.fields.email === email).length, 0, 'HubSpot only');
  await context.close();
});

test('salesforce: a Web-to-Lead form post with oid, lead_source, standard and custom fields', async () => {
  const context = await browser.newContext();
  const received = [];
  await context.route('https://webto.salesforce.com/**', async (route) => {
    const req = route.request();
    received.push({ url: req.url(), type: req.headers()['content-type'], form: Object.fromEntries(new URLSearchParams(req.postData())) });
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<html></html>' });
  });
  const { email } = await send(context, {
    format: 'salesforce', oid: '00D5g000004abcd', lead_source: 'Web - Formats', field_map: { newsletter: '00N5g00000AbCdE' },
  });
  assert.equal(received.length, 1);
  const [sf] = received;
  assert.equal(sf.url, 'https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8');
  assert.match(sf.type, /^application\/x-www-form-urlencoded/);
  assert.deepEqual(sf.form, {
    oid: '00D5g000004abcd', lead_source: 'Web - Formats', email, first_name: 'Ada', consent: 'true', '00N5g00000AbCdE': 'false',
  });
  await context.close();
});

test('several endpoints: the collector, a form-encoded webhook with headers and a JSON webhook that fails once', async () => {
  const hooks = [];
  let jsonAttempts = 0;
  const receiver = createServer((req, res) => {
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'content-type, x-source' };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url === '/json-hook' && ++jsonAttempts === 1) { res.writeHead(503, cors); res.end('busy'); return; }
      hooks.push({ path: req.url, type: req.headers['content-type'], source: req.headers['x-source'], body });
      res.writeHead(200, cors);
      res.end('ok');
    });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  const hook = `http://127.0.0.1:${receiver.address().port}`;
  const context = await browser.newContext();
  try {
    const { page, email } = await send(context, { url: `${collector.url}/api/v1/leads` }, {
      also_send_to: [
        { format: 'webhook', url: `${hook}/form-hook`, encoding: 'form', headers: { 'X-Source': 'leadmagnet' } },
        { format: 'webhook', url: `${hook}/json-hook` },
      ],
    });
    const [stored] = await until(async () => {
      const leads = (await collector.leads()).filter((l) => l.payload.fields.email === email);
      return leads.length && leads;
    }, 15000, 'the collector lead');
    await until(() => hooks.length === 2, 15000, 'both webhooks');
    const form = hooks.find((h) => h.path === '/form-hook');
    assert.match(form.type, /^application\/x-www-form-urlencoded/);
    assert.equal(form.source, 'leadmagnet');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(form.body)), {
      consent: 'true', email, first_name: 'Ada', newsletter: 'false', offer_id: 'formats', lead_id: stored.payload.lead_id,
    });
    const json = hooks.find((h) => h.path === '/json-hook');
    assert.equal(json.type, 'application/json');
    assert.equal(JSON.parse(json.body).lead_id, stored.payload.lead_id);
    assert.equal(jsonAttempts, 2, 'the JSON webhook was retried after its 503');
    // Each endpoint had its own outbox entry; all are gone once delivered.
    await until(() => page.evaluate(() => new Promise((resolve) => {
      const req = indexedDB.open('leadmagnet');
      req.onsuccess = () => {
        const all = req.result.transaction('outbox').objectStore('outbox').getAll();
        all.onsuccess = () => { req.result.close(); resolve(all.result.length === 0); };
      };
    })), 10000, 'an empty outbox');
  } finally {
    await context.close();
    receiver.closeAllConnections();
    await new Promise((ok) => receiver.close(ok));
  }
});
