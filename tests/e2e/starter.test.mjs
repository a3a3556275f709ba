// The marketer's starter (issue 18): templates/ copied into a site folder as the README's
// marketer's guide says, served by `leadmagnet serve`, shows its offer in German and
// English, reserves the form's room (no layout shift), has no accessibility violations,
// and delivers a lead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, launch, startCollector, until, watch, widgetReady } from './harness.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
let browser;
let collector;

before(async () => {
  browser = await launch();
  // The site folder: the templates, and the widget build beside them.
  const site = mkdtempSync(join(tmpdir(), 'leadmagnet-starter-'));
  cpSync(join(ROOT, 'templates'), site, { recursive: true });
  cpSync(join(ROOT, 'www/dist'), join(site, 'dist'), { recursive: true });
  collector = await startCollector({
    www: site,
    files: { 'starter.json': readFileSync(join(ROOT, 'templates/offers/starter.json'), 'utf8') },
  });
});

after(async () => {
  await browser?.close();
  await collector?.stop();
});

for (const [page, locale, button, width] of [
  ['/index.html', 'en-US', 'Get the guide', 1280],
  ['/de.html', 'de-DE', 'Leitfaden anfordern', 1280],
  ['/index.html', 'en-GB', 'Get the guide', 375],
  ['/de.html', 'de-DE', 'Leitfaden anfordern', 375],
]) {
  test(`starter ${page} (${locale}, ${width} px): the offer in its language, room reserved, no violations, a lead`, async () => {
    const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
    const tab = await context.newPage();
    const seen = watch(tab);
    await tab.addInitScript(() => {
      window.shifts = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.shifts += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await tab.goto(collector.url + page);
    await widgetReady(tab);
    const host = '[data-leadmagnet]';
    await tab.locator(`${host} >> button[type="submit"]`).filter({ hasText: button }).waitFor();
    // The reserved room holds the form: nothing below it moves.
    const [slot, form] = await tab.evaluate((s) => {
      const h = document.querySelector(s);
      return [h.getBoundingClientRect().height, h.shadowRoot.querySelector('.lm').getBoundingClientRect().height];
    }, host);
    assert.ok(form <= slot, `the form (${form} px) fits the reserved ${slot} px`);
    assert.equal(await tab.evaluate(() => window.shifts), 0, 'no layout shift');
    await tab.evaluate(AXE);
    const violations = await tab.evaluate(async () => (await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    })).violations.map((v) => v.id));
    assert.deepEqual(violations, [], 'axe-core on the whole page');
    const email = `starter-${locale}-${width}-${Date.now()}@contoso.example`;
    await tab.locator(`${host} >> input[type="email"]`).fill(email);
    await tab.locator(`${host} >> input[type="checkbox"]`).check();
    await tab.waitForTimeout(1600);
    await tab.locator(`${host} >> button[type="submit"]`).click();
    await tab.locator(`${host} >> .lm-success`).waitFor();
    // The guide the starter offers is there (a placeholder to replace).
    const download = tab.locator(`${host} >> .lm-success a[href$="guide.pdf"]`);
    const guide = await fetch(new URL(await download.getAttribute('href'), tab.url()));
    assert.equal(guide.status, 200);
    assert.match(guide.headers.get('content-type'), /^application\/pdf/);
    await until(async () => (await collector.leads()).some((l) => l.payload.fields.email === email), 10000, 'the lead');
    assert.deepEqual(seen.leadmagnet(), []);
    await context.close();
  });
}
