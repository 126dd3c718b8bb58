// PostgreSQL for tests: the server every machine runs on 127.0.0.1:5432 (database `test`, trust auth;
// .ci/run starts it if it is down), or MEDIC_TEST_DATABASE_URL. Each test gets a schema of its own, so
// tests never see each other's rows; the schemas are dropped when the file's tests end.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import type { PostgresStoreOptions } from '../../server/store/postgres/pg-store.ts';

export const TEST_DATABASE_URL = process.env.MEDIC_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const created = new Set<string>();
// At the top level of the importing file's run: a hook registered from inside a test or a hook would
// belong to that test, and drop schemas while later tests still use them.
after(dropTestSchemas);

/** A new, unused schema name, dropped (with everything in it) after the calling file's tests. */
export function freshSchema(prefix = 'medic_t'): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  created.add(schema);
  return schema;
}

/** Store options for a test: a small pool, short timeouts. */
export function pgOptions(schema: string, over: Partial<PostgresStoreOptions> = {}): PostgresStoreOptions {
  return { url: TEST_DATABASE_URL, schema, poolSize: 4, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000, ...over };
}

async function dropTestSchemas(): Promise<void> {
  if (created.size === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const schema of created) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    created.clear();
  } finally {
    await client.end();
  }
}
