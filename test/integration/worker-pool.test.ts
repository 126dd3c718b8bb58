import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../lib/clock.ts';
import { dryRunHandler } from '../../server/queue/dry-run-handler.ts';
import { createLogger } from '../../lib/logger.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import type { ClaimedWork, Notification, Store } from '../../server/store/store.ts';
import { WorkerPool, type WorkHandler } from '../../server/queue/worker-pool.ts';
import { DriverError } from '../../remediations/types.ts';
import { tempDir } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const silent = createLogger('silent');

function openStore(): Store {
  return SqliteStore.open({ path: join(tempDir('medic-pool-'), 'medic.db'), synchronous: 'normal', busyTimeoutMs: 50 });
}

function notification(alerts: { fingerprint: string; agent: string; severity?: string }[]): Notification {
  return {
    receivedAt: Date.now(), receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null,
    alerts: alerts.map((a) => ({
      fingerprint: a.fingerprint, startsAt: '2026-11-28T22:36:22Z', status: 'firing', endsAt: null,
      labels: { agent: a.agent }, annotations: {}, generatorURL: '', alertname: 'AgentDown', agent: a.agent, target: a.agent,
      severity: a.severity ?? 'critical', priority: 0,
    })),
  };
}

function makePool(store: Store, handler: WorkHandler, over: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {}) {
  const pool: WorkerPool = new WorkerPool({
    store, handler, concurrency: 4, pollIntervalMs: 20, maxAttempts: 3, retryBackoffMs: 5, retryBackoffMaxMs: 20,
    clock: systemClock, log: silent, instanceId: 'test',
    metrics: createMetrics({ storeStats: () => store.stats(), workerStates: () => pool.states() }, 'test'),
    ...over,
  });
  return pool;
}

async function workStates(store: Store, incidentIds: number[]): Promise<string[]> {
  return Promise.all(incidentIds.map(async (id) => (await store.getIncident(id))!.work[0]!.state));
}

