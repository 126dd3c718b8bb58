// The simulated fleet: N agents in this one process, each with its own metrics port (what Prometheus
// scrapes, per the agent metric contract) and its admin API behind a supervisor port (what Medic acts
// through, like a node agent would). Faults are injected through the supervisor's API or a scenario;
// each heals only when the right remediation is applied, or by itself where that is realistic.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { seededRandom } from '../lib/random.ts';
import { createAgent, type AgentFault, type FaultFix, type SimAgent } from './agent-server.ts';

// Base latencies sit inside histogram buckets with room for ±20% of cycle and noise: a healthy agent's
// p99 never jumps between buckets, so trend alerts stay quiet without a fault.
export const AGENT_TYPES: { type: string; tier: string; rps: number; latencyS: number }[] = [
  { type: 'autogpt', tier: 'critical_agents', rps: 20, latencyS: 0.7 },
  { type: 'crewai', tier: 'critical_agents', rps: 25, latencyS: 0.7 },
  { type: 'bigagi', tier: 'critical_agents', rps: 15, latencyS: 0.35 },
  { type: 'semgrep', tier: 'lightweight_agents', rps: 40, latencyS: 0.15 },
  { type: 'shellgpt', tier: 'lightweight_agents', rps: 30, latencyS: 0.07 },
  { type: 'langchain', tier: 'default', rps: 25, latencyS: 0.35 },
  { type: 'babyagi', tier: 'default', rps: 10, latencyS: 0.7 },
  { type: 'metagpt', tier: 'default', rps: 12, latencyS: 0.7 },
  { type: 'opendevin', tier: 'default', rps: 8, latencyS: 0.7 },
  { type: 'aider', tier: 'default', rps: 18, latencyS: 0.35 },
];

