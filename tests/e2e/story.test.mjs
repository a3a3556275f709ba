// The lead-management story of issue 16, end to end in Chromium against the real collector,
// with both clocks under the test's control (the browser's through Playwright, the
// collector's through `serve --test-clock`): a visitor downloads the eBook with marketing
// consent, below the MQL line; reads /pricing.html on three later days and becomes an MQL
// without another form; sales hears it once by webhook and once by email (a real SMTP
// receiver on 127.0.0.1), each naming the cause; taking the quiz afterwards adds a second
// submission to the same person; the inbox shows one person with both submissions and
// the page views in one timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOKEN, launch, startCollector, until, widgetReady } from './harness.mjs';

const DAY = 86_400_000;
let collector;
let browser;
let hooks;
let smtp;
const webhooks = [];
const mails = [];

/** A plain SMTP receiver (as a local relay speaks it): each message's recipients and text. */
function smtpReceiver() {
  return createTcp((socket) => {
    let data = null;
    let to = [];
    let buffer = '';
    socket.write('220 receiver.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (let i; (i = buffer.indexOf('\r\n')) >= 0;) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data !== null) {
          if (line === '.') {
            mails.push({ to, text: data.join('\n') });
            [data, to] = [null, []];
            socket.write('250 queued\r\n');
          } else {
            data.push(line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'RCPT') to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, '$1'));
        if (verb === 'DATA') {
          data = [];
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else {
          socket.write(verb === 'EHLO' ? '250 receiver.test\r\n' : '250 OK\r\n');
        }
      }
    });
    socket.on('error', () => {});
  });
}

