// Work claims as leases, with two worker pools on one PostgreSQL schema as two replicas would have: a
// long action keeps its lease and runs once; a worker cut off from the store stops acting once its lease
// runs out, and the other replica takes the work over and finishes it, with one attempt recorded.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../lib/clock.ts';
import { createLogger } from '../../lib/logger.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { LeaseLostError } from '../../server/queue/lease-keeper.ts';
import { WorkerPool, type WorkHandler } from '../../server/queue/worker-pool.ts';
import { PostgresStore } from '../../server/store/postgres/pg-store.ts';
import { StoreUnavailableError, type Notification, type Store } from '../../server/store/store.ts';
import { freshSchema, pgOptions } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

const LEASE_MS = 600;

function notification(fingerprint: string, agent: string): Notification {
  return {
    receivedAt: Date.now(), receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null,
    alerts: [{
      fingerprint, startsAt: '2026-12-07T10:00:00Z', status: 'firing', endsAt: null, labels: { agent }, annotations: {}, generatorURL: '',
      alertname: 'AgentDown', agent, target: agent, severity: 'critical', priority: 0,
    }],
  };
}

function pool(store: Store, handler: WorkHandler, instanceId: string): WorkerPool {
  const p: WorkerPool = new WorkerPool({
    store, handler, concurrency: 2, pollIntervalMs: 50, maxAttempts: 5, retryBackoffMs: 10, retryBackoffMaxMs: 50,
    clock: systemClock, log: createLogger('silent'), instanceId, leaseMs: LEASE_MS,
    metrics: createMetrics({ storeStats: () => store.stats(), workerStates: () => p.states() }, 'test'),
  });
  return p;
}

const attempt = (incidentId: number, workItemId: number, target: string, by: string) => ({
  incidentId, workItemId, target, strategy: 'restart', driver: 'test', mode: 'auto', outcome: 'succeeded', reason: `restarted by ${by}`,
  startedAt: Date.now(), finishedAt: Date.now(), details: {},
});

describe('work leases across two replicas', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function replicas(): Promise<[PostgresStore, PostgresStore]> {
    const schema = freshSchema();
    const a = await PostgresStore.open(pgOptions(schema));
    const b = await PostgresStore.open(pgOptions(schema));
    cleanup.push(() => a.close(), () => b.close());
    return [a, b];
  }

  it('keeps the lease of work that runs for several leases: the other replica never takes it, and it runs once', async () => {
    const [a, b] = await replicas();
    const ran: string[] = [];
    const slow = (by: string): WorkHandler => async (work) => {
      ran.push(by);
      await sleep(LEASE_MS * 3);
      return { attempt: attempt(work.incident.id, work.item.id, work.item.target, by) };
    };
    const { created } = await a.recordNotification(notification('slow', 'crewai-1'));
    const pa = pool(a, slow('a'), 'a');
    pa.start();
    await waitFor('a to claim it', async () => ran.length === 1);
    const pb = pool(b, slow('b'), 'b');
    pb.start();
    cleanup.push(() => pa.stop(2000), () => pb.stop(2000));
    await waitFor('the work done', async () => (await a.getIncident(created[0]!.id))!.work[0]!.state === 'done', 10_000);
    assert.deepEqual(ran, ['a']);
    const detail = (await b.getIncident(created[0]!.id))!;
    assert.equal(detail.work[0]!.attempts, 1);
    assert.deepEqual(detail.attempts.map((x) => x.reason), ['restarted by a']);
  });

  it('a replica cut off from the store stops acting when its lease runs out; the other takes the work over and finishes it once', async () => {
    const [a, b] = await replicas();
    // Replica a claims, then loses the store: its renewals (and claims) fail from then on.
    let cutOff = false;
    const aCut = new Proxy(a, {
      get(target, prop, receiver) {
        if ((prop === 'renewLease' || prop === 'claimNext') && cutOff) return async () => { throw new StoreUnavailableError('connection lost (test)'); };
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as Store;
    let aAborted: unknown;
    const stuck: WorkHandler = async (_work, ctx) => {
      cutOff = true;
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject((aAborted = ctx.signal.reason))));
      return {};
    };
    const { created } = await a.recordNotification(notification('cut', 'crewai-2'));
    const pa = pool(aCut, stuck, 'a');
    pa.start();
    await waitFor('a to claim it', async () => cutOff);
    const claimedAt = Date.now();
    let takenOver: string | null = null;
    const pb = pool(b, async (work) => {
      takenOver = work.item.lastError;
      return { attempt: attempt(work.incident.id, work.item.id, work.item.target, 'b') };
    }, 'b');
    pb.start();
    cleanup.push(() => pa.stop(2000), () => pb.stop(2000));
    await waitFor('b to finish it', async () => (await b.getIncident(created[0]!.id))!.work[0]!.state === 'done', 10_000);
    const tookMs = Date.now() - claimedAt;
    assert.ok(tookMs >= LEASE_MS * 0.8, `taken over after ${tookMs} ms, not before the lease ran out`);
    await waitFor('a to stop acting', async () => aAborted !== undefined);
    assert.ok(aAborted instanceof LeaseLostError, String(aAborted));
    const detail = (await b.getIncident(created[0]!.id))!;
    assert.equal(detail.work[0]!.attempts, 2, "a's interrupted attempt stays counted");
    assert.match(takenOver ?? '', /interrupted: the lease of a\/\d expired/, 'b was told it took the work over');
    assert.deepEqual(detail.attempts.map((x) => x.reason), ['restarted by b'], 'one action recorded, by the new owner');
  });
});
