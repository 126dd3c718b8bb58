// The read API: incidents, one incident with its alerts, work and attempts, and the remediation
// attempts across incidents. JSON, newest first, paginated with an opaque cursor.
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { formatPath, ruleOf } from '../../lib/schema-messages.ts';
import type { Attempt, Incident, IncidentDetail, Store, WorkItem } from '../store/store.ts';

const Time = z.string().transform((s, ctx) => {
  // RFC 3339 like Alertmanager, or Unix seconds like Prometheus's API.
  const ms = /^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : Date.parse(s);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time or Unix seconds' });
    return z.NEVER;
  }
  return ms;
});

const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(1).optional(),
  since: Time.optional(),
  until: Time.optional(),
  agent: z.string().min(1).optional(),
};

const IncidentsQuery = z.strictObject({
  ...PageQuery,
  status: z.enum(['firing', 'resolved']).optional(),
  type: z.string().min(1).max(200).optional(),
  tier: z.string().min(1).max(200).optional(),
  strategy: z.string().min(1).max(200).optional(),
  alertname: z.string().min(1).max(200).optional(),
});
// `status` is accepted as another name for `outcome`, as the incidents list filters by status.
const RemediationsQuery = z.strictObject({ ...PageQuery, outcome: z.string().min(1).optional(), status: z.string().min(1).optional() });
const RowId = z.coerce.number().int().min(1);

/** A tier's agents, from the inventory and the policies; undefined when the policies have no such tier. */
export type AgentsOfTier = (tier: string) => string[] | undefined;

export function readApiRouter(store: Store, models?: () => unknown[], predictions?: () => unknown[], agentsOfTier?: AgentsOfTier): Router {
  const router = express.Router();

  router.get('/api/models', (req, res) => {
    res.json({ items: models?.() ?? [] });
  });

  // The last prediction round's failure probabilities, most likely first, with the contributing factors
  // of agents at or above their model's threshold.
  router.get('/api/predictions', (req, res) => {
    res.json({ items: predictions?.() ?? [] });
  });

  router.get('/api/incidents', async (req, res) => {
    const q = parseQuery(IncidentsQuery, req, res);
    if (!q) return;
    // A tier is the policies' grouping of the inventory's agents, not a label: it becomes that agent list.
    const agents = q.tier === undefined ? undefined : agentsOfTier?.(q.tier);
    if (q.tier !== undefined && agents === undefined) return void res.status(400).json({ error: `no tier ${JSON.stringify(q.tier)} in the policies` });
    const page = await store.listIncidents(
      { agent: q.agent, agents, agentType: q.type, strategy: q.strategy, alertname: q.alertname, status: q.status, since: q.since, until: q.until },
      { limit: q.limit, cursor: q.cursor },
    );
    res.json({ items: page.items.map(presentIncident), next_cursor: page.nextCursor });
  });

  router.get('/api/incidents/:id', async (req, res) => {
    const id = RowId.safeParse(req.params.id);
    if (!id.success) {
      res.status(400).json({ error: `incident id must be a positive integer, but was ${JSON.stringify(req.params.id)}` });
      return;
    }
    const detail = await store.getIncident(id.data);
    if (!detail) {
      res.status(404).json({ error: `no incident ${id.data}` });
      return;
    }
    res.json(presentDetail(detail));
  });

  // One webhook delivery and what became of it: the answer gives its id; its alerts are recorded a
  // moment after the answer (received, then recorded, or unrecordable with the reason).
  router.get('/api/notifications/:id', async (req, res) => {
    const id = RowId.safeParse(req.params.id);
    if (!id.success) {
      res.status(400).json({ error: `notification id must be a positive integer, but was ${JSON.stringify(req.params.id)}` });
      return;
    }
    const detail = await store.getNotification(id.data);
    if (!detail) {
      res.status(404).json({ error: `no notification ${id.data}` });
      return;
    }
    res.json({ ...detail, receivedAt: new Date(detail.receivedAt).toISOString(), recordedAt: detail.recordedAt === null ? null : new Date(detail.recordedAt).toISOString() });
  });

  router.get('/api/remediations', async (req, res) => {
    const q = parseQuery(RemediationsQuery, req, res);
    if (!q) return;
    const page = await store.listAttempts(
      { agent: q.agent, outcome: q.outcome ?? q.status, since: q.since, until: q.until },
      { limit: q.limit, cursor: q.cursor },
    );
    res.json({ items: page.items.map(presentAttempt), next_cursor: page.nextCursor });
  });

  return router;
}

