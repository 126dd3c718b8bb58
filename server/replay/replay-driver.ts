// The agents of a replay: in memory, answering as the record says each agent was when its alert fired,
// and taking actions without touching anything. What heals is what the record shows: a strategy the
// recorded run tried and saw fail fails here too (a terminal driver error, so the ladder climbs as it
// did); any other action heals the agent, as the replay judges decisions, not remedies. A version
// history with one known-good version before the current one is assumed (the record keeps no history).
import { randomUUID } from 'node:crypto';
import { DriverError, type ActionName, type ActionRequest, type ActionResult, type Agent, type Driver, type Health } from '../../remediations/types.ts';

/** The observation a decision recorded (remediations/act/observe.ts summarise). */
export interface RecordedObservation {
  healthy?: boolean;
  healthReason?: string;
  version?: string;
  replicas?: number;
  errorRate?: number;
  cpu?: number;
  memory?: number;
}

/** Which strategy an action request belongs to, for "the record shows this did not heal". */
const STRATEGY_OF: Partial<Record<ActionName, string>> = {
  restart: 'restart', set_replicas: 'scale', set_circuit: 'circuit_break', rollback: 'rollback', set_traffic: 'reroute',
  patch_config: 'repair', gc: 'runtime_patch', set_profiling: 'runtime_patch',
};
const READS: ReadonlySet<ActionName> = new Set(['summary', 'get_config', 'get_version', 'get_replicas', 'get_traffic', 'get_circuit', 'save_state']);
const MEMORY_LIMIT = 1024 ** 3;

interface AgentState {
  healthy: boolean;
  reason: string | undefined;
  bootId: string;
  version: string;
  replicas: number;
  weight: number;
  circuit: string;
  errorRate: number;
  cpu: number;
  memory: number;
  /** Strategies the record shows did not heal the current incident. */
  failing: ReadonlySet<string>;
}

export class ReplayDriver implements Driver {
  readonly name = 'replay';
  readonly supports: ReadonlySet<ActionName> = new Set([...READS, ...(Object.keys(STRATEGY_OF) as ActionName[]), 'restore_state']);
  private readonly agents = new Map<string, AgentState>();

  /** The agent as its alert found it, and what the record says did not heal it. */
  fault(agentId: string, observed: RecordedObservation, failing: ReadonlySet<string>): void {
    const s = this.state(agentId);
    Object.assign(s, {
      healthy: observed.healthy ?? false, reason: observed.healthReason ?? 'unhealthy when the alert fired', failing,
      version: observed.version ?? s.version, replicas: observed.replicas ?? s.replicas,
      errorRate: observed.errorRate ?? 0, cpu: observed.cpu ?? 0, memory: observed.memory ?? 0,
    });
  }

  /** The alert resolved: the agent is well again. */
  recover(agentId: string): void {
    Object.assign(this.state(agentId), { healthy: true, reason: undefined, errorRate: 0, failing: new Set() });
  }

  async health(agent: Agent): Promise<Health> {
    const s = this.state(agent.id);
    return { healthy: s.healthy, bootId: s.bootId, version: s.version, ...(s.reason ? { reason: s.reason } : {}) };
  }

  async perform(agent: Agent, request: ActionRequest): Promise<ActionResult> {
    const s = this.state(agent.id);
    switch (request.action) {
      case 'summary':
        return { data: {
          requests_per_s: 10, error_rate: s.errorRate, latency_p99_s: 0.2, queue_depth: 0, memory_bytes: Math.round(s.memory * MEMORY_LIMIT),
          memory_limit_bytes: MEMORY_LIMIT, cpu_utilisation: s.cpu, replicas: s.replicas, ready_replicas: s.healthy ? s.replicas : 0, connections: 1, disk_used_ratio: 0.1,
        } };
      case 'get_version':
        return { data: { version: s.version, history: [{ version: `${s.version}-previous`, known_good: true }, { version: s.version, known_good: false }] } };
      case 'get_replicas':
        return { data: { replicas: s.replicas, ready_replicas: s.replicas } };
      case 'get_traffic':
        return { data: { weight: s.weight } };
      case 'get_config':
        return { data: { config: {}, revision: 1 } };
      case 'get_circuit':
        return { data: { state: s.circuit } };
      case 'save_state':
      case 'restore_state':
        return { data: {} };
      default:
        break;
    }
    const strategy = STRATEGY_OF[request.action];
    if (strategy && s.failing.has(strategy)) {
      throw new DriverError(`replay: the record shows ${strategy} did not heal this incident`, false);
    }
    if (request.action === 'restart') s.bootId = randomUUID();
    if (request.action === 'set_replicas') s.replicas = request.replicas;
    if (request.action === 'set_traffic') s.weight = request.weight;
    if (request.action === 'set_circuit') s.circuit = request.state;
    if (request.action === 'rollback') s.version = request.toVersion ?? `${s.version}-previous`;
    // Reroute moves traffic away from an agent still failing (it expects the agent unhealthy).
    if (request.action !== 'set_traffic') Object.assign(s, { healthy: true, reason: undefined, errorRate: 0 });
    return { data: { ok: true } };
  }

  private state(agentId: string): AgentState {
    let s = this.agents.get(agentId);
    if (!s) {
      s = { healthy: true, reason: undefined, bootId: randomUUID(), version: '1.0.0', replicas: 2, weight: 1, circuit: 'closed', errorRate: 0, cpu: 0, memory: 0, failing: new Set() };
      this.agents.set(agentId, s);
    }
    return s;
  }
}
