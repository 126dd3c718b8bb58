// The simulated fleet's model, without the network: N agents, the load on each (a daily cycle and
// noise), each fault's effect on its metrics and admin state, and healing. Time comes from the injected
// clock and moves only when `tick` is called; ports open and close through `AgentPorts`.
import { systemClock, type Clock } from '../lib/clock.ts';
import { seededRandom } from '../lib/random.ts';
import { AGENT_TYPES, type AgentType } from './agent-types.ts';
import { BUCKETS, type AgentCounters } from './exposition.ts';
import { agentFault, FAULT_KINDS, RAMPING_KINDS, type FaultKind, type FaultRequest } from './fault-kinds.ts';
import { createAgent, type SimAgent } from './sim-agent.ts';

const MIB = 1024 * 1024;

/** One agent of the model: identity, admin state, counters, and whether its process is up. */
export interface ModelAgent extends AgentCounters {
  id: string;
  type: string;
  tier: string;
  port: number;
  base: AgentType;
  sim: SimAgent;
  /** crashed: its port is closed; hung: its port accepts but never answers. */
  mode: 'up' | 'crashed' | 'hung';
  fault?: { kind: FaultKind; rate: number; until?: number; since: number; rampMs?: number; memoryFrom?: number; memoryShareBefore?: number };
}

/** What the model asks of the network when an agent's process dies or comes back. */
export interface AgentPorts {
  /** Listens on the agent's metrics port again (a restarted process). */
  open(agent: ModelAgent): Promise<void>;
  close(agent: ModelAgent): Promise<void>;
  /** Drops the connections the agent holds (a hung process's pending scrapes end with it). */
  drop(agent: ModelAgent): void;
}

export interface FleetModelOptions {
  agents: number;
  /** Agent i's metrics port is basePort + i. */
  basePort: number;
  token: string;
  seed?: number;
  /** Period of the simulated daily load cycle. */
  periodMs?: number;
  clock?: Clock;
}

export interface FleetStatus {
  id: string;
  type: string;
  tier: string;
  port: number;
  mode: string;
  fault: string | null;
  replicas: number;
  version: string;
  circuit: string;
  restarts: number;
}

export interface FleetModel {
  get(id: string): ModelAgent | undefined;
  all(): ModelAgent[];
  /** Advances every agent by dtS seconds of load and fault. */
  tick(dtS: number): void;
  /** Throws, naming the problem, for an unknown agent or fault kind. */
  inject(f: FaultRequest): void;
  clear(agent: string): void;
  status(): FleetStatus[];
}

