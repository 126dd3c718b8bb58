// GET /api/fleet: every agent of the inventory with what Medic knows of it (open incidents, its newest
// remediation, temporary changes in force, its circuit breaker), and agents that alerts name but the
// inventory does not (Medic can only escalate those). From the store only: no agent is called.
import express, { type Router } from 'express';
import type { Agent } from '../../remediations/types.ts';
import type { AgentActivity, Store } from '../store/store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function fleetApiRouter(store: Store, fleet: () => readonly Agent[]): Router {
  const router = express.Router();

  router.get('/api/fleet', async (req, res) => {
    const [activity, breakers] = await Promise.all([store.agentActivity(), store.listBreakers()]);
    const known = fleet();
    const byAgent = new Map(activity.map((a) => [a.agent, a]));
    const breakerOf = new Map(breakers.map((b) => [b.target, b.state]));
    const row = (agent: string, a: AgentActivity | undefined, entry: Agent | undefined) => ({
      agent,
      type: entry?.type ?? null,
      tier: entry?.tier || null,
      driver: entry?.driver ?? null,
      inInventory: entry !== undefined,
      openIncidents: a?.openIncidents ?? 0,
      lastIncidentAt: iso(a?.lastIncidentAt ?? null),
      lastRemediation: a?.lastRemediation
        ? { ...a.lastRemediation, startedAt: iso(a.lastRemediation.startedAt), finishedAt: iso(a.lastRemediation.finishedAt) }
        : null,
      activeChanges: a?.activeChanges ?? 0,
      breaker: breakerOf.get(agent) ?? null,
    });
    const knownIds = new Set(known.map((e) => e.id));
    const items = [
      ...known.map((e) => row(e.id, byAgent.get(e.id), e)),
      ...activity.filter((a) => !knownIds.has(a.agent)).map((a) => row(a.agent, a, undefined)),
    ].sort((x, y) => x.agent.localeCompare(y.agent));
    res.json({
      summary: {
        agents: known.length,
        withOpenIncidents: items.filter((i) => i.inInventory && i.openIncidents > 0).length,
        notInInventory: items.filter((i) => !i.inInventory).length,
        activeChanges: items.reduce((n, i) => n + i.activeChanges, 0),
        breakersNotClosed: items.filter((i) => i.breaker !== null && i.breaker !== 'closed').length,
      },
      items,
    });
  });
  return router;
}
