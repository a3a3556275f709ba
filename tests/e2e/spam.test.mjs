// Spam defences that cost visitors nothing (issue 6): the widget solves the collector's
// proof-of-work challenge while the visitor types and sends it with the lead; a bot that
// fills every input trips the honeypot. Suspicious leads are stored quarantined with the
// reason and answered like any other. Real Chromium against the real collector.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startCollector, until, widgetReady } from './harness.mjs';

let collector;
let browser;

before(async () => {
  // One second minimum fill time, so that these tests need not wait three.
  // A minimum fill time that a bot submitting at once never meets, and a person does.
  collector = await startCollector({ flags: ['--min-fill-seconds', '3'] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
});

async function stored(email) {
  return until(async () => (await collector.leads()).find((l) => l.payload.fields.email === email), 10000, email);
}

async function fillDemo(page, email) {
  await page.getByLabel('Business email').fill(email);
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
}

test('a visitor\'s lead carries the solved proof of work and is not quarantined; solving never holds the page long', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    // Each zero-delay timer whose callback calls the wasm's solver is the search yielding
    // to the page between two slices of 2,000 tries.
    window.__slices = 0;
    const original = window.setTimeout;
    window.setTimeout = function (fn, delay, ...rest) {
      if (!delay && typeof fn === 'function' && String(fn).includes('solveChallenge')) window.__slices++;
      return original.call(this, fn, delay, ...rest);
    };
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const challenge = page.waitForResponse((r) => r.url().endsWith('/api/v1/challenge'));
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  assert.equal((await challenge).status(), 200);
  const afterLoad = await page.evaluate(() => window.__longTasks.length);
  const email = `human-${Date.now()}@contoso.example`;
  await fillDemo(page, email);
  await page.waitForTimeout(3500); // a person takes longer than the 3 s minimum
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const lead = await stored(email);
  assert.equal(lead.quarantine, null, JSON.stringify(lead.quarantine));
  assert.match(lead.payload.challenge.challenge, /^[0-9a-f]{64}$/);
  assert.ok(Number.isInteger(lead.payload.challenge.number));
  assert.equal(lead.payload.honeypot, undefined);
  // Solving never holds the page: the search for number N gave the page back at least
  // once per 2,000 tries (N / 2,000 times, rounded down) instead of running in one task.
  const yields = await page.evaluate(() => window.__slices);
  const number = lead.payload.challenge.number;
  assert.ok(yields >= Math.floor(number / 2000), `${yields} yields for a search up to ${number}`);
  t.diagnostic(`solution ${number}: the search yielded ${yields} times (≥ ${Math.floor(number / 2000)})`);
  const during = (await page.evaluate(() => window.__longTasks)).slice(afterLoad);
  t.diagnostic(`long tasks (> 50 ms) after the widget rendered, while solving and sending: ${during.length}` +
    (during.length ? ` (longest ${Math.max(...during).toFixed(0)} ms)` : ''));
  await context.close();
});

test('the honeypot is out of reach for people and their tools, and a bot that fills every input is quarantined', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const trap = page.locator('[data-leadmagnet] input[name=lm_hp]');
  assert.equal(await trap.getAttribute('tabindex'), '-1', 'not in the tab order');
  assert.equal(await trap.getAttribute('autocomplete'), 'off', 'no autofill hint');
  assert.equal(await trap.evaluate((el) => el.closest('[aria-hidden=true]') !== null), true, 'hidden from screen readers');
  const box = await trap.boundingBox();
  assert.ok(!box || box.x + box.width <= 0, `off-screen: ${JSON.stringify(box)}`);
  // Keyboard users never land on it: Tab from the last field goes to the button.
  await page.getByLabel('I agree that Leadmagnet may process my details').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.querySelector('[data-leadmagnet]').shadowRoot.activeElement?.className), 'lm-submit');

  // A bot: a fresh page, every text input gets text, the boxes ticked, at once.
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  const email = `bot-${Date.now()}@contoso.example`;
  await fillDemo(page, email);
  await trap.evaluate((el) => { el.value = 'https://cheap-pills.example'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const lead = await stored(email);
  assert.ok(lead.quarantine.includes('honeypot_filled'), JSON.stringify(lead.quarantine));
  assert.ok(lead.quarantine.includes('filled_too_fast') || lead.quarantine.includes('no_proof_of_work'),
    `sent at once: ${JSON.stringify(lead.quarantine)}`);
  assert.equal(lead.payload.honeypot, 'https://cheap-pills.example');
  await context.close();
});

test("the honeypot's label speaks the offer's language, like all of the widget's text", async () => {
  // The quiz offer's locale is "auto": the visitor's language decides.
  for (const [locale, label, next] of [
    ['de-DE', 'Dieses Feld bitte leer lassen', 'Weiter'],
    ['en-US', 'Leave this field empty', 'Next'],
  ]) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${collector.url}/quiz.html`);
    await widgetReady(page);
    const texts = await page.evaluate(() => {
      const root = document.querySelector('[data-leadmagnet]').shadowRoot;
      return { lang: root.querySelector('.lm').lang, trap: root.querySelector('label[for=lm-hp]').textContent,
        submit: root.querySelector('button[type=submit]').textContent };
    });
    assert.equal(texts.lang.slice(0, 2), locale.slice(0, 2));
    assert.equal(texts.trap, label, locale);
    assert.equal(texts.submit, next, locale);
    await context.close();
  }
});