export function createFleetModel(o: FleetModelOptions, ports: AgentPorts): FleetModel {
  const clock = o.clock ?? systemClock;
  const random = seededRandom(o.seed ?? 42);
  const started = clock.now();
  const byId = new Map<string, ModelAgent>();
  const counts = new Map<string, number>();

  for (let i = 0; i < o.agents; i++) {
    const base = AGENT_TYPES[i % AGENT_TYPES.length]!;
    const n = (counts.get(base.type) ?? 0) + 1;
    counts.set(base.type, n);
    const id = `${base.type}-${n}`;
    const agent: ModelAgent = {
      id, type: base.type, tier: base.tier, port: o.basePort + i, base,
      sim: undefined as unknown as SimAgent, mode: 'up',
      requests: { ok: 0, failed: 0 }, buckets: BUCKETS.map(() => 0), durationSum: 0, cpuSeconds: 0, dependencyUp: true,
    };
    agent.sim = createAgent({ id, token: o.token, restartMs: 500, replicaReadyMs: 1000 }, { onRestart: () => void onRestart(agent) });
    byId.set(id, agent);
  }

  // A restart brings a crashed or hung agent back: new process, port open again, answering.
  async function onRestart(a: ModelAgent): Promise<void> {
    if (a.mode === 'crashed') await ports.open(a).catch(() => undefined);
    if (a.mode !== 'up') ports.drop(a);
    a.mode = 'up';
    if (a.fault && !a.sim.state.fault) a.fault = undefined;
  }

  function tick(dtS: number): void {
    const now = clock.now();
    const phase = Math.sin((2 * Math.PI * (now - started)) / (o.periodMs ?? 600_000));
    for (const a of byId.values()) {
      const s = a.sim.state;
      if (a.fault && !s.fault && a.fault.kind !== 'dependency') {
        // Healed by a remediation. A leak fixed by a larger limit leaves no leaked memory behind: the
        // container restarts with the new limit (as Kubernetes does) and a runtime whose heap is sized by
        // its limit settles at the share it held before the leak. Left at the leak's level, the agent read
        // as anomalous for ever after it was healed.
        if (a.fault.kind === 'memory-leak' && a.fault.memoryShareBefore !== undefined) s.summary.memory_bytes = a.fault.memoryShareBefore * s.summary.memory_limit_bytes;
        a.fault = undefined;
      }
      if (a.fault?.until !== undefined && now >= a.fault.until) clear(a.id); // over by itself
      const kind = a.fault?.kind;
      if (a.mode !== 'up') continue;
      // A degrading fault's strength grows from 0 to 1 over its ramp; a sudden one is at 1 at once.
      const ramp = a.fault?.rampMs;
      const strength = ramp ? Math.min(1, (now - a.fault!.since) / ramp) : 1;
      const replicas = Math.max(1, s.replicas);
      const rps = a.base.rps * (1 + 0.25 * phase) * (0.9 + 0.2 * random());
      let latency = a.base.latencyS * (1 + 0.1 * phase) * (0.9 + 0.2 * random()) * Math.min(1, 2 / replicas);
      // Creeping latency starts slowly (strength²); a growing backlog slows every request.
      if (kind === 'latency') latency += 3 * strength * strength;
      if (kind === 'queue' && ramp) latency += s.summary.queue_depth / 300;
      let errorRate = 0.005 * random();
      const circuitOpen = s.circuit.state === 'open';
      if (kind === 'errors') errorRate = Math.max(errorRate, a.fault!.rate * strength);
      if (kind === 'bad-version') errorRate = 0.3;
      if (kind === 'dependency' && !circuitOpen) errorRate = 0.01; // retries hide it from clients; the dependency gauge shows it
      const requests = rps * dtS;
      a.requests.ok += requests * (1 - errorRate);
      a.requests.failed += requests * errorRate;
      const bucket = BUCKETS.findIndex((le) => latency <= le);
      if (bucket >= 0) a.buckets[bucket]! += requests;
      a.durationSum += latency * requests;

      const limit = Number(s.config.memory_limit_mib) * MIB;
      s.summary.memory_limit_bytes = limit;
      if (kind === 'memory-leak' && ramp) {
        // Climbs from where it was to the limit over the ramp; at the limit the kernel kills the process.
        const from = a.fault!.memoryFrom ?? s.summary.memory_bytes;
        a.fault!.memoryFrom = from;
        s.summary.memory_bytes = from + (limit - from) * strength;
        if (strength >= 1) {
          a.mode = 'crashed';
          void ports.close(a);
          continue;
        }
      } else if (kind === 'memory-leak') s.summary.memory_bytes = Math.min(limit * 0.97, s.summary.memory_bytes + limit * 0.05 * dtS);
      else if (s.summary.memory_bytes > limit * 0.6) s.summary.memory_bytes = limit * 0.5;
      else s.summary.memory_bytes = Math.max(64 * MIB, Math.min(limit * 0.6, s.summary.memory_bytes + (random() - 0.5) * MIB));
      // Overload shows as busy cpu (0.85: enough for scale to act, under the 0.9 saturation alert).
      const cpu = kind === 'cpu' ? 0.97 : kind === 'latency' ? 0.85 : Math.min(0.6, 0.15 + 0.1 * phase + 0.05 * random() + rps / 400);
      a.cpuSeconds += cpu * dtS;
      if (kind === 'queue' && ramp) s.summary.queue_depth = Math.max(s.summary.queue_depth, 600 * strength);
      else if (kind === 'queue') s.summary.queue_depth = Math.min(600, s.summary.queue_depth + 40 * dtS);
      else s.summary.queue_depth = Math.max(0, Math.min(20, s.summary.queue_depth * 0.5 + 2 + 4 * random()));
      a.dependencyUp = kind !== 'dependency';
      Object.assign(s.summary, {
        requests_per_s: rps,
        error_rate: kind === 'dependency' && !circuitOpen ? 0.8 : errorRate,
        latency_p99_s: latency * 1.5,
        cpu_utilisation: cpu,
      });
    }
  }

  function inject(f: FaultRequest): void {
    const a = byId.get(f.agent);
    if (!a) throw new Error(`no agent ${f.agent} in this fleet`);
    if (!FAULT_KINDS.includes(f.kind)) throw new Error(`unknown fault kind ${f.kind}; one of ${FAULT_KINDS.join(', ')}`);
    const rate = f.rate ?? 0.7;
    const s = a.sim.state;
    const now = clock.now();
    const forMs = f.forMs ?? (f.kind === 'dependency' ? 30_000 : undefined);
    if (f.rampMs !== undefined && !(f.rampMs > 0 && RAMPING_KINDS.includes(f.kind))) throw new Error(`a ramp applies to ${RAMPING_KINDS.join(', ')} and must be positive: not ${f.kind} over ${f.rampMs} ms`);
    a.fault = {
      kind: f.kind, rate, since: now, until: forMs === undefined ? undefined : now + forMs, ...(f.rampMs ? { rampMs: f.rampMs } : {}),
      ...(f.kind === 'memory-leak' ? { memoryShareBefore: s.summary.memory_bytes / s.summary.memory_limit_bytes } : {}),
    };
    a.sim.injectFault(agentFault(f.kind, rate));
    if (f.kind === 'crash') {
      a.mode = 'crashed';
      void ports.close(a);
    }
    if (f.kind === 'hang') a.mode = 'hung';
    if (f.kind === 'bad-config') s.config = { ...s.config, request_timeout_ms: 0 };
    if (f.kind === 'bad-version') {
      s.history = [...s.history, { version: '1.5.0-rc1', deployed_at: new Date(now).toISOString(), known_good: false }];
      s.version = '1.5.0-rc1';
    }
  }

  function clear(agent: string): void {
    const a = byId.get(agent);
    if (!a) throw new Error(`no agent ${agent} in this fleet`);
    const s = a.sim.state;
    if (a.fault?.kind === 'bad-config' && !(Number(s.config.request_timeout_ms) >= 100)) s.config = { ...s.config, request_timeout_ms: 2000 };
    if (a.fault?.kind === 'bad-version' && s.version === '1.5.0-rc1') s.version = '1.4.2';
    a.fault = undefined;
    a.sim.injectFault(null);
    if (a.mode === 'crashed') void ports.open(a);
    a.mode = 'up';
  }

  return {
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
    tick,
    inject,
    clear,
    status: () => [...byId.values()].map((a) => ({
      id: a.id, type: a.type, tier: a.tier, port: a.port, mode: a.mode, fault: a.fault?.kind ?? null,
      replicas: a.sim.state.replicas, version: a.sim.state.version, circuit: a.sim.state.circuit.state, restarts: a.sim.state.restarts,
    })),
  };
}
