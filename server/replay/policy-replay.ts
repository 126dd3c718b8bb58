// Policy replay (what-if): the recorded alerts of a period run through a candidate policy and rule set,
// against the recorded observations, without acting; then compared with what was done, incident by
// incident. The recorded store is only read. The run happens in a scratch SQLite store in memory, through
// the real engine and the real inbox and queue rules (timeline-runner.ts), so what the replay says the
// candidate would do is what Medic would do with it, guards, cooldowns and attempt limits included.
import type { Policies } from '../../remediations/decide/policies.ts';
import type { SelectionRule } from '../../remediations/decide/selection.ts';
import type { Agent } from '../../remediations/types.ts';
import { toReceivedAlert } from '../ingest/inbox.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Approval, IncidentDetail, Store } from '../store/store.ts';
import { ReplayDriver, type RecordedObservation } from './replay-driver.ts';
import { count, describeOutcome, outcomeOf, type IncidentOutcome, type Tally } from './replay-outcome.ts';
import { alertKey, runTimeline, type TimelineEvent } from './timeline-runner.ts';

export interface ReplayInput {
  /** The recorded store: only read. */
  source: Store;
  from: number;
  to: number;
  agents: readonly Agent[];
  policies: Policies;
  rules: SelectionRule[];
  onProgress?: (phase: 'reading' | 'replaying', done: number, total: number) => void;
}

export interface ReplayDifference {
  incidentId: number;
  agent: string | null;
  alertname: string;
  firstSeenAt: string;
  tier: string | null;
  recorded: string;
  candidate: string;
}

export interface ReplayReport {
  from: string;
  to: string;
  incidents: number;
  /** Actions by tier and strategy. */
  actions: { tier: string; strategy: string; recorded: number; candidate: number }[];
  guards: { guard: string; recorded: number; candidate: number }[];
  cooldowns: Tally;
  escalations: { reason: string; recorded: number; candidate: number }[];
  /** Incidents the candidate would put to an operator the record has no answer from. */
  awaitingOperator: number;
  differences: ReplayDifference[];
  elapsedMs: number;
}

const PAGE = 500;

export async function replayPolicies(input: ReplayInput): Promise<ReplayReport> {
  const started = Date.now();
  const recorded = await readPeriod(input);
  const approvals = new Map<number, Approval>();
  for (const a of await input.source.listApprovals()) if (a.state !== 'pending' && a.state !== 'expired') approvals.set(a.incidentId, a);
  const events = recorded.flatMap((d) => eventsOf(d, approvals.get(d.incident.id)));

  const scratch = SqliteStore.open({ path: ':memory:', synchronous: 'normal', busyTimeoutMs: 1000 });
  try {
    const run = await runTimeline({
      store: scratch, agents: input.agents, policies: input.policies, rules: input.rules, driver: new ReplayDriver(), events,
      onProgress: (done, total) => input.onProgress?.('replaying', done, total),
    });
    const byKey = new Map(recorded.map((d) => [alertKey(d.incident), d]));
    const actions = new Map<string, Tally>();
    const guards = new Map<string, Tally>();
    const escalations = new Map<string, Tally>();
    const cooldowns: Tally = { recorded: 0, candidate: 0 };
    const differences: ReplayDifference[] = [];
    const tally = (o: IncidentOutcome, side: keyof Tally) => {
      for (const s of o.acted) count(actions, `${o.tier ?? '-'}\u0000${s}`, side);
      for (const g of o.guards) count(guards, g, side);
      for (const e of o.escalations) count(escalations, e, side);
      cooldowns[side] += o.cooldowns;
    };
    for (const [scratchId, key] of run.incidents) {
      const before = byKey.get(key);
      const after = await scratch.getIncident(scratchId);
      if (!before || !after) continue;
      const was = outcomeOf(before.attempts);
      const would = outcomeOf(after.attempts);
      would.tier ??= was.tier;
      tally(was, 'recorded');
      tally(would, 'candidate');
      const recordedText = describeOutcome(was);
      const candidateText = describeOutcome(would, run.awaitingOperator.has(scratchId));
      if (recordedText !== candidateText) {
        const i = before.incident;
        differences.push({
          incidentId: i.id, agent: i.agent, alertname: i.alertname, firstSeenAt: new Date(i.firstSeenAt).toISOString(), tier: would.tier ?? was.tier,
          recorded: recordedText, candidate: candidateText,
        });
      }
    }
    const rows = (t: Map<string, Tally>) => [...t].sort(([a], [b]) => a.localeCompare(b));
    return {
      from: new Date(input.from).toISOString(), to: new Date(input.to).toISOString(), incidents: recorded.length,
      actions: rows(actions).map(([k, v]) => ({ tier: k.split('\u0000')[0]!, strategy: k.split('\u0000')[1]!, ...v })),
      guards: rows(guards).map(([guard, v]) => ({ guard, ...v })),
      cooldowns,
      escalations: rows(escalations).map(([reason, v]) => ({ reason, ...v })),
      awaitingOperator: run.awaitingOperator.size,
      differences: differences.sort((a, b) => a.incidentId - b.incidentId),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await scratch.close();
  }
}

/** Every incident first seen in the period, oldest first, with its alerts and attempts. */
async function readPeriod(input: ReplayInput): Promise<IncidentDetail[]> {
  const ids: number[] = [];
  for (let cursor: number | undefined; ;) {
    const page = await input.source.listIncidents({ since: input.from, until: input.to }, { limit: PAGE, cursor });
    ids.push(...page.items.filter((i) => i.firstSeenAt < input.to).map((i) => i.id));
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  ids.reverse();
  const out: IncidentDetail[] = [];
  for (const id of ids) {
    const d = await input.source.getIncident(id);
    if (d) out.push(d);
    if (out.length % PAGE === 0) input.onProgress?.('reading', out.length, ids.length);
  }
  return out;
}

/** The recorded incident as the replay's timeline: its alert firing (as observed then), and its resolve. */
function eventsOf(d: IncidentDetail, approval: Approval | undefined): TimelineEvent[] {
  const i = d.incident;
  const alert = toReceivedAlert({
    fingerprint: i.fingerprint, startsAt: i.startsAt, status: 'firing', endsAt: undefined, labels: i.labels, annotations: i.annotations, generatorURL: i.generatorURL,
  } as Parameters<typeof toReceivedAlert>[0]);
  const observedAt = d.attempts.find((a) => a.details.observed && typeof a.details.observed === 'object');
  const failing = new Set(d.attempts.filter((a) => a.outcome === 'failed' || a.outcome === 'verify_failed').map((a) => a.strategy));
  const fire: TimelineEvent = {
    at: i.firstSeenAt, kind: 'fire', alert, failing,
    observed: (observedAt?.details.observed as RecordedObservation | undefined) ?? {},
    ...(i.anomaly ? { anomaly: i.anomaly } : {}),
    ...(approval ? { approval: { state: approval.state === 'rejected' ? 'rejected' : 'approved', by: approval.decidedBy, note: approval.note } } : {}),
  };
  return i.resolvedAt === null ? [fire] : [fire, { at: Math.max(i.resolvedAt, i.firstSeenAt), kind: 'resolve', alert }];
}
