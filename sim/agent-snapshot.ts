// What one simulated agent is at a moment: the state its admin API reads and changes, and the fault it
// has. Plain data, so tests can clone it and the fleet can drive it from its tick.
import { randomUUID } from 'node:crypto';

export type FaultFix = 'restart' | 'scale' | 'circuit_open' | 'rollback' | 'reroute' | 'memory_limit' | 'cpu_limit' | 'config_valid' | 'timeout_raise' | 'gc';

/** A problem the agent has until one of `fixedBy` is applied to it. */
export interface AgentFault {
  kind: string;
  fixedBy: FaultFix[];
  /** When the fault makes health fail (a crash, a hang); otherwise it only shows in the summary. */
  unhealthy: boolean;
}

export interface AgentSnapshot {
  id: string;
  bootId: string;
  pid: number;
  version: string;
  history: { version: string; deployed_at: string; known_good: boolean }[];
  replicas: number;
  readyReplicas: number;
  circuit: { state: 'closed' | 'open' | 'half_open'; canary_weight: number };
  config: Record<string, unknown>;
  revision: number;
  traffic: { weight: number; backup_weight: number };
  profiling: boolean;
  gcRuns: number;
  restarts: number;
  restarting: boolean;
  working: Record<string, unknown>;
  summary: {
    requests_per_s: number; error_rate: number; latency_p99_s: number; queue_depth: number;
    memory_bytes: number; memory_limit_bytes: number; cpu_utilisation: number; connections: number; disk_used_ratio: number;
  };
  fault: AgentFault | null;
}

/** A healthy agent two known-good deploys in, with two ready replicas and a closed breaker. */
export function initialSnapshot(o: { id: string; version?: string; working?: Record<string, unknown> }): AgentSnapshot {
  const version = o.version ?? '1.4.2';
  return {
    id: o.id,
    bootId: randomUUID(),
    pid: process.pid,
    version,
    history: [
      { version: '1.4.1', deployed_at: '2026-11-01T00:00:00Z', known_good: true },
      { version, deployed_at: '2026-11-20T00:00:00Z', known_good: true },
    ],
    replicas: 2,
    readyReplicas: 2,
    circuit: { state: 'closed', canary_weight: 0 },
    config: { request_timeout_ms: 2000, memory_limit_mib: 512, cpu_limit_millicores: 1000, max_connections: 100, storage_limit_mib: 1024 },
    revision: 1,
    traffic: { weight: 1, backup_weight: 0 },
    profiling: false,
    gcRuns: 0,
    restarts: 0,
    restarting: false,
    working: o.working ?? { conversations: 3, queued_tasks: ['t1', 't2'] },
    summary: {
      requests_per_s: 12, error_rate: 0.01, latency_p99_s: 0.3, queue_depth: 2,
      memory_bytes: 200 * 1024 * 1024, memory_limit_bytes: 512 * 1024 * 1024, cpu_utilisation: 0.3, connections: 20, disk_used_ratio: 0.4,
    },
    fault: null,
  };
}
