// Hostile deliveries against the webhook, in process so that prototype pollution would be visible here:
// each gets a clear 4xx or is recorded safely, the service keeps answering, and every log line stays one
// JSON object (no forging).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliver, getJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';

const TOKEN = 'hostile-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const alert = (fingerprint: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  status: 'firing', labels: { alertname: 'AgentDown', ...labels }, annotations: {}, startsAt: '2026-11-28T22:36:22Z', fingerprint, ...extra,
});
const delivery = (alerts: unknown[]) => ({ version: '4', receiver: 'medic', status: 'firing', groupKey: 'g', alerts });

describe('hostile deliveries', () => {
  let medic: TestService;
  let hook: string;
  before(async () => {
    // The backlog bound has its own test (back-pressure.test.ts); 10,000 alerts at once must not meet it here.
    const dir = tempDir('medic-hostile-');
    writeFileSync(join(dir, 'medic.yaml'), 'server:\n  max_backlog: 100000\n');
    medic = await startTestService({ env: { MEDIC_WEBHOOK_TOKEN: TOKEN }, flags: { config: join(dir, 'medic.yaml') } });
    hook = `${medic.url}/webhook/alertmanager`;
  });
  after(() => medic.dispose());

  const incidentsOf = (fingerprints: string[]) => {
    const db = new Database(medic.sqlitePath, { readonly: true });
    try {
      return db.prepare(`SELECT fingerprint, severity FROM incidents WHERE fingerprint IN (${fingerprints.map(() => '?').join(',')})`).all(...fingerprints) as { fingerprint: string; severity: string }[];
    } finally {
      db.close();
    }
  };

  // Finding 1 of the hardening issue: a severity named after an Object.prototype member made the whole
  // delivery 503 for ever, and Alertmanager retried it for ever with the good alerts beside it.
  it('records alerts whose severity is constructor, __proto__ or toString, with the other alerts of their delivery', async () => {
    const body = delivery([
      alert('sev-ctor', { severity: 'constructor', agent: 'crewai-1' }),
      alert('sev-proto', { severity: '__proto__', agent: 'crewai-2' }),
      alert('sev-tostring', { severity: 'toString', agent: 'crewai-3' }),
      alert('sev-good', { severity: 'critical', agent: 'crewai-4' }),
    ]);
    const r = await deliver(hook, body, AUTH);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.recorded.created.length, 4);
    const rows = incidentsOf(['sev-ctor', 'sev-proto', 'sev-tostring', 'sev-good']);
    assert.deepEqual(rows.map((x) => x.severity).sort(), ['__proto__', 'constructor', 'critical', 'toString']);
  });

  it('keeps __proto__ and constructor keys in labels and annotations as data: no prototype is polluted', async () => {
    const raw = `{"version":"4","receiver":"m","status":"firing","groupKey":"g","alerts":[{"status":"firing",
      "labels":{"alertname":"AgentDown","agent":"crewai-5","__proto__":{"polluted":"yes"},"constructor":"c"},
      "annotations":{"__proto__":"x","prototype":{"polluted":"yes"}},"startsAt":"2026-11-28T22:36:22Z","fingerprint":"proto-keys"}]}`;
    const r = await deliver(hook, raw, AUTH);
    // The label values must be strings: an object under __proto__ is refused or dropped, never merged.
    assert.ok(r.status === 200 || r.status === 400, `${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  it('records control characters in labels as data, and no log line is forged by them', async () => {
    const forged = 'x"}\n{"level":50,"msg":"forged"}\r\u0000\u001b[31m';
    const r = await deliver(hook, delivery([alert('ctrl-chars', { agent: forged, severity: 'warning' }, { annotations: { summary: forged } })]), AUTH);
    assert.equal(r.status, 200);
    assert.ok(!medic.logs.some((l) => l.msg === 'forged'), 'a log line was forged');
    assert.deepEqual(incidentsOf(['ctrl-chars']).length, 1);
  });

  it('answers invalid UTF-8 and deep nesting with a 4xx and keeps serving', async () => {
    const bad = Buffer.concat([Buffer.from('{"version":"4","receiver":"\xff'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","alerts":[]}')]);
    const invalidUtf8 = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: bad });
    assert.ok(invalidUtf8.status >= 400 && invalidUtf8.status < 500, `invalid UTF-8: ${invalidUtf8.status}`);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const nested = await deliver(hook, deep, AUTH);
    assert.ok(nested.status >= 400 && nested.status < 500, `deep nesting: ${nested.status}`);
    const health = await getJson(`${medic.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('answers a megabyte label beyond the body limit with 413 naming the setting', async () => {
    const r = await deliver(hook, delivery([alert('huge', { agent: 'a'.repeat(2 * 1024 * 1024) })]), AUTH);
    assert.equal(r.status, 413);
    assert.match(r.body.error, /server\.body_limit/);
  });

  it('records 10,000 alerts of one delivery (within the default 1 MiB body limit), each once', async () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({ status: 'firing', labels: { alertname: 'X' }, startsAt: '2026-11-28T22:36:22Z', fingerprint: `m${i}` }));
    assert.ok(JSON.stringify(delivery(alerts)).length < 1024 * 1024);
    const r = await deliver(hook, delivery(alerts), AUTH);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.recorded.created.length, 10_000);
    const again = await deliver(hook, delivery(alerts), AUTH);
    assert.equal(again.recorded.duplicates, 10_000);
  });

  it('refuses dates outside what Alertmanager sends with 400 naming the field, and records far but real ones', async () => {
    const refused = await deliver(hook, delivery([alert('date-bad', {}, { startsAt: '2026-13-45T99:00:00Z' })]), AUTH);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.problems[0].path, 'alerts[0].startsAt');
    const far = await deliver(hook, delivery([
      alert('date-past', { agent: 'crewai-8' }, { startsAt: '0001-01-02T00:00:00Z' }),
      alert('date-future', { agent: 'crewai-9' }, { startsAt: '9999-12-31T23:59:59Z' }),
    ]), AUTH);
    assert.equal(far.status, 200, JSON.stringify(far.body));
    assert.equal(incidentsOf(['date-past', 'date-future']).length, 2);
  });
});
