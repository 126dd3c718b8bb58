// The fleet guards' SQL (server/store/guards-store.ts), the same for SQLite and PostgreSQL: $n
// parameters, upserts with excluded, and comparisons both read alike. A reservation lives while its work
// item runs (or, without one, until its ceiling): a replica that dies stops counting with its claim.
export const DROP_DEAD_RESERVATIONS = `
  DELETE FROM guard_reservations
  WHERE until <= $1
     OR (work_item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.id = guard_reservations.work_item_id AND w.state = 'running'))`;

export const LIVE_RESERVATIONS = 'SELECT * FROM guard_reservations WHERE holder <> $1';

export const GUARD_BUCKETS = 'SELECT * FROM guard_buckets';

export const PUT_RESERVATION = `
  INSERT INTO guard_reservations (holder, work_item_id, target, agent_type, takes_capacity, until) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (holder) DO UPDATE SET work_item_id = excluded.work_item_id, target = excluded.target, agent_type = excluded.agent_type,
    takes_capacity = excluded.takes_capacity, until = excluded.until`;

export const RELEASE_RESERVATION = 'DELETE FROM guard_reservations WHERE holder = $1';

export const PUT_BUCKET = `
  INSERT INTO guard_buckets (name, tokens, at, since) VALUES ($1, $2, $3, $4)
  ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, at = excluded.at, since = excluded.since`;

export const DROP_BUCKET = 'DELETE FROM guard_buckets WHERE name = $1';

export const GUARD_TABLES = (types: { int: string; real: string; bool: string }) => `
  CREATE TABLE guard_reservations (
    holder         TEXT PRIMARY KEY,
    work_item_id   ${types.int},
    target         TEXT NOT NULL,
    agent_type     TEXT NOT NULL,
    takes_capacity ${types.bool} NOT NULL,
    until          ${types.int} NOT NULL
  );
  CREATE TABLE guard_buckets (
    name   TEXT PRIMARY KEY,
    tokens ${types.real} NOT NULL,
    at     ${types.int} NOT NULL,
    since  ${types.int} NOT NULL
  );`;
