// Read queries for the API and the metrics: incident and attempt listings (filtered, paged), one
// incident with everything recorded about it, one delivery and what became of it, and the queue's gauges. Nothing here writes.
import type Database from 'better-sqlite3';
import { ACTED_OUTCOMES } from '../../../remediations/records.ts';
import type { AgentActivity, AttemptFilter, IncidentFilter, NotificationDetail, Page, PageRequest } from '../store.ts';
import type { SyncStore } from './connection.ts';
import { toAlertEvent, toAttempt, toIncident, toNotificationDetail, toWorkItem, type Row } from '../rows.ts';

export interface SqliteQueries {
  listIncidents: SyncStore<'listIncidents'>;
  listAttempts: SyncStore<'listAttempts'>;
  getIncident: SyncStore<'getIncident'>;
  getNotification: SyncStore<'getNotification'>;
  stats: SyncStore<'stats'>;
  agentActivity: SyncStore<'agentActivity'>;
}

// Each filter field's condition. Typed by the filter, so a new field does not compile until it has one.
const INCIDENT_FILTERS: Record<keyof IncidentFilter, string> = {
  agent: 'agent = ?',
  // One bound value however many agents: the list goes in as JSON.
  agents: 'agent IN (SELECT value FROM json_each(?))',
  agentType: "json_extract(labels, '$.agent_type') = ?",
  alertname: 'alertname = ?',
  strategy: 'EXISTS (SELECT 1 FROM attempts a WHERE a.incident_id = incidents.id AND a.strategy = ?)',
  status: 'status = ?',
  since: 'first_seen_at >= ?',
  until: 'first_seen_at < ?',
};
const ATTEMPT_FILTERS: Record<keyof AttemptFilter, string> = {
  agent: 'incident_id IN (SELECT id FROM incidents WHERE agent = ?)',
  outcome: 'outcome = ?',
  since: 'started_at >= ?',
  until: 'started_at < ?',
};

export function prepareQueries(db: Database.Database): SqliteQueries {
  const st = {
    incidentById: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    alertsOfIncident: db.prepare('SELECT * FROM incident_alerts WHERE incident_id = ? ORDER BY id'),
    workOfIncident: db.prepare('SELECT * FROM work_items WHERE incident_id = ? ORDER BY id'),
    attemptsOfIncident: db.prepare('SELECT * FROM attempts WHERE incident_id = ? ORDER BY id'),
    stats: db.prepare(
      `SELECT (SELECT COUNT(*) FROM work_items WHERE state = 'pending') AS pending,
              (SELECT COUNT(*) FROM work_items WHERE state = 'running') AS running,
              (SELECT COUNT(*) FROM incidents WHERE status = 'firing') AS open,
              (SELECT alerts FROM inbox_waiting WHERE id = 1) AS received,
              EXISTS (SELECT 1 FROM actions_paused) AS paused`,
    ),
    // Per agent: open incidents and the newest one; SQLite returns the other columns of the MAX() row.
    incidentsByAgent: db.prepare(
      `SELECT agent, SUM(status = 'firing') AS open, MAX(first_seen_at) AS last FROM incidents WHERE agent IS NOT NULL GROUP BY agent`,
    ),
    lastAttempts: db.prepare(
      `SELECT target, strategy, outcome, mode, started_at, finished_at, MAX(id) AS id FROM attempts
       WHERE outcome IN (${[...ACTED_OUTCOMES].map(() => '?').join(', ')}) GROUP BY target`,
    ),
    activeChanges: db.prepare("SELECT target, COUNT(*) AS n FROM changes WHERE state = 'active' GROUP BY target"),
    notificationById: db.prepare(
      `SELECT id, received_at, receiver, status, group_key, alert_count, request_id, recorded_at, outcome, record_error,
              received_alerts IS NOT NULL AS waiting
       FROM notifications WHERE id = ?`,
    ),
  };

  // Keyset pagination, newest first: stable while new rows arrive, unlike OFFSET. The statement
  // depends on which filters are set, so it is prepared per call; its text comes only from the
  // constants above, the values are bound.
  const page = <F extends object, T>(
    table: 'incidents' | 'attempts',
    conditions: Record<keyof F, string>,
    filter: F,
    request: PageRequest,
    map: (r: Row) => T,
  ): Page<T> => {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [field, condition] of Object.entries(conditions) as [keyof F, string][]) {
      const value = filter[field];
      if (value !== undefined) (where.push(condition), args.push(Array.isArray(value) ? JSON.stringify(value) : value));
    }
    if (request.cursor !== undefined) (where.push('id < ?'), args.push(request.cursor));
    const sql = `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = db.prepare(sql).all(...args, request.limit + 1) as Row[];
    const items = rows.slice(0, request.limit);
    return { items: items.map(map), nextCursor: rows.length > request.limit ? Number(items[items.length - 1]!.id) : null };
  };

  return {
    listIncidents: (filter, request) => page('incidents', INCIDENT_FILTERS, filter, request, toIncident),
    listAttempts: (filter, request) => page('attempts', ATTEMPT_FILTERS, filter, request, toAttempt),
    getIncident: (id) => {
      const row = st.incidentById.get(id) as Row | undefined;
      if (!row) return undefined;
      return {
        incident: toIncident(row),
        alerts: (st.alertsOfIncident.all(id) as Row[]).map(toAlertEvent),
        work: (st.workOfIncident.all(id) as Row[]).map(toWorkItem),
        attempts: (st.attemptsOfIncident.all(id) as Row[]).map(toAttempt),
      };
    },
    getNotification: (id) => {
      const row = st.notificationById.get(id) as Row | undefined;
      if (!row) return undefined;
      return toNotificationDetail(row);
    },
    agentActivity: () => {
      const byAgent = new Map<string, AgentActivity>();
      const of = (agent: string) => {
        let a = byAgent.get(agent);
        if (!a) byAgent.set(agent, (a = { agent, openIncidents: 0, lastIncidentAt: null, lastRemediation: null, activeChanges: 0 }));
        return a;
      };
      for (const r of st.incidentsByAgent.all() as Row[]) Object.assign(of(String(r.agent)), { openIncidents: Number(r.open), lastIncidentAt: Number(r.last) });
      for (const r of st.lastAttempts.all(...ACTED_OUTCOMES) as Row[]) {
        of(String(r.target)).lastRemediation = {
          strategy: String(r.strategy), outcome: String(r.outcome), mode: String(r.mode), startedAt: Number(r.started_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at),
        };
      }
      for (const r of st.activeChanges.all() as Row[]) of(String(r.target)).activeChanges = Number(r.n);
      return [...byAgent.values()].sort((a, b) => a.agent.localeCompare(b.agent));
    },
    stats: () => {
      const row = st.stats.get() as Row;
      return { pendingWork: Number(row.pending), runningWork: Number(row.running), openIncidents: Number(row.open), receivedAlerts: Number(row.received), actionsPaused: Number(row.paused) === 1 };
    },
  };
}
