// GET /api/session: who the presented credential is and what it may do, so that a console shows the
// controls only to those who may use them (the API refuses them to the others regardless).
import express, { type Router } from 'express';
import type { Principal } from './api-auth.ts';

export function sessionApiRouter(tiers: readonly string[], strategies: readonly string[]): Router {
  const router = express.Router();
  router.get('/api/session', (req, res) => {
    const p = res.locals.principal as Principal;
    res.json({ name: p.name, role: p.role, via: p.via, canDecide: p.role === 'operator', tiers, strategies });
  });
  return router;
}
