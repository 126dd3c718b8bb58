// Finding 6 of the hardening issue: work that gave up after its attempts was logged and left, with no
// escalation and its attempt "in_progress" for ever. Now what it left under way is closed as failed and
// a human is told once, whether the tries were spent by crashes or an error could never succeed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import type { Notification } from '../../server/store/store.ts';
import { DriverError } from '../../remediations/types.ts';
import { metricValue, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const notification = (fingerprint: string): Notification => ({
  receivedAt: Date.now(), receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null,
  alerts: [{
    fingerprint, startsAt: '2026-11-28T22:36:22Z', status: 'firing', endsAt: null, labels: { alertname: 'AgentDown', agent: 'crewai-1' },
    annotations: {}, generatorURL: '', alertname: 'AgentDown', agent: 'crewai-1', target: 'crewai-1', severity: 'critical', priority: 0,
  }],
});

const underWay = (incidentId: number, workItemId: number) => ({
  incidentId, workItemId, target: 'crewai-1', strategy: 'restart', driver: 'http', mode: 'auto', outcome: 'in_progress',
  reason: 'restart crewai-1', startedAt: Date.now(), finishedAt: null, details: {}, agentType: 'crewai', alertname: 'AgentDown',
});

let medic: TestService | undefined;
afterEach(async () => {
  await medic?.dispose();
  medic = undefined;
});

async function expectAbandoned(incidentId: number, error: RegExp) {
  await waitFor('the work to fail', async () => (await medic!.store.getIncident(incidentId))!.work[0]!.state === 'failed');
  const detail = (await medic!.store.getIncident(incidentId))!;
  assert.deepEqual(detail.attempts.filter((a) => a.outcome === 'in_progress'), [], 'nothing left in progress');
  const restart = detail.attempts.find((a) => a.strategy === 'restart')!;
  assert.equal(restart.outcome, 'failed');
  assert.match(restart.reason, /^abandoned: /);
  const escalations = detail.attempts.filter((a) => a.outcome === 'escalated');
  assert.equal(escalations.length, 1, 'escalated once');
  assert.equal(escalations[0]!.details.escalation, 'work_failed');
  assert.match(escalations[0]!.reason, error);
  assert.match(escalations[0]!.reason, /restart was under way and is recorded as failed; check crewai-1 by hand/);
  const metrics = await (await fetch(`${medic!.url}/metrics`)).text();
  assert.equal(metricValue(metrics, 'medic_escalations_total{reason="work_failed"}'), 1);
}

describe('work given up', () => {
  it('after a crash loop spent its attempts: the restart under way is failed and the incident escalated', async () => {
    const dataDir = tempDir('medic-gaveup-');
    const store = SqliteStore.open({ path: join(dataDir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 50 });
    const { created } = await store.recordNotification(notification('crashloop'));
    for (let i = 0; i < 5; i++) {
      const claimed = await store.claimNext('crashed', Date.now());
      if (i === 0) await store.recordAttempt(underWay(created[0]!.id, claimed!.item.id));
      await store.recoverInterrupted(Date.now());
    }
    await store.close();
    let calls = 0;
    medic = await startTestService({ dataDir, handler: async () => { calls++; return {}; } });
    await expectAbandoned(created[0]!.id, /gave up after 5 attempts/);
    assert.equal(calls, 0, 'the item that kept killing the process is not run again');
  });

  it('after a terminal error: the same', async () => {
    medic = await startTestService({
      handler: async ({ item, incident }) => {
        await medic!.store.recordAttempt(underWay(incident.id, item.id));
        throw new DriverError('POST /restart answered 400', false);
      },
    });
    const { created } = await medic.store.recordNotification(notification('terminal'));
    medic.pool.wake();
    await expectAbandoned(created[0]!.id, /POST \/restart answered 400 \(terminal error\)/);
  });
});
