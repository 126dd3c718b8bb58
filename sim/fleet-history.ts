// Simulated fleet histories for the failure model, generated faster than real time: the fleet model
// (fleet-model.ts) moved by an injected clock, one row per step per agent, in the agent metric
// contract's columns and order (FLEET_HISTORY_COLUMNS; test/unit/fleet-history.test.ts checks them
// against models/signal-queries.ts). Faults come on a seeded schedule, most degrading before they fail
// (a memory leak ending in an OOM kill, latency and error creep, a queue build-up that slows requests)
// and some sudden (a crash, a hang) for honesty. A failing row is one the alert rules would call a
// failure: the agent is down or hung, p99 latency above 2 s (AgentHighLatency) or errors above 20%
// (AgentHighErrorRate), read as Prometheus would, over a trailing rate window. A failure ends when an
// operator restarts the agent, `outageMs` after it began.
import { seededRandom } from '../lib/random.ts';
import type { Clock } from '../lib/clock.ts';
import type { FaultKind } from './fault-kinds.ts';
import { createFleetModel, type ModelAgent } from './fleet-model.ts';
import { breachesSlo } from '../lib/failure-slo.ts';

export const FLEET_HISTORY_COLUMNS = ['latency_p99_s', 'error_rate', 'request_rate', 'queue_depth', 'memory_utilisation', 'cpu', 'dependency_up'] as const;

export const DEGRADING: readonly FaultKind[] = ['memory-leak', 'latency', 'errors', 'queue'];
export const SUDDEN: readonly FaultKind[] = ['crash', 'hang'];

export interface FleetHistoryOptions {
  agents: number;
  /** Simulated hours per agent. */
  hours: number;
  stepSeconds: number;
  /** Rows averaged for the counters' rates (Prometheus' rate window over the step). */
  rateRows: number;
  seed: number;
  /** Faults per agent per simulated day. */
  faultsPerDay: number;
  /** Share of sudden faults. */
  suddenShare: number;
  /** A degrading fault ramps for between these many minutes before the agent fails. */
  rampMinutes: [number, number];
  /** How long a failure lasts before the agent is restarted. */
  outageMs: number;
}

export const FLEET_HISTORY_DEFAULTS: FleetHistoryOptions = {
  agents: 8, hours: 48, stepSeconds: 30, rateRows: 2, seed: 1, faultsPerDay: 6, suddenShare: 0.15, rampMinutes: [6, 20], outageMs: 5 * 60_000,
};

export interface AgentHistory {
  agent: string;
  type: string;
  /** One row per step: FLEET_HISTORY_COLUMNS; NaN while the agent is down (Prometheus has no sample). */
  rows: number[][];
  failing: Uint8Array;
  faults: { kind: FaultKind; injectedRow: number; rampMs: number | null }[];
}

export function simulateFleetHistory(o: FleetHistoryOptions = FLEET_HISTORY_DEFAULTS): AgentHistory[] {
  let now = Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => now };
  const ports = { open: async () => undefined, close: async () => undefined, drop: () => undefined };
  const model = createFleetModel({ agents: o.agents, basePort: 20_000, token: 'history', seed: o.seed, clock, periodMs: 24 * 3_600_000 }, ports);
  const random = seededRandom(o.seed + 1_000);
  const steps = Math.round((o.hours * 3600) / o.stepSeconds);
  const agents = model.all();
  const histories: AgentHistory[] = agents.map((a) => ({ agent: a.id, type: a.type, rows: [], failing: new Uint8Array(steps), faults: [] }));
  const meanGapSteps = (86_400 / o.faultsPerDay) / o.stepSeconds;
  const nextFault = agents.map(() => Math.floor(meanGapSteps * (0.3 + random())));
  const failedAt = agents.map(() => -1);
  const raw = agents.map(() => [] as number[][]);
  for (let step = 0; step < steps; step++) {
    now += o.stepSeconds * 1000;
    model.tick(o.stepSeconds);
    agents.forEach((a, i) => {
      const h = histories[i]!;
      if (failedAt[i]! >= 0 && (step - failedAt[i]!) * o.stepSeconds * 1000 >= o.outageMs) {
        model.clear(a.id); // the operator's restart: a new process, healthy again
        failedAt[i] = -1;
        nextFault[i] = step + Math.floor(meanGapSteps * (0.5 + random()));
      }
      if (step === nextFault[i] && !a.fault) {
        const sudden = random() < o.suddenShare;
        const kind = sudden ? SUDDEN[Math.floor(random() * SUDDEN.length)]! : DEGRADING[Math.floor(random() * DEGRADING.length)]!;
        const rampMs = sudden ? null : Math.round((o.rampMinutes[0] + random() * (o.rampMinutes[1] - o.rampMinutes[0])) * 60_000);
        model.inject({ agent: a.id, kind, ...(rampMs ? { rampMs } : {}), ...(kind === 'errors' ? { rate: 0.5 } : {}) });
        h.faults.push({ kind, injectedRow: step, rampMs });
      }
      raw[i]!.push(instant(a));
      const row = smoothed(raw[i]!, o.rateRows);
      h.rows.push(row);
      const failing = a.mode !== 'up' || breachesSlo(row[0], row[1]);
      if (failing) {
        h.failing[step] = 1;
        if (failedAt[i]! < 0) failedAt[i] = step;
      }
    });
  }
  return histories;
}

// The agent's instantaneous readings in contract order; a process that is not up has none.
function instant(a: ModelAgent): number[] {
  if (a.mode !== 'up') return FLEET_HISTORY_COLUMNS.map(() => Number.NaN);
  const s = a.sim.state.summary;
  return [s.latency_p99_s, s.error_rate, s.requests_per_s, s.queue_depth, s.memory_bytes / Math.max(1, s.memory_limit_bytes), s.cpu_utilisation, a.dependencyUp ? 1 : 0];
}

// Rates (latency, errors, requests, cpu) averaged over the trailing window as rate() would; gauges as they are.
function smoothed(raw: number[][], rows: number): number[] {
  const last = raw[raw.length - 1]!;
  if (Number.isNaN(last[0]!)) return last;
  const window = raw.slice(-rows).filter((r) => !Number.isNaN(r[0]!));
  const mean = (c: number) => window.reduce((sum, r) => sum + r[c]!, 0) / window.length;
  return [mean(0), mean(1), mean(2), last[3]!, last[4]!, mean(5), last[6]!];
}
