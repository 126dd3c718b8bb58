// The periodic jobs' leader (server/app/leader.ts) among Medics on one PostgreSQL schema: one leads at a
// time; a clean stop hands over at once; a leader that dies (stops renewing) is replaced within a term;
// a leader cut off from the store stops leading when its lease runs out, before another can have it.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../lib/clock.ts';
import { createLogger } from '../../lib/logger.ts';
import { createLeader, type Leader } from '../../server/app/leader.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { PostgresStore } from '../../server/store/postgres/pg-store.ts';
import { StoreUnavailableError, type Store } from '../../server/store/store.ts';
import { freshSchema, pgOptions } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

const TERM_MS = 450;
const silent = createLogger('silent');

describe('the periodic jobs leader', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function stores(n: number): Promise<PostgresStore[]> {
    const schema = freshSchema();
    const all: PostgresStore[] = [];
    for (let i = 0; i < n; i++) all.push(await PostgresStore.open(pgOptions(schema)));
    cleanup.push(() => Promise.all(all.map((s) => s.close())));
    return all;
  }

  const leader = (store: Store, holder: string, metrics?: ReturnType<typeof createMetrics>): Leader => {
    const l = createLeader({ store, holder, clock: systemClock, log: silent, termMs: TERM_MS, metrics });
    cleanup.push(() => l.stop());
    return l;
  };

  it('one of three leads; a clean stop hands over at once, and the gauge says who leads', async () => {
    const [a, b, c] = await stores(3);
    const metrics = [0, 1, 2].map(() => createMetrics({ storeStats: () => a!.stats(), workerStates: () => ({ busy: 0, idle: 0 }) }, 'test'));
    const leaders = [leader(a!, 'a', metrics[0]), leader(b!, 'b', metrics[1]), leader(c!, 'c', metrics[2])];
    for (const l of leaders) await l.start();
    assert.deepEqual(leaders.map((l) => l.isLeader()), [true, false, false]);
    const gauges = async () => Promise.all(metrics.map(async (m) => (await m.registry.getSingleMetric('medic_periodic_jobs_leader')!.get()).values[0]?.value ?? 0));
    assert.deepEqual(await gauges(), [1, 0, 0]);
    await leaders[0]!.stop();
    await waitFor('another to lead', async () => leaders.slice(1).some((l) => l.isLeader()), 2 * TERM_MS);
    assert.equal(leaders.filter((l) => l.isLeader()).length, 1);
  });

  it('a leader that dies is replaced within a term; one cut off from the store stops leading before then', async () => {
    const [a, b] = await stores(2);
    let cutOff = false;
    const aCut = new Proxy(a!, {
      get(target, prop, receiver) {
        if (prop === 'acquireLease' && cutOff) return async () => { throw new StoreUnavailableError('connection lost (test)'); };
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as Store;
    const la = leader(aCut, 'a');
    const lb = leader(b!, 'b');
    await la.start();
    await lb.start();
    assert.equal(la.isLeader(), true);
    cutOff = true;
    const since = Date.now();
    await waitFor('a to stop leading', async () => !la.isLeader(), 2 * TERM_MS);
    const stoppedAt = Date.now();
    await waitFor('b to lead', async () => lb.isLeader(), 3 * TERM_MS);
    const tookOverAt = Date.now();
    assert.ok(stoppedAt <= tookOverAt, 'never two leaders: a stopped before b began');
    assert.ok(tookOverAt - since <= 2 * TERM_MS + 200, `taken over in ${tookOverAt - since} ms`);
    await sleep(TERM_MS);
    assert.deepEqual([la.isLeader(), lb.isLeader()], [false, true]);
  });
});
