// One simulated agent in memory: its snapshot and the HTTP handler for its admin API (/admin) and its
// simulator controls (/sim), behind its token. Not listening anywhere: a fleet mounts many of these
// behind one supervisor port, startAgentServer gives one its own port.
import express from 'express';
import { adminApi } from './admin-api.ts';
import { initialSnapshot, type AgentFault, type AgentSnapshot } from './agent-snapshot.ts';
import { simControlApi } from './sim-control-api.ts';

/** How many recent admin calls an agent remembers (tests read them; a long-running fleet must not grow). */
export const MAX_CALLS = 1000;

export interface SimAgentOptions {
  id: string;
  token: string;
  version?: string;
  /** Working state to start from (a restart hands it over). */
  working?: Record<string, unknown>;
  /** How long a restart keeps the agent down, and how long new replicas take to become ready. */
  restartMs?: number;
  replicaReadyMs?: number;
}

export interface SimAgent {
  state: AgentSnapshot;
  /** The most recent admin calls received (up to MAX_CALLS), in order, for tests to check what Medic did. */
  calls: string[];
  /** Serves /admin/* and /sim/*, checking the agent's token. */
  app: express.Express;
  injectFault(fault: AgentFault | null): void;
}

export interface AgentHooks {
  /** Called when a restart completes (a fleet reopens a crashed agent's port here). */
  onRestart?: () => void;
}

export function createAgent(o: SimAgentOptions, hooks: AgentHooks = {}): SimAgent {
  const state = initialSnapshot(o);
  const calls: string[] = [];
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
  app.use('/admin', adminApi(state, { restartMs: o.restartMs, replicaReadyMs: o.replicaReadyMs, onRestart: hooks.onRestart }));
  app.use('/sim', simControlApi(state));
  return {
    state,
    calls,
    app,
    injectFault(fault) {
      state.fault = fault;
    },
  };
}