before(async () => {
  hooks = createHttp((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      webhooks.push({ path: req.url, signature: req.headers['leadmagnet-signature'], body });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => hooks.listen(0, '127.0.0.1', ok));
  smtp = smtpReceiver();
  await new Promise((ok) => smtp.listen(0, '127.0.0.1', ok));
  // The demo's account-wide model with the mid-market queue's webhook and owner; MQL at 60
  // and no points for coming back, so that the third day's pricing page is what tips it.
  const model = JSON.parse(readFileSync(join(ROOT, 'www/offers/scoring.json'), 'utf8'));
  model.scoring.engagement = model.scoring.engagement.filter((r) => r.id !== 'came-back');
  model.scoring.mql.min_total = 60;
  model.queues = { 'mid-market': { owners: ['ann@sales.example'],
    webhook: `http://127.0.0.1:${hooks.address().port}/mql`, secret_env: 'MQL_KEY' } };
  collector = await startCollector({
    flags: ['--min-fill-seconds', '0', '--proof-of-work', '0', '--test-clock'],
    env: { LEADMAGNET_SMTP_URL: `smtp://127.0.0.1:${smtp.address().port}`,
      LEADMAGNET_MAIL_FROM: 'Leadmagnet <leads@collector.example>', MQL_KEY: 'story-signing-key' },
    files: { 'scoring.json': JSON.stringify(model) },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  hooks?.close();
  smtp?.close();
});

async function admin(path, init = {}) {
  const res = await fetch(`${collector.url}${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  assert.ok(res.ok, `${path}: ${res.status}`);
  return res.json();
}

/** The person of `email` as the API shows them. */
async function person(email) {
  const { contacts } = await admin('/api/v1/contacts?limit=1000');
  const row = contacts.find((c) => c.email === email);
  return row && admin(`/api/v1/contacts/${row.contact_id}`);
}

test('a visitor who reads the pricing page on three later days becomes an MQL without another form, sales hears it once, and the inbox shows one person', async () => {
  const start = Date.now();
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const email = `story-${start}@contoso.example`;

  // Day 0: the eBook, with marketing consent: fit 20 (B) + downloaded 15 = 35, below 60.
  await context.clock.setFixedTime(new Date(start));
  await page.goto(`${collector.url}/`);
  await widgetReady(page);
  await page.getByLabel('Business email').fill(email);
  await page.getByLabel('Company', { exact: true }).fill('Contoso');
  await page.getByLabel('Company size').selectOption('50-249');
  await page.getByLabel('Send me the monthly lead-management newsletter').check();
  await page.getByLabel('I agree that Leadmagnet may process my details').check();
  await page.getByRole('button', { name: 'Get the free eBook' }).click();
  await page.getByText('Thank you! Your copy is ready.').waitFor();
  const first = await until(() => person(email), 10000, 'the person');
  assert.equal(first.stage, 'inquiry');
  assert.ok(first.score.total < 60, JSON.stringify(first.score));

  // Days 1, 2 and 3: the pricing page, and the collector's clock a day on each time.
  for (const day of [1, 2, 3]) {
    await admin('/api/v1/test/clock', { method: 'POST', body: JSON.stringify({ advance_ms: DAY }) });
    await context.clock.setFixedTime(new Date(start + day * DAY));
    await page.goto(`${collector.url}/pricing.html`);
    const seen = await until(async () => {
      const p = await person(email);
      return p.events.filter((e) => e.url === `${collector.url}/pricing.html`).length === day && p;
    }, 10000, `day ${day}'s page view on the person`);
    assert.equal(seen.stage, day < 3 ? 'inquiry' : 'mql', `day ${day}: total ${seen.score.total}`);
  }

  // Sales hears it once by webhook and once by email, each naming the cause.
  await until(() => webhooks.length >= 1 && mails.length >= 1, 15000, 'the notifications');
  const [hook] = webhooks;
  const notice = JSON.parse(hook.body);
  assert.equal(notice.event, 'mql');
  assert.equal(notice.email, email);
  assert.equal(notice.queue, 'mid-market');
  assert.match(JSON.stringify(notice.cause), /pricing-visit/);
  assert.match(hook.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.deepEqual(mails[0].to, ['ann@sales.example']);
  assert.match(mails[0].text, /pricing-visit/);

  // The quiz, afterwards: a second submission of the same person.
  await page.goto(`${collector.url}/quiz.html`);
  await widgetReady(page);
  const host = page.locator('[data-leadmagnet]');
  await host.getByText('With explicit rules').click();
  await host.getByText('Gated content').click();
  await host.getByRole('button', { name: 'Next' }).click();
  await host.getByText('Step 2 of 3').waitFor();
  await host.getByRole('radio').first().check();
  await host.getByRole('button', { name: 'Next' }).click();
  await host.getByText('Step 3 of 3').waitFor();
  const quizEmail = host.locator('#lm-f-email');
  if (await quizEmail.isVisible()) await quizEmail.fill(email);
  const consent = host.getByRole('checkbox');
  for (const box of await consent.all()) if (!(await box.isChecked())) await box.check();
  await host.getByRole('button', { name: 'Show my result' }).click();
  await host.locator('.lm-result-value').waitFor();
  const both = await until(async () => {
    const p = await person(email);
    return p.submissions.length === 2 && p;
  }, 10000, 'the quiz on the same person');
  assert.deepEqual(both.submissions.map((s) => s.offer_id).sort(), ['ebook-lead-scoring', 'lead-maturity-quiz']);
  await page.waitForTimeout(2500);
  assert.equal(webhooks.length, 1, 'one webhook, however much followed');
  assert.equal(mails.length, 1, 'one email');

  // The inbox: one person, both submissions and the page views in one timeline; its one
  // script runs under the inbox's CSP without a violation.
  const inbox = await context.newPage();
  const problems = [];
  inbox.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await context.clock.setFixedTime(new Date(start + 3 * DAY));
  await inbox.goto(`${collector.url}/inbox/contacts`);
  await inbox.getByLabel('Your token').fill(TOKEN);
  await inbox.getByRole('button', { name: 'Log in' }).click();
  await inbox.goto(`${collector.url}/inbox/contacts`);
  await inbox.getByRole('link', { name: email }).click();
  await inbox.getByRole('heading', { name: email }).waitFor();
  const text = await inbox.locator('main').innerText();
  assert.equal((text.match(/read a page/g) || []).length >= 3, true, text);
  assert.match(text, /sent a form\s+ebook-lead-scoring/);
  assert.match(text, /sent a form\s+lead-maturity-quiz/);
  assert.match(text, /→ MQL/);
  const times = await inbox.locator('time').first().textContent();
  assert.doesNotMatch(times, /UTC$/, 'shown in the reader\'s zone by the script');
  assert.deepEqual(problems, [], 'no CSP violation');
  await context.close();
});
