// The simulator's control surface on one agent (/sim): what tests and the fault scenarios use to make
// trouble. Not part of the agent protocol; it sits behind the same token as the admin API.
import express from 'express';
import type { AgentSnapshot, FaultFix } from './agent-snapshot.ts';
import { badRequest, isObject } from './request-checks.ts';

/** The /sim routes over `state`, which they change in place. Authentication is the caller's. */
export function simControlApi(state: AgentSnapshot): express.Router {
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
  return sim;
}
