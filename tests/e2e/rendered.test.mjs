// Server-rendered offers (issue 17): the form arrives with the page in a declarative shadow
// root (`leadmagnet render`, or the collector's /fragments/ for plain embeds), the wasm
// hydrates it without redrawing it, and without JavaScript or WebAssembly the same form
// posts to the collector, which stores the lead and answers with a page.
// Real Chromium, the real collector, pages on a second origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, TOKEN, launch, startCollector, startStatic, until, watch } from './harness.mjs';

const BIN = resolve(ROOT, process.env.LEADMAGNET_BIN || 'target/debug/leadmagnet');
const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const EBOOK = JSON.parse(readFileSync(join(ROOT, 'www/offers/ebook.json'), 'utf8'));
const routes = {};
let site;
let collector;
let browser;

before(async () => {
  site = await startStatic(routes);
  // A one-second minimum fill time: posts sooner than that are quarantined.
  collector = await startCollector({
    allowOrigins: [site.url],
    flags: ['--min-fill-seconds', '1', '--proof-of-work', '0'],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  await site?.close();
});

/** `leadmagnet render` of `config` (an object, written as the collector has it). */
function render(config, args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'leadmagnet-render-'));
  const file = join(dir, `${config.id}.json`);
  writeFileSync(file, JSON.stringify(config));
  return execFileSync(BIN, ['render', file, '--config-url', `${collector.url}/offers/${config.id}.json`, ...args],
    { encoding: 'utf8' });
}

