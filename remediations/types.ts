// The shapes the remediation engine passes around. Drivers know targets; strategies know remedies;
// neither imports the other's implementations.

import type { BreakerState } from './decide/circuit-breaker.ts';

/**
 * A strategy's name. The registry (strategies/index.ts, or one built with createStrategyRegistry) is
 * the closed set; rules and policies are checked against it when they load.
 */
export type StrategyName = string;

/**
 * Where a driver acts: the inventory entry's block for that driver, resolved (files read, paths made
 * absolute). Each driver defines and checks its own shape (drivers/<name>-driver.ts); `kind` is the
 * driver's name, so a driver handed another driver's target says so instead of guessing.
 */
export interface DriverTarget {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** One inventory entry: what Medic may act on, and how. */
export interface Agent {
  id: string;
  type: string;
  tier: string;
  driver: string;
  target: DriverTarget;
}

export interface Health {
  healthy: boolean;
  /** Changes on every restart: the proof that a restart happened. */
  bootId?: string;
  pid?: number;
  version?: string;
  reason?: string;
}

export interface Summary {
  requestsPerS: number;
  errorRate: number;
  latencyP99S: number;
  queueDepth: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  cpuUtilisation: number;
  replicas: number;
  readyReplicas: number;
  /** Open client connections, against the config's max_connections. */
  connections: number;
  /** Share of the agent's storage in use, 0..1. */
  diskUsedRatio: number;
}

export type ActionRequest =
  | { action: 'save_state' }
  | { action: 'restore_state'; state: Record<string, unknown> }
  | { action: 'restart'; requestId: string; gracefulTimeoutS: number; state?: Record<string, unknown> }
  | { action: 'get_replicas' }
  | { action: 'set_replicas'; replicas: number }
  | { action: 'get_circuit' }
  | { action: 'set_circuit'; state: BreakerState; canaryWeight?: number }
  | { action: 'get_config' }
  | { action: 'patch_config'; patch: Record<string, unknown> }
  | { action: 'get_version' }
  | { action: 'rollback'; toVersion?: string }
  | { action: 'get_traffic' }
  | { action: 'set_traffic'; weight: number }
  | { action: 'gc' }
  | { action: 'set_profiling'; enabled: boolean; durationS?: number }
  | { action: 'summary' };

export type ActionName = ActionRequest['action'];

/** What a driver answered; `data` is the parsed answer body (already validated by the driver). */
export interface ActionResult {
  data: Record<string, unknown>;
}

export interface Driver {
  readonly name: string;
  readonly supports: ReadonlySet<ActionName>;
  /** Never throws for an unhealthy target: that is a Health with healthy false. Honours signal. */
  health(agent: Agent, signal: AbortSignal): Promise<Health>;
  /** Idempotent and bounded by signal. Throws DriverError (retryable or terminal). */
  perform(agent: Agent, request: ActionRequest, signal: AbortSignal): Promise<ActionResult>;
}

/** A failed driver call. `retryable` says whether the same call may succeed later. */
export class DriverError extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DriverError';
  }
}
