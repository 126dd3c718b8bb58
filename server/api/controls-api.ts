// Operators' controls over the engine as a whole. The kill switch: POST /api/controls/pause holds every
// new automatic action (incidents still open, are recorded and wait, and escalate past max_wait as a
// guard would hold them); POST /api/controls/resume lets them go. Mounted under /api behind the access
// gate: changing needs the operator role, and the audit keeps who did it.
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Store } from '../store/store.ts';
import type { Principal } from './api-auth.ts';
import { decider } from './operator-audit.ts';

const Body = z.strictObject({
  by: z.string().min(1, 'must name who decides').max(200).optional(),
  note: z.string().max(2000).optional(),
});

export function controlsApiRouter(store: Store, clock: Clock, log: Logger, onResume: () => void): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb' });

  router.get('/api/controls', async (req, res) => {
    const pause = await store.actionsPaused();
    res.json({ actionsPaused: pause ? { by: pause.by, at: new Date(pause.at).toISOString(), note: pause.note } : null });
  });

  for (const verb of ['pause', 'resume'] as const) {
    router.post(`/api/controls/${verb}`, json, async (req, res) => {
      const body = Body.safeParse(req.body ?? {});
      if (!body.success) {
        return void res.status(400).json({ error: 'the body must be {"by"?: "<who>", "note"?: "<why>"}', problems: body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      }
      const who = decider(res.locals.principal as Principal | undefined, body.data.by);
      if ('error' in who) return void res.status(400).json({ error: who.error });
      const note = body.data.note ?? null;
      const changed = await store.setActionsPaused(verb === 'pause' ? { by: who.by, at: clock.now(), note } : null);
      const pause = await store.actionsPaused();
      const state = { actionsPaused: pause ? { by: pause.by, at: new Date(pause.at).toISOString(), note: pause.note } : null, changed };
      if (changed) {
        (res.locals.log as Logger | undefined ?? log).warn({ by: who.by, note }, verb === 'pause'
          ? 'automatic actions PAUSED by an operator: no new remediation starts until POST /api/controls/resume'
          : 'automatic actions resumed by an operator');
      }
      res.json(state);
      if (verb === 'resume' && changed) setImmediate(onResume);
    });
  }
  return router;
}
