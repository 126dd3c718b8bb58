// The PostgreSQL connection pool: opening (schema, migrations), transactions that retry what PostgreSQL
// asks to be retried (serialization failures, deadlocks between replicas), and turning "cannot commit
// now" errors into StoreUnavailableError, so that the webhook answers 503 and Alertmanager retries.
import pg from 'pg';
import type { Row } from '../rows.ts';
import { StoreUnavailableError } from '../store.ts';
import { migratePostgres } from './pg-migrations.ts';

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database; printed only without its password. */
  url: string;
  /** Tables live in this schema (created if missing): one database can hold several Medics, or tests. */
  schema: string;
  poolSize: number;
  /** Bound on each statement, so a stuck lock or a slow disk answers 503 instead of holding a request. */
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** TLS to the server: off, on with the system's CAs, or on with a CA file's certificates. */
  tls?: { ca?: string; rejectUnauthorized: boolean };
  onWarning?: (message: string) => void;
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

// SQLSTATE classes and codes that mean "the database cannot take this now", not "this request is wrong":
// connection exceptions, insufficient resources, operator intervention (shutdown, cancel, timeout),
// a read-only server (a standby after failover), and locks not obtained.
const UNAVAILABLE = /^(08|53|57|58|25006|55P03|40001|40P01|XX)/;
// Worth running the whole transaction again: another replica's transaction got in the way.
const RETRY = /^(40001|40P01)$/;
const MAX_TRIES = 5;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A connection string with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a connection string that is not a URL)';
  }
}

export class PgConnection {
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly options: PostgresStoreOptions,
  ) {}

  /** Connects, creates the schema if missing and migrates it. Throws StoreUnavailableError naming the server. */
  static async open(options: PostgresStoreOptions): Promise<PgConnection> {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new StoreUnavailableError(`store.postgres.schema: must be a lower-case SQL identifier (letters, digits, _), got ${JSON.stringify(options.schema)}`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs,
      // Every connection resolves table names in Medic's schema: no statement names a schema itself.
      options: `-c search_path=${options.schema}`,
      application_name: 'medic',
      ssl: options.tls ? { ca: options.tls.ca, rejectUnauthorized: options.tls.rejectUnauthorized } : undefined,
    });
    // An idle connection the server dropped (restart, failover) must not crash the process: the pool
    // discards it and the next query opens another.
    pool.on('error', (err) => options.onWarning?.(`an idle PostgreSQL connection failed (${err.message}); it is replaced on next use`));
    const conn = new PgConnection(pool, options);
    try {
      await conn.tx(async (c) => {
        // Replicas starting together: one creates and migrates, the others wait, then find it done.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`medic.migrate:${options.schema}`]);
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        await migratePostgres(c, options.schema);
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof StoreUnavailableError) {
        throw new StoreUnavailableError(`cannot open the PostgreSQL store at ${redactUrl(options.url)} (schema ${options.schema}): ${err.message}`, { cause: err });
      }
      throw err;
    }
    return conn;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One statement on any pooled connection (autocommit). */
  async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    try {
      return (await this.pool.query(sql, params)).rows as Row[];
    } catch (err) {
      throw mapError(err);
    }
  }

  /**
   * Runs fn in a transaction (READ COMMITTED) and commits; rolls back on error. A serialization failure
   * or deadlock with another replica runs fn again from the start, a few times.
   */
  async tx<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw mapError(err);
      }
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (attempt < MAX_TRIES && RETRY.test(codeOf(err))) continue;
        throw mapError(err);
      } finally {
        // A connection that could not even roll back is dropped, not handed to the next caller.
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** The error a caller sees: StoreUnavailableError for "cannot commit now", anything else unchanged. */
export function mapError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  // Node's own socket errors (ECONNREFUSED, ECONNRESET, ...) and pg's for a lost or timed-out connection.
  const network = /^E[A-Z]+$/.test(code) || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
  if (network || UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`PostgreSQL cannot commit now (${code || 'connection'}): ${message}`, { cause: err });
  }
  return err;
}

/** Savepoints let one notification of a batch fail alone: PostgreSQL aborts the whole transaction otherwise. */
export async function inSavepoint<T>(c: Queryable, fn: () => Promise<T>): Promise<T> {
  await c.query('SAVEPOINT one');
  try {
    const result = await fn();
    await c.query('RELEASE SAVEPOINT one');
    return result;
  } catch (err) {
    await c.query('ROLLBACK TO SAVEPOINT one');
    throw err;
  }
}
