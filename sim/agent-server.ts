// One simulated agent's admin API (docs/agent-protocol.md), in memory. The remediation tests heal these
// for real over loopback; the simulated fleet builds on it.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type Response } from 'express';

export type FaultFix = 'restart' | 'scale' | 'circuit_open' | 'rollback' | 'reroute' | 'memory_limit' | 'cpu_limit' | 'config_valid' | 'timeout_raise' | 'gc';

/** A problem the agent has until one of `fixedBy` is applied to it. */
/** How many recent admin calls an agent remembers (tests read them; a long-running fleet must not grow). */
export const MAX_CALLS = 1000;

export interface AgentFault {
  kind: string;
  fixedBy: FaultFix[];
  /** When the fault makes health fail (a crash, a hang); otherwise it only shows in the summary. */
  unhealthy: boolean;
}

export interface AgentSnapshot {
  id: string;
  bootId: string;
  pid: number;
  version: string;
  history: { version: string; deployed_at: string; known_good: boolean }[];
  replicas: number;
  readyReplicas: number;
  circuit: { state: 'closed' | 'open' | 'half_open'; canary_weight: number };
  config: Record<string, unknown>;
  revision: number;
  traffic: { weight: number; backup_weight: number };
  profiling: boolean;
  gcRuns: number;
  restarts: number;
  restarting: boolean;
  working: Record<string, unknown>;
  summary: {
    requests_per_s: number; error_rate: number; latency_p99_s: number; queue_depth: number;
    memory_bytes: number; memory_limit_bytes: number; cpu_utilisation: number; connections: number; disk_used_ratio: number;
  };
  fault: AgentFault | null;
}

export interface AgentServerOptions {
  id: string;
  token: string;
  host?: string;
  port?: number;
  version?: string;
  /** Working state to start from (a restart hands it over). */
  working?: Record<string, unknown>;
  /** How long a restart keeps the agent down, and how long new replicas take to become ready. */
  restartMs?: number;
  replicaReadyMs?: number;
}

export interface AgentServer {
  url: string;
  /** The admin base URL, as an inventory names it. */
  adminUrl: string;
  state: AgentSnapshot;
  /** The most recent admin calls received (up to MAX_CALLS), in order, for tests to check what Medic did. */
  calls: string[];
  injectFault(fault: AgentFault): void;
  stop(): Promise<void>;
}

/** One agent's state and its admin (and /sim control) HTTP handler, not yet listening anywhere. */
export interface SimAgent {
  state: AgentSnapshot;
  calls: string[];
  /** Serves /admin/* and /sim/*, checking the agent's token. */
  app: express.Express;
  injectFault(fault: AgentFault | null): void;
}

export interface AgentHooks {
  /** Called when a restart completes (a fleet reopens a crashed agent's port here). */
  onRestart?: () => void;
}

