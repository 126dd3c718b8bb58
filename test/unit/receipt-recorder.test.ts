// The inbox's second step: recording waits while the webhook is busy, but never for long, records in
// batches until nothing waits, survives a store that refuses, and drains at a stop.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../lib/logger.ts';
import { systemClock } from '../../lib/clock.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { ReceiptRecorder } from '../../server/ingest/receipt-recorder.ts';
import { StoreUnavailableError, type Incident, type RecordedReceipt, type RecordResult } from '../../server/store/store.ts';
import { waitFor } from '../helpers/wait.ts';

/** A store with `waiting` received deliveries of one new incident each; every call is noted. */
function fakeStore(waiting: number) {
  let next = 1;
  const calls: { limit: number; at: number }[] = [];
  let refuse = 0;
  return {
    calls,
    get waiting() {
      return waiting;
    },
    receive(n: number) {
      waiting += n;
    },
    refuseNext(n: number) {
      refuse = n;
    },
    async recordReceived(limit: number): Promise<RecordedReceipt[]> {
      calls.push({ limit, at: performance.now() });
      if (refuse > 0) {
        refuse--;
        throw new StoreUnavailableError('disk full');
      }
      const n = Math.min(limit, waiting);
      waiting -= n;
      return Array.from({ length: n }, () => {
        const id = next++;
        const result: RecordResult = { notificationId: id, created: [{ id } as Incident], resolved: [], duplicates: 0, cancelledWork: 0 };
        return { notificationId: id, requestId: null, result };
      });
    },
  };
}

function setup(waiting: number, busy: () => boolean) {
  const store = fakeStore(waiting);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const recorded: number[] = [];
  const metrics = createMetrics({ storeStats: () => Promise.reject(new Error('none')), workerStates: () => ({ busy: 0, idle: 1 }) }, 'test');
  const recorder = new ReceiptRecorder({
    store, clock: systemClock, log: createLogger('info', sink), metrics, ingestBusy: busy,
    onRecorded: (r) => recorded.push(r.notificationId),
  });
  return { store, lines, recorded, recorder, metrics };
}

describe('ReceiptRecorder', () => {
  it('records what an earlier run left at start, in batches, until none waits, and wakes the workers for each', async () => {
    const { store, recorded, recorder } = setup(150, () => false);
    recorder.start();
    await waitFor('all recorded', () => store.waiting === 0, 2_000, 5);
    assert.deepEqual(store.calls.map((c) => c.limit), [16, 16, 16, 16, 16, 16, 16, 16, 16, 16], 'full batches while the webhook is quiet');
    assert.equal(recorded.length, 150);
    assert.deepEqual(recorded.slice(0, 3), [1, 2, 3]);
    await recorder.stop(1_000);
  });

  it('waits while the webhook is busy, records a small batch after 250 ms anyway, and the rest once it is quiet', async () => {
    let busy = true;
    const { store, recorder } = setup(0, () => busy);
    recorder.start();
    const t0 = performance.now();
    store.receive(100);
    recorder.kick();
    await waitFor('a first batch', () => store.calls.length > 0, 2_000, 5);
    const first = store.calls[0]!;
    assert.ok(first.at - t0 >= 240, `recorded after ${(first.at - t0).toFixed(0)} ms while busy: it should wait ~250 ms`);
    assert.equal(first.limit, 8, 'a small batch while the webhook stays busy');
    await sleep(100);
    assert.equal(store.calls.length, 1, 'then it waits again');
    busy = false;
    await waitFor('the rest', () => store.waiting === 0, 2_000, 5);
    assert.ok(store.calls.slice(1).every((c) => c.limit === 16));
    await recorder.stop(1_000);
  });

  it('stops waiting for the webhook once the backlog presses, taking turns batch by batch', async () => {
    const store = fakeStore(40);
    const metrics = createMetrics({ storeStats: () => Promise.reject(new Error('none')), workerStates: () => ({ busy: 0, idle: 1 }) }, 'test');
    const recorder = new ReceiptRecorder({
      store, clock: systemClock, log: createLogger('silent'), metrics, ingestBusy: () => true, catchUp: () => true, onRecorded: () => undefined,
    });
    const t0 = performance.now();
    recorder.start();
    await waitFor('all recorded', () => store.waiting === 0, 2_000, 2);
    assert.ok(performance.now() - t0 < 200, 'no 250 ms wait while catching up');
    assert.deepEqual(store.calls.map((c) => c.limit), [16, 16, 16], 'full batches although the webhook is busy');
    await recorder.stop(100);
  });

  it('tries again later when the store refuses, and logs it once', async () => {
    const { store, recorder, lines } = setup(5, () => false);
    store.refuseNext(1);
    recorder.start();
    await waitFor('recorded after the refusal', () => store.waiting === 0, 3_000, 10);
    assert.equal(store.calls.length, 2);
    assert.ok(store.calls[1]!.at - store.calls[0]!.at >= 900, 'retried after a second, not at once');
    assert.equal(lines.filter((l) => String(l.msg).startsWith('cannot record received deliveries')).length, 1);
    await recorder.stop(1_000);
  });

  it('at a stop records what waits, and reports what it could not', async () => {
    const busy = setup(200, () => true);
    // Stopped before it ever ran (the webhook busy all along): the stop drains everything.
    busy.recorder.start();
    assert.deepEqual(await busy.recorder.stop(1_000), { left: false });
    assert.equal(busy.store.waiting, 0);

    const refused = setup(10, () => true);
    refused.store.refuseNext(1);
    refused.recorder.start();
    assert.deepEqual(await refused.recorder.stop(1_000), { left: true });
    assert.equal(refused.store.waiting, 10, 'still received: the next start records them');
  });

  it('counts deliveries it cannot record, and says where to look', async () => {
    const { recorder, lines, metrics } = setup(0, () => false);
    const store = { recordReceived: async (): Promise<RecordedReceipt[]> => [{ notificationId: 7, requestId: 'req-7', error: 'CHECK constraint failed' }] };
    const r = new ReceiptRecorder({ store, clock: systemClock, log: createLogger('info', new Writable({ write: (c, _e, d) => (lines.push(JSON.parse(String(c))), d()) })), metrics, ingestBusy: () => false, onRecorded: () => undefined });
    r.start();
    await waitFor('logged', () => lines.some((l) => String(l.msg).startsWith('a received delivery cannot be recorded')), 2_000, 5);
    await r.stop(10);
    const line = lines.find((l) => String(l.msg).startsWith('a received delivery cannot be recorded'))!;
    assert.equal(line.requestId, 'req-7');
    assert.ok(((await metrics.registry.getSingleMetricAsString('medic_notifications_unrecordable_total')).match(/ (\d+)$/m)?.[1] ?? '0') !== '0');
    await recorder.stop(10);
  });
});
