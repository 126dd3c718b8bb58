// What operators decide: approvals for remediations in `approve` mode, promotion (or early revert) of temporary changes,
// and the circuit breakers' states; and the audit of who decided what. Mounted under /api behind the
// access gate (api-auth.ts): deciding needs the operator role, and who decides is the API token's name.
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { BreakerResetResult } from '../../remediations/act/breaker-reset.ts';
import type { Store } from '../store/store.ts';
import { readDecision } from './operator-audit.ts';

const Id = z.coerce.number().int().min(1);
// An agent id as inventories write them: looked up, never used to build anything.
const AGENT_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type ResetBreaker = (target: string, by: string, note: string | null) => Promise<BreakerResetResult>;

export function operatorApiRouter(store: Store, clock: Clock, onDecision: () => void, resetBreaker?: ResetBreaker): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb' });

  router.get('/api/approvals', async (req, res) => {
    const state = z.enum(['pending', 'approved', 'rejected', 'expired', 'used']).optional().safeParse(req.query.state);
    if (!state.success) return void res.status(400).json({ error: 'state must be one of pending, approved, rejected, expired, used' });
    const items = await store.listApprovals(state.data);
    res.json({ items: items.map((a) => ({ ...a, requestedAt: iso(a.requestedAt), expiresAt: iso(a.expiresAt), decidedAt: iso(a.decidedAt) })) });
  });

  for (const [verb, to] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    router.post(`/api/approvals/:id/${verb}`, json, async (req, res) => {
      const id = Id.safeParse(req.params.id);
      if (!id.success) return void res.status(400).json({ error: 'approval id must be a positive integer' });
      const who = readDecision(req, res);
      if (!who) return;
      const done = await store.settleApproval(id.data, 'pending', to, who.by, clock.now(), who.note);
      if (!done) return void res.status(409).json({ error: `approval ${id.data} is not pending (unknown, already decided or expired)` });
      res.json({ id: id.data, state: to, by: who.by });
      setImmediate(onDecision);
    });
  }

  router.get('/api/changes', async (req, res) => {
    const state = z.enum(['active', 'reverted', 'promoted', 'revert_failed']).optional().safeParse(req.query.state);
    if (!state.success) return void res.status(400).json({ error: 'state must be one of active, reverted, promoted, revert_failed' });
    const items = await store.listChanges(state.data);
    res.json({ items: items.map((c) => ({ ...c, appliedAt: iso(c.appliedAt), expiresAt: iso(c.expiresAt), settledAt: iso(c.settledAt) })) });
  });

  router.post('/api/changes/:id/promote', json, async (req, res) => {
    const id = Id.safeParse(req.params.id);
    if (!id.success) return void res.status(400).json({ error: 'change id must be a positive integer' });
    const who = readDecision(req, res);
    if (!who) return;
    const done = await store.settleChange(id.data, 'promoted', clock.now(), `promoted by ${who.by}${who.note ? `: ${who.note}` : ''}`);
    if (!done) return void res.status(409).json({ error: `change ${id.data} is not active (unknown, reverted or promoted)` });
    res.json({ id: id.data, state: 'promoted', by: who.by });
  });

  // Reverting before the expiry: the change becomes due now, and the change reverter puts the target back
  // on its next round (remediation.revert_interval), through the same driver, recorded the same way.
  router.post('/api/changes/:id/revert', json, async (req, res) => {
    const id = Id.safeParse(req.params.id);
    if (!id.success) return void res.status(400).json({ error: 'change id must be a positive integer' });
    const who = readDecision(req, res);
    if (!who) return;
    const done = await store.expireChange(id.data, clock.now());
    if (!done) return void res.status(409).json({ error: `change ${id.data} is not active (unknown, reverted or promoted)` });
    res.status(202).json({ id: id.data, state: 'active', revert: 'due now: the change reverter restores the target on its next round', by: who.by });
  });

  router.get('/api/breakers', async (req, res) => {
    const items = await store.listBreakers();
    res.json({ items: items.map((b) => ({ ...b, changedAt: iso(b.changedAt), nextCheckAt: iso(b.nextCheckAt) })) });
  });

  // Close a breaker now (remediations/act/breaker-reset.ts): between its phases or stuck open.
  router.post('/api/breakers/:target/reset', json, async (req, res) => {
    const target = req.params.target!;
    if (!AGENT_ID.test(target)) return void res.status(400).json({ error: 'target must be an agent id (letters, digits, . _ : -)' });
    if (!resetBreaker) return void res.status(404).json({ error: 'breaker reset is not available here' });
    const who = readDecision(req, res);
    if (!who) return;
    const r = await resetBreaker(target, who.by, who.note);
    if (!r.ok) return void res.status(r.status).json({ error: r.error });
    (res.locals.log as Logger).warn({ target, from: r.from, by: who.by, note: who.note, attempt: r.attempt }, `circuit breaker of ${target} reset (closed) by an operator`);
    res.json({ ...r, by: who.by });
    setImmediate(onDecision);
  });

  router.get('/api/audit', async (req, res) => {
    const limit = z.coerce.number().int().min(1).max(500).default(100).safeParse(req.query.limit);
    const cursor = Id.optional().safeParse(req.query.cursor);
    if (!limit.success || !cursor.success) return void res.status(400).json({ error: 'limit must be 1-500 and cursor a positive integer' });
    const page = await store.listAudit({ limit: limit.data, cursor: cursor.data });
    res.json({ items: page.items.map((e) => ({ ...e, at: iso(e.at) })), nextCursor: page.nextCursor });
  });

  return router;
}
