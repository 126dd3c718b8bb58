// The policy replay as the running service offers it (POST /api/replays): against its own store and
// inventory, with the policies and rules in force unless the request brings candidates.
import { readFileSync } from 'node:fs';
import { DEFAULT_POLICIES_YAML, type Policies } from '../../remediations/decide/policies.ts';
import { DEFAULT_RULES_YAML, type SelectionRule } from '../../remediations/decide/selection.ts';
import type { Inventory } from '../../remediations/inventory.ts';
import type { ReplayService } from '../api/replay-api.ts';
import type { Store } from '../store/store.ts';
import { replayPolicies } from './policy-replay.ts';

export function replayService(o: { store: Store; inventory: Inventory; policies: Policies; rules: SelectionRule[]; files: { policies?: string; rules?: string } }): ReplayService {
  return {
    defaults: () => ({
      // Read when asked: the text shows what is in force (files are loaded at start; a changed file is
      // what the next start would run, and the page says which file it came from).
      policies: o.files.policies ? readFileSync(o.files.policies, 'utf8') : DEFAULT_POLICIES_YAML,
      rules: o.files.rules ? readFileSync(o.files.rules, 'utf8') : DEFAULT_RULES_YAML,
    }),
    run: (input) => replayPolicies({
      source: o.store, agents: o.inventory.all(), from: input.from, to: input.to,
      policies: input.policies ?? o.policies, rules: input.rules ?? o.rules,
    }),
  };
}
