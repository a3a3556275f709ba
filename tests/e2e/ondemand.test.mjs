// One script tag for every offer (issue 18): leadmagnet.js mounts what it holds itself
// (inline forms, quizzes, calculators) and fetches the full build's part and wasm on demand,
// once per page, only for an offer that needs it (overlays, targeting, variants, frequency
// caps) — on a plain static server, in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { distFiles, launch, startStatic, watch } from './harness.mjs';

const files = distFiles();
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

function offer(id, extra) {
  return {
    version: 1, id, locale: 'en',
    offer: { kind: 'form', title: `Offer ${id}` },
    fields: [{ id: 'email', type: 'email', label: 'Email', required: true }],
    endpoint: { url: 'https://collector.invalid/api/v1/leads' },
    ...extra,
  };
}

const CALCULATOR = {
  version: 1, id: 'calc', locale: 'en',
  offer: { kind: 'calculator', title: 'ROI' },
  fields: [
    { id: 'leads', type: 'number', label: 'Leads per month', required: true },
    { id: 'email', type: 'email', label: 'Email', required: true },
  ],
  calculator: { formula: 'leads * 2', result_label: 'Doubled', show_result: 'before_contact' },
  endpoint: { url: 'https://collector.invalid/api/v1/leads' },
};

/** A page with leadmagnet.js only, mounting `configs` (one host each). */
function routes(configs, { part = true, script = '' } = {}) {
  const hosts = configs.map((_, i) => `<div id="h${i}"></div>`).join('');
  const html = `<!doctype html><html lang="en"><head><title>t</title><script src="/w/leadmagnet.js"></script></head>
    <body><h1>One script</h1>${hosts}<script>${script}
    document.addEventListener('leadmagnet:ready', () => {
      ${JSON.stringify(configs)}.forEach((c, i) => Leadmagnet.mount(document.getElementById('h' + i), c)
        .catch((e) => { window.failures = (window.failures || []).concat(e.message); }));
    });</script></body></html>`;
  const r = {
    '/': { type: 'text/html', body: html },
    '/w/leadmagnet.js': { type: 'text/javascript', body: files.js },
    [`/w/${files.wasm}`]: { type: 'application/wasm', body: files.wasmBytes },
    [`/w/${files.full}`]: { type: 'application/wasm', body: files.fullBytes },
    [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
    [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
  };
  if (part) {
    r[`/w/${files.fullPart}`] = { type: 'text/javascript', body: files.fullPartScript };
  }
  return r;
}

async function visit(server) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const seen = watch(tab);
  const requested = [];
  tab.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await tab.goto(server.url);
  return { context, tab, seen, requested };
}

test('leadmagnet.js alone: a modal and a slide-in load the full build once, on demand', async () => {
  const server = await startStatic(routes([
    offer('inline-one'),
    offer('modal-one', { display: { mode: 'modal', trigger: { delay_seconds: 1 } } }),
    offer('slide-one', { display: { mode: 'slide_in', trigger: { delay_seconds: 1 } } }),
  ]));
  const { context, tab, seen, requested } = await visit(server);
  await tab.locator('#h0 >> form').waitFor();
  await tab.locator('#h1 >> dialog[open]').waitFor({ timeout: 10000 });
  await tab.locator('#h2 >> dialog[open]').waitFor({ timeout: 10000 });
  // Opened as leadmagnet-full.js opens them: the modal one modal, the slide-in not.
  assert.deepEqual(await tab.evaluate(() => ['h1', 'h2'].map((id) =>
    document.getElementById(id).shadowRoot.querySelector('dialog').matches(':modal'))), [true, false]);
  const count = (path) => requested.filter((p) => p === path).length;
  assert.equal(count(`/w/${files.fullPart}`), 1, requested.join('\n'));
  assert.equal(count(`/w/${files.full}`), 1, requested.join('\n'));
  assert.equal(count(`/w/${files.wasm}`), 1);
  assert.equal(count('/w/leadmagnet-full.js'), 0, 'the old second script is not needed');
  assert.deepEqual(seen.leadmagnet(), [], 'no console line: nothing silently left out');
  assert.equal(await tab.evaluate(() => window.failures), undefined);
  assert.deepEqual(await tab.evaluate(() => Object.keys(window).filter((k) => k.startsWith('__leadmagnet'))), [],
    'the part leaves no global behind');
  await context.close();
  await server.close();
});

test('leadmagnet.js alone: inline offers and calculators fetch nothing of the full build', async () => {
  const server = await startStatic(routes([offer('inline-two'), CALCULATOR]));
  const { context, tab, seen, requested } = await visit(server);
  await tab.locator('#h0 >> form').waitFor();
  await tab.locator('#h1 >> #lm-f-leads').fill('21');
  await tab.locator('#h1 >> .lm-result-value').filter({ hasText: '42' }).waitFor();
  await tab.waitForTimeout(300);
  assert.deepEqual(requested.filter((p) => p.includes('leadmagnet-full')), [], requested.join('\n'));
  assert.deepEqual(seen.leadmagnet(), []);
  assert.deepEqual(await tab.evaluate(() => Object.keys(window).filter((k) => k.startsWith('__leadmagnet'))), [],
    'the part leaves no global behind');
  await context.close();
  await server.close();
});

test('leadmagnet.js alone: a missing full build part is named with its fix; the other offers still work', async () => {
  const server = await startStatic(routes([
    offer('inline-three'),
    offer('modal-three', { display: { mode: 'modal', trigger: { delay_seconds: 1 } } }),
  ], { part: false }));
  const { context, tab, requested } = await visit(server);
  await tab.locator('#h0 >> form').waitFor();
  await tab.waitForFunction(() => window.failures && window.failures.length === 1, null, { timeout: 10000 });
  const [failure] = await tab.evaluate(() => window.failures);
  assert.match(failure, /needs the full build, which could not load/);
  assert.match(failure, new RegExp(files.fullPart.replace(/\./g, '\\.')));
  assert.match(failure, /Fix: upload every file of www\/dist/);
  assert.equal(await tab.evaluate(() => document.getElementById('h1').shadowRoot), null, 'the host is left as it was');
  assert.ok(!requested.includes(`/w/${files.full}`), 'no wasm without its glue');
  await context.close();
  await server.close();
});

/** An inline offer whose leads go to the static server's `/leads` (202), with a consent
 *  tick the visitor may leave empty. */
function remembering(id) {
  return {
    ...offer(id),
    fields: [
      { id: 'email', type: 'email', label: 'Email', required: true },
      { id: 'first_name', type: 'text', label: 'First name' },
      { id: 'consent', type: 'consent', label: 'Keep my details for next time', consent_version: '1' },
    ],
    endpoint: { url: '/leads' },
  };
}

test('leadmagnet.js alone: a visitor who consented is remembered and not asked again; one who did not stays unknown', async () => {
  const r = routes([remembering('remember-me')]);
  r['/leads'] = { type: 'application/json', status: 202, body: '{}' };
  const server = await startStatic(r);
  const stored = (tab) => tab.evaluate(() => localStorage.getItem('leadmagnet:v1'));
  const fullFetched = (requested) => requested.filter((p) => p === `/w/${files.fullPart}` || p === `/w/${files.full}`);

  // Without the consent tick: the lead goes, nothing is remembered, nothing more fetched.
  const first = await visit(server);
  await first.tab.locator('#h0 >> #lm-f-email').fill('bo@contoso.example');
  await first.tab.waitForTimeout(1200);
  await first.tab.locator('#h0 >> button[type="submit"]').click();
  await first.tab.locator('#h0 >> .lm-success').waitFor();
  await first.tab.waitForTimeout(500);
  assert.deepEqual(fullFetched(first.requested), [], 'no consent: nothing to remember, nothing fetched');
  assert.equal(await stored(first.tab), null);
  await first.context.close();

  // With it: the consent tick fetches the full build (not before), which remembers the
  // visitor once the lead is sent.
  const { context, tab, seen, requested } = await visit(server);
  await tab.locator('#h0 >> #lm-f-email').fill('ada@contoso.example');
  await tab.locator('#h0 >> #lm-f-first_name').fill('Ada');
  await tab.waitForTimeout(300);
  assert.deepEqual(fullFetched(requested), [], 'a new visitor gets the default build only');
  await tab.locator('#h0 >> #lm-f-consent').check();
  await tab.waitForTimeout(1200);
  assert.equal(await stored(tab), null, 'nothing stored before the lead');
  await tab.locator('#h0 >> button[type="submit"]').click();
  await tab.locator('#h0 >> .lm-success').waitFor();
  await tab.waitForFunction(() => (localStorage.getItem('leadmagnet:v1') || '').includes('ada@contoso.example'));
  assert.match(await stored(tab), /consent\t1/);
  assert.equal(fullFetched(requested).length, 2, requested.join('\n'));

  // The next page view: met by the full build, greeted, the known email not asked again.
  requested.length = 0;
  await tab.reload();
  await tab.locator('#h0 >> .lm-welcome', { hasText: 'Ada' }).waitFor();
  assert.equal(await tab.locator('#h0 >> .lm-field:not([hidden]):has(#lm-f-email)').count(), 0, 'the email is known');
  assert.equal(fullFetched(requested).length, 2, requested.join('\n'));
  assert.deepEqual(seen.leadmagnet(), []);

  // Should the full build not load, a remembered visitor still gets the form (as a new one).
  await context.route(`**/w/${files.fullPart}`, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await tab.reload();
  await tab.locator('#h0 >> .lm-field:not([hidden]):has(#lm-f-email)').waitFor();
  assert.ok(seen.leadmagnet().some((m) => m.type === 'warning' && /could not load .*as to a new visitor/.test(m.text)),
    JSON.stringify(seen.leadmagnet()));
  await context.close();
  await server.close();
});

test('leadmagnet.js alone: a consent tick fetches the full build, so a lead that leaves the page is remembered; forget() right after a lead wins', async () => {
  const leaving = remembering('leave-after');
  leaving.offer = { kind: 'form', title: 'Leave', redirect_url: '/thanks' };
  const r = routes([leaving]);
  r['/leads'] = { type: 'application/json', status: 202, body: '{}' };
  r['/thanks'] = { type: 'text/html', body: '<!doctype html><html lang="en"><title>Thanks</title><p>Thanks</p></html>' };
  const server = await startStatic(r);
  const { context, tab, requested } = await visit(server);
  await tab.locator('#h0 >> #lm-f-email').fill('lea@contoso.example');
  await tab.waitForTimeout(300);
  assert.ok(!requested.includes(`/w/${files.fullPart}`), 'nothing fetched before the consent');
  const prefetched = tab.waitForRequest((q) => q.url().endsWith(`/w/${files.full}`));
  await tab.locator('#h0 >> #lm-f-consent').check();
  await prefetched;
  await tab.waitForTimeout(1200);
  await tab.locator('#h0 >> button[type="submit"]').click();
  await tab.waitForURL(/\/thanks$/);
  const kept = await tab.evaluate(() => localStorage.getItem('leadmagnet:v1'));
  assert.match(kept || '', /lea@contoso\.example/, 'remembered before the page left');
  await context.close();
  await server.close();

  // forget() in the success handler, while the full build is still on its way.
  const forgetting = routes([remembering('forget-me')], {
    script: "document.addEventListener('leadmagnet:success', () => Leadmagnet.forget());",
  });
  forgetting['/leads'] = { type: 'application/json', status: 202, body: '{}' };
  const server2 = await startStatic(forgetting);
  const second = await visit(server2);
  // The full build comes late: the forget() comes first.
  await second.context.route(`**/w/${files.full}`, async (route) => {
    await new Promise((done) => setTimeout(done, 3000));
    await route.continue();
  });
  await second.tab.locator('#h0 >> #lm-f-email').fill('fay@contoso.example');
  await second.tab.locator('#h0 >> #lm-f-consent').check();
  await second.tab.waitForTimeout(1200);
  await second.tab.locator('#h0 >> button[type="submit"]').click();
  await second.tab.locator('#h0 >> .lm-success').waitFor();
  await second.tab.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('leadmagnet-full-') && e.name.endsWith('.wasm')), null, { timeout: 10000 });
  await second.tab.waitForTimeout(500);
  assert.equal(await second.tab.evaluate(() => localStorage.getItem('leadmagnet:v1')), null, 'forgotten stays forgotten');
  await second.context.close();
  await server2.close();
});