/** A page on the second origin holding `body`, under `csp` if given. */
function page(path, body, csp) {
  routes[path.split('?')[0]] = {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Landing page</title></head>` +
      `<body><main><h1>Landing page</h1>${body}</main></body></html>`,
    headers: csp ? { 'content-security-policy': csp } : {},
  };
  return `${site.url}${path}`;
}

/** An offer of its own (a copy of the demo eBook), in the collector's folder. */
async function offer(id, change = (c) => c) {
  const config = change({ ...structuredClone(EBOOK), id, allowed_origins: [site.url] });
  await collector.addOffer(config);
  return config;
}

/** Holds back the widget's wasm until `release()`: the page as a slow network shows it. */
async function holdWasm(context) {
  let release;
  const gate = new Promise((ok) => { release = ok; });
  await context.route(/\.wasm$/, async (route) => { await gate; await route.continue(); });
  return release;
}

async function leadsOf(offerId) {
  return (await collector.leads()).filter((l) => l.offer_id === offerId);
}

async function axe(p) {
  await p.evaluate(AXE);
  const violations = await p.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
  })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  assert.deepEqual(violations, [], 'axe-core violations');
}

/** The shadow root's elements as markup, without comments and form-control state. */
const markup = (p) => p.evaluate(() => {
  const root = document.querySelector('[data-leadmagnet]').shadowRoot.getElementById('lm-root');
  return root.innerHTML.replace(/<!--[\s\S]*?-->/g, '');
});

test('the snippet paints the form before the wasm, and the wasm hydrates it keeping what was typed', async () => {
  const config = await offer('ssr-hydrate');
  const url = page('/hydrate.html', render(config));
  const context = await browser.newContext();
  const release = await holdWasm(context);
  const p = await context.newPage();
  const seen = watch(p);
  await p.goto(url);
  // Painted with the page: the form is there while the wasm is still held back.
  const email = p.getByLabel('Business email');
  await email.waitFor();
  await axe(p);
  const before = await markup(p);
  // Typed and ticked before the wasm has loaded, and the node marked to tell a
  // hydrated form (same nodes) from a redrawn one.
  await email.fill('ssr-hydrate@contoso.example');
  await p.getByLabel('Company size').selectOption('250+');
  await p.getByLabel(/I agree that Leadmagnet may process/).check();
  await p.evaluate(() => {
    document.querySelector('[data-leadmagnet]').shadowRoot.getElementById('lm-f-email').marked = true;
  });
  release();
  // The dependent field shows once the wasm has the typed company size: it has taken over.
  await p.getByLabel('When do you plan to buy?').waitFor();
  assert.equal(await p.evaluate(() =>
    document.querySelector('[data-leadmagnet]').shadowRoot.getElementById('lm-f-email').marked), true,
  'the same input element: hydrated, not redrawn');
  assert.equal(await email.inputValue(), 'ssr-hydrate@contoso.example');
  assert.equal(await p.getByLabel('Company size').inputValue(), '250+');
  assert.equal(await p.getByLabel(/I agree that Leadmagnet may process/).isChecked(), true);
  // The hydrated DOM is the server's (the dependent field is the only change, and it is
  // an attribute): nothing was added, removed or reordered.
  const after = await markup(p);
  const tags = (html) => html.match(/<[a-z]+/g).join(' ');
  assert.equal(tags(after), tags(before), 'same elements in the same order');
  await axe(p);
  // The widget sends it (JSON through the outbox), not the browser's own form post.
  await p.getByLabel('When do you plan to buy?').selectOption('now');
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  assert.equal(new URL(p.url()).pathname, '/hydrate.html', 'no navigation');
  const leads = await until(async () => { const l = await leadsOf('ssr-hydrate'); return l.length && l; });
  assert.equal(leads.length, 1);
  assert.equal(leads[0].payload.fields.email, 'ssr-hydrate@contoso.example');
  assert.equal(leads[0].payload.fields.company_size, '250+');
  assert.match(leads[0].payload.context.widget_version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.console.filter((m) => m.type === 'error' || m.type === 'warning'), []);
  await context.close();
});

test('a form sent before the wasm has it is held, then sent by the widget once it has taken over', async () => {
  const config = await offer('ssr-early');
  const url = page('/early.html', render(config));
  const context = await browser.newContext();
  const release = await holdWasm(context);
  const p = await context.newPage();
  const seen = watch(p);
  await p.goto(url);
  await p.getByLabel('Business email').fill('ssr-early@contoso.example');
  await p.getByLabel(/I agree that Leadmagnet may process/).check();
  await p.getByLabel('Business email').press('Enter');
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(new URL(p.url()).pathname, '/early.html', 'not posted by the browser');
  release();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  assert.equal(new URL(p.url()).pathname, '/early.html', 'sent by the widget, on the page');
  const leads = await until(async () => { const l = await leadsOf('ssr-early'); return l.length && l; });
  assert.equal(leads.length, 1, 'one lead for two presses');
  assert.doesNotMatch(leads[0].payload.context.widget_version, /no script/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('a stale snippet (its config changed since) is drawn anew from the current config, keeping typed values', async () => {
  const config = await offer('ssr-stale');
  const snippet = render(config);
  // The marketer changes a label after pasting the snippet.
  await offer('ssr-stale', (c) => {
    c.fields.find((f) => f.id === 'email').label = { en: 'Work email', de: 'Arbeits-E-Mail' };
    return c;
  });
  const url = page('/stale.html', snippet);
  const context = await browser.newContext();
  const release = await holdWasm(context);
  const p = await context.newPage();
  const seen = watch(p);
  await p.goto(url);
  await p.getByLabel('Business email').fill('ssr-stale@contoso.example');
  await p.getByLabel(/I agree that Leadmagnet may process/).check();
  release();
  const email = p.getByLabel('Work email');
  await email.waitFor();
  assert.equal(await email.inputValue(), 'ssr-stale@contoso.example');
  assert.equal(await p.getByLabel(/I agree that Leadmagnet may process/).isChecked(), true);
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  const leads = await until(async () => { const l = await leadsOf('ssr-stale'); return l.length && l; });
  assert.equal(leads[0].payload.fields.email, 'ssr-stale@contoso.example');
  assert.equal(leads[0].payload.fields.consent, true);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('without JavaScript the form posts to the collector: errors in text, a confirmation, one lead with its consent record', async () => {
  const config = await offer('ssr-nojs');
  const url = page('/nojs.html?utm_source=newsletter', render(config));
  const context = await browser.newContext({ javaScriptEnabled: false });
  const p = await context.newPage();
  const posts = [];
  p.on('request', (r) => { if (r.method() === 'POST') posts.push(r.postData()); });
  await p.goto(url);
  // Nothing filled: the collector answers with the form again and each error next to its field.
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.waitForURL(`${collector.url}/api/v1/leads`);
  const email = p.getByLabel('Business email');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  const described = await email.getAttribute('aria-describedby');
  assert.match(await p.locator(`[id="${described.split(' ')[0]}"]`).innerText(), /\S/);
  assert.equal((await leadsOf('ssr-nojs')).length, 0);
  await email.fill('ssr-nojs@contoso.example');
  await p.getByLabel('Send me the monthly lead-management newsletter').check();
  await p.getByLabel(/I agree that Leadmagnet may process/).check();
  // Filled slower than the minimum fill time (one second from the form's render time).
  await new Promise((r) => setTimeout(r, 1200));
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  assert.match(p.url(), /\/forms\/ssr-nojs\/thanks\?/);
  await p.getByRole('link', { name: '← Back to the page' }).waitFor();
  const leads = await leadsOf('ssr-nojs');
  assert.equal(leads.length, 1, 'exactly one lead');
  const lead = leads[0];
  assert.equal(lead.quarantine, null, `not quarantined: ${JSON.stringify(lead.quarantine)}`);
  assert.equal(lead.payload.fields.email, 'ssr-nojs@contoso.example');
  const purposes = Object.fromEntries(lead.payload.consent.purposes.map((c) => [c.field, c]));
  assert.equal(purposes.newsletter.granted, true);
  assert.equal(purposes.newsletter.purpose, 'marketing');
  assert.equal(purposes.consent.granted, true);
  assert.equal(purposes.consent.text_version, '2026-11');
  assert.match(purposes.consent.text_hash, /^[0-9a-f]{8}$/);
  assert.equal(lead.payload.consent.gpc, false);
  // The page as its Referer names it: a page on another origin sends only its origin under
  // browsers' default referrer policy (strict-origin-when-cross-origin).
  assert.equal(lead.payload.context.page_url, `${site.url}/`);
  assert.equal(lead.payload.attribution.last_touch.landing_page, `${site.url}/`);
  // Reloading the thank-you posts nothing again; the same rendered form posted again (a
  // double click, a resent request) is the same lead: still one.
  await p.reload();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  for (let i = 0; i < 2; i++) {
    const again = await fetch(`${collector.url}/api/v1/leads`, {
      method: 'POST', redirect: 'manual', body: posts.at(-1),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: site.url },
    });
    assert.equal(again.status, 303);
    assert.match(again.headers.get('location'), /^\/forms\/ssr-nojs\/thanks\?/);
  }
  assert.equal((await leadsOf('ssr-nojs')).length, 1, 'still one lead');
  await context.close();
});

test('without JavaScript the form posted sooner than the minimum fill time is stored quarantined, a honeypot too', async () => {
  // A collector of its own with a minute's minimum fill time: no machine is that slow.
  const strict = await startCollector({ allowOrigins: [site.url], flags: ['--min-fill-seconds', '60', '--proof-of-work', '0'] });
  try {
    const config = { ...structuredClone(EBOOK), id: 'ssr-fast', allowed_origins: [site.url] };
    await strict.addOffer(config);
    const dir = mkdtempSync(join(tmpdir(), 'leadmagnet-render-'));
    writeFileSync(join(dir, 'ssr-fast.json'), JSON.stringify(config));
    const snippet = execFileSync(BIN, ['render', join(dir, 'ssr-fast.json'), '--config-url', `${strict.url}/offers/ssr-fast.json`],
      { encoding: 'utf8' });
    const url = page('/fast.html', snippet);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const p = await context.newPage();
    await p.goto(url);
    // The static snippet carries no render time: the collector asks to confirm with a fresh one.
    await p.getByLabel('Business email').fill('ssr-fast@contoso.example');
    await p.getByLabel(/I agree that Leadmagnet may process/).check();
    await p.getByRole('button', { name: 'Get the free eBook' }).click();
    await p.getByText('Please check your entries and send the form again to confirm.').waitFor();
    assert.equal(await p.getByLabel('Business email').inputValue(), 'ssr-fast@contoso.example', 'values kept');
    assert.equal((await strict.leads()).length, 0);
    // ... and sent at once, as a bot would, with the honeypot filled.
    await p.locator('input[name="lm_hp"]').fill('https://spam.example', { force: true });
    await p.getByRole('button', { name: 'Get the free eBook' }).click();
    await p.getByText('Thank you! Your copy is ready.').waitFor();
    const leads = await strict.leads();
    assert.equal(leads.length, 1, 'stored, answered like any other');
    assert.deepEqual(leads[0].quarantine, ['honeypot_filled', 'filled_too_fast']);
    await context.close();
  } finally {
    await strict.stop();
  }
});

test('on a page whose CSP blocks WebAssembly the server-rendered form still delivers the lead', async () => {
  const config = await offer('ssr-csp');
  // Scripts from the collector may run, WebAssembly may not ('wasm-unsafe-eval' is absent).
  const url = page('/csp.html', render(config),
    `default-src 'none'; script-src ${collector.url}; connect-src ${collector.url}; style-src ${JSON.parse(
      `"${render(config).match(/adds ('sha256-[^']+')/)[1]}"`)}; img-src ${collector.url}; form-action ${collector.url}`);
  const context = await browser.newContext();
  const p = await context.newPage();
  const seen = watch(p);
  await p.goto(url);
  await until(() => seen.console.some((m) => /WebAssembly|wasm/i.test(m.text)), 15000, 'the wasm to be refused');
  // Styled by the hashed stylesheet although no script drew it.
  assert.notEqual(await p.getByRole('button', { name: 'Get the free eBook' }).evaluate((b) => getComputedStyle(b).backgroundColor),
    'rgba(0, 0, 0, 0)');
  await p.getByLabel('Business email').fill('ssr-csp@contoso.example');
  await p.getByLabel(/I agree that Leadmagnet may process/).check();
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.getByText('Please check your entries and send the form again to confirm.').waitFor();
  await new Promise((r) => setTimeout(r, 1200));
  await p.getByRole('button', { name: 'Get the free eBook' }).click();
  await p.getByText('Thank you! Your copy is ready.').waitFor();
  const leads = await leadsOf('ssr-csp');
  assert.equal(leads.length, 1);
  assert.equal(leads[0].quarantine, null);
  await context.close();
});

test('a plain embed paints the collector\'s fragment before the wasm, which hydrates it; under Trusted Types the wasm draws it', async () => {
  await offer('ssr-plain');
  const embed = `<div data-leadmagnet="${collector.url}/offers/ssr-plain.json"></div>` +
    `<script src="${collector.url}/dist/leadmagnet.js" async></script>`;
  const context = await browser.newContext();
  const release = await holdWasm(context);
  const p = await context.newPage();
  const seen = watch(p);
  await p.goto(page('/plain.html', embed));
  const email = p.getByLabel('Business email');
  await email.waitFor();
  await email.fill('ssr-plain@contoso.example');
  await p.evaluate(() => {
    document.querySelector('[data-leadmagnet]').shadowRoot.getElementById('lm-f-email').marked = true;
  });
  release();
  await p.getByLabel('Company size').selectOption('250+');
  await p.getByLabel('When do you plan to buy?').waitFor();
  assert.equal(await p.evaluate(() =>
    document.querySelector('[data-leadmagnet]').shadowRoot.getElementById('lm-f-email').marked), true, 'hydrated');
  assert.equal(await email.inputValue(), 'ssr-plain@contoso.example');
  assert.deepEqual(seen.errors, []);
  await context.close();

  // Trusted Types: the page refuses markup strings, so the wasm renders the form.
  const tt = await browser.newContext();
  const q = await tt.newPage();
  const seenTt = watch(q);
  await q.goto(page('/plain-tt.html', embed, "require-trusted-types-for 'script'"));
  await q.getByLabel('Business email').waitFor();
  await q.getByLabel('Business email').fill('ssr-tt@contoso.example');
  await q.getByLabel(/I agree that Leadmagnet may process/).check();
  await q.getByRole('button', { name: 'Get the free eBook' }).click();
  await q.getByText('Thank you! Your copy is ready.').waitFor();
  assert.deepEqual(seenTt.errors, []);
  await tt.close();
});

test('the fragment answers with its render key and a fresh render time; unknown files are 404', async () => {
  const res = await fetch(`${collector.url}/fragments/ebook.json?locale=de&config=${encodeURIComponent(`${collector.url}/offers/ebook.json`)}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('leadmagnet-render'), /^\d+\.\d+\.\d+:en:[0-9a-f]{8}$/, 'a fixed-locale offer renders in its own locale');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const html = await res.text();
  assert.match(html, /name="lm_t" value="\d+\.[0-9a-f]{32}\.[0-9a-f]{64}"/);
  assert.match(html, new RegExp(`action="${collector.url}/api/v1/leads" method="post"`));
  const again = await (await fetch(`${collector.url}/fragments/ebook.json`)).text();
  assert.notEqual(again.match(/name="lm_t" value="([^"]+)"/)[1], html.match(/name="lm_t" value="([^"]+)"/)[1]);
  for (const path of ['/fragments/nope.json', '/fragments/../Cargo.toml', '/fragments/']) {
    assert.equal((await fetch(`${collector.url}${path}`)).status, 404, path);
  }
  // A crafted post: no offer, an unknown offer, a forged token.
  const post = (body) => fetch(`${collector.url}/api/v1/leads`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(body),
  });
  assert.equal((await post({ email: 'x@contoso.example' })).status, 400);
  assert.equal((await post({ lm_offer: 'nope' })).status, 404);
  const forged = await post({ lm_offer: 'ebook-lead-scoring', email: 'forged@contoso.example', consent: 'on', lm_t: '1.00.00' });
  assert.equal(forged.status, 200);
  assert.match(await forged.text(), /send the form again to confirm/);
  const res2 = await fetch(`${collector.url}/api/v1/leads?offer_id=ebook-lead-scoring`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.ok(!(await res2.json()).leads.some((l) => l.payload.fields.email === 'forged@contoso.example'));
});
