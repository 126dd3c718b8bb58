// Named leases in SQLite (server/store/leases-store.ts); the SQL is shared with PostgreSQL.
import type Database from 'better-sqlite3';
import type { Row } from '../rows.ts';
import { ACQUIRE_LEASE, RELEASE_LEASE } from '../lease-sql.ts';
import type { SyncStore } from './connection.ts';

export interface SqliteLeases {
  acquireLease: SyncStore<'acquireLease'>;
  releaseLease: SyncStore<'releaseLease'>;
}

// SQLite reads $1 … $4 as named parameters "1" … "4": bound from an object.
const named = (values: unknown[]) => Object.fromEntries(values.map((v, i) => [String(i + 1), v]));

export function prepareLeases(db: Database.Database): SqliteLeases {
  const acquire = db.prepare(ACQUIRE_LEASE);
  const release = db.prepare(RELEASE_LEASE);
  return {
    acquireLease: (name, holder, now, ttlMs) => {
      const row = acquire.get(named([name, holder, now + ttlMs, now])) as Row | undefined;
      return row ? Number(row.fence) : undefined;
    },
    releaseLease: (name, holder) => void release.run(named([name, holder])),
  };
}
