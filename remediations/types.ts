// The shapes the remediation engine passes around. Drivers know targets; strategies know remedies;
// neither imports the other's implementations.

export const STRATEGY_NAMES = ['restart', 'scale', 'circuit_break', 'rollback', 'reroute', 'repair', 'runtime_patch'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Operations a driver may support. */
export const ACTIONS = [
  'health', 'summary', 'state', 'restart', 'scale', 'circuit', 'config', 'rollback', 'traffic', 'gc', 'profiling',
] as const;
export type Action = (typeof ACTIONS)[number];

export type DriverTarget =
  | { kind: 'http'; base_url: string; token: string }
  | { kind: 'process'; command: string[]; cwd: string; base_url: string; token: string; state_file: string; env: Record<string, string> }
  | { kind: 'kubernetes'; namespace: string; deployment: string; container: string; service?: string }
  | { kind: 'dry-run' };

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

export type CircuitState = 'closed' | 'open' | 'half_open';

export type ActionRequest =
  | { action: 'save_state' }
  | { action: 'restore_state'; state: Record<string, unknown> }
  | { action: 'restart'; requestId: string; gracefulTimeoutS: number; state?: Record<string, unknown> }
  | { action: 'get_replicas' }
  | { action: 'set_replicas'; replicas: number }
  | { action: 'get_circuit' }
  | { action: 'set_circuit'; state: CircuitState; canaryWeight?: number }
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

/** A config or runtime change that expires and is reverted unless an operator promotes it. */
export interface ReversibleChange {
  kind: 'config';
  /** The keys the patch set and their values before it. */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  expiresInS: number;
}
