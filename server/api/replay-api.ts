// The policy replay (what-if) from the console: GET /api/replays/defaults gives the policies and rules
// in force, as text to edit; POST /api/replays runs a period through candidate ones and answers the
// report (server/replay/policy-replay.ts). It acts on nothing, but it takes a core for seconds: the
// operator role (as every POST), one replay at a time, a bounded period.
import express, { type Router } from 'express';
import { z } from 'zod';
import { ConfigError } from '../../lib/yaml-config.ts';
import { parsePoliciesYaml, type Policies } from '../../remediations/decide/policies.ts';
import { parseRulesYaml, type SelectionRule } from '../../remediations/decide/selection.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Principal } from './api-auth.ts';
import type { ReplayReport } from '../replay/policy-replay.ts';

export interface ReplayService {
  /** The policies and rules in force, as YAML text. */
  defaults(): { policies: string; rules: string };
  run(input: { from: number; to: number; policies?: Policies; rules?: SelectionRule[] }): Promise<ReplayReport>;
}

const MAX_PERIOD_MS = 92 * 86_400_000;
const Time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 time').transform((s) => Date.parse(s));
const Body = z.strictObject({
  from: Time,
  to: Time,
  policies: z.string().max(200_000).optional(),
  rules: z.string().max(200_000).optional(),
});

export function replayApiRouter(replay: ReplayService, log: Logger): Router {
  const router = express.Router();
  let running: { by: string; at: string } | undefined;

  router.get('/api/replays/defaults', (req, res) => {
    res.json(replay.defaults());
  });

  router.post('/api/replays', express.json({ limit: '512kb' }), async (req, res) => {
    const body = Body.safeParse(req.body ?? {});
    if (!body.success) {
      return void res.status(400).json({ error: 'the body must be {"from": "<RFC 3339>", "to": "<RFC 3339>", "policies"?: "<YAML>", "rules"?: "<YAML>"}', problems: body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    const { from, to } = body.data;
    if (from >= to) return void res.status(400).json({ error: 'from must be before to' });
    if (to - from > MAX_PERIOD_MS) return void res.status(400).json({ error: `the period is ${Math.ceil((to - from) / 86_400_000)} days; a replay here covers at most 92 (use medic replay for longer ones)` });
    let candidate: { policies?: Policies; rules?: SelectionRule[] };
    try {
      candidate = {
        ...(body.data.policies?.trim() ? { policies: parsePoliciesYaml(body.data.policies, 'candidate policies') } : {}),
        ...(body.data.rules?.trim() ? { rules: parseRulesYaml(body.data.rules, 'candidate rules') } : {}),
      };
    } catch (err) {
      if (err instanceof ConfigError) return void res.status(400).json({ error: 'the candidate policies or rules need fixing', problems: err.problems.map((message) => ({ path: '', message })) });
      throw err;
    }
    if (running) return void res.status(409).json({ error: `a replay is running (started by ${running.by} at ${running.at}); one at a time` });
    const by = (res.locals.principal as Principal | undefined)?.name ?? 'unknown';
    running = { by, at: new Date().toISOString() };
    const l = (res.locals.log as Logger | undefined) ?? log;
    try {
      const report = await replay.run({ from, to, ...candidate });
      l.info({ by, incidents: report.incidents, differences: report.differences.length, elapsedMs: report.elapsedMs }, 'policy replay done');
      res.json(report);
    } finally {
      running = undefined;
    }
  });
  return router;
}
