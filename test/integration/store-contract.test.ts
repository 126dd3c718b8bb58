// The Store contract, written once and run against every implementation of the Store port: the SQLite
// adapter and the PostgreSQL one (a real server, each test in a schema of its own); an adapter joins by
// adding itself to the list below.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../server/store/sqlite/migrations.ts';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.ts';
import { StoreUnavailableError, type NewAttempt, type Notification, type ReceivedAlert, type Store } from '../../server/store/store.ts';
import { PostgresStore } from '../../server/store/postgres/pg-store.ts';
import type { GuardBucket, GuardWrites, Reservation } from '../../server/store/guards-store.ts';
import { freshSchema, pgOptions } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/service.ts';

interface Implementation {
  name: string;
  /** A fresh, empty store; reopen(store) closes it and opens the same data again. */
  open(): Promise<Store>;
  reopen(store: Store): Promise<Store>;
}

const sqlitePaths = new WeakMap<Store, string>();
const pgSchemas = new WeakMap<Store, string>();
const implementations: Implementation[] = [
  {
    name: 'sqlite',
    async open() {
      const path = join(tempDir('medic-store-'), 'medic.db');
      const store = SqliteStore.open({ path, synchronous: 'full', busyTimeoutMs: 50 });
      sqlitePaths.set(store, path);
      return store;
    },
    async reopen(store) {
      const path = sqlitePaths.get(store)!;
      await store.close();
      const again = SqliteStore.open({ path, synchronous: 'full', busyTimeoutMs: 50 });
      sqlitePaths.set(again, path);
      return again;
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = freshSchema();
      const store = await PostgresStore.open(pgOptions(schema));
      pgSchemas.set(store, schema);
      return store;
    },
    async reopen(store) {
      const schema = pgSchemas.get(store)!;
      await store.close();
      const again = await PostgresStore.open(pgOptions(schema));
      pgSchemas.set(again, schema);
      return again;
    },
  },
];

const PRIORITY: Record<string, number> = { critical: 0, warning: 1, info: 2 };

function alert(over: Partial<ReceivedAlert> & { fingerprint: string }): ReceivedAlert {
  const agent = over.agent === undefined ? 'crewai-7' : over.agent;
  const severity = over.severity ?? 'critical';
  return {
    startsAt: '2026-11-28T22:36:22.677664214Z',
    status: 'firing',
    endsAt: null,
    labels: { alertname: 'AgentDown', agent: agent ?? '', severity },
    annotations: { summary: 'down' },
    generatorURL: '',
    alertname: 'AgentDown',
    agent,
    target: agent ?? `fingerprint:${over.fingerprint}`,
    severity,
    priority: PRIORITY[severity] ?? 3,
    ...over,
  };
}

function notification(alerts: ReceivedAlert[], receivedAt = 1_000): Notification {
  return { receivedAt, receiver: 'medic', status: 'firing', groupKey: '{}', externalURL: '', truncatedAlerts: 0, requestId: null, alerts };
}

function attemptFor(incidentId: number, workItemId: number | null, target: string, startedAt: number): NewAttempt {
  return {
    incidentId, workItemId, target, strategy: 'restart', driver: 'dry-run', mode: 'dry-run', outcome: 'would_heal',
    reason: 'test', startedAt, finishedAt: startedAt + 5, details: { n: 1 },
  };
}

