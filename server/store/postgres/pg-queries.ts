// Read queries for the API and the metrics, in PostgreSQL: the same answers as
// server/store/sqlite/queries.ts. Nothing here writes.
import { ACTED_OUTCOMES } from '../../../remediations/records.ts';
import { toAlertEvent, toAttempt, toIncident, toNotificationDetail, toWorkItem, type Row } from '../rows.ts';
import type { AgentActivity, Attempt, AttemptFilter, Incident, IncidentDetail, IncidentFilter, NotificationDetail, Page, PageRequest, StoreStats } from '../store.ts';
import type { PgConnection } from './pg-connection.ts';

// Each filter field's condition, `$` standing for its parameter. Typed by the filter, so a new field
// does not compile until it has one.
const INCIDENT_FILTERS: Record<keyof IncidentFilter, string> = {
  agent: 'agent = $',
  agents: 'agent = ANY($::text[])',
  agentType: "labels::jsonb ->> 'agent_type' = $",
  alertname: 'alertname = $',
  strategy: 'EXISTS (SELECT 1 FROM attempts a WHERE a.incident_id = incidents.id AND a.strategy = $)',
  status: 'status = $',
  since: 'first_seen_at >= $',
  until: 'first_seen_at < $',
};
const ATTEMPT_FILTERS: Record<keyof AttemptFilter, string> = {
  agent: 'incident_id IN (SELECT id FROM incidents WHERE agent = $)',
  outcome: 'outcome = $',
  since: 'started_at >= $',
  until: 'started_at < $',
};

export class PgQueries {
  constructor(private readonly conn: PgConnection) {}

  listIncidents(filter: IncidentFilter, request: PageRequest): Promise<Page<Incident>> {
    return this.page('incidents', INCIDENT_FILTERS, filter, request, toIncident);
  }
  listAttempts(filter: AttemptFilter, request: PageRequest): Promise<Page<Attempt>> {
    return this.page('attempts', ATTEMPT_FILTERS, filter, request, toAttempt);
  }

  async getIncident(id: number): Promise<IncidentDetail | undefined> {
    const row = (await this.conn.query('SELECT * FROM incidents WHERE id = $1', [id]))[0];
    if (!row) return undefined;
    const [alerts, work, attempts] = await Promise.all([
      this.conn.query('SELECT * FROM incident_alerts WHERE incident_id = $1 ORDER BY id', [id]),
      this.conn.query('SELECT * FROM work_items WHERE incident_id = $1 ORDER BY id', [id]),
      this.conn.query('SELECT * FROM attempts WHERE incident_id = $1 ORDER BY id', [id]),
    ]);
    return { incident: toIncident(row), alerts: alerts.map(toAlertEvent), work: work.map(toWorkItem), attempts: attempts.map(toAttempt) };
  }

  async getNotification(id: number): Promise<NotificationDetail | undefined> {
    const row = (await this.conn.query(
      `SELECT id, received_at, receiver, status, group_key, alert_count, request_id, recorded_at, outcome, record_error,
              received_alerts IS NOT NULL AS waiting
       FROM notifications WHERE id = $1`,
      [id],
    ))[0];
    if (!row) return undefined;
    return toNotificationDetail(row);
  }

  async agentActivity(): Promise<AgentActivity[]> {
    const [incidents, attempts, changes] = await Promise.all([
      this.conn.query(`SELECT agent, COUNT(*) FILTER (WHERE status = 'firing') AS open, MAX(first_seen_at) AS last FROM incidents WHERE agent IS NOT NULL GROUP BY agent`),
      // Per target, its newest attempt that acted or is acting.
      this.conn.query(
        `SELECT DISTINCT ON (target) target, strategy, outcome, mode, started_at, finished_at FROM attempts WHERE outcome = ANY($1::text[]) ORDER BY target, id DESC`,
        [[...ACTED_OUTCOMES]],
      ),
      this.conn.query("SELECT target, COUNT(*) AS n FROM changes WHERE state = 'active' GROUP BY target"),
    ]);
    const byAgent = new Map<string, AgentActivity>();
    const of = (agent: string) => {
      let a = byAgent.get(agent);
      if (!a) byAgent.set(agent, (a = { agent, openIncidents: 0, lastIncidentAt: null, lastRemediation: null, activeChanges: 0 }));
      return a;
    };
    for (const r of incidents) Object.assign(of(String(r.agent)), { openIncidents: Number(r.open), lastIncidentAt: Number(r.last) });
    for (const r of attempts) {
      of(String(r.target)).lastRemediation = {
        strategy: String(r.strategy), outcome: String(r.outcome), mode: String(r.mode), startedAt: Number(r.started_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      };
    }
    for (const r of changes) of(String(r.target)).activeChanges = Number(r.n);
    return [...byAgent.values()].sort((a, b) => a.agent.localeCompare(b.agent));
  }

  async stats(): Promise<StoreStats> {
    // The waiting alerts are summed over the partial index of waiting rows: no counter row that every
    // replica's receipt would queue on.
    const row = (await this.conn.query(
      `SELECT (SELECT COUNT(*) FROM work_items WHERE state = 'pending') AS pending,
              (SELECT COUNT(*) FROM work_items WHERE state = 'running') AS running,
              (SELECT COUNT(*) FROM incidents WHERE status = 'firing') AS open,
              (SELECT COALESCE(SUM(alert_count), 0) FROM notifications WHERE received_alerts IS NOT NULL) AS received,
              EXISTS (SELECT 1 FROM actions_paused) AS paused`,
    ))[0]!;
    return { pendingWork: Number(row.pending), runningWork: Number(row.running), openIncidents: Number(row.open), receivedAlerts: Number(row.received), actionsPaused: row.paused === true };
  }

  // Keyset pagination, newest first, as in SQLite. The statement's text comes only from the constants
  // above; the values are bound.
  private async page<F extends object, T>(table: 'incidents' | 'attempts', conditions: Record<keyof F, string>, filter: F, request: PageRequest, map: (r: Row) => T): Promise<Page<T>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const bind = (condition: string, value: unknown) => {
      args.push(value);
      where.push(condition.replace('$', () => `$${args.length}`));
    };
    for (const [field, condition] of Object.entries(conditions) as [keyof F, string][]) {
      const value = filter[field];
      if (value !== undefined) bind(condition, value);
    }
    if (request.cursor !== undefined) bind('id < $', request.cursor);
    args.push(request.limit + 1);
    const sql = `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    const rows = await this.conn.query(sql, args);
    const items = rows.slice(0, request.limit);
    return { items: items.map(map), nextCursor: rows.length > request.limit ? Number(items[items.length - 1]!.id) : null };
  }
}
