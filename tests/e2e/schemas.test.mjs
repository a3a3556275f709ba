// The two published JSON Schemas (issue 5): the demo offer configs match the offer schema,
// and the lead schema that every end-to-end test checks stored payloads against (see
// checkLead in harness.mjs) refuses what the documentation does not allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT, checkLead } from './harness.mjs';

const offerSchema = JSON.parse(readFileSync(join(ROOT, 'www/schema/offer.v1.json'), 'utf8'));
// schemars writes number formats (`double`, `uint32`) that are annotations, not checks.
const validateOffer = new Ajv2020({ allErrors: true, validateFormats: false }).compile(offerSchema);

const modelSchema = JSON.parse(readFileSync(join(ROOT, 'www/schema/scoring.v1.json'), 'utf8'));
const validateModel = new Ajv2020({ allErrors: true, validateFormats: false }).compile(modelSchema);

test('every demo offer config matches www/schema/offer.v1.json, the scoring model scoring.v1.json', () => {
  // scoring.json beside the offers is the account-wide scoring model (README).
  const offers = readdirSync(join(ROOT, 'www/offers')).filter((f) => f.endsWith('.json') && f !== 'scoring.json');
  assert.ok(offers.length >= 5);
  for (const file of offers) {
    const config = JSON.parse(readFileSync(join(ROOT, 'www/offers', file), 'utf8'));
    assert.ok(validateOffer(config), `${file}: ${JSON.stringify(validateOffer.errors)}`);
  }
  assert.equal(validateOffer({ version: 1, id: 'x' }), false, 'a config without offer, fields, endpoint');
  const model = JSON.parse(readFileSync(join(ROOT, 'www/offers/scoring.json'), 'utf8'));
  assert.ok(validateModel(model), `scoring.json: ${JSON.stringify(validateModel.errors)}`);
  assert.equal(validateModel({ ...model, feilds: [] }), false, 'a misspelt key');
  assert.equal(validateModel({ version: 1, fields: [] }), false, 'a model without scoring');
});

const good = {
  version: 1,
  lead_id: '3f2b8c1e-9a4d-4f6b-8c2d-1e5f7a9b0c3d',
  offer_id: 'ebook-lead-scoring',
  submitted_at: '2026-11-27T08:30:00.000Z',
  fields: { email: 'ann@contoso.example', consent: true, topics: ['scoring', 'routing'] },
  context: { page_url: 'https://www.example.com/ebook', locale: 'en', widget_version: '0.1.0' },
  score: {
    fit: 45, engagement: 0, total: 45, grade: 'A', level: 4, matrix: 'A4', stage: 'mql', queue: null,
    breakdown: [{ rule: 'mid-size', kind: 'fit', points: 15 }, { rule: 'visits', kind: 'engagement', points: 7.07, events: 3 }],
  },
};

test('the lead schema takes the documented payload and refuses each departure from it', () => {
  assert.doesNotThrow(() => checkLead(good));
  assert.doesNotThrow(() => checkLead({ ...good, lead_id: '019cc3f2-8b1e-7a4d-8f6b-1e5f7a9b0c3d' }), 'a v7 id');
  const broken = [
    [{ ...good, lead_id: 'not-a-uuid' }, /lead_id/],
    [{ ...good, lead_id: '019cc3f2-8b1e-6a4d-8f6b-1e5f7a9b0c3d' }, /lead_id/],
    [{ ...good, version: 2 }, /version/],
    [{ ...good, fields: { email: 42 } }, /fields/],
    [{ ...good, context: { ...good.context, secret: 'x' } }, /context/],
    [{ ...good, score: { ...good.score, stage: 'sql' } }, /stage/],
    [{ ...good, extra: true }, /additional/],
    [(({ submitted_at, ...rest }) => rest)(good), /submitted_at/],
  ];
  for (const [payload, named] of broken) {
    assert.throws(() => checkLead(payload), named);
  }
});
