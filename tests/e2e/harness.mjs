// Shared parts of the end-to-end tests: a real collector process, real Chromium, and a
// small static server for pages that misbehave on purpose. Everything on 127.0.0.1.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import Ajv2020 from 'ajv/dist/2020.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TOKEN = 'e2e-admin-token-0123456789abcdef';

// The published lead schema, closed here (no keys beyond the documented ones at the top
// and in `context`): every payload a test reads back must match the documentation exactly.
const leadSchema = JSON.parse(readFileSync(join(ROOT, 'www/schema/lead.v1.json'), 'utf8'));
leadSchema.additionalProperties = false;
leadSchema.properties.context.additionalProperties = false;
const validateLead = new Ajv2020({ allErrors: true }).compile(leadSchema);

/** Throws, naming each problem, unless `payload` matches www/schema/lead.v1.json. */
export function checkLead(payload) {
  if (!validateLead(payload)) {
    const problems = validateLead.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new Error(`stored lead does not match www/schema/lead.v1.json: ${problems}\n${JSON.stringify(payload)}`);
  }
  return payload;
}

/**
 * Starts `leadmagnet serve` on a free port with its own database and its own offer folder
 * (a copy of www/offers; `addOffer` adds a config, since leads for unknown offers are refused).
 */
export async function startCollector({ allowOrigins = [], flags = [], env = {}, files = {}, www = join(ROOT, 'www') } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'leadmagnet-e2e-'));
  const offers = join(dir, 'offers');
  mkdirSync(offers);
  for (const file of readdirSync(join(ROOT, 'www/offers'))) copyFileSync(join(ROOT, 'www/offers', file), join(offers, file));
  // Files of the offer folder to replace (e.g. a scoring.json of the test's own).
  for (const [name, text] of Object.entries(files)) writeFileSync(join(offers, name), text);
  const bin = resolve(ROOT, process.env.LEADMAGNET_BIN || 'target/debug/leadmagnet');
  const args = ['serve', '--port', '0', '--www', www, '--offers', offers, '--rate-limit', '0'];
  for (const origin of allowOrigins) args.push('--allow-origin', origin);
  args.push(...flags);
  const child = spawn(bin, args, {
    env: { ...process.env, LEADMAGNET_ADMIN_TOKEN: TOKEN, DATABASE_URL: `sqlite://${dir}/leads.db`, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const url = await new Promise((ok, fail) => {
    child.stdout.on('data', () => {
      const m = out.match(/listening on (http:\/\/\S+?)\/?\s/);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`collector exited with ${code}: ${out}`)));
  });
  return {
    url,
    /** Writes `config` into the collector's offer folder and has it read again (SIGHUP). */
    async addOffer(config) {
      writeFileSync(join(offers, `${config.id}.json`), JSON.stringify(config));
      const before = out.length;
      child.kill('SIGHUP');
      await until(() => new RegExp(`SIGHUP: offer configs read again: .*\\b${config.id}\\b`).test(out.slice(before)),
        10000, `the collector to read ${config.id}`);
    },
    async leads() {
      const res = await fetch(`${url}/api/v1/leads`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      if (res.status !== 200) throw new Error(`GET /api/v1/leads: ${res.status}`);
      const leads = (await res.json()).leads;
      for (const lead of leads) checkLead(lead.payload);
      return leads;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((ok) => child.once('exit', ok));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Collects console lines and uncaught errors of a page. */
export function watch(page) {
  const seen = { console: [], errors: [] };
  page.on('console', (m) => seen.console.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  seen.leadmagnet = () => seen.console.filter((m) => m.text.startsWith('Leadmagnet:'));
  return seen;
}

export function distFiles() {
  const dist = join(ROOT, 'www/dist');
  // The default build's wasm (not the full build's, not the checker's).
  const wasm = readdirSync(dist).find((f) => /^leadmagnet-[0-9a-f]+\.wasm$/.test(f));
  if (!wasm) throw new Error('www/dist has no wasm: run `make widget`');
  const names = readdirSync(dist);
  const full = names.find((f) => /^leadmagnet-full-[0-9a-f]+\.wasm$/.test(f));
  const check = names.find((f) => /^leadmagnet-check-[0-9a-f]+\.wasm$/.test(f));
  const checkJs = check.replace('.wasm', '.js');
  return {
    dist,
    wasm,
    js: readFileSync(join(dist, 'leadmagnet.js')),
    wasmBytes: readFileSync(join(dist, wasm)),
    full,
    fullJs: readFileSync(join(dist, 'leadmagnet-full.js')),
    fullBytes: readFileSync(join(dist, full)),
    // The full build's glue as leadmagnet.js fetches it on demand.
    fullPart: full.replace('.wasm', '.part.js'),
    fullPartScript: readFileSync(join(dist, full.replace('.wasm', '.part.js'))),
    check,
    checkJs,
    checkBytes: readFileSync(join(dist, check)),
    checkScript: readFileSync(join(dist, checkJs)),
  };
}

/**
 * A static server whose routes answer with given bodies and headers, for pages and
 * widget files served the wrong way on purpose.
 * routes: { '/path': { body, type, headers } }
 */
export async function startStatic(routes) {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(route.status || 200, { 'content-type': route.type, ...(route.headers || {}) });
    res.end(route.body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

/** Polls `check` until it returns a truthy value, which it returns (fails after `ms`). */
export async function until(check, ms = 20000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the widget in `host` has rendered its form (or its success view). */
export async function widgetReady(page, host = '[data-leadmagnet]') {
  await page.locator(`${host} form, ${host} .lm-success`).first().waitFor({ timeout: 15000 });
  // A server-rendered form (the collector's fragment, a snippet) paints before the wasm:
  // wait until the wasm has it. Hydration removes yew's comment markers from the root.
  await page.waitForFunction((selector) => {
    const root = document.querySelector(selector)?.shadowRoot?.getElementById('lm-root');
    return !root || !root.innerHTML.includes('<!--<[');
  }, host, { timeout: 15000 });
}

/**
 * Records the widget's `leadmagnet:hidden` events from the next navigation on: a negative
 * check ("not shown again") waits for this positive signal that the decision was made.
 */
export async function recordHidden(page) {
  await page.addInitScript(() => {
    window.__hidden = [];
    document.addEventListener('leadmagnet:hidden', (e) => window.__hidden.push(e.detail));
  });
}

/** Waits until the widget has kept `offerId` from the visitor; returns the reason. */
export async function hiddenReason(page, offerId) {
  const found = await page.waitForFunction(
    (id) => (window.__hidden || []).find((d) => d.offer_id === id)?.reason, offerId, { timeout: 15000 });
  return found.jsonValue();
}
