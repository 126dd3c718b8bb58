// What the PostgreSQL store adds to the Store contract (store-contract.test.ts runs the contract itself on
// it): several replicas on one schema never double an incident, a claim or a recording; errors that mean
// "cannot commit now" are StoreUnavailableError and name the server without its password; a schema newer
// than the code is refused. Against the real server on 127.0.0.1:5432 (test/helpers/postgres.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../server/store/postgres/pg-migrations.ts';
import { PostgresStore } from '../../server/store/postgres/pg-store.ts';
import { StoreUnavailableError, type Notification, type ReceivedAlert } from '../../server/store/store.ts';
import { freshSchema, pgOptions, TEST_DATABASE_URL } from '../helpers/postgres.ts';

function alert(fingerprint: string, agent: string, status: 'firing' | 'resolved' = 'firing'): ReceivedAlert {
  return {
    fingerprint, startsAt: '2026-12-07T10:00:00Z', status, endsAt: status === 'resolved' ? '2026-12-07T10:05:00Z' : null,
    labels: { alertname: 'AgentDown', agent, severity: 'critical' }, annotations: {}, generatorURL: '', alertname: 'AgentDown',
    agent, target: agent, severity: 'critical', priority: 0,
  };
}

function notification(alerts: ReceivedAlert[], receivedAt = 1_000): Notification {
  return { receivedAt, receiver: 'medic', status: alerts[0]!.status, groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null, alerts };
}

/** Three replicas on one schema, as three Medic processes would be. */
async function replicas(n = 3): Promise<PostgresStore[]> {
  const schema = freshSchema();
  const first = await PostgresStore.open(pgOptions(schema));
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => PostgresStore.open(pgOptions(schema))));
  return [first, ...rest];
}

const shuffled = <T>(xs: T[]): T[] => xs.map((x) => [Math.random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);

describe('PostgresStore across replicas', () => {
  it('opens one incident per alert when every replica records every delivery at once, and counts the rest as duplicates', async () => {
    const stores = await replicas();
    try {
      const alerts = Array.from({ length: 40 }, (_, i) => alert(`fp${i}`, `agent-${i}`));
      // Every replica gets every alert, twice (two Alertmanager peers), in its own order.
      const deliveries = stores.flatMap((s) => shuffled([...alerts, ...alerts]).map((a) => () => s.recordNotification(notification([a]))));
      const results = await Promise.all(shuffled(deliveries).map((d) => d()));
      assert.equal(results.reduce((n, r) => n + r.created.length, 0), 40);
      assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 40 * 6 - 40);
      const stats = await stores[0]!.stats();
      assert.equal(stats.openIncidents, 40);
      assert.equal(stats.pendingWork, 40, 'one work item per incident');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('resolves an incident once when the resolve reaches every replica together', async () => {
    const stores = await replicas();
    try {
      await stores[0]!.recordNotification(notification([alert('r1', 'crewai-1')]));
      const results = await Promise.all(stores.map((s) => s.recordNotification(notification([alert('r1', 'crewai-1', 'resolved')], 2_000))));
      assert.equal(results.filter((r) => r.resolved.length === 1).length, 1, 'one replica resolved it');
      assert.equal(results.reduce((n, r) => n + r.cancelledWork, 0), 1, 'its work cancelled once');
      assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('never hands one item, or two items of one target, to two replicas', async () => {
    const stores = await replicas();
    try {
      // Ten targets, three incidents each (three alerts firing on each agent).
      for (let t = 0; t < 10; t++) {
        await stores[0]!.recordNotification(notification([0, 1, 2].map((k) => alert(`c${t}-${k}`, `agent-${t}`))));
      }
      const claims = (await Promise.all(stores.flatMap((s, r) => Array.from({ length: 8 }, (_, w) => s.claimNext(`r${r}-w${w}`, 5_000))))).filter((c) => c !== undefined);
      assert.equal(claims.length, 10, 'one running item per target, whichever replica took it');
      assert.equal(new Set(claims.map((c) => c.item.target)).size, 10);
      assert.equal((await stores[1]!.stats()).runningWork, 10);
      // Finished on one replica, the target's next item is free for another.
      await stores[0]!.finishWork(claims[0]!.item.id, { state: 'done' }, 6_000);
      const next = await stores[2]!.claimNext('r2-late', 6_000);
      assert.equal(next?.item.target, claims[0]!.item.target);
      assert.notEqual(next?.item.id, claims[0]!.item.id);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('records received deliveries exactly once and in order while every replica records at once', async () => {
    const stores = await replicas();
    try {
      for (let i = 0; i < 30; i++) {
        await stores[i % 3]!.receiveNotification(notification([alert(`o${i % 10}`, `agent-${i % 10}`, i < 10 ? 'firing' : 'resolved')], 1_000 + i));
      }
      const batches = await Promise.all(stores.flatMap((s) => [s.recordReceived(7, 9_000), s.recordReceived(7, 9_000)]));
      const recorded = batches.flat();
      assert.equal(recorded.length, 30);
      assert.equal(new Set(recorded.map((r) => r.notificationId)).size, 30, 'each exactly once');
      // In order: every firing delivery was recorded before its resolve, so each resolve closed an incident.
      const resolved = recorded.reduce((n, r) => n + ('result' in r ? r.result.resolved.length : 0), 0);
      assert.equal(resolved, 10);
      assert.deepEqual(await stores[1]!.stats(), { pendingWork: 0, runningWork: 0, openIncidents: 0, receivedAlerts: 0, actionsPaused: false });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('PostgresStore specifics', () => {
  it('refuses a schema written by a newer Medic, naming the versions and not the password', async () => {
    const schema = freshSchema();
    await (await PostgresStore.open(pgOptions(schema))).close();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`);
    await client.end();
    const withPassword = TEST_DATABASE_URL.replace('postgres://postgres@', 'postgres://postgres:s3cret-pw@');
    await assert.rejects(PostgresStore.open(pgOptions(schema, { url: withPassword })), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(err.message, new RegExp(`version 99, newer than this Medic knows \\(${POSTGRES_MIGRATIONS.at(-1)!.version}\\)`));
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });

  it('says the store is unavailable when the server does not answer, naming it without the password', async () => {
    const url = 'postgres://medic:s3cret-pw@127.0.0.1:1/medic';
    await assert.rejects(PostgresStore.open(pgOptions(freshSchema(), { url, connectTimeoutMs: 2_000 })), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(err.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });

  it('fails a write with StoreUnavailableError past the statement timeout while another session holds a lock, and recovers after', async () => {
    const schema = freshSchema();
    const store = await PostgresStore.open(pgOptions(schema, { statementTimeoutMs: 300 }));
    const locker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.notifications IN ACCESS EXCLUSIVE MODE`);
      await assert.rejects(store.receiveNotification(notification([alert('a', 'crewai-1')])), StoreUnavailableError);
      await assert.rejects(store.recordNotification(notification([alert('a', 'crewai-1')])), /57014|statement timeout/);
      await locker.query('ROLLBACK');
      await store.ping();
      const r = await store.recordNotification(notification([alert('a', 'crewai-1')]));
      assert.equal(r.created.length, 1);
    } finally {
      await locker.end();
      await store.close();
    }
  });

  it('refuses a schema name that is not a plain identifier before connecting', async () => {
    await assert.rejects(PostgresStore.open(pgOptions('medic; DROP TABLE x')), /store\.postgres\.schema: must be a lower-case SQL identifier/);
  });
});
