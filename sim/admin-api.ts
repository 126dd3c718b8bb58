// One simulated agent's admin API (docs/agent-protocol.md): what Medic's http driver calls. Each call
// changes the agent's snapshot the way a real agent would, and heals the fault it is the fix for.
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { AgentSnapshot, FaultFix } from './agent-snapshot.ts';
import { badRequest, isObject } from './request-checks.ts';

export interface AdminApiOptions {
  /** How long a restart keeps the agent down, and how long new replicas take to become ready. */
  restartMs?: number;
  replicaReadyMs?: number;
  /** Called when a restart completes (a fleet reopens a crashed agent's port here). */
  onRestart?: () => void;
}

/** The /admin routes over `state`, which they change in place. Authentication is the caller's. */
export function adminApi(state: AgentSnapshot, o: AdminApiOptions = {}): express.Router {
  // A retried restart (same request_id) answers with the boot it already started, and restarts nothing.
  const restartsSeen = new Map<string, string>();
  const fix = (how: FaultFix) => {
    if (state.fault?.fixedBy.includes(how)) state.fault = null;
  };

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
      o.onRestart?.();
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
  return admin;
}
