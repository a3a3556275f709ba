// The demo landing page as a visitor meets it: real collector, real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOKEN, launch, startCollector, watch, widgetReady } from './harness.mjs';

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

test('a visitor fills the demo form by its labels and exactly that lead is stored', async () => {
  const page = await browser.newPage();
  const seen = watch(page);
  const response = await page.goto(`${collector.url}/`);
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
  await widgetReady(page);

  const email = `ann.lee+${Date.now()}@contoso.example`;
  await page.getByLabel('Business email').fill(email);
  await page.getByLabel('First name').fill('Ann');
  await page.getByLabel('Company', { exact: true }).fill('Contoso');
  await page.getByLabel('Company size').selectOption('50-249');
  // A dependent field: asked only of companies with 50 or more people.
  await page.getByLabel('When do you plan to buy?').selectOption({ label: 'This quarter' });
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
  await page.getByRole('button', { name: 'Get the free eBook' }).click();

  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const download = page.getByRole('link', { name: 'Download the playbook (PDF)' });
  assert.equal(await download.getAttribute('href'), `${collector.url}/assets/lead-scoring-playbook.pdf`);
  const pdf = await fetch(`${collector.url}/assets/lead-scoring-playbook.pdf`);
  assert.equal(pdf.status, 200);
  assert.ok((await pdf.text()).startsWith('%PDF-'));

  const leads = (await collector.leads()).filter((l) => l.payload.fields.email === email);
  assert.equal(leads.length, 1, 'exactly one lead with that email');
  const lead = leads[0].payload;
  assert.equal(lead.version, 1);
  assert.equal(lead.offer_id, 'ebook-lead-scoring');
  // A UUID v7: its first 48 bits are the submit time (the same moment as submitted_at).
  assert.match(lead.lead_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const idTime = parseInt(lead.lead_id.slice(0, 13).replace('-', ''), 16);
  assert.ok(Math.abs(idTime - Date.parse(lead.submitted_at)) <= 5, `${lead.lead_id} vs ${lead.submitted_at}`);
  assert.deepEqual(lead.fields, { email, first_name: 'Ann', company: 'Contoso', company_size: '50-249', timeline: 'now', newsletter: false, consent: true });
  // The preliminary score the widget computed with the core, with its reasons.
  assert.deepEqual(
    { fit: lead.score.fit, total: lead.score.total, matrix: lead.score.matrix, stage: lead.score.stage, queue: lead.score.queue },
    { fit: 45, total: 45, matrix: 'A4', stage: 'mql', queue: 'mid-market' },
  );
  assert.deepEqual(lead.score.breakdown.map((c) => [c.rule, c.points]), [['mid-size', 15], ['buying-now', 25], ['named-company', 5]]);
  assert.equal(lead.context.page_url, `${collector.url}/`);
  assert.equal(lead.context.locale, 'en');
  assert.match(lead.submitted_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.console.filter((m) => m.type === 'error'), []);
  await page.close();
});

test('reading leads needs the admin token', async () => {
  assert.equal((await fetch(`${collector.url}/api/v1/leads`)).status, 401);
  const wrong = await fetch(`${collector.url}/api/v1/leads`, { headers: { Authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const right = await fetch(`${collector.url}/api/v1/leads`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(right.status, 200);
});

test('validation errors are text linked to their fields, focus goes to the first', async () => {
  const page = await browser.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await page.getByLabel('Business email').fill('ann@contoso');
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  const email = page.getByLabel('Business email');
  await page.getByText('Please enter a valid email address').waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await email.getAttribute('aria-describedby'), 'lm-e-email');
  assert.equal(await page.evaluate(() => document.querySelector('[data-leadmagnet]').shadowRoot.activeElement.id), 'lm-f-email');
  await page.getByText('Please tick this box to continue.').waitFor();
  assert.equal(await email.inputValue(), 'ann@contoso', 'what was typed stays');
  await page.close();
});

test('a dependent field appears after the answer that asks for it, and focus stays put', async () => {
  const page = await browser.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const active = () => page.evaluate(() => document.querySelector('[data-leadmagnet]').shadowRoot.activeElement?.id);
  assert.equal(await page.getByLabel('When do you plan to buy?').isVisible(), false);
  await page.getByLabel('First name').fill('Ann');
  const size = page.getByLabel('Company size');
  await size.focus();
  await size.selectOption('250+');
  await page.getByLabel('When do you plan to buy?').waitFor({ state: 'visible' });
  assert.equal(await active(), 'lm-f-company_size', 'focus stays on the field the visitor used');
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'lm-f-timeline', 'the new field is next in the tab order');
  await size.selectOption('1-9');
  await page.getByLabel('When do you plan to buy?').waitFor({ state: 'hidden' });
  assert.equal(await page.getByLabel('First name').inputValue(), 'Ann', 'other answers stay');
  await page.close();
});

test('the host page does not shift when the widget renders', async () => {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__shifts.push(entry.value);
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto(`${collector.url}/`);
  const before = await page.locator('#why').boundingBox();
  await widgetReady(page);
  await page.waitForTimeout(300);
  const afterBox = await page.locator('#why').boundingBox();
  assert.equal(afterBox.y, before.y, 'content below the widget stays where it was');
  assert.deepEqual(await page.evaluate(() => window.__shifts), [], 'no layout shift entries');
  await page.close();
});

test("the host page's aggressive CSS does not reach into the widget", async () => {
  const page = await browser.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const style = await page.evaluate(() => {
    const root = document.querySelector('[data-leadmagnet]').shadowRoot;
    const input = getComputedStyle(root.querySelector('#lm-f-email'));
    const label = getComputedStyle(root.querySelector('label'));
    const button = getComputedStyle(root.querySelector('button'));
    return { inputBorder: input.borderTopStyle, inputFont: input.fontFamily, inputBg: input.backgroundColor,
      labelTransform: label.textTransform, buttonBg: button.backgroundColor };
  });
  assert.equal(style.inputBorder, 'solid');
  assert.doesNotMatch(style.inputFont, /Comic/);
  assert.equal(style.inputBg, 'rgb(255, 255, 255)');
  assert.equal(style.labelTransform, 'none');
  // Theming through custom properties does cross: the page sets --lm-accent: #c2410c.
  assert.equal(style.buttonBg, 'rgb(194, 65, 12)');
  await page.close();
});

test('axe-core finds no accessibility violations in the widget, before and after errors', async () => {
  // bypassCSP only so axe itself can be injected; the widget runs under the page's CSP otherwise.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await page.addScriptTag({ content: readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
  const check = () => page.evaluate(async () => {
    const result = await window.axe.run({ include: [['[data-leadmagnet]']] }, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(await check(), []);
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Please fill in this field.').waitFor();
  assert.deepEqual(await check(), []);
  await context.close();
});
