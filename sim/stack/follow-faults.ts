// Following faults through the real stack: inject them, then watch each one's path (pending, firing,
// received by Medic, acted on, verified, recovered in Prometheus) until every one is healed. What the
// end-to-end suite asserts on, and what `npm run bench:mttr` and `npm run demo` time.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultKind } from '../fault-kinds.ts';
import { promQuery } from './daemons.ts';
import { AUTH, type RealStack } from './real-stack.ts';

export interface FaultCase {
  kind: FaultKind;
  agent: string;
  rate?: number;
  forMs?: number;
  /** The strategy the design prescribes. */
  strategy: string;
}

/** Times (epoch ms) along one fault's path, as each component saw it. */
export interface Timeline {
  injected: number;
  /** The alert's condition first true (pending), as Prometheus evaluated it. */
  pending?: number;
  firing?: number;
  received?: number;
  acted?: number;
  verified?: number;
  recovered?: number;
  /** The alert whose incident led to the healing (the first one Medic received after the injection). */
  alertname?: string;
  /** While not recovered: the agent's alerts firing at the last look, and whether it was up (a failure message names them). */
  stillFiring?: string[];
  up?: number;
}

/** One remediation attempt, as Medic's read API (/api/remediations) lists it. */
export interface Attempt {
  target: string;
  strategy: string;
  outcome: string;
  mode: string;
  startedAt: string;
  finishedAt: string | null;
  reason: string;
  incidentId: number;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: AUTH });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Waits until Prometheus scrapes every agent, Medic's fleet loop exports an anomaly score for every one
 * (which takes each agent's model window plus its rate warm-up of history) and `settleMs` have passed;
 * returns what fires then.
 */
export async function waitForHealthyFleet(stack: RealStack, agents: number, settleMs = 12_000, timeoutMs = 240_000): Promise<string[]> {
  const started = Date.now();
  for (;;) {
    const up = await promQuery(stack.prometheus.url, 'sum(up{job="agents"})');
    const scored = await promQuery(stack.prometheus.url, 'count(medic_anomaly_score)');
    if (up[0]?.value === agents && scored[0]?.value === agents && Date.now() - started > settleMs) {
      return (await promQuery(stack.prometheus.url, 'ALERTS{alertstate="firing"}')).map((a) => `${a.metric.alertname} ${a.metric.agent}`);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`the fleet was not up and scored in Prometheus within ${timeoutMs / 1000}s: up ${JSON.stringify(up)}, scored ${JSON.stringify(scored)}`);
    await sleep(500);
  }
}

/** Waits until no alert fires (after a healed fault, a lagging signal such as the anomaly score may fire
 * for a while); returns what still fires at the timeout, or nothing. */
export async function waitForQuietFleet(stack: RealStack, timeoutMs = 180_000, ignore: (alertname: string) => boolean = () => false): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alerts = (await promQuery(stack.prometheus.url, 'ALERTS')).filter((a) => !ignore(a.metric.alertname!));
    const firing = alerts.map((a) => `${a.metric.alertname} ${a.metric.agent} (${a.metric.alertstate})`);
    if (firing.length === 0 || Date.now() > deadline) return firing;
    await sleep(1000);
  }
}

/** Every remediation attempt Medic has recorded, through its read API, all pages. */
export async function remediations(stack: RealStack): Promise<Attempt[]> {
  const items: Attempt[] = [];
  let cursor: number | null = null;
  do {
    const page: { items: Attempt[]; next_cursor: number | null } = await getJson(`${stack.medic.url}/api/remediations?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return items;
}

/**
 * Injects the faults at once and follows each until its agent is healed by the expected strategy and
 * Prometheus sees it recovered (no alert firing for it, scraped up). Calls onTick with the state.
 */
export async function injectAndFollow(
  stack: RealStack, cases: FaultCase[], timeoutMs: number,
  onTick?: (timelines: Map<string, Timeline>, attempts: Attempt[], firing: Set<string>) => void,
  /** Alerts that do not keep a fault from counting as recovered (default: none). */
  ignore: (alertname: string) => boolean = () => false,
): Promise<{ timelines: Map<string, Timeline>; healed: boolean; attempts: Attempt[] }> {
  const timelines = new Map<string, Timeline>();
  for (const c of cases) {
    stack.fleet.inject({ agent: c.agent, kind: c.kind, rate: c.rate, forMs: c.forMs });
    timelines.set(c.agent, { injected: Date.now() });
  }
  const deadline = Date.now() + timeoutMs;
  const incidentSeen = new Map<number, { at: number; alertname: string }>();
  for (;;) {
    const now = Date.now();
    const alerts = (await promQuery(stack.prometheus.url, 'ALERTS')).filter((a) => !ignore(a.metric.alertname!));
    const firing = new Set(alerts.filter((a) => a.metric.alertstate === 'firing').map((a) => a.metric.agent!));
    const alerting = new Set(alerts.map((a) => a.metric.agent!));
    const up = new Map((await promQuery(stack.prometheus.url, 'up{job="agents"}')).map((s) => [s.metric.agent!, s.value]));
    const attempts = await remediations(stack);
    for (const c of cases) {
      const tl = timelines.get(c.agent)!;
      if (tl.pending === undefined && alerting.has(c.agent)) tl.pending = now;
      if (tl.firing === undefined && firing.has(c.agent)) tl.firing = now;
      const mine = attempts.filter((a) => a.target === c.agent && Date.parse(a.startedAt) >= tl.injected);
      if (tl.received === undefined && mine.length) {
        const id = mine.at(-1)!.incidentId;
        if (!incidentSeen.has(id)) {
          const incident = await getJson<{ firstSeenAt: string; alertname: string }>(`${stack.medic.url}/api/incidents/${id}`);
          incidentSeen.set(id, { at: Date.parse(incident.firstSeenAt), alertname: incident.alertname });
        }
        tl.received = incidentSeen.get(id)!.at;
        tl.alertname = incidentSeen.get(id)!.alertname;
      }
      const healed = mine.find((a) => a.strategy === c.strategy && a.outcome === 'succeeded');
      if (healed && tl.acted === undefined) {
        tl.acted = Date.parse(healed.startedAt);
        tl.verified = Date.parse(healed.finishedAt!);
      }
      if (healed && tl.recovered === undefined && !firing.has(c.agent) && up.get(c.agent) === 1) tl.recovered = now;
      if (tl.recovered === undefined) {
        tl.stillFiring = alerts.filter((a) => a.metric.agent === c.agent && a.metric.alertstate === 'firing').map((a) => a.metric.alertname!);
        tl.up = up.get(c.agent);
      } else {
        delete tl.stillFiring;
        delete tl.up;
      }
    }
    onTick?.(timelines, attempts, firing);
    if (cases.every((c) => timelines.get(c.agent)!.recovered !== undefined)) return { timelines, healed: true, attempts };
    if (Date.now() > deadline) return { timelines, healed: false, attempts };
    await sleep(500);
  }
}

/** The design's prescription for each fault kind. */
export const PRESCRIBED: Record<FaultKind, string> = {
  crash: 'restart', hang: 'restart', latency: 'scale', errors: 'circuit_break', queue: 'scale', 'memory-leak': 'repair',
  cpu: 'repair', dependency: 'circuit_break', 'bad-config': 'repair', 'bad-version': 'rollback',
};
