// The loader's load failures (src/js/failures.mjs): each names the cause and ends in a fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as failures from '../../src/js/failures.mjs';

const URL = 'https://cdn.example/w/leadmagnet-0123456789ab.wasm';
const FILE = 'leadmagnet-0123456789ab.wasm';

test('every load failure is one line naming the cause, then "Fix:"', () => {
  const lines = [
    failures.noWebAssembly(),
    failures.httpFailure(URL, 404, FILE),
    failures.notWasm(URL, 'text/html', FILE),
    failures.notWasm(URL, '', FILE),
    failures.wrongMime(URL, 'application/octet-stream'),
    failures.unreachable(URL, 'Failed to fetch'),
    failures.startFailure(URL, "Refused to compile or instantiate WebAssembly module because 'wasm-unsafe-eval' is not an allowed source", FILE),
    failures.startFailure(URL, 'WebAssembly.instantiate(): Import #0 "./leadmagnet_bg.js" "__wbg_x": function import requires a callable', FILE),
  ];
  for (const line of lines) {
    assert.ok(!line.includes('\n'), line);
    assert.match(line, /\. Fix: \S/, line);
  }
  assert.match(lines[1], /HTTP 404\. Fix: upload leadmagnet-0123456789ab\.wasm beside leadmagnet\.js/);
  assert.match(lines[2], /served as text\/html/);
  assert.match(lines[3], /served as no type/);
  assert.match(lines[4], /still starts/);
  assert.match(lines[5], /Access-Control-Allow-Origin.*connect-src.*data-base/);
  assert.match(lines[6], /does not allow WebAssembly\. Fix: add 'wasm-unsafe-eval' to its script-src/);
  assert.match(lines[7], /come from the same build/);
});

test('the CSP is recognised however the browser words it', () => {
  for (const message of ['Content Security Policy directive', 'Content-Security-Policy', "'unsafe-eval' is not an allowed", 'blocked by CSP']) {
    assert.match(failures.startFailure(URL, message, FILE), /Content-Security-Policy does not allow WebAssembly/, message);
  }
});

test('the console prefix', () => {
  assert.equal(failures.PREFIX, 'Leadmagnet: ');
});
