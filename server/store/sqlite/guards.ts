// The fleet guards in SQLite (server/store/guards-store.ts); the SQL is shared with PostgreSQL. One
// process holds an SQLite database, and better-sqlite3 is synchronous: an immediate transaction around
// the reads, the decision and the writes is all the exclusion it needs.
import type Database from 'better-sqlite3';
import type { GuardReads, GuardState, GuardWrites } from '../guards-store.ts';
import { DROP_BUCKET, DROP_DEAD_RESERVATIONS, GUARD_BUCKETS, LIVE_RESERVATIONS, PUT_BUCKET, PUT_RESERVATION, RELEASE_RESERVATION } from '../guards-sql.ts';
import { toGuardBucket, toReservation, type Row } from '../rows.ts';
import type { SqliteRecords } from './records.ts';

export interface SqliteGuards {
  admitAction<T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }): T;
  releaseReservation(holder: string): void;
}

// SQLite reads $1 … $n as named parameters "1" … "n": bound from an object.
const named = (values: unknown[]) => Object.fromEntries(values.map((v, i) => [String(i + 1), v]));

export function prepareGuards(db: Database.Database, records: Pick<SqliteRecords, 'failingTargetsSince' | 'disruptingTargets'>): SqliteGuards {
  const st = {
    dropDead: db.prepare(DROP_DEAD_RESERVATIONS),
    live: db.prepare(LIVE_RESERVATIONS),
    buckets: db.prepare(GUARD_BUCKETS),
    reserve: db.prepare(PUT_RESERVATION),
    release: db.prepare(RELEASE_RESERVATION),
    putBucket: db.prepare(PUT_BUCKET),
    dropBucket: db.prepare(DROP_BUCKET),
  };
  return {
    admitAction: (reads, decide) =>
      db.transaction(() => {
        st.dropDead.run(named([reads.now]));
        const buckets = new Map((st.buckets.all() as Row[]).map(toGuardBucket).map((b) => [b.name, b]));
        const state: GuardState = {
          reservations: (st.live.all(named([reads.holder])) as Row[]).map(toReservation),
          buckets,
          failing: records.failingTargetsSince(reads.failingSince(buckets.get('storm'))),
          disrupting: records.disruptingTargets(reads.disruptingSince),
        };
        const { writes, result } = decide(state);
        const r = writes.reserve;
        if (r) st.reserve.run(named([r.holder, r.workItemId, r.target, r.agentType, r.takesCapacity ? 1 : 0, r.until]));
        for (const b of writes.put) st.putBucket.run(named([b.name, b.tokens, b.at, b.since]));
        for (const name of writes.drop) st.dropBucket.run(named([name]));
        return result;
      }).immediate(),
    releaseReservation: (holder) => void st.release.run(named([holder])),
  };
}
