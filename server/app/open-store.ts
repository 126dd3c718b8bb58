// Opens the store the configuration names (store.driver): SQLite in the data directory, held by one
// process (the database lock, database-lock.ts), or PostgreSQL at store.postgres.url, which several
// Medics share: everything they must agree on is decided in the database (the inbox's unique keys, work
// claimed as leases with a fencing token, the fleet guards admitted in one transaction, the periodic jobs
// under a leader lease), so a replica may start, stop or die at any time.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { PostgresStore } from '../store/postgres/pg-store.ts';
import { redactUrl } from '../store/postgres/pg-connection.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import type { MedicConfig } from './config-schema.ts';
import { lockDatabase } from './database-lock.ts';

export interface OpenedStore {
  store: Store;
  /** Where it is, for logs: a path, or a URL without its password. */
  where: string;
  /** Lets another Medic start on this database (SQLite); after store.close(). */
  release(): Promise<void>;
  /** No other Medic can be using this store now (so what is running was left by a dead process). */
  exclusive: boolean;
}

export async function openStore(config: MedicConfig, sqlitePath: string, log: Logger, configDir: string): Promise<OpenedStore> {
  if (config.store.driver === 'postgres') return openPostgres(config, log, configDir);
  const lock = lockDatabase(sqlitePath);
  try {
    const store = SqliteStore.open({
      path: sqlitePath,
      synchronous: config.store.sqlite.synchronous,
      busyTimeoutMs: config.store.sqlite.busy_timeout,
      minFreeBytes: config.store.sqlite.min_free_space,
      onWarning: (message) => log.warn({ store: sqlitePath }, message),
    });
    return { store, where: sqlitePath, release: async () => lock.release(), exclusive: true };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function openPostgres(config: MedicConfig, log: Logger, configDir: string): Promise<OpenedStore> {
  const p = config.store.postgres;
  const url = p.url!; // the schema requires it with driver postgres
  const where = `${redactUrl(url)} (schema ${p.schema})`;
  let ca: string | undefined;
  if (p.tls?.ca_file) {
    try {
      ca = readFileSync(resolve(configDir, p.tls.ca_file), 'utf8');
    } catch (err) {
      throw new StoreUnavailableError(`store.postgres.tls.ca_file: cannot read ${p.tls.ca_file}: ${(err as Error).message}`);
    }
  }
  const tls = p.tls ? { ca, rejectUnauthorized: !p.tls.insecure_skip_verify } : undefined;
  const store = await PostgresStore.open({
    url, schema: p.schema, poolSize: p.pool_size, statementTimeoutMs: p.statement_timeout, connectTimeoutMs: p.connect_timeout, tls,
    onWarning: (message) => log.warn({ store: where }, message),
  });
  // Never exclusive: what is running may be another replica's, and is taken over when its lease lapses.
  return { store, where, release: async () => undefined, exclusive: false };
}
