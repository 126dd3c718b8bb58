// Fleet health: every agent's signals by type and tier, the trends that precede failures, and the
// models' readings against their thresholds.
import { medicDashboard } from '../dashboard-base.ts';
import { AGENTS, row, stat, timeseries } from '../panels.ts';
import { agentTypeVariable, agentVariable, medicUrlVariable, tierVariable } from '../variables.ts';

const perAgent = '{{agent}}';

export function fleetHealth() {
  return medicDashboard({
    title: 'Medic / Fleet health', uid: 'medic-fleet-health', tag: 'fleet', refresh: '30s', from: 'now-3h', linkVars: true,
    description: 'The fleet\'s health signals per agent type and tier, degradation trends, and the anomaly and failure models\' readings against their thresholds.',
  })
    .withVariable(agentTypeVariable())
    .withVariable(tierVariable())
    .withVariable(agentVariable())
    .withVariable(medicUrlVariable())
    .withRow(row('Availability'))
    .withPanel(stat({
      title: 'Agents up', unit: 'short', width: 6, description: 'Agents Prometheus scrapes successfully, of those selected.',
      queries: [{ expr: `sum(up{${AGENTS}})`, legend: 'up' }],
    }))
    .withPanel(stat({
      title: 'Agents down', unit: 'short', width: 6, description: 'Agents Prometheus cannot scrape.',
      queries: [{ expr: `count(up{${AGENTS}} == 0) or vector(0)`, legend: 'down' }],
    }))
    .withPanel(stat({
      title: 'Agents not ready', unit: 'short', width: 6, description: 'Agents that answer but accept no work.',
      queries: [{ expr: `count(agent_ready{${AGENTS}} == 0) or vector(0)`, legend: 'not ready' }],
    }))
    .withPanel(stat({
      title: 'Alerts firing on agents', unit: 'short', width: 6, description: 'Agent alerts firing now.',
      queries: [{ expr: `count(ALERTS{alertstate="firing", ${AGENTS}}) or vector(0)`, legend: 'firing' }],
      links: [{ title: 'Open incidents in Medic', url: '${medic_url}/api/incidents?status=firing' }],
    }))
    .withPanel(timeseries({
      title: 'Up by agent type', unit: 'short', min: 0, description: 'Agents scraped successfully, by type.',
      queries: [{ expr: `sum by (agent_type) (up{${AGENTS}})`, legend: '{{agent_type}}' }],
    }))
    .withPanel(timeseries({
      title: 'Ready by agent type', unit: 'short', min: 0, description: 'Agents accepting work, by type.',
      queries: [{ expr: `sum by (agent_type) (agent_ready{${AGENTS}})`, legend: '{{agent_type}}' }],
    }))
    .withRow(row('Performance'))
    .withPanel(timeseries({
      title: 'Latency p99', unit: 's', min: 0, description: '99th percentile of request latency per agent (the AgentHighLatency rule fires above 2 s).',
      queries: [{ expr: `agent:agent_request_duration_seconds:p99_rate1m{${AGENTS}}`, legend: perAgent }],
      links: [{ title: 'Runbook: high latency', url: '${medic_url}/runbooks/AgentHighLatency.md' }],
    }))
    .withPanel(timeseries({
      title: 'Error rate', unit: 'percentunit', min: 0, max: 1, description: 'Share of requests failing per agent (AgentHighErrorRate fires above 20%).',
      queries: [{ expr: `agent:agent_request_errors:ratio_rate1m{${AGENTS}}`, legend: perAgent }],
      links: [{ title: 'Runbook: high error rate', url: '${medic_url}/runbooks/AgentHighErrorRate.md' }],
    }))
    .withPanel(timeseries({
      title: 'Request rate', unit: 'reqps', min: 0, description: 'Requests handled per second per agent.',
      queries: [{ expr: `agent:agent_requests:rate1m{${AGENTS}}`, legend: perAgent }],
    }))
    .withPanel(timeseries({
      title: 'Queue depth', unit: 'short', min: 0, description: 'Work waiting in each agent (AgentQueueBacklog fires above 100).',
      queries: [{ expr: `agent_queue_depth{${AGENTS}}`, legend: perAgent }],
    }))
    .withRow(row('Resources'))
    .withPanel(timeseries({
      title: 'Memory against its limit', unit: 'percentunit', min: 0, max: 1, description: 'Memory in use as a share of each agent\'s limit.',
      queries: [{ expr: `agent:agent_memory:utilisation{${AGENTS}}`, legend: perAgent }],
      links: [{ title: 'Runbook: memory high', url: '${medic_url}/runbooks/AgentMemoryHigh.md' }],
    }))
    .withPanel(timeseries({
      title: 'CPU', unit: 'short', min: 0, description: 'CPU seconds used per second (cores) per agent.',
      queries: [{ expr: `agent:process_cpu_seconds:rate1m{${AGENTS}}`, legend: perAgent }],
    }))
    .withRow(row('Degradation trends'))
    .withPanel(timeseries({
      title: 'Memory in one hour at the current trend', unit: 'percentunit', min: 0,
      description: 'Memory use extrapolated one hour ahead from the last 15 minutes, as a share of the limit: above 1 the agent runs out (AgentMemoryExhaustionPredicted).',
      queries: [{ expr: `predict_linear(agent_memory_bytes{${AGENTS}}[15m], 3600) / agent_memory_limit_bytes{${AGENTS}}`, legend: perAgent }],
    }))
    .withPanel(timeseries({
      title: 'Latency p99 trend', unit: 's', description: 'How fast each agent\'s p99 latency changes, seconds per second over 5 minutes (AgentLatencyDegrading fires above 0.01).',
      queries: [{ expr: `deriv(agent:agent_request_duration_seconds:p99_rate1m{${AGENTS}}[5m])`, legend: perAgent }],
    }))
    .withRow(row('Models'))
    .withPanel(timeseries({
      title: 'Anomaly score against threshold', unit: 'short', min: 0, max: 1,
      description: 'Each agent\'s anomaly score at the last prediction loop, and the threshold of the model serving its type (above it: anomalous).',
      queries: [
        { expr: `max by (agent) (medic_anomaly_score{${AGENTS}})`, legend: perAgent },
        { expr: 'max by (agent_type) (medic_anomaly_threshold{agent_type=~"$agent_type"})', legend: 'threshold {{agent_type}}' },
      ],
    }))
    .withPanel(timeseries({
      title: 'Failure probability against threshold', unit: 'percentunit', min: 0, max: 1,
      description: 'Each agent\'s calibrated probability of failing within the failure model\'s horizon, and the threshold from which it alarms (AgentFailurePredicted).',
      queries: [
        { expr: `max by (agent) (medic_failure_probability{${AGENTS}})`, legend: perAgent },
        { expr: 'max by (agent_type) (medic_failure_threshold{agent_type=~"$agent_type"})', legend: 'threshold {{agent_type}}' },
      ],
      links: [{ title: 'Predictions in Medic', url: '${medic_url}/api/predictions' }],
    }));
}
