// The explicit registry of drivers. The inventory's schema is built from it (an entry naming another
// driver stops the boot), and it is the ONE place that decides whether an agent is acted on for real
// or through the dry-run driver: the engine and the change reverter both ask it.
import type { Agent, Driver } from '../types.ts';
import type { DriverDefinition, DriverSettings } from './driver-definition.ts';
import { createDryRunDriver, dryRunDriver } from './dry-run-driver.ts';
import { httpDriver } from './http-driver.ts';
import { kubernetesDriver } from './kubernetes-driver.ts';
import { processDriver } from './process-driver.ts';

// Each definition checks its own block, so the registry holds them without knowing their shapes.
export type AnyDriverDefinition = DriverDefinition<any>;

export const BUILTIN_DRIVERS: readonly AnyDriverDefinition[] = [httpDriver, processDriver, kubernetesDriver, dryRunDriver];

export interface ActingDriver {
  /** Undefined when the agent's driver is not registered. */
  driver: Driver | undefined;
  /** True when writes are recorded, not performed: nothing must be verified, recorded as changed or reverted. */
  dryRun: boolean;
}

export interface DriverRegistry {
  get(name: string): Driver | undefined;
  /**
   * The driver an agent is acted on through. Dry run when the deployment is (remediation.dry_run), the
   * agent's tier is (tiers.<t>.dry_run), or its inventory driver is `dry-run`; reads still go to the real
   * driver, so a dry-run plan is the plan Medic would make.
   */
  acting(agent: Agent, tierDryRun: boolean): ActingDriver;
  /** Stops what drivers run themselves (the process driver's children). */
  stopAll(): Promise<void>;
}

export function createDriverRegistry(settings: DriverSettings & { dryRun?: boolean; definitions?: readonly AnyDriverDefinition[] }): DriverRegistry {
  const definitions = settings.definitions ?? BUILTIN_DRIVERS;
  const byName = new Map<string, Driver>();
  for (const d of definitions) {
    if (byName.has(d.name)) throw new Error(`driver registry: ${d.name} is registered twice`);
    const driver = d.create(settings);
    if (driver.name !== d.name) throw new Error(`driver registry: definition ${d.name} made a driver named ${driver.name}`);
    byName.set(d.name, driver);
  }
  return {
    get: (name) => byName.get(name),
    acting(agent, tierDryRun) {
      const real = byName.get(agent.driver);
      const dryRun = settings.dryRun === true || tierDryRun || agent.driver === dryRunDriver.name;
      if (!dryRun) return { driver: real, dryRun };
      return { driver: real && real.name !== dryRunDriver.name ? createDryRunDriver(real) : createDryRunDriver(), dryRun };
    },
    async stopAll() {
      await Promise.all([...byName.values()].map((d) => (d as { stopAll?: () => Promise<void> }).stopAll?.()));
    },
  };
}