export const FAULT_KINDS = ['crash', 'hang', 'latency', 'errors', 'queue', 'memory-leak', 'cpu', 'dependency', 'bad-config', 'bad-version'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What heals each fault: the remediation the design prescribes (dependency heals by itself). */
export function fixesFor(kind: FaultKind, errorRate: number): FaultFix[] {
  switch (kind) {
    case 'crash':
    case 'hang':
      return ['restart'];
    case 'latency':
    case 'queue':
      return ['scale'];
    case 'errors':
      return errorRate > 0.5 ? ['circuit_open'] : ['restart'];
    case 'memory-leak':
      return ['memory_limit'];
    case 'cpu':
      return ['cpu_limit'];
    case 'dependency':
      return [];
    case 'bad-config':
      return ['config_valid'];
    case 'bad-version':
      return ['rollback'];
  }
}

export interface FaultRequest {
  agent: string;
  kind: FaultKind;
  /** Errors: the share of failing requests (default 0.7). */
  rate?: number;
  /** How long until the fault clears by itself (a dependency: default 30 s; others: never). */
  forMs?: number;
}

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MIB = 1024 * 1024;

interface FleetAgent {
  id: string;
  type: string;
  tier: string;
  port: number;
  base: (typeof AGENT_TYPES)[number];
  sim: SimAgent;
  server?: Server;
  sockets: Set<Socket>;
  mode: 'up' | 'crashed' | 'hung';
  fault?: { kind: FaultKind; rate: number; until?: number; since: number };
  requests: { ok: number; failed: number };
  buckets: number[];
  durationSum: number;
  cpuSeconds: number;
  dependencyUp: boolean;
}

export interface FleetOptions {
  agents: number;
  basePort: number;
  host?: string;
  token: string;
  seed?: number;
  /** Period of the simulated daily load cycle. */
  periodMs?: number;
  tickMs?: number;
}

export interface Fleet {
  controlUrl: string;
  agents(): { id: string; type: string; tier: string; port: number }[];
  inject(f: FaultRequest): void;
  clear(agent: string): void;
  play(steps: (FaultRequest & { atMs: number })[], onError: (err: Error) => void): () => void;
  status(): FleetStatus[];
  stop(): Promise<void>;
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

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const host = o.host ?? '127.0.0.1';
  const random = seededRandom(o.seed ?? 42);
  const started = Date.now();
  const byId = new Map<string, FleetAgent>();
  const counts = new Map<string, number>();

  for (let i = 0; i < o.agents; i++) {
    const base = AGENT_TYPES[i % AGENT_TYPES.length]!;
    const n = (counts.get(base.type) ?? 0) + 1;
    counts.set(base.type, n);
    const id = `${base.type}-${n}`;
    const fa: FleetAgent = {
      id, type: base.type, tier: base.tier, port: o.basePort + i, base,
      sim: undefined as unknown as SimAgent, sockets: new Set(), mode: 'up',
      requests: { ok: 0, failed: 0 }, buckets: BUCKETS.map(() => 0), durationSum: 0, cpuSeconds: 0, dependencyUp: true,
    };
    fa.sim = createAgent({ id, token: o.token, restartMs: 500, replicaReadyMs: 1000 }, { onRestart: () => void onRestart(fa) });
    byId.set(id, fa);
  }

  async function listen(fa: FleetAgent): Promise<void> {
    const server = createServer((req, res) => serveMetrics(fa, req, res));
    server.on('connection', (s) => {
      fa.sockets.add(s);
      s.on('close', () => fa.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(fa.port, host, () => resolve());
    });
    fa.server = server;
  }

  async function close(fa: FleetAgent): Promise<void> {
    const server = fa.server;
    fa.server = undefined;
    if (!server) return;
    for (const s of fa.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // A restart brings a crashed or hung agent back: new process, port open again, answering.
  async function onRestart(fa: FleetAgent): Promise<void> {
    if (fa.mode === 'crashed') await listen(fa).catch(() => undefined);
    if (fa.mode !== 'up') for (const s of fa.sockets) s.destroy();
    fa.mode = 'up';
    if (fa.fault && !fa.sim.state.fault) fa.fault = undefined;
  }

  function serveMetrics(fa: FleetAgent, req: IncomingMessage, res: ServerResponse): void {
    if (fa.mode === 'hung') return; // never answers: the scrape times out
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return void res.end('see /metrics\n');
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(exposition(fa));
  }

  function exposition(fa: FleetAgent): string {
    const s = fa.sim.state;
    const lines: string[] = [];
    const ready = s.restarting || s.fault?.kind === 'bad-config' ? 0 : 1;
    lines.push('# HELP agent_ready Whether the agent accepts work.', '# TYPE agent_ready gauge', `agent_ready ${ready}`);
    lines.push('# HELP agent_requests_total Requests handled, by status.', '# TYPE agent_requests_total counter');
    lines.push(`agent_requests_total{status="200"} ${Math.floor(fa.requests.ok)}`, `agent_requests_total{status="500"} ${Math.floor(fa.requests.failed)}`);
    lines.push('# HELP agent_request_duration_seconds Request latency.', '# TYPE agent_request_duration_seconds histogram');
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += fa.buckets[i]!;
      lines.push(`agent_request_duration_seconds_bucket{le="${le}"} ${Math.floor(cumulative)}`);
    });
    const total = Math.floor(fa.requests.ok + fa.requests.failed);
    lines.push(`agent_request_duration_seconds_bucket{le="+Inf"} ${total}`, `agent_request_duration_seconds_sum ${fa.durationSum.toFixed(3)}`, `agent_request_duration_seconds_count ${total}`);
    lines.push('# HELP agent_queue_depth Work waiting.', '# TYPE agent_queue_depth gauge', `agent_queue_depth ${Math.round(s.summary.queue_depth)}`);
    lines.push('# HELP agent_memory_bytes Memory in use.', '# TYPE agent_memory_bytes gauge', `agent_memory_bytes ${Math.round(s.summary.memory_bytes)}`);
    lines.push('# HELP agent_memory_limit_bytes Memory limit.', '# TYPE agent_memory_limit_bytes gauge', `agent_memory_limit_bytes ${Math.round(s.summary.memory_limit_bytes)}`);
    lines.push('# HELP process_cpu_seconds_total CPU time used.', '# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${fa.cpuSeconds.toFixed(3)}`);
    lines.push('# HELP agent_dependency_up Whether a dependency answers.', '# TYPE agent_dependency_up gauge', `agent_dependency_up{dependency="llm-api"} ${fa.dependencyUp ? 1 : 0}`);
    return `${lines.join('\n')}\n`;
  }

  // One step of simulated time for every agent: load with a daily cycle and noise, and each fault's effect.
  function tick(dtS: number): void {
    const now = Date.now();
    const phase = Math.sin((2 * Math.PI * (now - started)) / (o.periodMs ?? 600_000));
    for (const fa of byId.values()) {
      const s = fa.sim.state;
      if (fa.fault && !s.fault && fa.fault.kind !== 'dependency') fa.fault = undefined; // healed by a remediation
      if (fa.fault?.until !== undefined && now >= fa.fault.until) clear(fa.id); // over by itself
      const kind = fa.fault?.kind;
      if (fa.mode !== 'up') continue;
      const replicas = Math.max(1, s.replicas);
      const rps = fa.base.rps * (1 + 0.25 * phase) * (0.9 + 0.2 * random());
      let latency = fa.base.latencyS * (1 + 0.1 * phase) * (0.9 + 0.2 * random()) * Math.min(1, 2 / replicas);
      if (kind === 'latency') latency += 3;
      let errorRate = 0.005 * random();
      const circuitOpen = s.circuit.state === 'open';
      if (kind === 'errors') errorRate = fa.fault!.rate;
      if (kind === 'bad-version') errorRate = 0.3;
      if (kind === 'dependency' && !circuitOpen) errorRate = 0.01; // retries hide it from clients; the dependency gauge shows it
      const requests = rps * dtS;
      fa.requests.ok += requests * (1 - errorRate);
      fa.requests.failed += requests * errorRate;
      const bucket = BUCKETS.findIndex((le) => latency <= le);
      if (bucket >= 0) fa.buckets[bucket]! += requests;
      fa.durationSum += latency * requests;

      const limit = Number(s.config.memory_limit_mib) * MIB;
      s.summary.memory_limit_bytes = limit;
      if (kind === 'memory-leak') s.summary.memory_bytes = Math.min(limit * 0.97, s.summary.memory_bytes + limit * 0.05 * dtS);
      else if (s.summary.memory_bytes > limit * 0.6) s.summary.memory_bytes = limit * 0.5;
      else s.summary.memory_bytes = Math.max(64 * MIB, Math.min(limit * 0.6, s.summary.memory_bytes + (random() - 0.5) * MIB));
      // Overload shows as busy cpu (0.85: enough for scale to act, under the 0.9 saturation alert).
      const cpu = kind === 'cpu' ? 0.97 : kind === 'latency' ? 0.85 : Math.min(0.6, 0.15 + 0.1 * phase + 0.05 * random() + rps / 400);
      fa.cpuSeconds += cpu * dtS;
      if (kind === 'queue') s.summary.queue_depth = Math.min(600, s.summary.queue_depth + 40 * dtS);
      else s.summary.queue_depth = Math.max(0, Math.min(20, s.summary.queue_depth * 0.5 + 2 + 4 * random()));
      fa.dependencyUp = kind !== 'dependency';
      Object.assign(s.summary, {
        requests_per_s: rps,
        error_rate: kind === 'dependency' && !circuitOpen ? 0.8 : errorRate,
        latency_p99_s: latency * 1.5,
        cpu_utilisation: cpu,
      });
    }
  }

  const faultFor = (kind: FaultKind, rate: number): AgentFault => ({
    kind, fixedBy: fixesFor(kind, rate),
    // Health fails for faults the agent cannot work through; the others show in metrics and the summary.
    unhealthy: ['crash', 'hang', 'bad-config', 'bad-version', 'errors', 'dependency'].includes(kind),
  });

  function inject(f: FaultRequest): void {
    const fa = byId.get(f.agent);
    if (!fa) throw new Error(`no agent ${f.agent} in this fleet`);
    if (!FAULT_KINDS.includes(f.kind)) throw new Error(`unknown fault kind ${f.kind}; one of ${FAULT_KINDS.join(', ')}`);
    const rate = f.rate ?? 0.7;
    const s = fa.sim.state;
    const forMs = f.forMs ?? (f.kind === 'dependency' ? 30_000 : undefined);
    fa.fault = { kind: f.kind, rate, since: Date.now(), until: forMs === undefined ? undefined : Date.now() + forMs };
    fa.sim.injectFault(faultFor(f.kind, rate));
    if (f.kind === 'crash') {
      fa.mode = 'crashed';
      void close(fa);
    }
    if (f.kind === 'hang') fa.mode = 'hung';
    if (f.kind === 'bad-config') s.config = { ...s.config, request_timeout_ms: 0 };
    if (f.kind === 'bad-version') {
      s.history = [...s.history, { version: '1.5.0-rc1', deployed_at: new Date().toISOString(), known_good: false }];
      s.version = '1.5.0-rc1';
    }
  }

  function clear(agent: string): void {
    const fa = byId.get(agent);
    if (!fa) throw new Error(`no agent ${agent} in this fleet`);
    const s = fa.sim.state;
    if (fa.fault?.kind === 'bad-config' && !(Number(s.config.request_timeout_ms) >= 100)) s.config = { ...s.config, request_timeout_ms: 2000 };
    if (fa.fault?.kind === 'bad-version' && s.version === '1.5.0-rc1') s.version = '1.4.2';
    fa.fault = undefined;
    fa.sim.injectFault(null);
    if (fa.mode === 'crashed') void listen(fa);
    fa.mode = 'up';
  }

  /** Applies a scenario: each fault at its offset from now. Returns a function that cancels the rest. */
  function play(steps: (FaultRequest & { atMs: number })[], onError: (err: Error) => void): () => void {
    const timers = steps.map((step) => setTimeout(() => {
      try {
        inject(step);
      } catch (err) {
        onError(err as Error);
      }
    }, step.atMs));
    return () => timers.forEach(clearTimeout);
  }

  function status(): FleetStatus[] {
    return [...byId.values()].map((fa) => ({
      id: fa.id, type: fa.type, tier: fa.tier, port: fa.port, mode: fa.mode, fault: fa.fault?.kind ?? null,
      replicas: fa.sim.state.replicas, version: fa.sim.state.version, circuit: fa.sim.state.circuit.state, restarts: fa.sim.state.restarts,
    }));
  }

  for (const fa of byId.values()) await listen(fa);
  for (let i = 0; i < 5; i++) tick(1); // a few seconds of history before the first scrape
  const tickMs = o.tickMs ?? 1000;
  const timer = setInterval(() => tick(tickMs / 1000), tickMs);

  const control = express();
  control.use(express.json());
  control.use('/agents/:id', (req, res, next) => {
    const fa = byId.get(String(req.params.id));
    if (!fa) return void res.status(404).json({ error: `no agent ${String(req.params.id)}` });
    fa.sim.app(req, res, next);
  });
  control.get('/fleet/status', (req, res) => void res.json({ agents: status() }));
  control.post('/fleet/faults', (req, res) => {
    try {
      const b = req.body ?? {};
      inject({ agent: String(b.agent), kind: b.kind, rate: b.rate, forMs: b.for_ms });
      res.json({ injected: { agent: b.agent, kind: b.kind } });
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    }
  });
  control.delete('/fleet/faults/:agent', (req, res) => {
    try {
      clear(String(req.params.agent));
      res.json({ cleared: req.params.agent });
    } catch (err) {
      res.status(404).json({ error: (err as Error).message });
    }
  });
  const controlServer = createServer(control);
  const controlPort = o.basePort + o.agents;
  await new Promise<void>((resolve, reject) => {
    controlServer.once('error', reject);
    controlServer.listen(controlPort, host, () => resolve());
  });

  return {
    controlUrl: `http://${host}:${controlPort}`,
    agents: () => [...byId.values()].map((fa) => ({ id: fa.id, type: fa.type, tier: fa.tier, port: fa.port })),
    inject,
    clear,
    play,
    status,
    async stop() {
      clearInterval(timer);
      await Promise.all([...byId.values()].map(close));
      await new Promise<void>((resolve) => {
        controlServer.close(() => resolve());
        controlServer.closeAllConnections();
      });
    },
  };
}

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}
