// An operator resets a circuit breaker: closes it on the agent now (and gives the agent its traffic back
// if the breaker had moved it away), whether the breaker is between its phases or stuck open past its
// re-openings. The remediation under way, if any, ends as done by that operator, recorded; the incident
// is then handled as any other: if its alert still fires, Medic goes on with the ladder (the breaker's
// cooldown counts).
import { tierFor, type Policies } from '../decide/policies.ts';
import type { DriverRegistry } from '../drivers/index.ts';
import type { Inventory } from '../inventory.ts';
import type { Clock } from '../../lib/clock.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';
import type { Store } from '../../server/store/store.ts';

export interface BreakerResetOptions {
  store: Store;
  inventory: Inventory;
  drivers: Pick<DriverRegistry, 'acting'>;
  policies: Policies;
  clock: Clock;
  timeoutMs: number;
}

export type BreakerResetResult =
  | { ok: true; target: string; from: string; state: 'closed'; trafficRestored: boolean; attempt: number | null; dryRun: boolean }
  | { ok: false; status: 404 | 409 | 502; error: string };

const LOOKBACK_MS = 7 * 86_400_000;

export async function resetBreaker(o: BreakerResetOptions, target: string, by: string, note: string | null): Promise<BreakerResetResult> {
  const breaker = await o.store.getBreaker(target);
  if (!breaker) return { ok: false, status: 404, error: `no circuit breaker for ${target}` };
  if (breaker.state === 'closed') return { ok: false, status: 409, error: `the circuit breaker of ${target} is closed already` };
  // The id came from the URL; the agent, its driver and its endpoint come from the inventory only.
  const agent = o.inventory.resolve({ agent: target });
  if (!agent) return { ok: false, status: 409, error: `${target} is not in the inventory: Medic cannot reach it; close its breaker on the agent itself` };
  const { driver, dryRun } = o.drivers.acting(agent, tierFor(o.policies, agent.type, agent.tier).dry_run);
  if (!driver) return { ok: false, status: 409, error: `driver ${agent.driver} of ${target} is not available` };

  const now = o.clock.now();
  const breakerRuns = (await o.store.history(target, now - LOOKBACK_MS)).filter((a) => a.strategy === 'circuit_break');
  const last = breakerRuns[breakerRuns.length - 1];
  const running = last?.outcome === 'in_progress' ? last : undefined;
  if (running) {
    const detail = await o.store.getIncident(running.incidentId);
    if (detail?.work.some((w) => w.state === 'running')) {
      return { ok: false, status: 409, error: `a phase of ${target}'s breaker is running now (incident ${running.incidentId}); try again in a few seconds` };
    }
  }
  const plan = (last?.details.plan as { data?: { redirect?: unknown } } | undefined)?.data;
  const redirected = plan?.redirect === true;
  try {
    await driver.perform(agent, { action: 'set_circuit', state: 'closed' }, deadlineSignal(o.timeoutMs));
    if (redirected) await driver.perform(agent, { action: 'set_traffic', weight: 1 }, deadlineSignal(o.timeoutMs));
  } catch (err) {
    return { ok: false, status: 502, error: `closing the breaker on ${target} failed: ${(err as Error).message}; it stays ${breaker.state}` };
  }
  const at = o.clock.now();
  await o.store.saveBreaker({ ...breaker, state: 'closed', changedAt: at, nextCheckAt: null });
  const reason = `breaker closed by ${by} (operator reset)${redirected ? ', traffic restored' : ''}${note ? `: ${note}` : ''}`;
  if (running) {
    await o.store.updateAttempt(running.id, {
      outcome: 'succeeded', reason, finishedAt: at, details: { ...running.details, reset: { by, at: new Date(at).toISOString(), note, from: breaker.state } },
    });
  }
  return { ok: true, target, from: breaker.state, state: 'closed', trafficRestored: redirected, attempt: running?.id ?? null, dryRun };
}
