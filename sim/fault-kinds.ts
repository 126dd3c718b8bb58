// The faults a simulated fleet can have, and what heals each: the remediation the design prescribes,
// and nothing else (a dependency outage heals by itself).
import type { AgentFault, FaultFix } from './agent-snapshot.ts';

export const FAULT_KINDS = ['crash', 'hang', 'latency', 'errors', 'queue', 'memory-leak', 'cpu', 'dependency', 'bad-config', 'bad-version'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRequest {
  agent: string;
  kind: FaultKind;
  /** Errors: the share of failing requests (default 0.7). */
  rate?: number;
  /** How long until the fault clears by itself (a dependency: default 30 s; others: never). */
  forMs?: number;
  /**
   * A degrading fault: it builds up over this long before the agent fails (memory-leak: memory climbs
   * to the limit, then the agent is OOM-killed; latency, errors: they ramp up to full strength; queue:
   * the backlog grows and slows every request). Without it faults are sudden, as before.
   */
  rampMs?: number;
}

/** The faults that can degrade before they fail (rampMs). */
export const RAMPING_KINDS: readonly FaultKind[] = ['memory-leak', 'latency', 'errors', 'queue'];

/** A fault of a scenario: injected `atMs` after the scenario starts. */
export type ScenarioStep = FaultRequest & { atMs: number };

/** What heals each fault: the remediation the design prescribes (dependency heals by itself). */
export function fixesFor(kind: FaultKind, errorRate: number): FaultFix[] {
  switch (kind) {
    case 'crash':
    case 'hang':
      return ['restart'];
    case 'latency':
    case 'queue':
      return ['scale'];
    case 'errors':
      return errorRate > 0.5 ? ['circuit_open'] : ['restart'];
    case 'memory-leak':
      return ['memory_limit'];
    case 'cpu':
      return ['cpu_limit'];
    case 'dependency':
      return [];
    case 'bad-config':
      return ['config_valid'];
    case 'bad-version':
      return ['rollback'];
  }
}

/** The fault as the agent's admin API sees it. */
export function agentFault(kind: FaultKind, rate: number): AgentFault {
  return {
    kind, fixedBy: fixesFor(kind, rate),
    // Health fails for faults the agent cannot work through; the others show in metrics and the summary.
    unhealthy: ['crash', 'hang', 'bad-config', 'bad-version', 'errors', 'dependency'].includes(kind),
  };
}
