// Versioned schema migrations for the SQLite store, and the runner that applies them. Append only: a
// released migration never changes, because databases in the field have already applied it.
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../store.ts';
import { GUARD_TABLES } from '../guards-sql.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'inbox, incidents, work queue, attempts',
    sql: `
      CREATE TABLE notifications (
        id               INTEGER PRIMARY KEY,
        received_at      INTEGER NOT NULL,
        receiver         TEXT    NOT NULL,
        status           TEXT    NOT NULL,
        group_key        TEXT    NOT NULL,
        external_url     TEXT    NOT NULL,
        alert_count      INTEGER NOT NULL,
        truncated_alerts INTEGER NOT NULL,
        request_id       TEXT
      );

      CREATE TABLE incidents (
        id            INTEGER PRIMARY KEY,
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
        first_seen_at INTEGER NOT NULL,
        last_seen_at  INTEGER NOT NULL,
        ends_at       TEXT,
        resolved_at   INTEGER,
        deliveries    INTEGER NOT NULL DEFAULT 1,
        duplicates    INTEGER NOT NULL DEFAULT 0,
        UNIQUE (fingerprint, starts_at)
      );
      CREATE INDEX incidents_by_agent ON incidents (agent, id);
      CREATE INDEX incidents_by_status ON incidents (status, id);
      CREATE INDEX incidents_by_first_seen ON incidents (first_seen_at);

      -- Each change of an incident's alert as received (first firing, resolve); repeats only count.
      CREATE TABLE incident_alerts (
        id              INTEGER PRIMARY KEY,
        incident_id     INTEGER NOT NULL REFERENCES incidents (id),
        notification_id INTEGER NOT NULL REFERENCES notifications (id),
        status          TEXT    NOT NULL,
        received_at     INTEGER NOT NULL,
        ends_at         TEXT,
        annotations     TEXT    NOT NULL
      );
      CREATE INDEX incident_alerts_by_incident ON incident_alerts (incident_id, id);

      CREATE TABLE work_items (
        id          INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL UNIQUE REFERENCES incidents (id),
        target      TEXT    NOT NULL,
        priority    INTEGER NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  INTEGER NOT NULL,
        claimed_by  TEXT,
        claimed_at  INTEGER,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        last_error  TEXT
      );
      CREATE INDEX work_items_queue ON work_items (state, priority, created_at, id);
      CREATE INDEX work_items_by_target ON work_items (target, state);

      CREATE TABLE attempts (
        id           INTEGER PRIMARY KEY,
        incident_id  INTEGER NOT NULL REFERENCES incidents (id),
        work_item_id INTEGER REFERENCES work_items (id),
        target       TEXT    NOT NULL,
        strategy     TEXT    NOT NULL,
        driver       TEXT    NOT NULL,
        mode         TEXT    NOT NULL,
        outcome      TEXT    NOT NULL,
        reason       TEXT    NOT NULL,
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER,
        details      TEXT    NOT NULL
      );
      CREATE INDEX attempts_by_target ON attempts (target, started_at);
      CREATE INDEX attempts_by_incident ON attempts (incident_id, id);
    `,
  },
  {
    version: 2,
    name: 'remediation engine: attempt context, circuit breakers, reversible changes, approvals',
    sql: `
      ALTER TABLE attempts ADD COLUMN agent_type TEXT;
      ALTER TABLE attempts ADD COLUMN alertname TEXT;
      CREATE INDEX attempts_by_started ON attempts (started_at);

      CREATE TABLE circuit_breakers (
        target        TEXT    PRIMARY KEY,
        agent_type    TEXT    NOT NULL,
        state         TEXT    NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
        changed_at    INTEGER NOT NULL,
        next_check_at INTEGER,
        opens         INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE changes (
        id          INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
        target      TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        before      TEXT    NOT NULL,
        after       TEXT    NOT NULL,
        applied_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('active', 'reverted', 'promoted', 'revert_failed')),
        settled_at  INTEGER,
        note        TEXT
      );
      CREATE INDEX changes_due ON changes (state, expires_at);

      CREATE TABLE approvals (
        id           INTEGER PRIMARY KEY,
        incident_id  INTEGER NOT NULL REFERENCES incidents (id),
        strategy     TEXT    NOT NULL,
        plan         TEXT    NOT NULL,
        requested_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        state        TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'used')),
        decided_by   TEXT,
        decided_at   INTEGER,
        note         TEXT
      );
      CREATE INDEX approvals_by_incident ON approvals (incident_id, id);
    `,
  },
  {
    version: 3,
    name: 'anomaly model: the reading stored with each incident',
    sql: `
      ALTER TABLE incidents ADD COLUMN anomaly TEXT;
    `,
  },
  {
    version: 4,
    name: 'readiness: a row the readiness check rewrites, so that it proves a commit',
    sql: `
      CREATE TABLE store_heartbeat (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        at      INTEGER NOT NULL,
        payload BLOB    NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'the operator API audit trail, and the escalation outbox',
    sql: `
      CREATE TABLE operator_audit (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
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
        id          INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL,
        reason      TEXT    NOT NULL,
        payload     TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent')),
        tries       INTEGER NOT NULL DEFAULT 0,
        next_at     INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        last_error  TEXT,
        sent_at     INTEGER
      );
      CREATE INDEX escalation_outbox_due ON escalation_outbox (state, next_at);
    `,
  },
  {
    version: 6,
    name: 'the inbox in two steps: a delivery committed as received, its alerts recorded after the answer',
    sql: `
      -- The received alerts, until they are recorded (then NULL); rows from before this version were
      -- recorded in one step and have none.
      ALTER TABLE notifications ADD COLUMN received_alerts TEXT;
      -- What recording made of them (created, resolved, duplicates), or why it could not.
      ALTER TABLE notifications ADD COLUMN recorded_at INTEGER;
      ALTER TABLE notifications ADD COLUMN outcome TEXT;
      ALTER TABLE notifications ADD COLUMN record_error TEXT;
      CREATE INDEX notifications_waiting ON notifications (id) WHERE received_alerts IS NOT NULL;
      -- How many alerts wait, kept by the writes themselves: the back-pressure gate and the metrics read it
      -- often, and a sum over a flood's waiting rows took tens of milliseconds of the event loop.
      CREATE TABLE inbox_waiting (id INTEGER PRIMARY KEY CHECK (id = 1), alerts INTEGER NOT NULL);
      INSERT INTO inbox_waiting (id, alerts) VALUES (1, 0);
    `,
  },
  {
    version: 7,
    name: 'the kill switch: automatic actions paused by an operator',
    sql: `
      -- One row while automatic actions are paused; none otherwise.
      CREATE TABLE actions_paused (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        paused_by TEXT NOT NULL,
        paused_at INTEGER NOT NULL,
        note TEXT
      );
    `,
  },
  {
    version: 8,
    name: "operators' decision modes per tier",
    sql: `
      CREATE TABLE tier_modes (
        tier TEXT PRIMARY KEY,
        mode TEXT NOT NULL CHECK (mode IN ('auto', 'shadow', 'approve', 'notify')),
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        note TEXT
      );
    `,
  },
  {
    version: 9,
    name: 'work claims as leases with a fencing token',
    sql: `
      -- Until when the latest claim holds unless renewed (NULL: claimed before leases, or never).
      ALTER TABLE work_items ADD COLUMN lease_until INTEGER;
      -- Each claim of an item gets a larger token; a write with an older one is refused.
      ALTER TABLE work_items ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX work_items_leases ON work_items (state, lease_until);
    `,
  },
  {
    version: 10,
    name: 'named leases: the replica that runs the periodic jobs',
    sql: `
      CREATE TABLE leases (
        name   TEXT    PRIMARY KEY,
        holder TEXT    NOT NULL,
        until  INTEGER NOT NULL,
        fence  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: "the fleet guards' reservations and token buckets, shared by every admission",
    sql: GUARD_TABLES({ int: 'INTEGER', real: 'REAL', bool: 'INTEGER' }),
  },
];

/**
 * Brings the database to the latest version, each migration in a transaction of its own. A database
 * newer than this code is refused rather than written with an older idea of its schema.
 */
export function migrate(db: Database.Database, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const current = Number((db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: unknown }).v);
  const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new StoreUnavailableError(
      `${path} has schema version ${current}, newer than this Medic knows (${latest}): run a newer Medic, or point --data-dir elsewhere`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of SQLITE_MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }).immediate();
  }
}
