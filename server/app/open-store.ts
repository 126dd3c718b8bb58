// Opens the store the configuration names (store.driver): SQLite in the data directory, or PostgreSQL
// at store.postgres.url, each with the guard that keeps a second Medic off its queue. For SQLite that is
// the database lock (database-lock.ts); for PostgreSQL a session advisory lock per schema, held on a
// connection of its own, which the server drops when the process dies. Work is claimed as leases and the
// periodic jobs run under a leader lease, but the guards' counters (storm rate, concurrency, healing
// budget) are still kept per process: a second replica would double them, so it is refused until the
// guards are decided in the store.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { PostgresStore } from '../store/postgres/pg-store.ts';
import { redactUrl } from '../store/postgres/pg-connection.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import type { MedicConfig } from './config-schema.ts';
import { DatabaseLockedError, lockDatabase } from './database-lock.ts';

/** How many Medics may share one PostgreSQL schema today (deploy/kubernetes follows it; its test checks). */
export const MEDICS_PER_SCHEMA = 1;

export interface OpenedStore {
  store: Store;
  /** Where it is, for logs: a path, or a URL without its password. */
  where: string;
  /** Lets another Medic start on this database; after store.close(). */
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
  const guard = await holdSchema(url, p.schema, p.connect_timeout, tls, where);
  try {
    const store = await PostgresStore.open({
      url, schema: p.schema, poolSize: p.pool_size, statementTimeoutMs: p.statement_timeout, connectTimeoutMs: p.connect_timeout, tls,
      onWarning: (message) => log.warn({ store: where }, message),
    });
    return { store, where, release: () => guard.end().catch(() => undefined), exclusive: MEDICS_PER_SCHEMA === 1 };
  } catch (err) {
    await guard.end().catch(() => undefined);
    throw err;
  }
}

async function holdSchema(url: string, schema: string, timeoutMs: number, tls: { ca?: string; rejectUnauthorized: boolean } | undefined, where: string): Promise<pg.Client> {
  // The server holds the lock until it sees this session gone: with its TCP keepalives asked short here,
  // a Medic whose node died (no FIN sent) lets the next one start within about half a minute, not after
  // the system default of two hours.
  const client = new pg.Client({
    connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'medic-guard', ssl: tls,
    options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    keepAlive: true,
  });
  // A lost guard connection only means the next start can no longer be refused; it must not crash this one.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const got = (await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [`medic.replica:${schema}`])).rows[0]?.got === true;
    if (got) return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new StoreUnavailableError(`cannot open the PostgreSQL store at ${where}: ${(err as Error).message}`, { cause: err });
  }
  await client.end().catch(() => undefined);
  // One replica per schema for now (see the top of this file).
  throw new DatabaseLockedError(where, undefined, 'stop it first, or give this one another store.postgres.schema; several replicas on one schema are not supported yet');
}