function parseQuery<T extends z.ZodType>(schema: T, req: Request, res: Response): z.output<T> | undefined {
  const parsed = schema.safeParse(req.query);
  if (parsed.success) return parsed.data;
  res.status(400).json({
    error: 'invalid query parameters',
    problems: parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? { path: i.keys.join(', '), message: 'not a known parameter' }
        : { path: formatPath(i.path), message: ruleOf(i) },
    ),
  });
  return undefined;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentIncident(i: Incident) {
  return {
    id: i.id,
    fingerprint: i.fingerprint,
    alertname: i.alertname,
    agent: i.agent,
    target: i.target,
    severity: i.severity,
    status: i.status,
    startsAt: i.startsAt,
    endsAt: i.endsAt,
    firstSeenAt: iso(i.firstSeenAt),
    lastSeenAt: iso(i.lastSeenAt),
    resolvedAt: iso(i.resolvedAt),
    deliveries: i.deliveries,
    duplicates: i.duplicates,
    labels: i.labels,
    annotations: i.annotations,
    generatorURL: i.generatorURL,
    anomaly: i.anomaly && { ...i.anomaly, sampleAt: iso(i.anomaly.sampleAt) },
  };
}

function presentWork(w: WorkItem) {
  return {
    id: w.id,
    state: w.state,
    target: w.target,
    priority: w.priority,
    attempts: w.attempts,
    notBefore: iso(w.notBefore),
    claimedBy: w.claimedBy,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
    lastError: w.lastError,
  };
}

export function presentAttempt(a: Attempt) {
  return {
    id: a.id,
    incidentId: a.incidentId,
    workItemId: a.workItemId,
    target: a.target,
    strategy: a.strategy,
    driver: a.driver,
    mode: a.mode,
    outcome: a.outcome,
    reason: a.reason,
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
    details: a.details,
  };
}

function presentDetail(d: IncidentDetail) {
  return {
    ...presentIncident(d.incident),
    explanation: [...(d.incident.anomaly ? [explainAnomaly(d.incident.anomaly)] : []), ...explain(d.attempts)],
    alerts: d.alerts.map((a) => ({ ...a, receivedAt: iso(a.receivedAt) })),
    work: d.work.map(presentWork),
    attempts: d.attempts.map(presentAttempt),
  };
}

/** The model's reading in one sentence, so the explanation says what steered the selection. */
export function explainAnomaly(a: NonNullable<Incident['anomaly']>): string {
  // A predicted failure's reading (server/scoring/anomaly-scorer.ts failureAssessment): a probability,
  // and factors that are how much each input adds to it (occlusion), not deviations in σ.
  if (a.model.startsWith('failure ')) {
    const factors = a.contributions.map((c) => `${c.feature} (+${c.deviation.toFixed(2)})`).join(', ');
    return `${iso(a.sampleAt)} failure model ${a.model.slice('failure '.length)} gave a failure probability of ${a.score.toFixed(3)} (alarm at ${a.threshold.toFixed(3)})${a.type ? `, driven by ${a.type}` : ''}. Contributing factors: ${factors || 'none'}.`;
  }
  const top = a.contributions.map((c) => `${c.feature} (${c.deviation.toFixed(1)}σ)`).join(', ');
  const verdict = a.isAnomaly ? `anomalous (${a.type})` : `within normal (below the threshold ${a.threshold.toFixed(3)}; type not used)`;
  return `${iso(a.sampleAt)} anomaly model ${a.model} scored ${a.score.toFixed(3)}: ${verdict}. Largest deviations: ${top || 'none'}.`;
}

/** The incident's decisions in order, each in one sentence: what, how, the outcome, and why. */
export function explain(attempts: Attempt[]): string[] {
  return attempts.map((a) => {
    const at = iso(a.startedAt);
    const how = a.strategy === 'none' ? '' : ` ${a.strategy} via ${a.driver} (${a.mode})`;
    const rule = typeof a.details.rule === 'string' && a.details.rule ? ` Chosen by rule ${a.details.rule}.` : '';
    const climbed = Array.isArray(a.details.ladderClimbed) && a.details.ladderClimbed.length ? ` Passed over: ${(a.details.ladderClimbed as string[]).join('; ')}.` : '';
    return `${at}${how}: ${a.outcome.replace(/_/g, ' ')}: ${a.reason}.${rule}${climbed}`;
  });
}
