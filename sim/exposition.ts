// One simulated agent's /metrics body in the Prometheus text format: the agent metric contract
// (docs and rules/ expect exactly these names). Prometheus adds `up` and the target's labels.
import type { AgentSnapshot } from './agent-snapshot.ts';

/** The request-duration histogram's upper bounds, seconds. */
export const BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What an agent has counted since it started: the counters and histogram behind its exposition. */
export interface AgentCounters {
  requests: { ok: number; failed: number };
  /** Requests per BUCKETS bound (not cumulative). */
  buckets: number[];
  durationSum: number;
  cpuSeconds: number;
  dependencyUp: boolean;
}

export function exposition(s: AgentSnapshot, c: AgentCounters): string {
  const lines: string[] = [];
  const ready = s.restarting || s.fault?.kind === 'bad-config' ? 0 : 1;
  lines.push('# HELP agent_ready Whether the agent accepts work.', '# TYPE agent_ready gauge', `agent_ready ${ready}`);
  lines.push('# HELP agent_requests_total Requests handled, by status.', '# TYPE agent_requests_total counter');
  lines.push(`agent_requests_total{status="200"} ${Math.floor(c.requests.ok)}`, `agent_requests_total{status="500"} ${Math.floor(c.requests.failed)}`);
  lines.push('# HELP agent_request_duration_seconds Request latency.', '# TYPE agent_request_duration_seconds histogram');
  let cumulative = 0;
  BUCKETS.forEach((le, i) => {
    cumulative += c.buckets[i]!;
    lines.push(`agent_request_duration_seconds_bucket{le="${le}"} ${Math.floor(cumulative)}`);
  });
  const total = Math.floor(c.requests.ok + c.requests.failed);
  lines.push(`agent_request_duration_seconds_bucket{le="+Inf"} ${total}`, `agent_request_duration_seconds_sum ${c.durationSum.toFixed(3)}`, `agent_request_duration_seconds_count ${total}`);
  lines.push('# HELP agent_queue_depth Work waiting.', '# TYPE agent_queue_depth gauge', `agent_queue_depth ${Math.round(s.summary.queue_depth)}`);
  lines.push('# HELP agent_memory_bytes Memory in use.', '# TYPE agent_memory_bytes gauge', `agent_memory_bytes ${Math.round(s.summary.memory_bytes)}`);
  lines.push('# HELP agent_memory_limit_bytes Memory limit.', '# TYPE agent_memory_limit_bytes gauge', `agent_memory_limit_bytes ${Math.round(s.summary.memory_limit_bytes)}`);
  lines.push('# HELP process_cpu_seconds_total CPU time used.', '# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total ${c.cpuSeconds.toFixed(3)}`);
  lines.push('# HELP agent_dependency_up Whether a dependency answers.', '# TYPE agent_dependency_up gauge', `agent_dependency_up{dependency="llm-api"} ${c.dependencyUp ? 1 : 0}`);
  return `${lines.join('\n')}\n`;
}
