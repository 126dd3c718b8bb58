// The fleet's supervisor API, on one port: every agent's admin API under /agents/<id>/ (what Medic's
// inventory points at, as it would at a node agent), and the fleet's own controls: status and faults.
import express from 'express';
import type { FleetModel } from './fleet-model.ts';

export function controlApi(model: FleetModel): express.Express {
  const control = express();
  control.use(express.json());
  control.use('/agents/:id', (req, res, next) => {
    const agent = model.get(String(req.params.id));
    if (!agent) return void res.status(404).json({ error: `no agent ${String(req.params.id)}` });
    agent.sim.app(req, res, next);
  });
  control.get('/fleet/status', (req, res) => void res.json({ agents: model.status() }));
  control.post('/fleet/faults', (req, res) => {
    try {
      const b = req.body ?? {};
      model.inject({ agent: String(b.agent), kind: b.kind, rate: b.rate, forMs: b.for_ms, ...(b.ramp_ms !== undefined ? { rampMs: Number(b.ramp_ms) } : {}) });
      res.json({ injected: { agent: b.agent, kind: b.kind } });
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    }
  });
  control.delete('/fleet/faults/:agent', (req, res) => {
    try {
      model.clear(String(req.params.agent));
      res.json({ cleared: req.params.agent });
    } catch (err) {
      res.status(404).json({ error: (err as Error).message });
    }
  });
  return control;
}
