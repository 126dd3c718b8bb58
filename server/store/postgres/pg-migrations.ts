// Versioned schema migrations for the PostgreSQL store. Append only, as for SQLite. Version 1 is the
// SQLite schema as of its version 8 (versions 2, 3 and 4 follow SQLite's 9, 10 and 11), in PostgreSQL's types:
// epoch milliseconds in BIGINT, JSON kept as TEXT (it reads back exactly as written, through the same
// row mappers, server/store/rows.ts).
import { StoreUnavailableError } from '../store.ts';
import type { Queryable } from './pg-connection.ts';
import { GUARD_TABLES } from '../guards-sql.ts';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'inbox, incidents, work queue, engine records, ledgers, controls',
    sql: `
      CREATE TABLE notifications (
        id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at      BIGINT  NOT NULL,
        receiver         TEXT    NOT NULL,
        status           TEXT    NOT NULL,
        group_key        TEXT    NOT NULL,
        external_url     TEXT    NOT NULL,
        alert_count      INTEGER NOT NULL,
        truncated_alerts INTEGER NOT NULL,
        request_id       TEXT,
        received_alerts  TEXT,
        recorded_at      BIGINT,
        outcome          TEXT,
        record_error     TEXT
      );
      CREATE INDEX notifications_waiting ON notifications (id) WHERE received_alerts IS NOT NULL;

      CREATE TABLE incidents (
        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fingerprint   TEXT    NOT NULL,
        starts_at     TEXT    NOT NULL,
        alertname     TEXT    NOT NULL,
        agent         TEXT,
        target        TEXT    NOT NULL,
        severity      TEXT    NOT NULL,
        status        TEXT    NOT NULL CHECK (status IN ('firing', 'resolved')),
        labels        TEXT    NOT NULL,
        annotations   TEXT    NOT NULL,
        generator_url TEXT    NOT NULL,
        first_seen_at BIGINT  NOT NULL,
        last_seen_at  BIGINT  NOT NULL,
        ends_at       TEXT,
        resolved_at   BIGINT,
        deliveries    INTEGER NOT NULL DEFAULT 1,
        duplicates    INTEGER NOT NULL DEFAULT 0,
        anomaly       TEXT,
        -- The inbox's dedupe across replicas: the same alert from every Alertmanager peer opens one incident.
        UNIQUE (fingerprint, starts_at)
      );
      CREATE INDEX incidents_by_agent ON incidents (agent, id);
      CREATE INDEX incidents_by_status ON incidents (status, id);
      CREATE INDEX incidents_by_first_seen ON incidents (first_seen_at);

      CREATE TABLE incident_alerts (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id     BIGINT NOT NULL REFERENCES incidents (id),
        notification_id BIGINT NOT NULL REFERENCES notifications (id),
        status          TEXT   NOT NULL,
        received_at     BIGINT NOT NULL,
        ends_at         TEXT,
        annotations     TEXT   NOT NULL
      );
      CREATE INDEX incident_alerts_by_incident ON incident_alerts (incident_id, id);

      CREATE TABLE work_items (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id BIGINT  NOT NULL UNIQUE REFERENCES incidents (id),
        target      TEXT    NOT NULL,
        priority    INTEGER NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  BIGINT  NOT NULL,
        claimed_by  TEXT,
        claimed_at  BIGINT,
        created_at  BIGINT  NOT NULL,
        updated_at  BIGINT  NOT NULL,
        last_error  TEXT
      );
      CREATE INDEX work_items_queue ON work_items (state, priority, created_at, id);
      CREATE INDEX work_items_by_target ON work_items (target, state);
      -- One target, one running item, whichever replica claims it: the database says so, not a read.
      CREATE UNIQUE INDEX work_items_one_running ON work_items (target) WHERE state = 'running';

      CREATE TABLE attempts (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id  BIGINT NOT NULL REFERENCES incidents (id),
        work_item_id BIGINT REFERENCES work_items (id),
        target       TEXT   NOT NULL,
        strategy     TEXT   NOT NULL,
        driver       TEXT   NOT NULL,
        mode         TEXT   NOT NULL,
        outcome      TEXT   NOT NULL,
        reason       TEXT   NOT NULL,
        started_at   BIGINT NOT NULL,
        finished_at  BIGINT,
        details      TEXT   NOT NULL,
        agent_type   TEXT,
        alertname    TEXT
      );
      CREATE INDEX attempts_by_target ON attempts (target, started_at);
      CREATE INDEX attempts_by_incident ON attempts (incident_id, id);
      CREATE INDEX attempts_by_started ON attempts (started_at);

      CREATE TABLE circuit_breakers (
        target        TEXT    PRIMARY KEY,
        agent_type    TEXT    NOT NULL,
        state         TEXT    NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
        changed_at    BIGINT  NOT NULL,
        next_check_at BIGINT,
        opens         INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE changes (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id BIGINT NOT NULL REFERENCES incidents (id),
        attempt_id  BIGINT NOT NULL REFERENCES attempts (id),
        target      TEXT   NOT NULL,
        kind        TEXT   NOT NULL,
        before      TEXT   NOT NULL,
        after       TEXT   NOT NULL,
        applied_at  BIGINT NOT NULL,
        expires_at  BIGINT NOT NULL,
        state       TEXT   NOT NULL CHECK (state IN ('active', 'reverted', 'promoted', 'revert_failed')),
        settled_at  BIGINT,
        note        TEXT
      );
      CREATE INDEX changes_due ON changes (state, expires_at);

      CREATE TABLE approvals (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id  BIGINT NOT NULL REFERENCES incidents (id),
        strategy     TEXT   NOT NULL,
        plan         TEXT   NOT NULL,
        requested_at BIGINT NOT NULL,
        expires_at   BIGINT NOT NULL,
        state        TEXT   NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'used')),
        decided_by   TEXT,
        decided_at   BIGINT,
        note         TEXT
      );
      CREATE INDEX approvals_by_incident ON approvals (incident_id, id);

      CREATE TABLE store_heartbeat (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        at      BIGINT  NOT NULL,
        payload BYTEA   NOT NULL
      );

      CREATE TABLE operator_audit (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at         BIGINT  NOT NULL,
        who        TEXT    NOT NULL,
        role       TEXT    NOT NULL,
        via        TEXT    NOT NULL,
        method     TEXT    NOT NULL,
        path       TEXT    NOT NULL,
        status     INTEGER NOT NULL,
        request_id TEXT    NOT NULL,
        client     TEXT
      );

      CREATE TABLE escalation_outbox (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        incident_id BIGINT  NOT NULL,
        reason      TEXT    NOT NULL,
        payload     TEXT    NOT NULL,
        created_at  BIGINT  NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent')),
        tries       INTEGER NOT NULL DEFAULT 0,
        next_at     BIGINT  NOT NULL,
        updated_at  BIGINT  NOT NULL,
        last_error  TEXT,
        sent_at     BIGINT
      );
      CREATE INDEX escalation_outbox_due ON escalation_outbox (state, next_at);

      CREATE TABLE actions_paused (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        paused_by TEXT    NOT NULL,
        paused_at BIGINT  NOT NULL,
        note      TEXT
      );

      CREATE TABLE tier_modes (
        tier   TEXT   PRIMARY KEY,
        mode   TEXT   NOT NULL CHECK (mode IN ('auto', 'shadow', 'approve', 'notify')),
        set_by TEXT   NOT NULL,
        set_at BIGINT NOT NULL,
        note   TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'work claims as leases with a fencing token',
    sql: `
      ALTER TABLE work_items ADD COLUMN lease_until BIGINT;
      ALTER TABLE work_items ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;
      CREATE INDEX work_items_leases ON work_items (state, lease_until);
    `,
  },
  {
    version: 3,
    name: 'named leases: the replica that runs the periodic jobs',
    sql: `
      CREATE TABLE leases (
        name   TEXT   PRIMARY KEY,
        holder TEXT   NOT NULL,
        until  BIGINT NOT NULL,
        fence  BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "the fleet guards' reservations and token buckets, shared by every admission",
    sql: GUARD_TABLES({ int: 'BIGINT', real: 'DOUBLE PRECISION', bool: 'BOOLEAN' }),
  },
];

/**
 * Brings the schema to the latest version inside the caller's transaction (which holds the migration
 * lock). A schema newer than this code is refused rather than written with an older idea of it.
 */
export async function migratePostgres(c: Queryable, schema: string): Promise<void> {
  await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const current = Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0].v);
  const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new StoreUnavailableError(
      `schema ${schema} has version ${current}, newer than this Medic knows (${latest}): run a newer Medic, or set store.postgres.schema to another schema`,
    );
  }
  for (const m of POSTGRES_MIGRATIONS) {
    if (m.version <= current) continue;
    await c.query(m.sql);
    await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
  }
}
