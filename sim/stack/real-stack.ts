// The whole stack on one machine: a simulated fleet, Medic, Debian's Alertmanager and Prometheus, wired
// together with compressed time (scrape and evaluation every second). Used by the end-to-end suite,
// `npm run bench:mttr` and `npm run demo`.
import { createServer as createNetServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { DEFAULT_RULES_YAML } from '../../remediations/decide/selection.ts';
import { startFleet, type FaultKind, type Fleet } from '../fleet.ts';
import { writeFleetFiles } from '../../cli/sim-command.ts';
import { policiesWith } from '../../test/helpers/engine-harness.ts';
import { freePort } from '../../test/helpers/sim-target.ts';
import { getJson, startTestService, tempDir, type TestService } from '../../test/helpers/service.ts';
import { promQuery, startAlertmanager, startPrometheus, type Daemon } from './daemons.ts';

export const WEBHOOK_TOKEN = 'stack-webhook-token';
export const AUTH = { authorization: `Bearer ${WEBHOOK_TOKEN}` };

export interface RealStack {
  dir: string;
  fleet: Fleet;
  medic: TestService;
  alertmanager: Daemon;
  prometheus: Daemon;
  stop(): Promise<void>;
}

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
}

export interface Attempt {
  target: string;
  strategy: string;
  outcome: string;
  mode: string;
  startedAt: string;
  finishedAt: string | null;
  incidentId: number;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first port of a run of `size` free loopback ports. */
export async function freeBlock(size: number): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    if ((await Promise.all(Array.from({ length: size }, (_, i) => portFree(base + i)))).every(Boolean)) return base;
  }
  throw new Error('no block of free ports found');
}

export async function startRealStack(o: { agents: number; logLevel?: string; seed?: number }): Promise<RealStack> {
  const dir = tempDir('medic-stack-');
  const fleet = await startFleet({ agents: o.agents, basePort: await freeBlock(o.agents + 1), token: 'agent-token-stack', seed: o.seed ?? 7 });
  const stopped: (() => Promise<unknown>)[] = [() => fleet.stop()];
  try {
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), 'agent-token-stack', '127.0.0.1');
    const rules = parse(DEFAULT_RULES_YAML) as { rules: { name: string; params?: Record<string, unknown> }[] };
    for (const r of rules.rules) if (r.name === 'severe-error-rate' || r.name === 'dependency-down') r.params = { circuit_break: { canary_window_s: 2, max_reopens: 5 } };
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
    writeFileSync(join(dir, 'policies.yaml'), policiesWith({
      tiers: { default: { verify_timeout: '8s', circuit_break_duration: '4s' } },
      guards: { max_concurrent: 40, budget: { capacity: 200, refill_per_minute: 100 }, blast_radius: { per_type_percent: 100, fleet_percent: 100 } },
    }));
    const amPort = await freePort();
    const promPort = await freePort();
    // Medic scores incidents and the fleet with the shipped models, as `npm start` would.
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', rules: 'rules.yaml', recheck_interval: '1s', verify_interval: '250ms' },
      workers: { concurrency: 16, poll_interval: '500ms' },
      alertmanager: { url: `http://127.0.0.1:${amPort}` },
      prometheus: { url: `http://127.0.0.1:${promPort}` },
      models: { prediction_interval: '2s' },
    }));
    const medic = await startTestService({ flags: { config: join(dir, 'medic.yaml') }, env: { MEDIC_WEBHOOK_TOKEN: WEBHOOK_TOKEN, MEDIC_LOG_LEVEL: o.logLevel ?? 'info' } });
    stopped.unshift(() => medic.dispose());
    // Alertmanager listens where Medic was told it is (for escalations and silences).
    const alertmanager = await startAlertmanager(dir, { url: medic.url, token: WEBHOOK_TOKEN }, amPort);
    stopped.unshift(() => alertmanager.stop());
    const prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: medic.url.replace('http://', ''), alertmanager: alertmanager.url, port: promPort });
    stopped.unshift(() => prometheus.stop());
    return {
      dir, fleet, medic, alertmanager, prometheus,
      async stop() {
        for (const s of stopped) await s();
      },
    };
  } catch (err) {
    for (const s of stopped) await s().catch(() => undefined);
    throw err;
  }
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

export async function remediations(stack: RealStack): Promise<Attempt[]> {
  const items: Attempt[] = [];
  let cursor: number | null = null;
  do {
    const page = await getJson(`${stack.medic.url}/api/remediations?limit=500${cursor ? `&cursor=${cursor}` : ''}`, AUTH);
    items.push(...(page.body.items as Attempt[]));
    cursor = page.body.next_cursor;
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
    const alerts = await promQuery(stack.prometheus.url, 'ALERTS');
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
          const incident = (await getJson(`${stack.medic.url}/api/incidents/${id}`, AUTH)).body;
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
