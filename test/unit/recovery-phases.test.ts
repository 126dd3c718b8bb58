// Time to recovery counts from the alert's start, and its phases add up to it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recovery } from '../../remediations/act/perform-action.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { metricsObserver } from '../../server/queue/remediation-handler.ts';

const T = Date.parse('2026-12-01T10:00:00Z');

describe('recovery', () => {
  it('runs from the alert\'s startsAt through routing, queueing, action and verification', () => {
    const r = recovery({ startsAt: new Date(T).toISOString(), firstSeenAt: T + 10_000 },
      { strategy: 'restart', tier: 'standard', fault: 'agent-down (alertname is AgentDown)', actionStart: T + 12_000, actedAt: T + 13_000, verifiedAt: T + 40_000 });
    assert.deepEqual(r, { strategy: 'restart', tier: 'standard', fault: 'agent-down', seconds: 40, phases: { routing: 10, queueing: 2, action: 1, verification: 27 } });
  });

  it('starts at Medic\'s first sight when startsAt is missing, invalid or later', () => {
    for (const startsAt of [undefined, 'not a time', '0001-01-01T00:00:00Z', new Date(T + 60_000).toISOString()]) {
      const r = recovery({ startsAt, firstSeenAt: T }, { strategy: 'scale', tier: 't', fault: '', actionStart: T + 1000, actedAt: T + 2000, verifiedAt: T + 5000 });
      assert.equal(r.seconds, 5, String(startsAt));
      assert.equal(r.phases.routing, 0);
      assert.equal(r.fault, 'unknown');
      assert.equal(Object.values(r.phases).reduce((a, b) => a + b, 0), r.seconds);
    }
  });
});

// Prometheus's increase() reads a series born at its first observation as no increase: the first recovery
// of a kind, or the first held incident, would never reach a dashboard. Those series exist at zero first.
describe('recovery metrics before the first observation', () => {
  const fresh = () => createMetrics({ storeStats: () => Promise.reject(new Error('no store in this test')), workerStates: () => ({ busy: 0, idle: 1 }) }, 'test');
  const count = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1];

  it('exports every guard\'s wait and every phase at zero once the engine reports to it', async () => {
    const m = fresh();
    metricsObserver(m);
    const text = await m.registry.metrics();
    for (const guard of ['concurrency', 'blast_radius_type', 'blast_radius_fleet', 'budget', 'mode']) {
      assert.equal(count(text, `medic_guard_wait_seconds_count{guard="${guard}"}`), '0', guard);
    }
    for (const phase of ['routing', 'queueing', 'action', 'verification']) assert.equal(count(text, `medic_recovery_phase_seconds_count{phase="${phase}"}`), '0', phase);
  });

  it('creates the time-to-recovery series at zero when an action starts, and counts the recovery on it', async () => {
    const m = fresh();
    const observer = metricsObserver(m);
    const series = 'medic_time_to_recovery_seconds_count{strategy="restart",tier="standard",fault="agent-down"}';
    assert.equal(count(await m.registry.metrics(), series), undefined, 'no series before any action');
    observer.acting({ strategy: 'restart', tier: 'standard', fault: 'agent-down' });
    assert.equal(count(await m.registry.metrics(), series), '0');
    observer.recovered(recovery({ startsAt: undefined, firstSeenAt: T }, { strategy: 'restart', tier: 'standard', fault: 'agent-down (x)', actionStart: T, actedAt: T + 1000, verifiedAt: T + 3000 }));
    assert.equal(count(await m.registry.metrics(), series), '1');
  });
});
