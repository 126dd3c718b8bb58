// The hand-written check of common payloads must never accept what the schema refuses, and must give
// the same payload when it accepts: checked on the recorded deliveries and on thousands of seeded
// mutations of them (wrong types, missing fields, own __proto__ keys, impossible dates, long strings).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertmanagerPayloadSchema } from '../../server/ingest/alertmanager-payload.ts';
import { parseCommonPayload } from '../../server/ingest/payload-fast-path.ts';
import { seededRandom } from '../../lib/random.ts';
import { loadDelivery } from '../helpers/fixtures.ts';

const NAMES = ['firing-agent-down', 'firing-two-alerts-one-group', 'resolved-agent-down'] as const;

const VALUES: unknown[] = [
  undefined, null, 0, -1, 1.5, 2 ** 60, true, '', 'x', 'firing', 'resolved', '4', 4, [], ['a'], {}, { a: 'b' }, { a: 1 },
  '2026-11-28T22:36:22Z', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T25:61:00Z', '2026-11-28 22:36:22', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+14:00',
  'f'.repeat(128), 'f'.repeat(129), 'OWN_PROTO',
];

type Json = Record<string, unknown>;

/** An object with an own `__proto__` key, as JSON.parse makes one from hostile input. */
function ownProto(): Json {
  return JSON.parse('{"__proto__": {"polluted": "yes"}, "k": "v"}') as Json;
}

function mutate(body: Json, rnd: () => number): void {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  const alerts = Array.isArray(body.alerts) ? (body.alerts as unknown[]) : [];
  const alert = alerts[Math.floor(rnd() * alerts.length)];
  const holders: unknown[] = [body, body, body.commonLabels];
  if (isObj(alert)) holders.push(alert, alert, alert, alert.labels, alert.annotations);
  const holder = pick(holders);
  if (!isObj(holder)) return;
  const keys = [...Object.keys(holder), 'extra', 'truncatedAlerts', 'endsAt', '__proto__'];
  const key = pick(keys);
  let value = pick(VALUES);
  if (value === 'OWN_PROTO') value = ownProto();
  if (key === '__proto__') {
    Object.defineProperty(holder, '__proto__', { value, enumerable: true, configurable: true, writable: true });
  } else if (value === undefined) {
    delete holder[key];
  } else {
    holder[key] = value;
  }
}

describe('parseCommonPayload', () => {
  for (const name of NAMES) {
    it(`takes the recorded delivery ${name} and gives what the schema gives`, () => {
      const text = JSON.stringify(loadDelivery(name).body);
      const fast = parseCommonPayload(JSON.parse(text));
      const slow = AlertmanagerPayloadSchema.safeParse(JSON.parse(text));
      assert.ok(fast, 'the common path refused a real delivery');
      assert.ok(slow.success);
      assert.deepStrictEqual(fast, slow.data);
    });
  }

  it('fills in the defaults the schema fills in', () => {
    const body = structuredClone(loadDelivery('firing-agent-down').body) as Json;
    for (const k of ['truncatedAlerts', 'externalURL', 'groupLabels', 'commonLabels', 'commonAnnotations']) delete body[k];
    const alert = (body.alerts as Json[])[0]!;
    delete alert.annotations;
    delete alert.generatorURL;
    delete alert.endsAt;
    const text = JSON.stringify(body);
    const fast = parseCommonPayload(JSON.parse(text));
    assert.ok(fast);
    assert.deepStrictEqual(fast, AlertmanagerPayloadSchema.parse(JSON.parse(text)));
  });

  it('never accepts what the schema refuses, and agrees with it on what both accept (4,000 seeded mutations)', () => {
    const rnd = seededRandom(20261202);
    let bothAccepted = 0;
    let schemaOnly = 0;
    let bothRefused = 0;
    for (let i = 0; i < 4000; i++) {
      const body = structuredClone(loadDelivery(NAMES[i % NAMES.length]!).body) as Json;
      const steps = 1 + Math.floor(rnd() * 3);
      for (let s = 0; s < steps; s++) mutate(body, rnd);
      const text = JSON.stringify(body);
      const fast = parseCommonPayload(JSON.parse(text));
      const slow = AlertmanagerPayloadSchema.safeParse(JSON.parse(text));
      if (fast) {
        assert.ok(slow.success, `the common path accepted what the schema refuses: ${text}`);
        assert.deepStrictEqual(fast, slow.data, text);
        bothAccepted++;
      } else if (slow.success) schemaOnly++;
      else bothRefused++;
    }
    // Both sides of the comparison were exercised, or the test proves nothing.
    assert.ok(bothAccepted > 300, `accepted by both: ${bothAccepted}`);
    assert.ok(bothRefused > 300, `refused by both: ${bothRefused}`);
    assert.ok(schemaOnly > 10, `left to the schema and accepted there: ${schemaOnly}`);
  });

  it('leaves an own __proto__ key to the schema, at every level', () => {
    for (const where of ['body', 'alert', 'labels']) {
      const body = structuredClone(loadDelivery('firing-agent-down').body) as Json;
      const alert = (body.alerts as Json[])[0]!;
      const holder = where === 'body' ? body : where === 'alert' ? alert : (alert.labels as Json);
      Object.defineProperty(holder, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true });
      assert.equal(parseCommonPayload(JSON.parse(JSON.stringify(body))), undefined, where);
    }
  });
});
