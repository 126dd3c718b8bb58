// The explicit registry of strategies. Rules and policies are checked against it when they load (a
// ladder naming anything else stops the boot), and the engine acts only through it. Adding a strategy
// is one file exporting one Strategy, one test, and one line in BUILTIN_STRATEGIES.
import type { Strategy } from './strategy.ts';
import { circuitBreakStrategy } from './circuit-break.ts';
import { repairStrategy } from './repair.ts';
import { rerouteStrategy } from './reroute.ts';
import { restartStrategy } from './restart.ts';
import { rollbackStrategy } from './rollback.ts';
import { runtimePatchStrategy } from './runtime-patch.ts';
import { scaleStrategy } from './scale.ts';

export const BUILTIN_STRATEGIES: readonly Strategy[] = [
  restartStrategy, scaleStrategy, circuitBreakStrategy, rollbackStrategy, rerouteStrategy, repairStrategy, runtimePatchStrategy,
];

export interface StrategyRegistry {
  /** Registered names, in registration order: what rules.yaml ladders and policies.yaml strategy_modes may name. */
  readonly names: readonly [string, ...string[]];
  /** The strategy of a name that loaded configuration named; throws for a name the registry never checked. */
  get(name: string): Strategy;
  has(name: string): boolean;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Checks the list once (names well-formed and unique) and indexes it. */
export function createStrategyRegistry(strategies: readonly Strategy[]): StrategyRegistry {
  if (strategies.length === 0) throw new Error('strategy registry: no strategies');
  const byName = new Map<string, Strategy>();
  for (const s of strategies) {
    if (!NAME.test(s.name)) throw new Error(`strategy registry: name ${JSON.stringify(s.name)} must match ${NAME}`);
    if (byName.has(s.name)) throw new Error(`strategy registry: ${s.name} is registered twice`);
    byName.set(s.name, s);
  }
  return {
    names: [...byName.keys()] as [string, ...string[]],
    has: (name) => byName.has(name),
    get(name) {
      const s = byName.get(name);
      if (!s) throw new Error(`strategy ${JSON.stringify(name)} is not registered (known: ${[...byName.keys()].join(', ')})`);
      return s;
    },
  };
}

export const STRATEGIES = createStrategyRegistry(BUILTIN_STRATEGIES);
export const STRATEGY_NAMES = STRATEGIES.names;
