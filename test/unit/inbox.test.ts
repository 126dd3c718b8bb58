// The inbox rules, without a database: what a first delivery opens and queues, what a later delivery of
// a known alert does, and which work a resolve cancels. The SQL that applies them is covered by
// test/integration/store-contract.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideKnownAlert, openIncident, resolveCancels, toReceivedAlert, UNKNOWN_SEVERITY_PRIORITY } from '../../server/ingest/inbox.ts';
import type { AlertStatus, ReceivedAlert, WorkState } from '../../server/store/store.ts';

const NOW = 1_700_000_000_000;

function alert(status: AlertStatus, labels: Record<string, string> = { alertname: 'AgentDown', agent: 'crewai-7', severity: 'critical' }): ReceivedAlert {
  return toReceivedAlert({
    fingerprint: 'f00d',
    status,
    startsAt: '2026-11-28T22:36:22.677664214Z',
    endsAt: status === 'resolved' ? '2026-11-28T22:41:22Z' : '0001-01-01T00:00:00Z',
    labels,
    annotations: { summary: 'down' },
    generatorURL: 'http://prometheus/graph',
  });
}

describe('openIncident', () => {
  it('opens a firing alert as a firing incident with one delivery, keyed by fingerprint and startsAt', () => {
    const { incident } = openIncident(alert('firing'), NOW);
    assert.deepEqual(incident, {
      fingerprint: 'f00d',
      startsAt: '2026-11-28T22:36:22.677664214Z',
      alertname: 'AgentDown',
      agent: 'crewai-7',
      target: 'crewai-7',
      severity: 'critical',
      status: 'firing',
      labels: { alertname: 'AgentDown', agent: 'crewai-7', severity: 'critical' },
      annotations: { summary: 'down' },
      generatorURL: 'http://prometheus/graph',
      firstSeenAt: NOW,
      lastSeenAt: NOW,
      endsAt: null,
      resolvedAt: null,
      deliveries: 1,
      duplicates: 0,
      anomaly: null,
    });
  });

  it('records an alert first seen resolved as resolved now, keeping the endsAt Alertmanager sent', () => {
    const { incident } = openIncident(alert('resolved'), NOW);
    assert.equal(incident.status, 'resolved');
    assert.equal(incident.resolvedAt, NOW);
    assert.equal(incident.endsAt, '2026-11-28T22:41:22Z');
  });

  const work: [string, ReceivedAlert, { target: string; priority: number } | null][] = [
    ['a critical alert queues work first in line', alert('firing'), { target: 'crewai-7', priority: 0 }],
    ['a warning runs after critical', alert('firing', { agent: 'crewai-7', severity: 'warning' }), { target: 'crewai-7', priority: 1 }],
    ['an info alert runs after warning', alert('firing', { agent: 'crewai-7', severity: 'info' }), { target: 'crewai-7', priority: 2 }],
    [
      'an alert of unknown severity runs last',
      alert('firing', { agent: 'crewai-7', severity: 'page' }),
      { target: 'crewai-7', priority: UNKNOWN_SEVERITY_PRIORITY },
    ],
    ['an alert without an agent label queues work for its fingerprint', alert('firing', { severity: 'critical' }), { target: 'fingerprint:f00d', priority: 0 }],
    ['an alert first seen resolved queues nothing: there is nothing left to heal', alert('resolved'), null],
  ];
  for (const [what, received, expected] of work) {
    it(`queues work due at once for the target: ${what}`, () => {
      assert.deepEqual(openIncident(received, NOW).work, expected && { ...expected, notBefore: NOW });
    });
  }
});

describe('decideKnownAlert', () => {
  const cases: [AlertStatus, AlertStatus, 'resolve' | 'duplicate', string][] = [
    ['firing', 'resolved', 'resolve', 'the first resolve of a firing incident closes it'],
    ['firing', 'firing', 'duplicate', 'the same firing alert again (repeat_interval, a retry, an HA peer) only counts'],
    ['resolved', 'resolved', 'duplicate', 'a repeated resolve only counts'],
    ['resolved', 'firing', 'duplicate', 'a late firing copy does not reopen a resolved incident'],
  ];
  for (const [incident, received, kind, what] of cases) {
    it(`${what} (incident ${incident}, alert ${received})`, () => {
      assert.equal(decideKnownAlert({ status: incident }, alert(received), NOW).kind, kind);
    });
  }

  it('closes with the endsAt Alertmanager sent and the time Medic recorded it', () => {
    assert.deepEqual(decideKnownAlert({ status: 'firing' }, alert('resolved'), NOW), {
      kind: 'resolve',
      endsAt: '2026-11-28T22:41:22Z',
      resolvedAt: NOW,
    });
  });

  it('marks a duplicate as seen now', () => {
    assert.deepEqual(decideKnownAlert({ status: 'firing' }, alert('firing'), NOW), { kind: 'duplicate', seenAt: NOW });
  });
});

describe('resolveCancels', () => {
  const cases: [WorkState, number | null, boolean, string][] = [
    ['pending', null, true, 'work never claimed'],
    ['pending', NOW - 5_000, false, 'work claimed before and waiting between its steps (deferred, retried or released)'],
    ['running', NOW - 5_000, false, 'work running now: it finishes or winds back on its own'],
    ['done', NOW - 5_000, false, 'work already done'],
    ['failed', NOW - 5_000, false, 'work already failed'],
    ['cancelled', null, false, 'work already cancelled'],
  ];
  for (const [state, claimedAt, cancels, what] of cases) {
    it(`${cancels ? 'cancels' : 'leaves'} ${what}`, () => {
      assert.equal(resolveCancels({ state, claimedAt }), cancels);
    });
  }
});
