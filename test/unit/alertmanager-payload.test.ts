import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAlertmanagerPayload } from '../../server/ingest/alertmanager-payload.ts';
import { toNotification } from '../../server/ingest/inbox.ts';
import { loadDelivery } from '../helpers/fixtures.ts';

const firing = () => structuredClone(loadDelivery('firing-agent-down').body) as any;

function problems(body: unknown): string[] {
  const r = parseAlertmanagerPayload(body);
  assert.equal(r.ok, false, 'expected the payload to be rejected');
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('parseAlertmanagerPayload', () => {
  for (const name of ['firing-agent-down', 'firing-two-alerts-one-group', 'resolved-agent-down'] as const) {
    it(`accepts the recorded Alertmanager 0.25 delivery ${name}`, () => {
      const r = parseAlertmanagerPayload(loadDelivery(name).body);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    });
  }

  it('tolerates keys that newer Alertmanagers add', () => {
    const body = { ...firing(), notification_reason: 'repeat', routeLabels: { team: 'sre' } };
    body.alerts[0].newField = 1;
    assert.ok(parseAlertmanagerPayload(body).ok);
  });

  const bad: [string, (b: any) => unknown, RegExp][] = [
    ['a body that is not an object', () => 42, /^\(body\): must be an object/],
    ['another payload version', (b) => ({ ...b, version: '3' }), /^version: must be "4"/],
    ['an empty alert list', (b) => ({ ...b, alerts: [] }), /^alerts: must hold at least one alert/],
    ['an alert without fingerprint', (b) => (delete b.alerts[0].fingerprint, b), /^alerts\[0\]\.fingerprint: must be a string/],
    ['an unknown alert status', (b) => ((b.alerts[0].status = 'pending'), b), /^alerts\[0\]\.status: must be one of "firing", "resolved"/],
    ['a startsAt that is not RFC 3339', (b) => ((b.alerts[0].startsAt = 'yesterday'), b), /^alerts\[0\]\.startsAt: must be an RFC 3339 timestamp/],
    ['a label that is not a string', (b) => ((b.alerts[0].labels.severity = 3), b), /^alerts\[0\]\.labels\.severity: must be a string/],
    ['a label name that needs quoting', (b) => ((b.alerts[0].labels['bad key'] = null), b), /^alerts\[0\]\.labels\["bad key"\]: must be a string/],
  ];
  for (const [what, mutate, expected] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      const found = problems(mutate(firing()));
      assert.ok(found.some((p) => expected.test(p)), found.join('\n'));
    });
  }

  it('names every offending field, not just the first', () => {
    const body = firing();
    body.alerts[0].startsAt = 'x';
    body.alerts[0].fingerprint = '';
    body.status = 'odd';
    delete body.groupKey;
    const paths = problems(body).map((p) => p.split(':')[0]);
    assert.deepEqual(paths.sort(), ['alerts[0].fingerprint', 'alerts[0].startsAt', 'groupKey', 'status']);
  });
});

describe('toNotification', () => {
  it('keys incidents by fingerprint and startsAt, targets the agent, and reads Go zero time as no end', () => {
    const r = parseAlertmanagerPayload(loadDelivery('firing-agent-down').body);
    assert.ok(r.ok);
    const [alert] = toNotification(r.payload, 1000, 'req-1').alerts;
    assert.equal(alert!.fingerprint, 'c6cd2679d1bf3925');
    assert.equal(alert!.startsAt, '2026-11-28T22:36:22.677664214Z');
    assert.equal(alert!.endsAt, null);
    assert.equal(alert!.target, 'crewai-7');
    assert.equal(alert!.priority, 0);
  });

  it('targets the fingerprint when there is no agent label, and ranks severities', () => {
    const body = firing();
    delete body.alerts[0].labels.agent;
    const order: [string | undefined, number][] = [['critical', 0], ['warning', 1], ['info', 2], ['page', 3], [undefined, 3]];
    for (const [severity, priority] of order) {
      if (severity === undefined) delete body.alerts[0].labels.severity;
      else body.alerts[0].labels.severity = severity;
      const r = parseAlertmanagerPayload(body);
      assert.ok(r.ok);
      const [alert] = toNotification(r.payload, 0, null).alerts;
      assert.equal(alert!.target, 'fingerprint:c6cd2679d1bf3925');
      assert.equal(alert!.priority, priority, `severity ${severity}`);
    }
  });

  it('keeps the endsAt of a resolved alert', () => {
    const r = parseAlertmanagerPayload(loadDelivery('resolved-agent-down').body);
    assert.ok(r.ok);
    assert.equal(toNotification(r.payload, 0, null).alerts[0]!.endsAt, '2026-11-28T22:36:27Z');
  });
});
