// `make bench`: how soon a visitor sees the form — the widget against the same form as
// plain HTML — in headless Chromium on 127.0.0.1, unthrottled and with the CPU slowed 4×
// (a mid-range phone). A benchmark that prints figures, not a test: these machines are
// shared and noisy, so nothing here asserts a time.
import { launch, startCollector } from '../e2e/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);

// Records when the page first painted and when the form first had a size on screen.
const probe = () => {
  window.__bench = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') window.__bench.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  const look = () => {
    const host = document.getElementById('target');
    const form = host && (host.tagName === 'FORM' ? host : host.shadowRoot && host.shadowRoot.querySelector('form'));
    if (form && form.getBoundingClientRect().height > 0) {
      window.__bench.form = performance.now();
      return;
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
};

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9) };
}

async function measure(browser, url, throttle) {
  const fcp = [];
  const form = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(probe);
    if (throttle > 1) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    }
    await page.goto(url);
    await page.waitForFunction(() => window.__bench && window.__bench.form && window.__bench.fcp, null, { timeout: 30000 });
    const b = await page.evaluate(() => window.__bench);
    fcp.push(b.fcp);
    form.push(b.form);
    await context.close();
  }
  return { fcp: stats(fcp), form: stats(form) };
}

const collector = await startCollector();
const browser = await launch();
try {
  const rows = [];
  for (const throttle of [1, 4]) {
    // One warm-up load each, so both pages are measured with a warm HTTP cache.
    for (const page of ['plain', 'widget']) await measure(browser, `${collector.url}/bench/${page}.html`, 1).catch(() => {});
    const plain = await measure(browser, `${collector.url}/bench/plain.html`, throttle);
    const widget = await measure(browser, `${collector.url}/bench/widget.html`, throttle);
    rows.push({ throttle, plain, widget });
  }
  const ms = (v) => `${v.toFixed(0)} ms`;
  console.log(`\npaint benchmark, ${RUNS} loads each, median / p90 (headless Chromium, 127.0.0.1)`);
  console.log('| CPU | page | first contentful paint | form visible |');
  console.log('|---|---|---|---|');
  for (const { throttle, plain, widget } of rows) {
    const cpu = throttle === 1 ? 'unthrottled' : `${throttle}× slower`;
    console.log(`| ${cpu} | plain HTML form | ${ms(plain.fcp.median)} / ${ms(plain.fcp.p90)} | ${ms(plain.form.median)} / ${ms(plain.form.p90)} |`);
    console.log(`| ${cpu} | Leadmagnet widget | ${ms(widget.fcp.median)} / ${ms(widget.fcp.p90)} | ${ms(widget.form.median)} / ${ms(widget.form.p90)} |`);
  }
} finally {
  await browser.close();
  await collector.stop();
}
