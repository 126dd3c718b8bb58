// A fleet's remediation history, generated: N agents of the simulator's types, each failing now and then
// over D days with the simulator's kinds of fault (down, errors, latency, memory, a dependency, a bad
// version), each fault resolving minutes later; some remedies do not hold, so ladders climb. The alerts
// run through the real engine and store in compressed time (server/replay/timeline-runner.ts), so the
// store holds what Medic would have recorded: incidents, alerts, work, attempts with their decisions.
import type { Policies } from '../remediations/decide/policies.ts';
import type { SelectionRule } from '../remediations/decide/selection.ts';
import type { Agent } from '../remediations/types.ts';
import { toReceivedAlert } from '../server/ingest/inbox.ts';
import { ReplayDriver, type RecordedObservation } from '../server/replay/replay-driver.ts';
import { runTimeline, type TimelineEvent } from '../server/replay/timeline-runner.ts';
import type { Store } from '../server/store/store.ts';
import { seededRandom } from '../lib/random.ts';
import { AGENT_TYPES } from '../sim/agent-types.ts';

export interface HistoryShape {
  agents: number;
  days: number;
  /** Mean incidents per agent per day. */
  perAgentPerDay: number;
  seed: number;
  /** The history ends here (Unix ms). */
  endAt: number;
}

interface FaultKind {
  alertname: string;
  severity: string;
  weight: number;
  observed: RecordedObservation;
  annotations?: Record<string, string>;
  /** Each of these strategies does not heal it with this probability. */
  fails?: Record<string, number>;
}

const FAULTS: readonly FaultKind[] = [
  { alertname: 'AgentDown', severity: 'critical', weight: 25, observed: { healthy: false, healthReason: 'connection refused' } },
  { alertname: 'AgentHighErrorRate', severity: 'warning', weight: 25, observed: { healthy: false, healthReason: 'error rate 30%', errorRate: 0.3 }, annotations: { error_rate: '0.3' }, fails: { restart: 0.3 } },
  { alertname: 'AgentHighLatency', severity: 'warning', weight: 20, observed: { healthy: false, healthReason: 'p99 latency 4.1s', replicas: 2, cpu: 0.95 }, fails: { scale: 0.2 } },
  { alertname: 'AgentMemoryHigh', severity: 'warning', weight: 15, observed: { healthy: true, memory: 0.94 } },
  { alertname: 'AgentDependencyDown', severity: 'warning', weight: 5, observed: { healthy: false, healthReason: 'upstream unreachable', errorRate: 0.6 } },
  { alertname: 'AgentBadVersion', severity: 'warning', weight: 10, observed: { healthy: false, healthReason: 'errors since 1.4.2', version: '1.4.2' } },
];

/** N agents of the simulator's types in turn (`autogpt-1`, `crewai-1`, …), as an inventory has them. */
export function syntheticFleet(n: number): Agent[] {
  return Array.from({ length: n }, (_, i) => {
    const t = AGENT_TYPES[i % AGENT_TYPES.length]!;
    return { id: `${t.type}-${Math.floor(i / AGENT_TYPES.length) + 1}`, type: t.type, tier: '', driver: 'http', target: { kind: 'http', base_url: `http://127.0.0.1:${20000 + i}/admin` } };
  });
}

/** The alerts of the history, firing and resolving, in time order. */
export function syntheticEvents(agents: readonly Agent[], shape: HistoryShape): TimelineEvent[] {
  const random = seededRandom(shape.seed);
  const startAt = shape.endAt - shape.days * 86_400_000;
  const meanGapMs = 86_400_000 / shape.perAgentPerDay;
  const totalWeight = FAULTS.reduce((s, f) => s + f.weight, 0);
  const events: TimelineEvent[] = [];
  let n = 0;
  for (const agent of agents) {
    // Exponential gaps (a Poisson process) after the previous fault has resolved: one fault at a time.
    for (let t = startAt + -Math.log(1 - random()) * meanGapMs; t < shape.endAt; t += -Math.log(1 - random()) * meanGapMs) {
      let pick = random() * totalWeight;
      const fault = FAULTS.find((f) => (pick -= f.weight) < 0) ?? FAULTS[0]!;
      const at = Math.round(t);
      const alert = toReceivedAlert({
        fingerprint: (++n).toString(16).padStart(16, '0'), startsAt: new Date(at - 60_000).toISOString(), status: 'firing', endsAt: undefined,
        labels: { alertname: fault.alertname, agent: agent.id, agent_type: agent.type, severity: fault.severity, job: 'agents', instance: `${agent.id}:9100` },
        annotations: { summary: `${fault.alertname} on ${agent.id}`, ...fault.annotations },
        generatorURL: 'http://prometheus.example/graph',
      } as Parameters<typeof toReceivedAlert>[0]);
      const failing = new Set(Object.entries(fault.fails ?? {}).filter(([, p]) => random() < p).map(([s]) => s));
      const lastsMs = Math.round((2 + random() * 18) * 60_000);
      events.push({ at, kind: 'fire', alert, observed: fault.observed, failing });
      events.push({ at: at + lastsMs, kind: 'resolve', alert });
      t += lastsMs;
    }
  }
  return events.sort((a, b) => a.at - b.at);
}

/** Generates the history into `store` (through its inbox and queue, with the engine deciding). */
export async function generateHistory(
  store: Store, shape: HistoryShape, remediation: { policies: Policies; rules: SelectionRule[] }, onProgress?: (done: number, total: number) => void,
): Promise<{ agents: Agent[]; events: number; heals: number }> {
  const agents = syntheticFleet(shape.agents);
  const events = syntheticEvents(agents, shape);
  const run = await runTimeline({ store, agents, ...remediation, driver: new ReplayDriver(), events, onProgress });
  return { agents, events: events.length, heals: run.heals };
}
