// Config and runtime patches are temporary: when one expires, and no operator has promoted it, put the
// target back as it was. A revert that fails is recorded as such and logged loudly: a human must look.
import { tierFor, type Policies } from '../decide/policies.ts';
import type { DriverRegistry } from '../drivers/index.ts';
import type { Inventory } from '../inventory.ts';
import type { ActionRequest } from '../types.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { ChangeRecord, Store } from '../../server/store/store.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

export interface ChangeReverterOptions {
  store: Store;
  inventory: Inventory;
  /** The same dry-run decision as the engine's: a dry-run agent's change is never reverted for real. */
  drivers: Pick<DriverRegistry, 'acting'>;
  policies: Policies;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
  /** Beside other Medics on the store, only the one holding the periodic-jobs lease reverts (server/app/leader.ts). */
  isLeader?: () => boolean;
}

export function revertRequest(c: ChangeRecord): ActionRequest {
  if (c.kind === 'traffic') return { action: 'set_traffic', weight: Number(c.before.weight ?? 1) };
  if (c.kind === 'profiling') return { action: 'set_profiling', enabled: Boolean(c.before.enabled) };
  return { action: 'patch_config', patch: c.before };
}

/** Reverts every change due now; returns how many were reverted. */
export async function revertDueChanges(o: Omit<ChangeReverterOptions, 'intervalMs'>): Promise<number> {
  const now = o.clock.now();
  let reverted = 0;
  for (const c of await o.store.dueChanges(now)) {
    const agent = o.inventory.resolve({ agent: c.target });
    const acting = agent && o.drivers.acting(agent, tierFor(o.policies, agent.type, agent.tier).dry_run);
    const driver = acting?.driver;
    const log = o.log.child({ change: c.id, incident: c.incidentId, target: c.target });
    if (!agent || !driver) {
      await o.store.settleChange(c.id, 'revert_failed', now, 'the target is no longer in the inventory');
      log.error('cannot revert an expired change: the target is no longer in the inventory');
      continue;
    }
    try {
      await driver.perform(agent, revertRequest(c), deadlineSignal(o.timeoutMs));
      await o.store.settleChange(c.id, 'reverted', o.clock.now(), `${acting.dryRun ? 'dry-run: would have restored' : 'restored'} ${JSON.stringify(c.before)}`);
      log.info({ before: c.before, after: c.after }, 'expired change reverted');
      reverted++;
    } catch (err) {
      await o.store.settleChange(c.id, 'revert_failed', o.clock.now(), (err as Error).message);
      log.error({ err }, 'reverting an expired change failed: the target keeps the patch until a human acts');
    }
  }
  return reverted;
}

export function startChangeReverter(o: ChangeReverterOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (o.isLeader && !o.isLeader()) return;
    running = running.then(() => revertDueChanges(o)).catch((err: unknown) => o.log.error({ err }, 'the change reverter failed this round'));
  }, o.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
