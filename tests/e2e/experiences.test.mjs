// What a visitor meets (issue 4): quiz, calculator, modal and slide-in offers with their
// triggers, progressive profiling across page loads, frequency caps, sticky variants, a
// hostile host page and the naughty strings — in real Chromium against a real collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, TOKEN, checkLead, distFiles, hiddenReason, launch, recordHidden, startCollector, startStatic, watch } from './harness.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const files = distFiles();
let browser;
let collector;

before(async () => {
  browser = await launch();
  collector = await startCollector();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
});

async function open(path, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  const tab = await context.newPage();
  const seen = watch(tab);
  await tab.goto(`${collector.url}${path}`);
  return { context, tab, seen };
}

/** axe-core inside the widget's shadow root(s), with the WCAG 2.2 AA tags. */
async function axe(tab, host) {
  await tab.evaluate(AXE);
  const result = await tab.evaluate(async ({ host, tags }) => {
    const r = await window.axe.run({ include: [[host]] }, { runOnly: { type: 'tag', values: tags } });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, { host, tags: TAGS });
  assert.deepEqual(result, [], 'axe-core violations');
}

const shadow = (tab, host, selector) => tab.locator(`${host} >> ${selector}`);

/** The stored payloads (newest first) with this email. */
async function leadsFor(email) {
  return (await allLeads()).filter((l) => l.fields.email === email);
}

async function allLeads() {
  const res = await fetch(`${collector.url}/api/v1/leads?limit=1000`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return (await res.json()).leads.map((l) => checkLead(l.payload));
}

test('quiz: three steps by keyboard only, Back keeps answers, the result after the contact step', async () => {
  const { context, tab, seen } = await open('/quiz.html');
  const host = '[data-leadmagnet]';
  await shadow(tab, host, '#lm-progress').waitFor();
  await axe(tab, host);
  assert.equal(await shadow(tab, host, '#lm-progress').textContent(), 'Step 1 of 3: Your lead scoring');
  // Keyboard only: Tab into the first group, arrows choose, Space ticks, Enter goes on.
  await shadow(tab, host, '#lm-f-scoring_model').focus();
  await tab.keyboard.press('ArrowDown'); // "By gut feeling"
  await tab.keyboard.press('ArrowDown'); // "With explicit rules"
  await tab.keyboard.press('Tab'); // the checkboxes group
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Space'); // "Gated content"
  await tab.keyboard.press('Tab'); // "Next"
  await tab.keyboard.press('Enter');
  await shadow(tab, host, 'text=Step 2 of 3: Your follow-up').waitFor();
  assert.equal(await tab.evaluate(() => document.querySelector('[data-leadmagnet]').shadowRoot.activeElement.id), 'lm-progress');
  await axe(tab, host);
  await shadow(tab, host, 'button[data-action=back]').click();
  await shadow(tab, host, 'text=Step 1 of 3: Your lead scoring').waitFor();
  assert.equal(await shadow(tab, host, '#lm-f-scoring_model-2').isChecked(), true, 'Back keeps the answer');
  assert.equal(await shadow(tab, host, '#lm-f-channels-2').isChecked(), true);
  await shadow(tab, host, 'button[type=submit]').press('Enter');
  await shadow(tab, host, 'text=Step 2 of 3: Your follow-up').waitFor();
  await tab.keyboard.press('Tab'); // the first answer
  await tab.keyboard.press('ArrowDown'); // "Yes"
  await tab.keyboard.press('Tab'); // "Back"
  await tab.keyboard.press('Tab'); // "Next"
  await tab.keyboard.press('Enter');
  await shadow(tab, host, 'text=Step 3 of 3: Where should we send it?').waitFor();
  const email = `quiz-e2e-${Date.now()}@example.com`;
  await tab.keyboard.press('Tab'); // email
  await tab.keyboard.type(email);
  await tab.keyboard.press('Tab'); // first name
  await tab.keyboard.press('Tab'); // consent
  await tab.keyboard.press('Space');
  await tab.keyboard.press('Tab'); // "Back"
  await tab.keyboard.press('Tab'); // "Show my result"
  await tab.keyboard.press('Enter');
  await shadow(tab, host, '#lm-success .lm-result-value').waitFor();
  assert.equal(await shadow(tab, host, '.lm-result-value').textContent(), 'Leading');
  await axe(tab, host);
  const [lead] = await leadsFor(email);
  assert.deepEqual(lead.fields.channels, ['content']);
  assert.equal(lead.fields.scoring_model, 'rules');
  assert.equal(lead.context.quiz_result, 'Leading');
  assert.equal(lead.context.quiz_points, 7);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('calculator (full build): a live, locale-formatted result in English and German', async () => {
  for (const [locale, expected] of [['en-US', '€240,000'], ['de-DE', '240.000 €']]) {
    const { context, tab } = await open('/calculator.html', { locale });
    const host = '[data-leadmagnet]';
    await shadow(tab, host, '#lm-f-leads').waitFor();
    assert.equal(await shadow(tab, host, '.lm-result').count(), 0, 'no result before the inputs');
    await shadow(tab, host, '#lm-f-leads').fill('1000');
    await shadow(tab, host, '#lm-f-rate').fill('2');
    await shadow(tab, host, '#lm-f-deal').fill('5000');
    const value = shadow(tab, host, '.lm-result-value');
    await value.waitFor();
    // Intl puts a no-break space between number and sign in German.
    assert.equal((await value.textContent()).replace(/\u00a0/g, ' '), expected);
    assert.equal(await tab.evaluate(() => document.querySelector('[data-leadmagnet]').shadowRoot.querySelector('.lm').lang), locale);
    await axe(tab, host);
    await shadow(tab, host, '#lm-f-rate').fill('3');
    await tab.waitForFunction(() => document.querySelector('[data-leadmagnet]').shadowRoot.querySelector('.lm-result-value').textContent.includes('360'));
    await context.close();
  }
});

test('modal (full build): opens on its button, traps focus, Esc closes, focus and scrolling come back', async () => {
  const { context, tab, seen } = await open('/checklist.html');
  const host = '[data-leadmagnet="/offers/checklist.json"]';
  await tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
  assert.equal(await shadow(tab, host, 'dialog').isVisible(), false, 'closed until asked for');
  await tab.click('[data-open-checklist]');
  await shadow(tab, host, 'dialog[open]').waitFor();
  assert.equal(await tab.evaluate(() => document.documentElement.style.overflow), 'hidden', 'page scrolling locked');
  assert.equal(await tab.evaluate(() => document.activeElement.matches('[data-leadmagnet="/offers/checklist.json"]')), true, 'focus inside the dialog');
  await axe(tab, host);
  // Tab cycles within the dialog (the page behind is inert).
  for (let i = 0; i < 12; i++) {
    await tab.keyboard.press('Tab');
    const outside = await tab.evaluate(() => {
      const a = document.activeElement;
      return a && a !== document.body && !a.matches('[data-leadmagnet="/offers/checklist.json"]');
    });
    assert.equal(outside, false, 'focus never reaches the page behind the modal');
  }
  await tab.keyboard.press('Escape');
  await shadow(tab, host, 'dialog[open]').waitFor({ state: 'detached' });
  // The dialog's close event comes a task later: wait for its effects, then check them.
  await tab.waitForFunction(() => document.documentElement.style.overflow === '', null, { timeout: 5000 });
  await tab.waitForFunction(() => document.activeElement.matches('[data-open-checklist]'), null, { timeout: 5000 });
  // The close button works as well.
  await tab.click('[data-open-checklist]');
  await shadow(tab, host, '.lm-close').click();
  await shadow(tab, host, 'dialog[open]').waitFor({ state: 'detached' });
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('progressive profiling across three page loads, "not you?" and a sticky variant', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const tab = await context.newPage();
  const host = '[data-leadmagnet="/offers/checklist.json"]';
  const visit = async () => {
    await tab.goto(`${collector.url}/checklist.html`);
    await tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
    await tab.click('[data-open-checklist]');
    await shadow(tab, host, 'dialog[open]').waitFor();
    const visible = await tab.evaluate(() => [...document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot
      .querySelectorAll('.lm-field:not([hidden]) [name]')].map((e) => e.name));
    return { visible, title: await shadow(tab, host, '#lm-title').textContent() };
  };
  const email = `profile-${Date.now()}@example.com`;
  const first = await visit();
  assert.deepEqual(first.visible, ['email', 'first_name', 'consent'], 'first visit: two new fields and consent');
  assert.deepEqual(await tab.evaluate(() => ({ ...localStorage })), {}, 'nothing in localStorage before consent');
  await shadow(tab, host, '#lm-f-email').fill(email);
  await shadow(tab, host, '#lm-f-first_name').fill('Ada');
  await shadow(tab, host, '#lm-f-consent').check();
  await shadow(tab, host, 'button[type=submit]').click();
  await shadow(tab, host, '#lm-success').waitFor();
  assert.match(await tab.evaluate(() => localStorage.getItem('leadmagnet:v1')), /text\tfirst_name\tAda/, 'remembered after consent');

  const second = await visit();
  assert.equal(second.title, first.title, 'the same variant on every load');
  assert.deepEqual(second.visible, ['company', 'role', 'consent'], 'known fields are not asked again');
  assert.equal((await shadow(tab, host, '.lm-welcome').textContent()).replace(/\s+/g, ' ').trim(), 'Welcome back, Ada — Not you?');
  assert.equal(await shadow(tab, host, '#lm-f-consent').isChecked(), false, 'consent is asked every time');
  await shadow(tab, host, '#lm-f-company').fill('Contoso');
  await shadow(tab, host, '#lm-f-role').selectOption('sales');
  await shadow(tab, host, '#lm-f-consent').check();
  await shadow(tab, host, 'button[type=submit]').click();
  await shadow(tab, host, '#lm-success').waitFor();

  const third = await visit();
  assert.deepEqual(third.visible, ['consent'], 'everything known: a one-click form');
  await axe(tab, host);
  const leads = await leadsFor(email);
  assert.equal(leads.length, 2);
  const latest = leads.find((l) => l.fields.company === 'Contoso');
  assert.equal(latest.fields.first_name, 'Ada', 'known values are sent with the lead');
  assert.deepEqual([latest.form.asked, latest.form.known.sort()], [['company', 'role', 'consent'], ['email', 'first_name']],
    'the form metrics tell asked from already known');
  assert.match(latest.context.variant, /^[ab]$/);
  assert.equal(leads[0].context.variant, leads[1].context.variant, 'the variant is sticky and reported');

  // "Not you?" forgets the person and shows the first-visit form.
  await shadow(tab, host, 'button[data-action=not-you]').click();
  await tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot
    .querySelector('.lm-field:not([hidden]) [name=email]'));
  assert.equal(await shadow(tab, host, '.lm-welcome').count(), 0);
  assert.equal(await tab.evaluate(() => localStorage.getItem('leadmagnet:v1')), null, 'the profile is gone');
  await context.close();
});

test('slide-in (full build): opens after scrolling, leaves the page usable, respects dismissal and targeting', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const tab = await context.newPage();
  // The page's consent manager (IAB TCF v2) says this visitor agreed to storage on the
  // device (purpose 1): the widget may remember the dismissal for the session.
  await tab.addInitScript(() => {
    window.__tcfapi = (command, version, callback) => {
      if (command === 'addEventListener') callback({ eventStatus: 'tcloaded', gdprApplies: true, purpose: { consents: { 1: true } } }, true);
    };
  });
  const host = '[data-leadmagnet="/offers/newsletter-slide-in.json"]';
  await tab.goto(`${collector.url}/checklist.html`);
  await tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/newsletter-slide-in.json"]').shadowRoot?.querySelector('dialog'));
  assert.equal(await shadow(tab, host, 'dialog[open]').count(), 0, 'not before scrolling');
  await tab.mouse.wheel(0, 20000);
  await shadow(tab, host, 'dialog[open]').waitFor();
  assert.equal(await tab.evaluate(() => document.documentElement.style.overflow), '', 'a slide-in locks nothing');
  // Non-blocking: the page behind stays usable (focusable, not inert).
  await tab.focus('[data-open-checklist]');
  assert.equal(await tab.evaluate(() => document.activeElement.matches('[data-open-checklist]')), true);
  await axe(tab, host);
  await shadow(tab, host, '#lm-f-email').focus();
  await tab.keyboard.press('Escape');
  await shadow(tab, host, 'dialog[open]').waitFor({ state: 'detached' });
  // The dismissal is recorded on the dialog's close event, a task later.
  await tab.waitForFunction(() => /offer\tnewsletter-slide-in\t\d+/.test(sessionStorage.getItem('leadmagnet:v1') || ''), null, { timeout: 5000 });
  // Dismissed: not again on the next page view (remembered for the session only: the page
  // allowed storage, the visitor consented to nothing).
  await recordHidden(tab);
  await tab.reload();
  assert.equal(await hiddenReason(tab, 'newsletter-slide-in'), 'recently_dismissed');
  await tab.mouse.wheel(0, 20000);
  assert.equal(await tab.evaluate(() => !!document.querySelector('[data-leadmagnet="/offers/newsletter-slide-in.json"]').shadowRoot), false);
  assert.equal(await tab.evaluate(() => localStorage.length), 0);
  assert.match(await tab.evaluate(() => sessionStorage.getItem('leadmagnet:v1')), /offer\tnewsletter-slide-in\t\d+\t0/);
  await context.close();
  // Targeting: visitors from an email campaign never see it.
  const other = await browser.newContext();
  const tab2 = await other.newPage();
  await recordHidden(tab2);
  await tab2.goto(`${collector.url}/checklist.html?utm_medium=email`);
  await tab2.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot);
  assert.equal(await hiddenReason(tab2, 'newsletter-slide-in'), 'not_targeted');
  await tab2.mouse.wheel(0, 20000);
  assert.equal(await tab2.evaluate(() => !!document.querySelector('[data-leadmagnet="/offers/newsletter-slide-in.json"]').shadowRoot), false);
  await other.close();
});

/** An inline offer for the trigger pages; its collector must know it (`addOffer`) to take its leads. */
function triggerConfig(display, offer = {}, endpoint = null) {
  return {
    version: 1, id: `t-${Math.random().toString(36).slice(2, 8)}`, locale: 'en',
    offer: { kind: 'form', title: 'Triggered', ...offer },
    fields: [{ id: 'email', type: 'email', label: 'Email', required: true }],
    display, endpoint: { url: endpoint || `${collector.url}/api/v1/leads` },
  };
}

/** A page for a plain static server with the full build, mounting an offer inline. */
function triggerRoutes(display, offer = {}, endpoint = null, config = triggerConfig(display, offer, endpoint)) {
  const html = `<!doctype html><html lang="en"><head><title>t</title><script src="/w/leadmagnet-full.js"></script></head>
    <body><h1>Trigger test</h1><div id="host"></div><div style="height:5000px"></div><script>
    document.addEventListener('leadmagnet:ready', () =>
      Leadmagnet.mount(document.getElementById('host'), ${JSON.stringify(config)}));</script></body></html>`;
  return {
    '/': { type: 'text/html', body: html },
    '/w/leadmagnet-full.js': { type: 'text/javascript', body: files.fullJs },
    [`/w/${files.full}`]: { type: 'application/wasm', body: files.fullBytes },
    [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
    [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
  };
}

const triggerPage = (display, offer) => startStatic(triggerRoutes(display, offer));

for (const [name, display, act] of [
  ['a delay', { mode: 'modal', trigger: { delay_seconds: 1 } }, async () => {}],
  ['inactivity', { mode: 'slide_in', trigger: { inactivity_seconds: 1 } }, async () => {}],
  ['exit intent (the pointer leaves through the top)', { mode: 'modal', trigger: { exit_intent: true } }, async (tab) => {
    await tab.mouse.move(300, 200);
    await tab.mouse.move(300, 0);
    // Leaving the viewport: the browser's mouseout with no related target, above the top.
    await tab.evaluate(() => document.dispatchEvent(new MouseEvent('mouseout', { clientY: -5, relatedTarget: null, bubbles: true })));
  }],
  ['exit intent on touch (a fast scroll back up after reading)', { mode: 'modal', trigger: { exit_intent: true } }, async (tab) => {
    await tab.evaluate(() => window.scrollTo(0, 2500));
    await tab.waitForTimeout(100);
    await tab.evaluate(() => window.scrollTo(0, 600));
  }],
]) {
  test(`trigger: ${name} opens the offer, not before`, async () => {
    const server = await triggerPage(display);
    const context = await browser.newContext();
    const tab = await context.newPage();
    const seen = watch(tab);
    await tab.goto(server.url);
    await tab.waitForFunction(() => document.getElementById('host').shadowRoot?.querySelector('dialog'));
    assert.equal(await tab.locator('#host >> dialog[open]').count(), 0, 'closed at first');
    await act(tab);
    await tab.locator('#host >> dialog[open]').waitFor({ timeout: 5000 });
    assert.deepEqual(seen.leadmagnet(), []);
    await context.close();
    await server.close();
  });
}

test('after a successful submit the visitor goes to the offer\'s redirect_url', async () => {
  // A collector of its own that grants this page's origin CORS: the page's routes are
  // filled in once its server (and so its origin) exists.
  const routes = {};
  const server = await startStatic(routes);
  const own = await startCollector({ allowOrigins: [server.url] });
  const config = triggerConfig(undefined, { redirect_url: '/thanks?from=offer' }, `${own.url}/api/v1/leads`);
  await own.addOffer(config);
  Object.assign(routes, triggerRoutes(undefined, {}, null, config));
  const context = await browser.newContext();
  const tab = await context.newPage();
  const email = `redirect-${Date.now()}@example.com`;
  await tab.goto(server.url);
  await tab.locator('#host >> #lm-f-email').fill(email);
  await tab.locator('#host >> button[type=submit]').click();
  await tab.waitForURL(/\/thanks\?from=offer$/);
  const res = await fetch(`${own.url}/api/v1/leads`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const stored = (await res.json()).leads.map((l) => l.payload.fields.email);
  assert.deepEqual(stored, [email], 'the lead was stored before the visitor left');
  await context.close();
  await own.stop();
  await server.close();
});

test('keyboard only: the calculator and the modal checklist are completed without a pointer', async () => {
  // Calculator: Tab through the numbers, type, Tab to consent, Space, Enter.
  const calc = await open('/calculator.html');
  const host = '[data-leadmagnet]';
  await shadow(calc.tab, host, '#lm-f-leads').waitFor();
  await shadow(calc.tab, host, '#lm-f-leads').focus();
  await calc.tab.keyboard.type('500');
  await calc.tab.keyboard.press('Tab');
  await calc.tab.keyboard.type('4');
  await calc.tab.keyboard.press('Tab');
  await calc.tab.keyboard.type('1000');
  await calc.tab.keyboard.press('Tab');
  const email = `keys-${Date.now()}@example.com`;
  await calc.tab.keyboard.type(email);
  await calc.tab.keyboard.press('Tab');
  await calc.tab.keyboard.press('Space');
  await calc.tab.keyboard.press('Enter');
  await shadow(calc.tab, host, '#lm-success').waitFor();
  const [lead] = await leadsFor(email);
  assert.equal(lead.context.calculator_result, 48000, '500 × 12 × 4 % × 0.2 × 1000');
  await calc.context.close();

  // Modal: Tab to the page's button, Enter opens, type, Space ticks, Enter sends.
  const page = await open('/checklist.html');
  const modal = '[data-leadmagnet="/offers/checklist.json"]';
  await page.tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/checklist.json"]').shadowRoot?.querySelector('dialog'));
  await page.tab.focus('[data-open-checklist]');
  await page.tab.keyboard.press('Enter');
  await shadow(page.tab, modal, 'dialog[open]').waitFor();
  await shadow(page.tab, modal, '#lm-f-email').focus();
  const other = `keys-modal-${Date.now()}@example.com`;
  await page.tab.keyboard.type(other);
  await page.tab.keyboard.press('Tab');
  await page.tab.keyboard.type('Grace');
  await page.tab.keyboard.press('Tab');
  await page.tab.keyboard.press('Space');
  await page.tab.keyboard.press('Enter');
  await shadow(page.tab, modal, '#lm-success').waitFor();
  assert.equal((await leadsFor(other)).length, 1);
  await page.context.close();
});

test('keyboard only: the slide-in opens on keyboard scrolling, is reached by Tab, sent, and Esc closes', async () => {
  const { context, tab } = await open('/checklist.html');
  const host = '[data-leadmagnet="/offers/newsletter-slide-in.json"]';
  await tab.waitForFunction(() => document.querySelector('[data-leadmagnet="/offers/newsletter-slide-in.json"]').shadowRoot?.querySelector('dialog'));
  // Scrolled by the End key, not the wheel: the scroll trigger counts keyboard scrolling.
  await tab.keyboard.press('End');
  await shadow(tab, host, 'dialog[open]').waitFor();
  // A non-modal slide-in takes no focus; Tab order goes from the page into it.
  const focusedInSlideIn = () => tab.evaluate(() => {
    const h = document.querySelector('[data-leadmagnet="/offers/newsletter-slide-in.json"]');
    return document.activeElement === h ? h.shadowRoot.activeElement?.id || '' : '';
  });
  let presses = 0;
  while ((await focusedInSlideIn()) !== 'lm-f-email') {
    assert.ok(++presses < 40, 'Tab never reached the slide-in email field');
    await tab.keyboard.press('Tab');
  }
  const email = `keys-slide-${Date.now()}@example.com`;
  await tab.keyboard.type(email);
  await tab.keyboard.press('Tab');
  assert.equal(await focusedInSlideIn(), 'lm-f-consent');
  await tab.keyboard.press('Space');
  await tab.keyboard.press('Enter');
  await shadow(tab, host, '#lm-success').waitFor();
  assert.equal((await leadsFor(email)).length, 1);
  await tab.keyboard.press('Escape');
  await shadow(tab, host, 'dialog[open]').waitFor({ state: 'detached' });
  await context.close();
});

test('after conversion a modal never comes back; after dismissal not within its days — where the page allows storage', async () => {
  // How the page grants storage before the visitor's own consent: Google consent mode in
  // the dataLayer, or the page's own call; without either, nothing is kept and the modal
  // comes back on the next page view.
  const consentMode = () => { window.dataLayer = [['consent', 'default', { functionality_storage: 'granted' }]]; };
  const denied = () => { window.dataLayer = [['consent', 'default', { functionality_storage: 'granted' }], ['consent', 'update', { functionality_storage: 'denied' }]]; };
  for (const [act, note, grant] of [
    ['convert', 'converted', 'consent mode'],
    ['dismiss', 'dismissed', 'api'],
    ['dismiss', 'dismissed without permission', null],
    ['dismiss', 'dismissed with permission withdrawn', 'denied'],
  ]) {
    // A collector of its own that grants this page's origin CORS (see the redirect test).
    const routes = {};
    const server = await startStatic(routes);
    const own = await startCollector({ allowOrigins: [server.url] });
    const display = { mode: 'modal', trigger: { delay_seconds: 0 }, frequency: { dismissed_days: 7 } };
    const config = triggerConfig(display, {}, `${own.url}/api/v1/leads`);
    await own.addOffer(config);
    Object.assign(routes, triggerRoutes(display, {}, null, config));
    const context = await browser.newContext();
    const tab = await context.newPage();
    if (grant === 'consent mode') await tab.addInitScript(consentMode);
    if (grant === 'denied') await tab.addInitScript(denied);
    await tab.goto(server.url);
    await tab.locator('#host >> dialog[open]').waitFor();
    if (grant === 'api') await tab.evaluate(() => window.Leadmagnet.allowStorage(true));
    if (act === 'convert') {
      await tab.locator('#host >> #lm-f-email').fill(`freq-${Date.now()}@example.com`);
      await tab.locator('#host >> button[type=submit]').click();
      await tab.locator('#host >> #lm-success').waitFor();
    } else {
      await tab.keyboard.press('Escape');
    }
    // Remembered for this tab (no consent field in this offer): converted, not dismissed;
    // or dismissed, not converted. The dismissal is recorded on the close event.
    const memory = act === 'convert' ? '\\noffer\\t[^\\t]+\\t\\t1' : '\\noffer\\t[^\\t]+\\t\\d+\\t0';
    const allowed = grant === 'consent mode' || grant === 'api';
    if (allowed) {
      await tab.waitForFunction((m) => new RegExp(m).test(sessionStorage.getItem('leadmagnet:v1') || ''), memory, { timeout: 5000 });
    } else {
      // The dismissal is handled on the dialog's close event: wait for the close, then a
      // task later look for anything stored.
      await tab.locator('#host >> dialog[open]').waitFor({ state: 'detached' });
      await tab.evaluate(() => new Promise((ok) => setTimeout(ok, 0)));
      assert.deepEqual(await tab.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], `${note}: nothing stored`);
    }
    await recordHidden(tab);
    await tab.reload();
    if (allowed) {
      // The positive signal first (the widget decided), then the absence.
      assert.equal(await hiddenReason(tab, config.id), act === 'convert' ? 'converted' : 'recently_dismissed', note);
      assert.equal(await tab.evaluate(() => !!document.getElementById('host').shadowRoot), false, `${note}: not shown again`);
    } else {
      await tab.locator('#host >> dialog[open]').waitFor();
      assert.deepEqual(await tab.evaluate(() => window.__hidden), [], `${note}: shown again, as nothing could be remembered`);
    }
    await context.close();
    await own.stop();
    await server.close();
  }
});

test('a host removed while its modal is open leaves the page scrollable and intact', async () => {
  const server = await triggerPage({ mode: 'modal' });
  const context = await browser.newContext();
  const tab = await context.newPage();
  const seen = watch(tab);
  await tab.goto(server.url);
  await tab.locator('#host >> dialog[open]').waitFor();
  assert.equal(await tab.evaluate(() => document.documentElement.style.overflow), 'hidden');
  await tab.evaluate(() => document.getElementById('host').remove());
  await tab.waitForFunction(() => document.documentElement.style.overflow === '');
  assert.equal(await tab.textContent('h1'), 'Trigger test');
  assert.deepEqual(seen.errors, []);
  await context.close();
  await server.close();
});

test('a hostile host page changes nothing in the widget (screenshot check)', async () => {
  const offer = readFileSync(join(ROOT, 'www/offers/ebook.json'));
  const page = (css) => `<!doctype html><html lang="en"><head><title>h</title><style>${css}</style>
    <script src="/w/leadmagnet.js" async></script></head><body>
    <div id="host" data-leadmagnet="/offers/ebook.json" style="width:420px"></div></body></html>`;
  const site = {
    '/plain': { type: 'text/html', body: page('body { margin: 0 }') },
    '/hostile': { type: 'text/html', body: page('* { all: revert } html { font-size: 62.5%; color: red } input { display: none } body { margin: 0 }') },
    // Inherited properties set on the host element itself: by every selector that can match
    // it, with and without !important (rules on the host beat :host).
    '/inherit-star': { type: 'text/html', body: page('* { text-transform: uppercase !important; letter-spacing: 3px !important; word-spacing: 12px !important; text-indent: 40px !important; text-align: right !important; text-shadow: 2px 2px 0 red !important; white-space: pre !important; font-style: italic !important; font-weight: 900 !important; line-height: 3 !important; font-variant: small-caps !important; font-feature-settings: \"smcp\" !important; -webkit-text-fill-color: green !important; -webkit-text-stroke: 1px blue !important; word-break: break-all !important; hyphens: auto !important; tab-size: 2 !important; text-rendering: geometricPrecision !important; cursor: wait !important; list-style: square !important; quotes: none !important } body { margin: 0 }') },
    '/inherit-div': { type: 'text/html', body: page('div { text-transform: uppercase; letter-spacing: 3px; word-spacing: 12px; text-indent: 40px; text-align: right; text-shadow: 2px 2px 0 red; white-space: pre; font-style: italic; font-weight: 900; line-height: 3; font-variant: small-caps; font-feature-settings: \"smcp\"; -webkit-text-fill-color: green; -webkit-text-stroke: 1px blue; word-break: break-all; hyphens: auto; tab-size: 2; text-rendering: geometricPrecision; cursor: wait; list-style: square; quotes: none } body { margin: 0 }') },
    '/inherit-id': { type: 'text/html', body: page('#host { text-transform: uppercase !important; letter-spacing: 3px !important; word-spacing: 12px !important; text-indent: 40px !important; text-align: right !important; text-shadow: 2px 2px 0 red !important; white-space: pre !important; font-style: italic !important; font-weight: 900 !important; line-height: 3 !important; font-variant: small-caps !important; font-feature-settings: \"smcp\" !important; -webkit-text-fill-color: green !important; -webkit-text-stroke: 1px blue !important; word-break: break-all !important; hyphens: auto !important; tab-size: 2 !important; text-rendering: geometricPrecision !important; cursor: wait !important; list-style: square !important; quotes: none !important } body { margin: 0 }') },
    '/inherit-body': { type: 'text/html', body: page('body { margin: 0; text-transform: uppercase; letter-spacing: 3px; word-spacing: 12px; text-indent: 40px; text-align: right; text-shadow: 2px 2px 0 red; white-space: pre; font-style: italic; font-weight: 900; line-height: 3; font-variant: small-caps; font-feature-settings: \"smcp\"; -webkit-text-fill-color: green; -webkit-text-stroke: 1px blue; word-break: break-all; hyphens: auto; tab-size: 2; text-rendering: geometricPrecision; cursor: wait; list-style: square; quotes: none }') },
    '/w/leadmagnet.js': { type: 'text/javascript', body: files.js },
    [`/w/${files.wasm}`]: { type: 'application/wasm', body: files.wasmBytes },
    [`/w/${files.checkJs}`]: { type: 'text/javascript', body: files.checkScript },
    [`/w/${files.check}`]: { type: 'application/wasm', body: files.checkBytes },
    '/offers/ebook.json': { type: 'application/json', body: offer },
  };
  const server = await startStatic(site);
  const shots = [];
  const paths = ['/plain', '/hostile', '/inherit-star', '/inherit-div', '/inherit-id', '/inherit-body'];
  const inherited = ['textTransform', 'letterSpacing', 'wordSpacing', 'textIndent', 'textAlign', 'textShadow',
    'whiteSpace', 'fontStyle', 'fontWeight', 'lineHeight', 'fontVariant', 'fontFeatureSettings', 'webkitTextFillColor',
    'webkitTextStrokeWidth', 'wordBreak', 'hyphens', 'tabSize', 'textRendering', 'cursor', 'listStyleType', 'quotes'];
  const computed = [];
  for (const path of paths) {
    const context = await browser.newContext({ viewport: { width: 600, height: 1100 }, colorScheme: 'light' });
    const tab = await context.newPage();
    await tab.goto(`${server.url}${path}`);
    await tab.locator('#host >> form').waitFor();
    assert.equal(await tab.locator('#host >> #lm-f-email').isVisible(), true, `${path}: inputs are visible`);
    const size = await tab.evaluate(() => getComputedStyle(document.getElementById('host').shadowRoot.querySelector('label')).fontSize);
    assert.equal(size, '16px', `${path}: the widget's text size is its own`);
    computed.push(await tab.evaluate((names) => {
      const root = document.getElementById('host').shadowRoot;
      const of = (el) => { const c = getComputedStyle(el); return Object.fromEntries(names.map((n) => [n, c[n]])); };
      return { label: of(root.querySelector('label')), button: of(root.querySelector('button[type=submit]')), input: of(root.querySelector('#lm-f-email')) };
    }, inherited));
    shots.push(await tab.locator('#host').screenshot());
    await context.close();
  }
  for (let i = 1; i < paths.length; i++) {
    assert.deepEqual(computed[i], computed[0], `${paths[i]}: every inherited property is the widget's own`);
  }
  // Compared pixel by pixel in a canvas: no pixel may differ visibly (a channel by more
  // than 16 of 255; font anti-aliasing may jitter below that).
  const context = await browser.newContext();
  const tab = await context.newPage();
  for (let i = 1; i < shots.length; i++) {
    const diff = await tab.evaluate(async ([a, b]) => {
    const load = async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(img.width, img.height);
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, img.width, img.height);
    };
    const [x, y] = [await load(a), await load(b)];
    if (x.width !== y.width || x.height !== y.height) return { size: true };
    let pixels = 0;
    let max = 0;
    for (let i = 0; i < x.data.length; i += 4) {
      let d = 0;
      for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(x.data[i + k] - y.data[i + k]));
      max = Math.max(max, d);
      if (d > 16) pixels++;
    }
    return { pixels, max, total: x.width * x.height };
  }, [shots[0], shots[i]].map((b) => b.toString('base64')));
    assert.equal(diff.size, undefined, `${paths[i]}: same size`);
    assert.equal(diff.pixels, 0, `the widget looks the same on ${paths[i]}: ${JSON.stringify(diff)}`);
  }
  await context.close();
  await server.close();
});

test('the Big List of Naughty Strings: nothing executes, rendering holds, and each arrives unaltered', async () => {
  const require = createRequire(import.meta.url);
  const strings = require('big-list-of-naughty-strings/blns.json')
    .filter((s) => s.trim() !== '' && [...s.trim()].length <= 500);
  const config = {
    version: 1, id: 'naughty', locale: 'en', offer: { kind: 'form', title: 'Naughty' },
    fields: [
      { id: 'email', type: 'email', label: 'Email', required: true },
      { id: 'note', type: 'text', label: 'Note', required: true },
    ],
    endpoint: { url: `${collector.url}/api/v1/leads` },
  };
  await collector.addOffer(config);
  const context = await browser.newContext();
  const tab = await context.newPage();
  const seen = watch(tab);
  // Every real dialog the tab opens, on every page it shows (the inbox's too): a string
  // that ran as script and called alert/confirm/prompt lands here.
  const dialogs = [];
  tab.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  await tab.goto(`${collector.url}/quiz.html`);
  await tab.evaluate(() => window.Leadmagnet.ready);
  await tab.evaluate(() => { window.__naughty = 0; for (const n of ['alert', 'confirm', 'prompt']) window[n] = () => { window.__naughty++; }; });
  await tab.evaluate(() => { const d = document.createElement('div'); d.id = 'naughty'; document.body.append(d); });
  const stamp = Date.now();
  for (let i = 0; i < strings.length; i++) {
    await tab.evaluate((c) => window.Leadmagnet.mount(document.getElementById('naughty'), c), config);
    await tab.locator('#naughty >> #lm-f-note').fill(strings[i]);
    await tab.locator('#naughty >> #lm-f-email').fill(`n${i}-${stamp}@example.com`);
    await tab.locator('#naughty >> button[type=submit]').click();
    await tab.locator('#naughty >> #lm-success').waitFor();
    assert.equal(await tab.locator('#naughty >> #lm-title').textContent(), 'Naughty', `rendering holds for #${i}`);
  }
  assert.equal(await tab.evaluate(() => window.__naughty), 0, 'no string ran script');
  assert.deepEqual(seen.errors, []);
  const stored = (await allLeads()).filter((l) => l.fields.email.endsWith(`-${stamp}@example.com`));
  assert.equal(stored.length, strings.length);
  // ~500 offer views and completions on one page view: each lead carries at most 100 events,
  // always with the page view itself.
  assert.ok(stored.every((l) => l.events.length <= 100 && l.events[0].type === 'page_view'));
  assert.ok(stored.some((l) => l.events.length === 100));
  for (const lead of stored) {
    const i = Number(lead.fields.email.slice(1, lead.fields.email.indexOf('-')));
    // Trimming the ends is the one normalization of text (documented); nothing else changes.
    assert.equal(lead.fields.note, strings[i].trim(), `string #${i} arrives as typed`);
  }

  // …and leaves the same way: the CSV export (formula starts neutralised with a leading ')
  // and the inbox, where each shows as text.
  const res = await fetch(`${collector.url}/api/v1/leads.csv?offer_id=naughty&limit=5000`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const rows = parseCsv((await res.text()).replace(/^\uFEFF/, ''));
  const [head, ...body] = rows;
  const at = (name) => head.indexOf(name);
  const exported = new Map(body.filter((r) => r.length > 1).map((r) => [r[at('email')], r[at('note')]]));
  for (const lead of stored) {
    const i = Number(lead.fields.email.slice(1, lead.fields.email.indexOf('-')));
    const typed = strings[i].trim();
    const expected = /^[=+\-@\t\r]/.test(typed) ? `'${typed}` : typed;
    assert.equal(exported.get(lead.fields.email), expected, `string #${i} in the CSV`);
  }
  await tab.goto(`${collector.url}/inbox`);
  await tab.getByLabel('Your token').fill(TOKEN);
  await tab.getByRole('button', { name: 'Log in' }).click();
  await tab.getByRole('heading', { name: 'Leads' }).waitFor();
  const ids = new Map((await allLeads()).map((l) => [l.fields.email, l.lead_id]));
  for (const lead of stored.filter((_, k) => k % 10 === 0)) {
    const i = Number(lead.fields.email.slice(1, lead.fields.email.indexOf('-')));
    await tab.goto(`${collector.url}/inbox/leads/${ids.get(lead.fields.email)}`);
    const shown = await tab.locator('tr', { has: tab.locator('th', { hasText: /^note$/ }) }).locator('td').textContent();
    assert.equal(shown, strings[i].trim(), `string #${i} shows as text in the inbox`);
  }
  assert.equal(dialogs.length, 0, `nothing ran in the inbox either: ${dialogs.join(', ')}`);
  await context.close();
});

/** RFC 4180: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (quoted) {
      if (c === '"' && text[k + 1] === '"') { cell += '"'; k++; } else if (c === '"') { quoted = false; } else { cell += c; }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell); cell = '';
    } else if (c === '\r' && text[k + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; k++;
    } else {
      cell += c;
    }
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