describe('WorkerPool', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('processes every queued incident with the dry-run handler and records "would heal"', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }, { fingerprint: 'b', agent: 'y' }]));
    const pool = makePool(store, dryRunHandler(systemClock, 0));
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await waitFor('both items done', async () => (await workStates(store, created.map((c) => c.id))).every((s) => s === 'done'));
    const detail = await store.getIncident(created[0]!.id);
    assert.equal(detail!.attempts[0]!.outcome, 'would_heal');
    assert.match(detail!.attempts[0]!.reason, /would heal AgentDown on x/);
  });

  it('runs at most one item per target and at most `concurrency` items at once', async () => {
    const store = openStore();
    const agents = ['a', 'b', 'c', 'd', 'e', 'f'];
    const alerts = agents.flatMap((agent) => [0, 1, 2].map((i) => ({ fingerprint: `${agent}${i}`, agent })));
    const { created } = await store.recordNotification(notification(alerts));
    const running = new Map<string, number>();
    let now = 0;
    let peak = 0;
    let peakPerTarget = 0;
    const handler: WorkHandler = async ({ item }) => {
      running.set(item.target, (running.get(item.target) ?? 0) + 1);
      now++;
      peak = Math.max(peak, now);
      peakPerTarget = Math.max(peakPerTarget, running.get(item.target)!);
      await sleep(5);
      running.set(item.target, running.get(item.target)! - 1);
      now--;
      return {};
    };
    const pool = makePool(store, handler, { concurrency: 3 });
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await waitFor('all done', async () => (await workStates(store, created.map((c) => c.id))).every((s) => s === 'done'));
    assert.equal(peakPerTarget, 1);
    assert.equal(peak, 3);
  });

  it('retries a failing handler with backoff, then fails the item at max_attempts', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    const calls: number[] = [];
    const pool = makePool(store, async () => {
      calls.push(Date.now());
      throw new Error('driver timed out');
    });
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await waitFor('item failed', async () => (await workStates(store, [created[0]!.id]))[0] === 'failed');
    assert.equal(calls.length, 3);
    const work = (await store.getIncident(created[0]!.id))!.work[0]!;
    assert.equal(work.attempts, 3);
    assert.equal(work.lastError, 'driver timed out');
    assert.ok(calls[2]! - calls[1]! >= 10, 'the second retry waits twice the base backoff');
  });

  it('fails at once on a terminal error (a driver error that retrying cannot mend)', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    let calls = 0;
    const pool = makePool(store, async () => {
      calls++;
      throw new DriverError('PUT /replicas answered 400: no such target', false);
    });
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await waitFor('item failed', async () => (await workStates(store, [created[0]!.id]))[0] === 'failed');
    assert.equal(calls, 1);
    assert.equal((await store.getIncident(created[0]!.id))!.work[0]!.lastError, 'PUT /replicas answered 400: no such target');
  });

  it('lets in-flight work finish when it stops within the timeout', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    let started = false;
    const pool = makePool(store, async () => {
      started = true;
      await sleep(100);
      return {};
    });
    pool.start();
    await waitFor('handler started', () => started);
    const { released } = await pool.stop(5000);
    assert.equal(released, 0);
    assert.deepEqual(await workStates(store, [created[0]!.id]), ['done']);
    await store.close();
  });

  it('returns work still running at the timeout to the queue, and a new pool runs it', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    let started = false;
    const slow = makePool(store, async (_w, { signal }) => {
      started = true;
      await sleep(60_000, undefined, { signal });
      return {};
    });
    slow.start();
    await waitFor('handler started', () => started);
    const { released } = await slow.stop(50);
    assert.equal(released, 0, 'a handler that honours its signal is released by its own worker');
    const work = (await store.getIncident(created[0]!.id))!.work[0]!;
    assert.equal(work.state, 'pending');
    assert.equal(work.attempts, 0, 'a shutdown does not count as an attempt');

    const quick = makePool(store, dryRunHandler(systemClock, 0));
    quick.start();
    cleanup.push(() => quick.stop(1000).then(() => store.close()));
    await waitFor('item done', async () => (await workStates(store, [created[0]!.id]))[0] === 'done');
  });

  it('gives up on an item that was interrupted more often than max_attempts (a crash loop)', async () => {
    const store = openStore();
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    for (let i = 0; i < 3; i++) {
      await store.claimNext('crashed', Date.now());
      await store.recoverInterrupted(Date.now());
    }
    let calls = 0;
    const pool = makePool(store, async () => {
      calls++;
      return {};
    });
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await waitFor('item failed', async () => (await workStates(store, [created[0]!.id]))[0] === 'failed');
    assert.equal(calls, 0);
    assert.match((await store.getIncident(created[0]!.id))!.work[0]!.lastError!, /gave up after 3 attempts/);
  });

  it('starts new work on wake() without waiting for the poll interval', async () => {
    const store = openStore();
    const pool = makePool(store, dryRunHandler(systemClock, 0), { pollIntervalMs: 60_000 });
    pool.start();
    cleanup.push(() => pool.stop(1000).then(() => store.close()));
    await sleep(20);
    const { created } = await store.recordNotification(notification([{ fingerprint: 'a', agent: 'x' }]));
    pool.wake();
    await waitFor('item done', async () => (await workStates(store, [created[0]!.id]))[0] === 'done', 2000);
  });
  it('a clock stepped back or forward stalls no work and runs none twice', { timeout: 30_000 }, async () => {
    const store = openStore();
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const calls = new Map<number, number>();
    const done = new Map<number, number>();
    // Each incident waits once (as for a breaker or a guard), for 2 s, then acts.
    const handler: WorkHandler = async ({ incident }) => {
      const n = (calls.get(incident.id) ?? 0) + 1;
      calls.set(incident.id, n);
      if (n === 1) return { defer: { afterMs: 2000, note: 'waiting' } };
      done.set(incident.id, (done.get(incident.id) ?? 0) + 1);
      return {};
    };
    const pool = makePool(store, handler, { clock });
    cleanup.push(async () => {
      await pool.stop(1000);
      await store.close();
    });
    const batch = async (prefix: string) => {
      const r = await store.recordNotification(notification(Array.from({ length: 10 }, (_, i) => ({ fingerprint: `${prefix}${i}`, agent: `${prefix}-agent-${i}` }))));
      return r.created.map((c) => c.id);
    };
    pool.start();
    const before = await batch('back');
    await waitFor('all deferred once', () => before.every((id) => calls.get(id) === 1));
    offset = -3_600_000; // NTP steps the clock back an hour.
    await waitFor('the deferred work done within seconds, not an hour', async () => (await workStates(store, before)).every((s) => s === 'done'), 10_000);
    offset = 3_600_000; // And forward two hours from there.
    const afterJump = await batch('fwd');
    await waitFor('new work done after a step forward', async () => (await workStates(store, afterJump)).every((s) => s === 'done'), 10_000);
    for (const id of [...before, ...afterJump]) assert.equal(done.get(id), 1, `incident ${id} acted on exactly once`);
  });
});
