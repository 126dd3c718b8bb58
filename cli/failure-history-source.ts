// `medic train failure --prometheus`: the flags that read an agent fleet's history from Prometheus and
// Medic's remediations from its read API, validated in one place, and the labelled histories they give
// (training/history-failures.ts says what a failure is).
import { parseDurationMs } from '../lib/units.ts';
import { parseInstant } from '../lib/parse-instant.ts';
import { FALLBACK_TYPE } from '../models/registry.ts';
import { CONTRACT_COLUMNS } from '../models/signal-queries.ts';
import { historyFailures } from '../training/history-failures.ts';
import { loadSource, type SourceSpec } from '../training/load-source.ts';
import { withPrometheusSettings } from './prometheus-settings.ts';
import { MAX_POINTS_PER_QUERY } from '../training/prometheus-source.ts';
import { fetchRemediations } from '../training/remediation-history.ts';
import type { FailureHistory } from '../training/train-failure.ts';
import { acted as didAct } from '../remediations/records.ts';
import { UsageError } from './args.ts';

export const PROMETHEUS_HISTORY_OPTIONS = {
  prometheus: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'rate-window': { type: 'string' },
  selector: { type: 'string' }, timeout: { type: 'string' }, medic: { type: 'string' },
} as const;

export const PROMETHEUS_HISTORY_HELP = `  --prometheus URL       the Prometheus that scrapes the agents: a failure is a row where the agent was
                         down (missing between its first and last scrape) or past its latency or error
                         SLO (p99 > 2 s, errors > 20%)
  --from T, --to T       with --prometheus: ISO 8601, Unix seconds, now or now-DURATION (--to: now)
  --step D               with --prometheus: sample spacing, also used by serving (default 15s)
  --rate-window D        with --prometheus: rate() window of the counter columns (default 1m)
  --selector S           with --prometheus: label matchers for every metric, e.g. '{job="agents"}'
  --timeout D            with --prometheus: per request (default 60s)
  --medic URL            with --prometheus: a running Medic whose remediations count as failures (a
                         failure Medic prevented is still one); its read API, no token needed`;

type Values = { [K in keyof typeof PROMETHEUS_HISTORY_OPTIONS]?: string } & { step?: string };

export interface PrometheusHistoryPlan { source: Extract<SourceSpec, { kind: 'prometheus' }>; medic?: string }

/** Validates the --prometheus flags; every problem at once, each naming the flag, the rule and the value. */
export function prometheusHistoryPlan(v: Values, nowMs: number): PrometheusHistoryPlan {
  const problems: string[] = [];
  if (!/^https?:\/\/[^\s/]+/.test(v.prometheus ?? '')) problems.push(`--prometheus must be an http(s) URL such as http://prometheus:9090, but was ${v.prometheus}`);
  if (v.medic !== undefined && !/^https?:\/\/[^\s/]+/.test(v.medic)) problems.push(`--medic must be an http(s) URL such as http://medic:8080, but was ${v.medic}`);
  const stepMs = parseDurationMs(v.step ?? '15s');
  if (stepMs === undefined || stepMs < 1000) problems.push(`--step must be a duration such as 15s of at least 1s, but was ${v.step}`);
  const timeoutMs = parseDurationMs(v.timeout ?? '60s');
  if (timeoutMs === undefined || timeoutMs < 1000) problems.push(`--timeout must be a duration such as 60s of at least 1s, but was ${v.timeout}`);
  const rateWindow = v['rate-window'] ?? '1m';
  if (!/^\d+(ms|s|m|h)$/.test(rateWindow)) problems.push(`--rate-window must be a Prometheus duration such as 30s or 1m, but was ${rateWindow}`);
  const from = v.from === undefined ? undefined : parseInstant(v.from, nowMs);
  const to = v.to === undefined ? nowMs / 1000 : parseInstant(v.to, nowMs);
  if (v.from === undefined) problems.push('--from is required with --prometheus (e.g. --from now-7d)');
  else if (from === undefined) problems.push(`--from must be ISO 8601, Unix seconds, now or now-DURATION, but was ${v.from}`);
  if (to === undefined) problems.push(`--to must be ISO 8601, Unix seconds, now or now-DURATION, but was ${v.to}`);
  if (from !== undefined && to !== undefined && stepMs && !(to - from >= (2 * stepMs) / 1000)) problems.push(`--from must be at least two steps before --to, but the range was ${v.from} → ${v.to ?? 'now'}`);
  if (problems.length) throw new UsageError(problems.join('\n'));
  return {
    source: {
      kind: 'prometheus', url: v.prometheus!.replace(/\/+$/, ''), stepSeconds: stepMs! / 1000, rateWindow, ...(v.selector ? { selector: v.selector } : {}),
      pointsPerQuery: MAX_POINTS_PER_QUERY, timeoutMs: timeoutMs!, range: { from: from!, to: to! },
    },
    ...(v.medic ? { medic: v.medic.replace(/\/+$/, '') } : {}),
  };
}

/** The fleet's histories of one agent type (every agent for the fallback type), labelled. */
export async function loadPrometheusHistories(plan: PrometheusHistoryPlan, agentType: string, log: (line: string) => void): Promise<FailureHistory[]> {
  const data = await loadSource(withPrometheusSettings(plan.source, log), { nowMs: Date.now(), log, progress: { tty: undefined } });
  if (data.columns.join(',') !== CONTRACT_COLUMNS.join(',')) throw new Error(`Prometheus history columns ${data.columns.join(', ')} are not the agent metric contract's`);
  const series = data.series.filter((s) => agentType === FALLBACK_TYPE || s.agentType === agentType);
  if (!series.length) throw new Error(`Prometheus at ${plan.source.url} has no agents of type ${agentType} in that range (types seen: ${[...new Set(data.series.map((s) => s.agentType))].join(', ')})`);
  const range = plan.source.range as { from: number; to: number };
  const acted = plan.medic ? await fetchRemediations({ url: plan.medic, from: range.from, to: range.to, acted: didAct }) : new Map<string, number[]>();
  if (plan.medic) log(`Medic at ${plan.medic}: ${[...acted.values()].reduce((n, l) => n + l.length, 0)} remediations that acted, on ${acted.size} agents, count as failures`);
  return series.map((s) => ({ agent: s.agent, rows: s.rows, failing: historyFailures({ timestamps: s.timestamps!, rows: s.rows }, acted.get(s.agent) ?? [], plan.source.stepSeconds) }));
}
