// `make bench`: how soon a visitor sees and can use the form — the widget against the same
// form as plain HTML — in headless Chromium on 127.0.0.1, cold (a fresh browser context per
// load), unthrottled and with the CPU slowed 4× plus a "Fast 3G" network (DevTools'
// preset: 562.5 ms latency, 1.47 Mbit/s down). A benchmark that prints figures, not a test:
// these machines are shared and noisy, so nothing here asserts a time.
//
// Pages, all from one static server (the collector on another origin, as customers embed):
// - plain: the demo offer's form as plain HTML, no script (the floor);
// - snippet: `leadmagnet render`'s snippet (the form in a declarative shadow root) + script;
// - embed: `<div data-leadmagnet>` + script (the collector's pre-rendered fragment is
//   fetched beside the wasm).
// Figures: form painted (the form has a size on screen); interactive (the wasm handles an
// input: choosing a company size shows the dependent field); total blocking time (long
// tasks beyond 50 ms, until interactive); cumulative layout shift.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, launch, startCollector, startStatic } from '../e2e/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 7);
const BIN = resolve(ROOT, process.env.LEADMAGNET_BIN || 'target/debug/leadmagnet');

const probe = () => {
  const b = (window.__bench = { tbt: 0, cls: 0 });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') b.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!b.interactive) b.tbt += Math.max(0, e.duration - 50);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    // Until interactive: the probe's own input then shows a field, which moves the rest.
    for (const e of list.getEntries()) if (!e.hadRecentInput && !b.interactive) b.cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  const root = () => {
    const host = document.getElementById('target');
    return host && (host.tagName === 'FORM' ? document : host.shadowRoot);
  };
  const look = () => {
    const r = root();
    const form = r && r.querySelector('form');
    if (!b.form && form && form.getBoundingClientRect().height > 0) b.form = performance.now();
    if (b.form && !b.interactive) {
      // An input the wasm must handle: the dependent field appears only through it.
      const size = r.getElementById('lm-f-company_size');
      const timeline = r.getElementById('lm-f-timeline');
      if (r === document) {
        b.interactive = b.form; // the plain form: usable as soon as it is there
      } else if (!size || !timeline) {
        // still being parsed
      } else if (!timeline.closest('[hidden]')) {
        b.interactive = performance.now();
      } else if (size.value !== '250+') {
        size.value = '250+';
      }
      if (size && size.value === '250+') size.dispatchEvent(new Event('change', { bubbles: true }));
    }
    if (!b.interactive) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
};

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9) };
}

async function measure(browser, url, slow) {
  const got = { form: [], interactive: [], tbt: [], cls: [] };
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(probe);
    if (slow) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 562.5, downloadThroughput: (1474.56 * 1024) / 8, uploadThroughput: (675 * 1024) / 8,
      });
    }
    await page.goto(url);
    await page.waitForFunction(() => window.__bench && window.__bench.interactive, null, { timeout: 60000 });
    await page.waitForTimeout(100);
    const b = await page.evaluate(() => window.__bench);
    for (const k of Object.keys(got)) got[k].push(b[k]);
    await context.close();
  }
  return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, stats(v)]));
}

const routes = {};
const site = await startStatic(routes);
const collector = await startCollector({ allowOrigins: [site.url] });
const config = `${collector.url}/offers/ebook.json`;
const script = `${collector.url}/dist/leadmagnet.js`;
const shell = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
  `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
  `<link rel="icon" href="data:,"></head><body><h1>${title}</h1>${body}</body></html>`;
routes['/plain.html'] = { type: 'text/html; charset=utf-8', body: readFileSync(join(ROOT, 'www/bench/plain.html')) };
const snippet = execFileSync(BIN, ['render', join(ROOT, 'www/offers/ebook.json'), '--config-url', config], { encoding: 'utf8' })
  .replace('<div data-leadmagnet=', '<div id="target" data-leadmagnet=');
routes['/snippet.html'] = { type: 'text/html; charset=utf-8', body: shell('Leadmagnet snippet', snippet) };
routes['/embed.html'] = {
  type: 'text/html; charset=utf-8',
  body: shell('Leadmagnet embed', `<div id="target" data-leadmagnet="${config}"></div><script src="${script}" async></script>`),
};
const browser = await launch();
try {
  const pages = [['plain', 'plain HTML form (the floor)'], ['snippet', 'Leadmagnet snippet'], ['embed', 'Leadmagnet plain embed']];
  const rows = [];
  for (const slow of [false, true]) {
    const floor = await measure(browser, `${site.url}/plain.html`, slow);
    rows.push([slow, pages[0][1], floor, floor]);
    for (const [name, label] of pages.slice(1)) rows.push([slow, label, await measure(browser, `${site.url}/${name}.html`, slow), floor]);
  }
  const ms = (v) => `${v.toFixed(0)} ms`;
  const x = (v, f) => `${(v / f).toFixed(2)}×`;
  console.log(`\npaint benchmark, ${RUNS} cold loads each, median / p90 (headless Chromium, 127.0.0.1)`);
  console.log('| conditions | page | form painted | interactive | TBT | CLS |');
  console.log('|---|---|---|---|---|---|');
  for (const [slow, label, m, floor] of rows) {
    const cond = slow ? '4× CPU + Fast 3G' : 'unthrottled';
    console.log(`| ${cond} | ${label} | ${ms(m.form.median)} / ${ms(m.form.p90)} (${x(m.form.median, floor.form.median)}) | ` +
      `${ms(m.interactive.median)} / ${ms(m.interactive.p90)} (${x(m.interactive.median, floor.form.median)}) | ` +
      `${ms(m.tbt.median)} | ${m.cls.median.toFixed(3)} |`);
  }
} finally {
  await browser.close();
  await collector.stop();
  await site.close();
}
