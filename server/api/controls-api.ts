// Operators' controls over the engine as a whole. The kill switch: POST /api/controls/pause holds every
// new automatic action (incidents still open, are recorded and wait, and escalate past max_wait as a
// guard would hold them); POST /api/controls/resume lets them go. A tier's decision mode: PUT
// /api/controls/tiers/:tier/mode replaces the policy file's modes for that tier until set back to
// "policy". Mounted under /api behind the access gate: changing needs the operator role, and the audit
// keeps who did it.
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Store } from '../store/store.ts';
import type { Principal } from './api-auth.ts';
import { decider, readDecision } from './operator-audit.ts';

const MODES = ['auto', 'shadow', 'approve', 'notify'] as const;
const ModeBody = z.strictObject({
  mode: z.enum([...MODES, 'policy'], { message: `must be one of ${MODES.join(', ')}, or policy (back to the policy file)` }),
  by: z.string().min(1, 'must name who decides').max(200).optional(),
  note: z.string().max(2000).optional(),
});

export function controlsApiRouter(store: Store, clock: Clock, log: Logger, onResume: () => void, tiers: readonly string[]): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb' });

  router.get('/api/controls', async (req, res) => {
    const pause = await store.actionsPaused();
    const modes = await store.modeOverrides();
    res.json({
      actionsPaused: pause ? { by: pause.by, at: new Date(pause.at).toISOString(), note: pause.note } : null,
      tierModes: modes.map((m) => ({ tier: m.tier, mode: m.mode, by: m.by, at: new Date(m.at).toISOString(), note: m.note })),
    });
  });

  router.put('/api/controls/tiers/:tier/mode', json, async (req, res) => {
    const tier = req.params.tier!;
    if (!tiers.includes(tier)) return void res.status(404).json({ error: `no tier ${JSON.stringify(tier.slice(0, 100))} in the policies; the tiers are ${tiers.join(', ')}` });
    const body = ModeBody.safeParse(req.body ?? {});
    if (!body.success) {
      return void res.status(400).json({ error: 'the body must be {"mode": "auto|shadow|approve|notify|policy", "by"?: "<who>", "note"?: "<why>"}', problems: body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    const who = decider(res.locals.principal as Principal | undefined, body.data.by);
    if ('error' in who) return void res.status(400).json({ error: who.error });
    const { mode } = body.data;
    const note = body.data.note ?? null;
    if (mode === 'policy') await store.clearModeOverride(tier);
    else await store.setModeOverride({ tier, mode, by: who.by, at: clock.now(), note });
    (res.locals.log as Logger | undefined ?? log).warn({ tier, mode, by: who.by, note }, mode === 'policy'
      ? `tier ${tier} back to the policy file's decision modes`
      : `tier ${tier} switched to ${mode} mode by an operator (until set back to policy)`);
    res.json({ tier, mode, by: who.by });
    setImmediate(onResume);
  });

  for (const verb of ['pause', 'resume'] as const) {
    router.post(`/api/controls/${verb}`, json, async (req, res) => {
      const who = readDecision(req, res);
      if (!who) return;
      const { note } = who;
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