export async function startAgentServer(o: AgentServerOptions): Promise<AgentServer> {
  const agent = createAgent(o);
  const server: Server = createServer(agent.app);
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${o.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    adminUrl: `${url}/admin`,
    state: agent.state,
    calls: agent.calls,
    injectFault: (fault) => agent.injectFault(fault),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function createAgent(o: AgentServerOptions, hooks: AgentHooks = {}): SimAgent {
  const version = o.version ?? '1.4.2';
  const state: AgentSnapshot = {
    id: o.id,
    bootId: randomUUID(),
    pid: process.pid,
    version,
    history: [
      { version: '1.4.1', deployed_at: '2026-11-01T00:00:00Z', known_good: true },
      { version, deployed_at: '2026-11-20T00:00:00Z', known_good: true },
    ],
    replicas: 2,
    readyReplicas: 2,
    circuit: { state: 'closed', canary_weight: 0 },
    config: { request_timeout_ms: 2000, memory_limit_mib: 512, cpu_limit_millicores: 1000, max_connections: 100, storage_limit_mib: 1024 },
    revision: 1,
    traffic: { weight: 1, backup_weight: 0 },
    profiling: false,
    gcRuns: 0,
    restarts: 0,
    restarting: false,
    working: o.working ?? { conversations: 3, queued_tasks: ['t1', 't2'] },
    summary: {
      requests_per_s: 12, error_rate: 0.01, latency_p99_s: 0.3, queue_depth: 2,
      memory_bytes: 200 * 1024 * 1024, memory_limit_bytes: 512 * 1024 * 1024, cpu_utilisation: 0.3, connections: 20, disk_used_ratio: 0.4,
    },
    fault: null,
  };
  const calls: string[] = [];
  const restartsSeen = new Map<string, string>();
  const fix = (how: FaultFix) => {
    if (state.fault?.fixedBy.includes(how)) state.fault = null;
  };

  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    calls.push(`${req.method} ${req.path}`);
    // A fleet runs for hours under Medic's health polling: keep the recent calls, not all of them.
    if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
    if (req.headers.authorization !== `Bearer ${o.token}`) {
      res.status(401).json({ error: 'missing or wrong agent token' });
      return;
    }
    next();
  });
  const admin = express.Router();

  admin.get('/health', (req, res) => {
    const ids = { boot_id: state.bootId, pid: state.pid, version: state.version };
    if (state.restarting) return void res.status(503).json({ status: 'failing', reason: 'restarting', ...ids });
    if (state.fault?.unhealthy) return void res.status(503).json({ status: 'failing', reason: state.fault.kind, ...ids });
    res.json({ status: state.fault ? 'degraded' : 'ok', boot_id: state.bootId, pid: state.pid, version: state.version, uptime_s: 1 });
  });
  admin.get('/ready', (req, res) => {
    const ready = !state.restarting && !state.fault?.unhealthy;
    res.status(ready ? 200 : 503).json(ready ? { ready } : { ready, reason: state.restarting ? 'restarting' : state.fault?.kind });
  });
  admin.get('/summary', (req, res) => {
    res.json({ ...state.summary, replicas: state.replicas, ready_replicas: state.readyReplicas });
  });
  admin.post('/state/save', (req, res) => {
    res.json({ state: state.working, saved_at: new Date().toISOString() });
  });
  admin.post('/state/restore', (req, res) => {
    if (!isObject(req.body?.state)) return void badRequest(res, 'state must be an object');
    state.working = req.body.state;
    res.json({ restored: true });
  });
  admin.post('/restart', (req, res) => {
    const requestId = String(req.body?.request_id ?? '');
    if (!requestId) return void badRequest(res, 'request_id is required');
    const seen = restartsSeen.get(requestId);
    if (seen) return void res.status(202).json({ boot_id: seen });
    restartsSeen.set(requestId, state.bootId);
    res.status(202).json({ boot_id: state.bootId });
    state.restarting = true;
    const handed = isObject(req.body.state) ? req.body.state : state.working;
    setTimeout(() => {
      state.bootId = randomUUID();
      state.restarts++;
      state.working = handed;
      state.restarting = false;
      fix('restart');
      hooks.onRestart?.();
    }, o.restartMs ?? 50);
  });
  admin.get('/replicas', (req, res) => {
    res.json({ replicas: state.replicas, ready_replicas: state.readyReplicas });
  });
  admin.put('/replicas', (req, res) => {
    const n = req.body?.replicas;
    if (!Number.isInteger(n) || n < 0 || n > 100) return void badRequest(res, 'replicas must be an integer 0..100');
    const grew = n > state.replicas;
    state.replicas = n;
    if (!grew) state.readyReplicas = Math.min(state.readyReplicas, n);
    else setTimeout(() => (state.readyReplicas = state.replicas), o.replicaReadyMs ?? 30);
    if (grew) fix('scale');
    res.json({ replicas: n });
  });
  admin.get('/circuit', (req, res) => {
    res.json(state.circuit);
  });
  admin.put('/circuit', (req, res) => {
    const s = req.body?.state;
    if (!['closed', 'open', 'half_open'].includes(s)) return void badRequest(res, 'state must be closed, open or half_open');
    state.circuit = { state: s, canary_weight: typeof req.body.canary_weight === 'number' ? req.body.canary_weight : 0 };
    if (s === 'open') fix('circuit_open');
    res.json(state.circuit);
  });
  admin.get('/config', (req, res) => {
    res.json({ config: state.config, revision: state.revision });
  });
  admin.patch('/config', (req, res) => {
    const patch = req.body?.patch;
    if (!isObject(patch)) return void badRequest(res, 'patch must be an object');
    if (req.body.expected_revision !== undefined && req.body.expected_revision !== state.revision) {
      return void res.status(409).json({ error: `revision is ${state.revision}` });
    }
    const before = { ...state.config };
    state.config = { ...state.config, ...patch };
    state.revision++;
    if (Number(state.config.memory_limit_mib) > Number(before.memory_limit_mib)) {
      state.summary.memory_limit_bytes = Number(state.config.memory_limit_mib) * 1024 * 1024;
      fix('memory_limit');
    }
    if (Number(state.config.request_timeout_ms) > Number(before.request_timeout_ms)) fix('timeout_raise');
    if (Number(state.config.cpu_limit_millicores) > Number(before.cpu_limit_millicores)) fix('cpu_limit');
    if (Number(state.config.request_timeout_ms) >= 100 && Number(state.config.max_connections) >= 1) fix('config_valid');
    res.json({ config: state.config, revision: state.revision });
  });
  admin.get('/version', (req, res) => {
    res.json({ version: state.version, history: state.history });
  });
  admin.post('/rollback', (req, res) => {
    const to = String(req.body?.to_version ?? '');
    if (!state.history.some((h) => h.version === to)) return void res.status(404).json({ error: `no version ${to}` });
    if (state.version !== to) {
      state.version = to;
      state.bootId = randomUUID();
      fix('rollback');
    }
    res.json({ version: state.version });
  });
  admin.get('/traffic', (req, res) => {
    res.json(state.traffic);
  });
  admin.put('/traffic', (req, res) => {
    const w = req.body?.weight;
    if (typeof w !== 'number' || w < 0 || w > 1) return void badRequest(res, 'weight must be a number 0..1');
    state.traffic = { weight: w, backup_weight: Number((1 - w).toFixed(3)) };
    if (w < 1) fix('reroute');
    res.json(state.traffic);
  });
  admin.post('/gc', (req, res) => {
    state.gcRuns++;
    const freed = Math.floor(state.summary.memory_bytes * 0.3);
    state.summary.memory_bytes -= freed;
    fix('gc');
    res.json({ freed_bytes: freed });
  });
  admin.put('/profiling', (req, res) => {
    state.profiling = Boolean(req.body?.enabled);
    res.json({ enabled: state.profiling });
  });
  app.use('/admin', admin);

  // The simulator's control surface: what tests and the fault scenarios use to make trouble. Same token.
  const sim = express.Router();
  sim.get('/state', (req, res) => {
    res.json(state);
  });
  sim.put('/fault', (req, res) => {
    const b = req.body ?? {};
    if (typeof b.kind !== 'string' || !Array.isArray(b.fixed_by)) return void badRequest(res, 'fault needs kind and fixed_by');
    state.fault = { kind: b.kind, fixedBy: b.fixed_by as FaultFix[], unhealthy: Boolean(b.unhealthy) };
    res.json(state.fault);
  });
  sim.delete('/fault', (req, res) => {
    state.fault = null;
    res.json({ cleared: true });
  });
  sim.patch('/summary', (req, res) => {
    const patch = req.body ?? {};
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in state.summary) || typeof v !== 'number') return void badRequest(res, `unknown or non-numeric summary field ${k}`);
    }
    Object.assign(state.summary, patch);
    res.json(state.summary);
  });
  sim.put('/working', (req, res) => {
    if (!isObject(req.body)) return void badRequest(res, 'working state must be an object');
    state.working = req.body;
    res.json(state.working);
  });
  app.use('/sim', sim);

  return {
    state,
    calls,
    app,
    injectFault(fault) {
      state.fault = fault;
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badRequest(res: Response, error: string): void {
  res.status(400).json({ error });
}