for (const impl of implementations) {
  describe(`Store contract: ${impl.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await impl.open();
    });
    // Each test's store is closed after it: a PostgreSQL pool left open holds server connections.
    afterEach(async () => {
      await store?.close().catch(() => undefined);
    });

    describe('recordNotification', () => {
      it('opens one incident per new alert, with queued work for firing ones', async () => {
        const r = await store.recordNotification(notification([alert({ fingerprint: 'a' }), alert({ fingerprint: 'b', agent: 'semgrep-2' })]));
        assert.equal(r.created.length, 2);
        assert.equal(r.duplicates, 0);
        assert.equal(r.created[0]!.status, 'firing');
        assert.deepEqual(await store.stats(), { pendingWork: 2, runningWork: 0, openIncidents: 2, receivedAlerts: 0, actionsPaused: false });
      });

      it('counts a repeated firing alert as a duplicate and changes nothing else', async () => {
        const first = await store.recordNotification(notification([alert({ fingerprint: 'a' })], 1000));
        for (let i = 0; i < 9; i++) {
          const again = await store.recordNotification(notification([alert({ fingerprint: 'a' })], 2000 + i));
          assert.equal(again.created.length, 0);
          assert.equal(again.duplicates, 1);
        }
        const detail = await store.getIncident(first.created[0]!.id);
        assert.equal(detail!.incident.deliveries, 10);
        assert.equal(detail!.incident.duplicates, 9);
        assert.equal(detail!.incident.lastSeenAt, 2008);
        assert.equal(detail!.work.length, 1, 'a repeat must not queue more work');
        assert.equal(detail!.alerts.length, 1, 'a repeat is counted, not stored again');
        assert.equal((await store.listIncidents({}, { limit: 50 })).items.length, 1);
      });

      it('closes the incident on resolve, records when, and cancels work not yet started', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a' })], 1000));
        const r = await store.recordNotification(
          notification([alert({ fingerprint: 'a', status: 'resolved', endsAt: '2026-11-28T22:36:27Z' })], 5000),
        );
        assert.equal(r.resolved.length, 1);
        assert.equal(r.cancelledWork, 1);
        const detail = await store.getIncident(created[0]!.id);
        assert.equal(detail!.incident.status, 'resolved');
        assert.equal(detail!.incident.endsAt, '2026-11-28T22:36:27Z');
        assert.equal(detail!.incident.resolvedAt, 5000);
        assert.equal(detail!.work[0]!.state, 'cancelled');
        assert.deepEqual(detail!.alerts.map((a) => a.status), ['firing', 'resolved']);
        assert.equal(await store.claimNext('w', 10_000), undefined);
      });

      it('does not cancel work that has already started', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        assert.ok(claimed);
        const r = await store.recordNotification(notification([alert({ fingerprint: 'a', status: 'resolved' })], 3000));
        assert.equal(r.cancelledWork, 0);
        assert.equal((await store.getIncident(created[0]!.id))!.work[0]!.state, 'running');
      });

      it('does not cancel work that started and is waiting between its steps (deferred)', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        await store.finishWork(claimed!.item.id, { state: 'defer', notBefore: 9000, note: 'breaker open' }, 2100);
        const r = await store.recordNotification(notification([alert({ fingerprint: 'a', status: 'resolved' })], 3000));
        assert.equal(r.cancelledWork, 0);
        const work = (await store.getIncident(created[0]!.id))!.work[0]!;
        assert.equal(work.state, 'pending');
        assert.equal((await store.claimNext('w', 9000))!.item.id, work.id, 'it runs again to finish what it started');
      });

      it('opens a new incident when the alert fires again with a new startsAt', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        await store.recordNotification(notification([alert({ fingerprint: 'a', status: 'resolved' })]));
        const again = await store.recordNotification(notification([alert({ fingerprint: 'a', startsAt: '2026-11-28T23:00:00Z' })]));
        assert.equal(again.created.length, 1);
        assert.equal((await store.listIncidents({}, { limit: 50 })).items.length, 2);
      });

      it('treats a late firing copy of a resolved alert as a duplicate, not a reopening', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        await store.recordNotification(notification([alert({ fingerprint: 'a', status: 'resolved' })]));
        const late = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        assert.equal(late.duplicates, 1);
        assert.equal((await store.listIncidents({ status: 'firing' }, { limit: 50 })).items.length, 0);
      });

      it('records a resolve for an alert never seen firing as a closed incident with no work', async () => {
        const r = await store.recordNotification(notification([alert({ fingerprint: 'z', status: 'resolved', endsAt: '2026-11-28T22:40:00Z' })], 7000));
        assert.equal(r.created.length, 1);
        assert.equal(r.created[0]!.status, 'resolved');
        assert.equal(r.created[0]!.resolvedAt, 7000);
        assert.equal((await store.stats()).pendingWork, 0);
      });

      it('commits concurrent notifications independently (group commit keeps each whole)', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.recordNotification(notification([alert({ fingerprint: `f${i}` }), alert({ fingerprint: `f${i}` })]))),
        );
        assert.ok(results.every((r) => r.created.length === 1 && r.duplicates === 1));
        assert.equal(new Set(results.map((r) => r.notificationId)).size, 50);
        assert.equal((await store.stats()).openIncidents, 50);
      });

      it('rolls back a notification that fails alone: the others of its group still commit', async () => {
        const bad = alert({ fingerprint: 'bad' });
        // A status the schema refuses: the write fails inside the group's transaction.
        (bad as { status: string }).status = 'bogus';
        const results = await Promise.allSettled([
          store.recordNotification(notification([alert({ fingerprint: 'g1' })])),
          store.recordNotification(notification([alert({ fingerprint: 'g2' }), bad])),
          store.recordNotification(notification([alert({ fingerprint: 'g3' })])),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.ok(!((results[1] as PromiseRejectedResult).reason instanceof StoreUnavailableError), 'the notification is wrong, not the store');
        const open = (await store.listIncidents({}, { limit: 50 })).items.map((i) => i.fingerprint).sort();
        assert.deepEqual(open, ['g1', 'g3'], 'g2 went with the alert that failed beside it');
      });

      it('keeps everything it committed across a reopen', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        store = await impl.reopen(store);
        assert.equal((await store.listIncidents({}, { limit: 50 })).items.length, 1);
        assert.equal((await store.stats()).pendingWork, 1);
      });
    });

    describe('receiving, then recording (the webhook\'s two steps)', () => {
      const resolvedAlert = (fingerprint: string) => alert({ fingerprint, status: 'resolved', endsAt: '2026-11-28T22:40:00Z' });

      it('commits a received delivery without recording it, and says so', async () => {
        const { notificationId } = await store.receiveNotification(notification([alert({ fingerprint: 'r1' }), alert({ fingerprint: 'r2' })]));
        assert.deepEqual(await store.stats(), { pendingWork: 0, runningWork: 0, openIncidents: 0, receivedAlerts: 2, actionsPaused: false });
        const n = await store.getNotification(notificationId);
        assert.equal(n?.state, 'received');
        assert.equal(n?.created, null);
        assert.equal(n?.alertCount, 2);
      });

      it('records in the order received, each exactly once, and keeps what came of each', async () => {
        const first = await store.receiveNotification(notification([alert({ fingerprint: 'o1' })], 1_000));
        const second = await store.receiveNotification(notification([resolvedAlert('o1'), alert({ fingerprint: 'o2' })], 2_000));
        const one = await store.recordReceived(1, 5_000);
        assert.deepEqual(one.map((r) => r.notificationId), [first.notificationId], 'the oldest first, and no more than asked');
        const rest = await store.recordReceived(10, 6_000);
        assert.deepEqual(rest.map((r) => r.notificationId), [second.notificationId]);
        assert.deepEqual(await store.recordReceived(10, 7_000), [], 'nothing is recorded twice');
        const r = rest[0]!;
        assert.ok('result' in r);
        assert.equal(r.result.resolved[0]!.fingerprint, 'o1', 'the resolve found the incident its firing delivery opened');
        assert.equal(r.result.created[0]!.fingerprint, 'o2');
        // The inbox rules ran as of the delivery's receipt, not of its recording.
        assert.equal(r.result.created[0]!.firstSeenAt, 2_000);
        const detail = await store.getNotification(second.notificationId);
        assert.deepEqual(
          { state: detail?.state, created: detail?.created, resolved: detail?.resolved, duplicates: detail?.duplicates, recordedAt: detail?.recordedAt },
          { state: 'recorded', created: [r.result.created[0]!.id], resolved: [r.result.resolved[0]!.id], duplicates: 0, recordedAt: 6_000 },
        );
        assert.deepEqual(await store.stats(), { pendingWork: 1, runningWork: 0, openIncidents: 1, receivedAlerts: 0, actionsPaused: false });
      });

      it('keeps a received delivery across a reopen, and records it after', async () => {
        await store.receiveNotification(notification([alert({ fingerprint: 'k1' })]));
        store = await impl.reopen(store);
        assert.equal((await store.stats()).receivedAlerts, 1);
        const recorded = await store.recordReceived(10, 9_000);
        assert.equal(recorded.length, 1);
        assert.equal((await store.listIncidents({}, { limit: 50 })).items[0]?.fingerprint, 'k1');
      });

      it('marks a delivery it cannot record as unrecordable, keeps it, and records the ones after it', async () => {
        const bad = alert({ fingerprint: 'ubad' });
        (bad as { status: string }).status = 'bogus';
        await store.receiveNotification(notification([alert({ fingerprint: 'u1' })]));
        const broken = await store.receiveNotification(notification([alert({ fingerprint: 'u2' }), bad]));
        await store.receiveNotification(notification([alert({ fingerprint: 'u3' })]));
        const recorded = await store.recordReceived(10, 9_000);
        assert.deepEqual(recorded.map((r) => ('error' in r ? 'error' : 'ok')), ['ok', 'error', 'ok']);
        const detail = await store.getNotification(broken.notificationId);
        assert.equal(detail?.state, 'unrecordable');
        assert.match(detail?.error ?? '', /CHECK|constraint/i);
        const open = (await store.listIncidents({}, { limit: 50 })).items.map((i) => i.fingerprint).sort();
        assert.deepEqual(open, ['u1', 'u3'], 'u2 went with the alert that failed beside it');
        assert.deepEqual(await store.recordReceived(10, 9_500), [], 'not tried again');
        assert.equal((await store.stats()).receivedAlerts, 0, 'nothing counted as waiting any more');
      });
    });

    describe('the work queue', () => {
      it('hands out the most severe work first, then the oldest', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'info', agent: 'a1', severity: 'info' })], 100));
        await store.recordNotification(notification([alert({ fingerprint: 'warn-new', agent: 'a2', severity: 'warning' })], 300));
        await store.recordNotification(notification([alert({ fingerprint: 'warn-old', agent: 'a3', severity: 'warning' })], 200));
        await store.recordNotification(notification([alert({ fingerprint: 'crit', agent: 'a4', severity: 'critical' })], 400));
        await store.recordNotification(notification([alert({ fingerprint: 'odd', agent: 'a5', severity: 'page' })], 50));
        const order: string[] = [];
        for (let c = await store.claimNext('w', 1000); c; c = await store.claimNext('w', 1000)) order.push(c.incident.fingerprint);
        assert.deepEqual(order, ['crit', 'warn-old', 'warn-new', 'info', 'odd']);
      });

      it('never hands out two items of one target at once', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a', agent: 'same' }), alert({ fingerprint: 'b', agent: 'same' })]));
        await store.recordNotification(notification([alert({ fingerprint: 'c', agent: 'other' })]));
        const first = await store.claimNext('w1', 2000);
        const second = await store.claimNext('w2', 2000);
        assert.deepEqual([first!.item.target, second!.item.target].sort(), ['other', 'same']);
        assert.equal(await store.claimNext('w3', 2000), undefined);
        const sameItem = first!.item.target === 'same' ? first! : second!;
        await store.finishWork(sameItem.item.id, { state: 'done' }, 2100);
        const third = await store.claimNext('w3', 2200);
        assert.equal(third!.item.target, 'same');
        assert.equal(third!.incident.fingerprint, 'b');
      });

      it('records the attempt with the completion, and counts attempts per claim', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        assert.equal(claimed!.item.attempts, 1);
        assert.equal(claimed!.item.claimedBy, 'w');
        await store.finishWork(claimed!.item.id, { state: 'done', attempt: attemptFor(created[0]!.id, claimed!.item.id, 'crewai-7', 2000) }, 2010);
        const detail = await store.getIncident(created[0]!.id);
        assert.equal(detail!.work[0]!.state, 'done');
        assert.equal(detail!.attempts.length, 1);
        assert.deepEqual(detail!.attempts[0]!.details, { n: 1 });
      });

      it('holds a retried item until its not-before time', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        await store.finishWork(claimed!.item.id, { state: 'retry', error: 'boom', notBefore: 5000 }, 2000);
        assert.equal(await store.claimNext('w', 4999), undefined);
        const again = await store.claimNext('w', 5000);
        assert.equal(again!.item.attempts, 2);
        assert.equal(again!.item.lastError, 'boom');
      });

      it('fails an item for good', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        await store.finishWork(claimed!.item.id, { state: 'failed', error: 'driver refused' }, 2000);
        const work = (await store.getIncident(created[0]!.id))!.work[0]!;
        assert.equal(work.state, 'failed');
        assert.equal(work.lastError, 'driver refused');
        assert.equal(await store.claimNext('w', 9000), undefined);
      });

      it('gives a released item back without counting the attempt', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
        const claimed = await store.claimNext('w', 2000);
        await store.releaseWork(claimed!.item.id, 2100);
        const again = await store.claimNext('w', 2200);
        assert.equal(again!.item.attempts, 1);
      });

      it('hands work whose lease lapsed to another worker with a larger fence; the old claim can neither renew nor end it', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'l1' }), alert({ fingerprint: 'l2' })]));
        const first = (await store.claimNext('a', 1000, 500))!;
        assert.equal(first.item.leaseUntil, 1500);
        assert.equal(await store.claimNext('b', 1400, 500), undefined, 'held while its lease runs; the other item waits for its target');
        assert.equal(await store.renewLease(first.item.id, first.item.fence, 1400, 500), true);
        assert.equal(await store.claimNext('b', 1800, 500), undefined, 'renewed until 1900');
        const second = (await store.claimNext('b', 2000, 500))!;
        assert.equal(second.item.id, first.item.id, 'the lapsed claim is taken over before other work');
        assert.ok(second.item.fence > first.item.fence);
        assert.equal(second.item.attempts, 2, 'the interrupted attempt stays counted');
        assert.equal(second.item.claimedBy, 'b');
        assert.match(second.item.lastError!, /interrupted: the lease of a expired/);
        assert.equal(await store.renewLease(first.item.id, first.item.fence, 2100, 500), false);
        const late = attemptFor(first.incident.id, first.item.id, first.item.target, 2100);
        assert.equal(await store.finishWork(first.item.id, { state: 'done', attempt: late }, 2100, first.item.fence), false);
        await store.releaseWork(first.item.id, 2100, first.item.fence);
        assert.equal((await store.getIncident(first.incident.id))!.work[0]!.state, 'running', 'the late release changed nothing');
        assert.equal((await store.getIncident(first.incident.id))!.attempts.length, 0, "the late owner's attempt is not recorded");
        const mine = attemptFor(first.incident.id, first.item.id, first.item.target, 2200);
        assert.equal(await store.finishWork(second.item.id, { state: 'done', attempt: mine }, 2200, second.item.fence), true);
        const detail = (await store.getIncident(first.incident.id))!;
        assert.equal(detail.work[0]!.state, 'done');
        assert.equal(detail.attempts.length, 1);
        assert.equal(detail.work[0]!.leaseUntil, null);
      });

      it('returns work left running by a dead process to the queue, keeping the attempt counted', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' }), alert({ fingerprint: 'b', agent: 'x' })]));
        await store.claimNext('dead', 2000);
        await store.claimNext('dead', 2000);
        store = await impl.reopen(store);
        assert.equal(await store.recoverInterrupted(3000), 2);
        const again = await store.claimNext('alive', 3000);
        assert.equal(again!.item.attempts, 2);
        assert.match(again!.item.lastError!, /interrupted/);
      });
    });

    describe('reading', () => {
      it('filters incidents by agent, status and time, and pages through them newest first', async () => {
        for (let i = 0; i < 7; i++) {
          await store.recordNotification(notification([alert({ fingerprint: `f${i}`, agent: i % 2 ? 'odd' : 'even' })], 1000 + i));
        }
        await store.recordNotification(notification([alert({ fingerprint: 'f0', agent: 'even', status: 'resolved' })], 2000));
        assert.equal((await store.listIncidents({ agent: 'odd' }, { limit: 50 })).items.length, 3);
        assert.equal((await store.listIncidents({ status: 'resolved' }, { limit: 50 })).items.length, 1);
        assert.equal((await store.listIncidents({ since: 1003, until: 1005 }, { limit: 50 })).items.length, 2);
        const seen: string[] = [];
        let cursor: number | undefined;
        do {
          const page = await store.listIncidents({}, { limit: 3, cursor });
          seen.push(...page.items.map((i) => i.fingerprint));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        assert.deepEqual(seen, ['f6', 'f5', 'f4', 'f3', 'f2', 'f1', 'f0']);
      });

      it('filters incidents by a set of agents, the agent_type label, the alert and a strategy tried', async () => {
        const typed = (fingerprint: string, agent: string, type: string, alertname = 'AgentDown') => {
          const a = alert({ fingerprint, agent });
          return { ...a, alertname, labels: { ...a.labels, alertname, agent_type: type } };
        };
        const { created } = await store.recordNotification(notification([
          typed('t1', 'crewai-1', 'crewai'), typed('t2', 'crewai-2', 'crewai', 'AgentHighLatency'), typed('t3', 'semgrep-1', 'semgrep'),
        ]));
        await store.recordAttempt({ ...attemptFor(created[1]!.id, null, 'crewai-2', 100), strategy: 'scale' });
        await store.recordAttempt({ ...attemptFor(created[2]!.id, null, 'semgrep-1', 100), strategy: 'restart' });
        const ids = async (f: Parameters<Store['listIncidents']>[0]) => (await store.listIncidents(f, { limit: 50 })).items.map((i) => i.fingerprint).sort();
        assert.deepEqual(await ids({ agents: ['crewai-1', 'semgrep-1'] }), ['t1', 't3']);
        assert.deepEqual(await ids({ agents: [] }), []);
        assert.deepEqual(await ids({ agentType: 'crewai' }), ['t1', 't2']);
        assert.deepEqual(await ids({ alertname: 'AgentHighLatency' }), ['t2']);
        assert.deepEqual(await ids({ strategy: 'restart' }), ['t3']);
        assert.deepEqual(await ids({ agentType: 'crewai', strategy: 'scale' }), ['t2']);
        assert.deepEqual(await ids({ agentType: "crewai' OR '1'='1" }), [], 'a value is bound, never part of the statement');
      });

      it('lists attempts by agent and outcome, and a target history since a time', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a', agent: 'one' }), alert({ fingerprint: 'b', agent: 'two' })]));
        await store.recordAttempt(attemptFor(created[0]!.id, null, 'one', 100));
        await store.recordAttempt({ ...attemptFor(created[0]!.id, null, 'one', 200), outcome: 'failed' });
        await store.recordAttempt(attemptFor(created[1]!.id, null, 'two', 300));
        assert.equal((await store.listAttempts({ agent: 'one' }, { limit: 50 })).items.length, 2);
        assert.equal((await store.listAttempts({ outcome: 'failed' }, { limit: 50 })).items.length, 1);
        assert.deepEqual((await store.history('one', 150)).map((a) => a.startedAt), [200]);
        assert.equal(await store.getIncident(999), undefined);
      });

      it('counts as disrupting only automatic actions in progress that take capacity, started within the window', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'a', agent: 'one' })]));
        const id = created[0]!.id;
        const auto = (target: string, startedAt: number, over: Partial<NewAttempt> = {}) =>
          store.recordAttempt({ ...attemptFor(id, null, target, startedAt), mode: 'auto', outcome: 'in_progress', finishedAt: null, agentType: 'crewai', ...over });
        await auto('acting', 500);
        await auto('too-old', 50);
        await auto('finished', 500, { outcome: 'succeeded' });
        await auto('was-down', 500, { details: { takesCapacity: false } });
        await auto('shadow', 500, { mode: 'shadow' });
        assert.deepEqual(await store.disruptingTargets(100), [{ target: 'acting', agentType: 'crewai' }]);
      });

      it('lists agents with firing incidents first seen since a time, with their alert', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'old', agent: 'early' })], 100));
        await store.recordNotification(notification([alert({ fingerprint: 'n1', agent: 'one' }), alert({ fingerprint: 'n2', agent: null })], 1_000));
        await store.recordNotification(notification([alert({ fingerprint: 'r1', agent: 'gone', status: 'resolved' })], 1_000));
        assert.deepEqual(await store.failingTargetsSince(500), [{ target: 'one', alertname: 'AgentDown' }]);
      });
    });

    describe('temporary changes', () => {
      it('are due at expiry, or at once when the clock reads earlier than they were applied', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'c', agent: 'one' })]));
        const attempt = await store.recordAttempt(attemptFor(created[0]!.id, null, 'one', 100));
        const change = await store.recordChange({ incidentId: created[0]!.id, attemptId: attempt.id, target: 'one', kind: 'config', before: { a: 1 }, after: { a: 2 }, appliedAt: 10_000, expiresAt: 20_000 });
        assert.deepEqual(await store.dueChanges(15_000), []);
        assert.deepEqual((await store.dueChanges(20_000)).map((c) => c.id), [change.id]);
        assert.deepEqual((await store.dueChanges(9_000)).map((c) => c.id), [change.id], 'the clock stepped back');
        assert.equal(await store.settleChange(change.id, 'reverted', 20_000, null), true);
        assert.deepEqual(await store.dueChanges(9_000), []);
      });

      it('are due at once when an operator brings the revert forward, never later than their expiry', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'e', agent: 'one' })]));
        const attempt = await store.recordAttempt(attemptFor(created[0]!.id, null, 'one', 100));
        const change = await store.recordChange({ incidentId: created[0]!.id, attemptId: attempt.id, target: 'one', kind: 'config', before: { a: 1 }, after: { a: 2 }, appliedAt: 10_000, expiresAt: 20_000 });
        assert.equal(await store.expireChange(change.id, 12_000), true);
        assert.deepEqual((await store.dueChanges(12_000)).map((c) => c.id), [change.id]);
        assert.equal(await store.expireChange(change.id, 50_000), true);
        assert.deepEqual((await store.dueChanges(12_000)).map((c) => c.id), [change.id], 'not pushed back');
        assert.equal(await store.settleChange(change.id, 'reverted', 12_500, null), true);
        assert.equal(await store.expireChange(change.id, 13_000), false, 'no longer active');
        assert.equal(await store.expireChange(999_999, 13_000), false, 'unknown');
      });
    });

    describe('ledgers', () => {
      it('keeps an escalation until it is sent: due, retried later, then sent and never due again, across a reopen', async () => {
        const id = await store.enqueueEscalation({ incidentId: 7, reason: 'no_target', payload: [{ labels: { alertname: 'MedicEscalation' } }], now: 1_000 });
        assert.deepEqual((await store.dueEscalations(1_000, 10)).map((e) => [e.id, e.incidentId, e.reason, e.tries]), [[id, 7, 'no_target', 0]]);
        await store.settleEscalation(id, { retryAt: 5_000, error: 'connection refused', now: 2_000 });
        assert.deepEqual(await store.dueEscalations(4_999, 10), []);
        // A clock stepped back before the retry was scheduled: due at once, not when the old time returns.
        assert.equal((await store.dueEscalations(1_500, 10)).length, 1);
        store = await impl.reopen(store);
        const due = await store.dueEscalations(5_000, 10);
        assert.deepEqual(due.map((e) => [e.id, e.tries, e.payload]), [[id, 1, [{ labels: { alertname: 'MedicEscalation' } }]]]);
        assert.equal(await store.unsentEscalations(), 1);
        await store.settleEscalation(id, { sentAt: 5_100 });
        assert.equal(await store.unsentEscalations(), 0);
        assert.deepEqual(await store.dueEscalations(1e12, 10), []);
      });

      it('appends audit entries and pages them newest first', async () => {
        for (let i = 0; i < 3; i++) {
          await store.recordAudit({ at: i, who: `op${i}`, role: 'operator', via: 'api-token', method: 'POST', path: `/api/x/${i}`, status: 200, requestId: `r${i}`, client: null });
        }
        const first = await store.listAudit({ limit: 2 });
        assert.deepEqual(first.items.map((e) => e.who), ['op2', 'op1']);
        const rest = await store.listAudit({ limit: 2, cursor: first.nextCursor! });
        assert.deepEqual(rest.items.map((e) => e.who), ['op0']);
        assert.equal(rest.nextCursor, null);
      });
    });

    describe('fleet activity', () => {
      it('gives each agent its open incidents, newest incident, newest acting attempt and changes in force', async () => {
        const { created } = await store.recordNotification(notification([alert({ fingerprint: 'f1', agent: 'one' }), alert({ fingerprint: 'f2', agent: 'one' }), alert({ fingerprint: 'f3', agent: 'two' })], 1_000));
        await store.recordAttempt({ ...attemptFor(created[0]!.id, null, 'one', 2_000), mode: 'auto', outcome: 'succeeded' });
        const later = await store.recordAttempt({ ...attemptFor(created[1]!.id, null, 'one', 3_000), strategy: 'scale', mode: 'auto', outcome: 'failed' });
        await store.recordAttempt({ ...attemptFor(created[1]!.id, null, 'one', 4_000), mode: 'auto', outcome: 'blocked' });
        await store.recordChange({ incidentId: created[1]!.id, attemptId: later.id, target: 'one', kind: 'config', before: { a: 1 }, after: { a: 2 }, appliedAt: 3_000, expiresAt: 9_000 });
        const activity = await store.agentActivity();
        assert.deepEqual(activity.map((a) => a.agent), ['one', 'two']);
        assert.deepEqual(activity[0], {
          agent: 'one', openIncidents: 2, lastIncidentAt: activity[0]!.lastIncidentAt, activeChanges: 1,
          lastRemediation: { strategy: 'scale', outcome: 'failed', mode: 'auto', startedAt: 3_000, finishedAt: 3_005 },
        }, 'a blocked attempt is not a remediation');
        assert.ok(activity[0]!.lastIncidentAt !== null);
        assert.deepEqual([activity[1]!.openIncidents, activity[1]!.lastRemediation, activity[1]!.activeChanges], [1, null, 0]);
      });
    });

    describe('controls', () => {
      it('keeps the kill switch across a reopen: the first pause stands, a resume clears it, stats say so', async () => {
        assert.equal(await store.actionsPaused(), undefined);
        assert.equal((await store.stats()).actionsPaused, false);
        assert.equal(await store.setActionsPaused({ by: 'alice', at: 1_000, note: 'bad rule' }), true);
        assert.equal(await store.setActionsPaused({ by: 'bob', at: 2_000, note: null }), false);
        store = await impl.reopen(store);
        assert.deepEqual(await store.actionsPaused(), { by: 'alice', at: 1_000, note: 'bad rule' });
        assert.equal((await store.stats()).actionsPaused, true);
        assert.equal(await store.setActionsPaused(null), true);
        assert.equal(await store.setActionsPaused(null), false, 'resuming twice changes nothing');
        assert.equal(await store.actionsPaused(), undefined);
      });

      it('keeps operators\' decision modes per tier across a reopen; a second one replaces the first; cleared once', async () => {
        assert.deepEqual(await store.modeOverrides(), []);
        await store.setModeOverride({ tier: 'standard', mode: 'shadow', by: 'alice', at: 1_000, note: 'new rules' });
        await store.setModeOverride({ tier: 'critical_agents', mode: 'approve', by: 'alice', at: 1_500, note: null });
        await store.setModeOverride({ tier: 'standard', mode: 'notify', by: 'bob', at: 2_000, note: null });
        store = await impl.reopen(store);
        assert.deepEqual(await store.modeOverrides(), [
          { tier: 'critical_agents', mode: 'approve', by: 'alice', at: 1_500, note: null },
          { tier: 'standard', mode: 'notify', by: 'bob', at: 2_000, note: null },
        ]);
        assert.equal(await store.clearModeOverride('standard'), true);
        assert.equal(await store.clearModeOverride('standard'), false);
        assert.deepEqual((await store.modeOverrides()).map((m) => m.tier), ['critical_agents']);
      });
    });

    describe('named leases', () => {
      it('one holder at a time: extended by its holder, taken over once lapsed with a larger fence, given up at once', async () => {
        const a = await store.acquireLease('periodic-jobs', 'a', 1000, 500);
        assert.equal(typeof a, 'number');
        assert.equal(await store.acquireLease('periodic-jobs', 'b', 1200, 500), undefined, "a's lease runs until 1500");
        assert.equal(await store.acquireLease('periodic-jobs', 'a', 1400, 500), a, 'extended by its holder, same fence');
        assert.equal(await store.acquireLease('periodic-jobs', 'b', 1800, 500), undefined, 'extended until 1900');
        assert.equal(await store.acquireLease('other-job', 'b', 1800, 500), 1, 'leases are independent by name');
        const b = await store.acquireLease('periodic-jobs', 'b', 2000, 500);
        assert.ok(b! > a!, 'a new holder gets a larger fence');
        assert.equal(await store.acquireLease('periodic-jobs', 'a', 2100, 500), undefined);
        await store.releaseLease('periodic-jobs', 'a');
        assert.equal(await store.acquireLease('periodic-jobs', 'a', 2200, 500), undefined, 'only the holder gives it up');
        await store.releaseLease('periodic-jobs', 'b');
        const again = await store.acquireLease('periodic-jobs', 'a', 2300, 500);
        assert.ok(again! > b!, 'given up, it is free at once, and fences still grow');
      });
    });

    describe('fleet guards', () => {
      // Runs one admission that only looks (and writes what it is given), as the engine's rules would.
      const admit = (holder: string, now: number, writes: Partial<GuardWrites> = {}, since: (storm: GuardBucket | undefined) => number = () => 0) =>
        store.admitAction({ now, holder, failingSince: since, disruptingSince: 0 }, (state) => ({ writes: { put: [], drop: [], ...writes }, result: state }));
      const reservation = (holder: string, workItemId: number | null, until = 1e12): Reservation =>
        ({ holder, workItemId, target: `t-${holder}`, agentType: 'crewai', takesCapacity: workItemId !== null, until });

      it('keeps reservations while their work runs (or until their ceiling), buckets until dropped, and shows each holder the others', async () => {
        await store.recordNotification(notification([alert({ fingerprint: 'a' })], 1000));
        const claimed = (await store.claimNext('w', 2000))!;
        await admit(`work:${claimed.item.id}`, 2000, { reserve: reservation(`work:${claimed.item.id}`, claimed.item.id), put: [{ name: 'budget', tokens: 2.5, at: 2000, since: 100 }] });
        await admit('loose', 2000, { reserve: reservation('loose', null, 5000) });
        const seen = await admit('other', 3000, {}, (storm) => (storm ? -1 : 500));
        assert.deepEqual(seen.reservations.map((r) => [r.holder, r.workItemId, r.takesCapacity]).sort(), [['loose', null, false], [`work:${claimed.item.id}`, claimed.item.id, true]]);
        assert.deepEqual([...seen.buckets.values()], [{ name: 'budget', tokens: 2.5, at: 2000, since: 100 }]);
        assert.deepEqual(seen.failing, [{ target: 'crewai-7', alertname: 'AgentDown' }], 'firing alerts since failingSince(no storm) = 500');
        assert.deepEqual((await admit('loose', 3000)).reservations.map((r) => r.holder), [`work:${claimed.item.id}`], 'a holder does not see its own');

        await store.finishWork(claimed.item.id, { state: 'done' }, 4000, claimed.item.fence);
        assert.deepEqual((await admit('other', 4000)).reservations.map((r) => r.holder), ['loose'], 'its work done, the reservation ends');
        assert.deepEqual((await admit('other', 5000)).reservations, [], 'past its ceiling');
        await admit('again', 5000, { reserve: reservation('again', null) });
        await store.releaseReservation('again');
        assert.deepEqual((await admit('other', 5000)).reservations, []);

        store = await impl.reopen(store);
        assert.equal((await admit('other', 6000, { drop: ['budget'] })).buckets.get('budget')?.tokens, 2.5, 'kept across a reopen');
        assert.equal((await admit('other', 6000)).buckets.size, 0, 'dropped');
      });

      it('runs admissions one at a time: each sees what the one before it wrote', async () => {
        // Twenty admissions at once, each taking a token if one is left: exactly the bucket's five pass.
        await admit('setup', 0, { put: [{ name: 'budget', tokens: 5, at: 0, since: 0 }] });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          store.admitAction({ now: 0, holder: `h${i}`, failingSince: () => 0, disruptingSince: 0 }, (state) => {
            const tokens = state.buckets.get('budget')!.tokens;
            return tokens < 1
              ? { writes: { put: [], drop: [] }, result: false }
              : { writes: { put: [{ name: 'budget', tokens: tokens - 1, at: 0, since: 0 }], drop: [], reserve: reservation(`h${i}`, null) }, result: true };
          })));
        assert.equal(results.filter(Boolean).length, 5);
        assert.equal((await admit('x', 0)).reservations.length, 5);
      });
    });

    describe('availability', () => {
      it('answers ping while healthy and refuses everything once closed', async () => {
        await store.ping();
        await store.close();
        await assert.rejects(store.ping(), StoreUnavailableError);
        await assert.rejects(store.recordNotification(notification([alert({ fingerprint: 'a' })])), StoreUnavailableError);
        store = await impl.open();
      });
    });
  });
}

describe('SqliteStore specifics', () => {
  it('refuses a database written by a newer Medic, naming the versions', () => {
    const path = join(tempDir('medic-store-'), 'medic.db');
    SqliteStore.open({ path, synchronous: 'full', busyTimeoutMs: 50 }).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('future');
    db.close();
    assert.throws(() => SqliteStore.open({ path, synchronous: 'full', busyTimeoutMs: 50 }), new RegExp(`schema version 99, newer than this Medic knows \\(${SQLITE_MIGRATIONS.at(-1)!.version}\\)`));
  });

  it('fails a write with StoreUnavailableError while another process holds the write lock, and recovers after', async () => {
    const path = join(tempDir('medic-store-'), 'medic.db');
    const store = SqliteStore.open({ path, synchronous: 'full', busyTimeoutMs: 20 });
    const locker = new Database(path);
    locker.pragma('busy_timeout = 0');
    locker.exec('BEGIN IMMEDIATE');
    await assert.rejects(store.recordNotification(notification([alert({ fingerprint: 'a' })])), StoreUnavailableError);
    await assert.rejects(store.ping(), /SQLITE_BUSY/);
    locker.exec('ROLLBACK');
    locker.close();
    await store.ping();
    const r = await store.recordNotification(notification([alert({ fingerprint: 'a' })]));
    assert.equal(r.created.length, 1);
    await store.close();
  });
});
