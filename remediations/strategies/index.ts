// The explicit registry of strategies. A rule or policy naming anything else stops the boot.
import type { Strategy } from './strategy.ts';
import type { StrategyName } from '../types.ts';
import { circuitBreakStrategy } from './circuit-break.ts';
import { repairStrategy } from './repair.ts';
import { rerouteStrategy } from './reroute.ts';
import { restartStrategy } from './restart.ts';
import { rollbackStrategy } from './rollback.ts';
import { runtimePatchStrategy } from './runtime-patch.ts';
import { scaleStrategy } from './scale.ts';

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  restart: restartStrategy,
  scale: scaleStrategy,
  circuit_break: circuitBreakStrategy,
  rollback: rollbackStrategy,
  reroute: rerouteStrategy,
  repair: repairStrategy,
  runtime_patch: runtimePatchStrategy,
};
