// Medic's configuration for the stack: the shipped tier policies and selection rules with time
// compressed as the stack compresses Prometheus's rules (compressRules), and a medic.yaml pointing at the
// fleet's inventory and the stack's Alertmanager and Prometheus. The shipped defaults come from
// `medic config defaults`, as an operator would copy them, so the stack holds no second copy of them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runMedic } from './medic-process.ts';

// Verification and a breaker's open phase in seconds rather than minutes; guards wide enough that a
// burst of simultaneous faults (one per fault kind: half of the stack's fleet, which the shipped guards
// rightly take for an alert storm) proceeds without waiting for budget. The guards themselves are tested
// as shipped: test/e2e/small-fleet-guards.test.ts and test/integration/engine-decisions.test.ts.
const POLICY_OVERRIDES: { tiers: Record<string, Record<string, unknown>>; guards: Record<string, unknown> } = {
  tiers: { default: { verify_timeout: '8s', circuit_break_duration: '4s' } },
  guards: {
    max_concurrent: 40, budget: { capacity: 200, refill_per_minute: 100 }, blast_radius: { per_type_percent: 100, fleet_percent: 100 },
    storm: { min_agents: 100_000 },
  },
};
// The breaker's canary window shortened for the rules that open one.
const BREAKER_RULES = ['severe-error-rate', 'dependency-down'];
const BREAKER_PARAMS = { circuit_break: { canary_window_s: 2, max_reopens: 5 } };

async function shippedDefaults(which: 'policies' | 'rules'): Promise<unknown> {
  const run = await runMedic(['config', 'defaults', which]);
  if (run.code !== 0) throw new Error(`medic config defaults ${which} exited with ${run.code}: ${run.stderr}`);
  return parse(run.stdout);
}

/**
 * The shipped policies, each override merged in (a tier's fields by name, the guards by key), as YAML.
 * Uncompressed (the stack in shipped timing), the tiers stay as shipped and only the guards are opened.
 */
export function compressPolicies(shipped: unknown, compress = true, guards: 'open' | 'shipped' = 'open'): string {
  const base = shipped as { tiers: Record<string, Record<string, unknown>>; guards: Record<string, unknown> };
  if (compress) for (const [name, fields] of Object.entries(POLICY_OVERRIDES.tiers)) base.tiers[name] = { ...base.tiers[name], ...fields };
  // Shipped guards: what a small fleet meets out of the box (their windows are wall-clock time, so under
  // compressed time they hold longer than they would: the harder case).
  if (guards === 'open') base.guards = { ...base.guards, ...POLICY_OVERRIDES.guards };
  return stringify(base);
}

/** The shipped selection rules with the breaker's timings shortened, as YAML. */
export function compressSelectionRules(shipped: unknown): string {
  const rules = shipped as { rules: { name: string; params?: Record<string, unknown> }[] };
  // A copy per rule: a shared object would be written as a YAML anchor and alias.
  for (const r of rules.rules) if (BREAKER_RULES.includes(r.name)) r.params = structuredClone(BREAKER_PARAMS);
  return stringify(rules);
}

/**
 * Writes policies.yaml, rules.yaml and medic.yaml into `dir` (beside the fleet's inventory.yaml) and
 * returns medic.yaml's path.
 */
export async function writeMedicConfig(dir: string, o: { alertmanagerUrl: string; prometheusUrl: string; registry?: string; compress?: boolean; guards?: 'open' | 'shipped' }): Promise<string> {
  const compress = o.compress ?? true;
  const [policies, rules] = await Promise.all([shippedDefaults('policies'), shippedDefaults('rules')]);
  writeFileSync(join(dir, 'policies.yaml'), compressPolicies(policies, compress, o.guards));
  writeFileSync(join(dir, 'rules.yaml'), compress ? compressSelectionRules(rules) : stringify(rules));
  // Medic scores incidents and the fleet with the shipped models, as `npm start` would.
  const file = join(dir, 'medic.yaml');
  writeFileSync(file, stringify({
    remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', rules: 'rules.yaml', ...(compress ? { recheck_interval: '1s', verify_interval: '250ms' } : {}) },
    workers: { concurrency: 16, poll_interval: '500ms' },
    alertmanager: { url: o.alertmanagerUrl },
    prometheus: { url: o.prometheusUrl },
    models: { ...(compress ? { prediction_interval: '2s' } : {}), ...(o.registry ? { registry: o.registry } : {}) },
  }));
  return file;
}
