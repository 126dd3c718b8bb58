// The fleet guards in PostgreSQL (server/store/guards-store.ts); the SQL is shared with SQLite. Several
// replicas admit actions on one schema: each admission takes a transaction-scoped advisory lock first,
// so they run one at a time and each sees the reservations and buckets the previous one wrote.
import type { GuardReads, GuardState, GuardWrites } from '../guards-store.ts';
import { DROP_BUCKET, DROP_DEAD_RESERVATIONS, GUARD_BUCKETS, LIVE_RESERVATIONS, PUT_BUCKET, PUT_RESERVATION, RELEASE_RESERVATION } from '../guards-sql.ts';
import { toGuardBucket, toReservation, type Row } from '../rows.ts';
import type { PgConnection } from './pg-connection.ts';
import { disruptingTargets, failingTargetsSince } from './pg-records.ts';

export class PgGuards {
  constructor(private readonly conn: PgConnection) {}

  admitAction<T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }): Promise<T> {
    return this.conn.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medic.guards:${this.conn.options.schema}`]);
      await c.query(DROP_DEAD_RESERVATIONS, [reads.now]);
      const buckets = new Map(((await c.query(GUARD_BUCKETS)).rows as Row[]).map(toGuardBucket).map((b) => [b.name, b]));
      const state: GuardState = {
        reservations: ((await c.query(LIVE_RESERVATIONS, [reads.holder])).rows as Row[]).map(toReservation),
        buckets,
        failing: await failingTargetsSince(c, reads.failingSince(buckets.get('storm'))),
        disrupting: await disruptingTargets(c, reads.disruptingSince),
      };
      const { writes, result } = decide(state);
      const r = writes.reserve;
      if (r) await c.query(PUT_RESERVATION, [r.holder, r.workItemId, r.target, r.agentType, r.takesCapacity, r.until]);
      for (const b of writes.put) await c.query(PUT_BUCKET, [b.name, b.tokens, b.at, b.since]);
      for (const name of writes.drop) await c.query(DROP_BUCKET, [name]);
      return result;
    });
  }

  async releaseReservation(holder: string): Promise<void> {
    await this.conn.query(RELEASE_RESERVATION, [holder]);
  }
}
