// Policies with every guard and cooldown opened, as YAML: for runs that count what Medic does under
// faults and load (the kill-at-random test, the soak benchmark), where a guard holding work back would
// measure the guard instead. One tier: every agent type falls to `default`.
import { stringify } from 'yaml';

export function openPolicies(): string {
  return stringify({
    tiers: { default: { restart_cooldown: '0s', strategy_cooldown: '0s', max_restart_attempts: 100_000 } },
    guards: {
      max_concurrent: 100, budget: { capacity: 100_000, refill_per_minute: 100_000 },
      blast_radius: { per_type_percent: 100, fleet_percent: 100 }, storm: { min_agents: 100_000 }, ineffective: { after: 100_000 },
    },
  });
}
