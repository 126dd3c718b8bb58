// Selection rules (rules.yaml): an incident's facts → an ordered ladder of strategies. The first rule
// that matches wins; its ladder is climbed rung by rung as strategies are tried, cool down, or fail.
import { z } from 'zod';
import { parseDurationMs } from '../../lib/units.ts';
import { loadYamlConfig, parseYamlConfig } from '../../lib/yaml-config.ts';
import { STRATEGY_NAMES } from '../strategies/index.ts';
import type { StrategyName } from '../types.ts';
import { unknownStrategy } from './strategy-names.ts';

/** What selection looks at: the alert, plus the measured error rate and the model's verdict when known. */
export interface IncidentFacts {
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** From the alert's `error_rate` (or `value`) annotation, else the agent's live summary. */
  errorRate?: number;
  /** From the anomaly model, when it scored the incident. */
  anomalyType?: string;
  /** From the alert's `error_signature` annotation. */
  errorSignature?: string;
  /**
   * The agent's running version when the agent (its driver) reports it was deployed before the incident
   * began and does not mark it known good; with the seconds from that deploy to the incident.
   */
  recentDeploy?: { version: string; beforeIncidentS: number };
}

const Threshold = z
  .strictObject({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() })
  .refine((t) => Object.values(t).some((v) => v !== undefined), 'needs at least one of gt, gte, lt, lte');

const LabelMatcher = z.string().transform((s, ctx) => {
  const m = /^\/(.*)\/$/.exec(s);
  if (!m) return (v: string | undefined) => v === s;
  try {
    const re = new RegExp(`^(?:${m[1]})$`);
    return (v: string | undefined) => v !== undefined && re.test(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const RuleSchema = z.strictObject({
  name: z.string().min(1),
  match: z
    .strictObject({
      alertname: z.array(z.string().min(1)).min(1).optional(),
      severity: z.array(z.string().min(1)).min(1).optional(),
      labels: z.record(z.string(), LabelMatcher).optional(),
      error_rate: Threshold.optional(),
      anomaly_type: z.array(z.string().min(1)).min(1).optional(),
      error_signature: z.array(z.string().min(1)).min(1).optional(),
      /** The running version, not known good, was deployed at most this long before the incident began. */
      deployed_within: z
        .string()
        .transform((text, ctx) => {
          const ms = parseDurationMs(text);
          if (ms === undefined || ms <= 0) {
            ctx.addIssue({ code: 'custom', message: `must be a positive duration such as 30m or 2h, not ${JSON.stringify(text)}` });
            return z.NEVER;
          }
          return ms / 1000;
        })
        .optional(),
    })
    .default({}),
  ladder: z.array(z.string()).min(1),
  /** Also required for verification: a PromQL expression that must return at least one sample.
   * {{agent}} stands for the inventory id of the agent (never a label's text). */
  verify: z
    .strictObject({
      promql: z.string().min(1).refine((q) => !/\{\{(?!agent\}\})/.test(q), 'may use only the {{agent}} placeholder'),
    })
    .optional(),
  /** Typed parameters per strategy, passed to its plan. */
  params: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]))).default({}),
});

/** The rules' schema; the strategies a rule names are checked against the registry's. */
export function rulesSchema(strategies: readonly string[] = STRATEGY_NAMES) {
  return z
    .strictObject({ rules: z.array(RuleSchema).min(1, 'must hold at least one rule; the last one usually matches everything') })
    .superRefine((r, ctx) => {
      r.rules.forEach((rule, i) => {
        rule.ladder.forEach((name, j) => unknownStrategy(ctx, strategies, name, ['rules', i, 'ladder', j]));
        for (const name of Object.keys(rule.params)) unknownStrategy(ctx, strategies, name, ['rules', i, 'params', name]);
      });
    });
}

export const RulesSchema = rulesSchema();

export type SelectionRule = z.output<typeof RuleSchema>;

export interface Selection {
  rule: string;
  ladder: StrategyName[];
  params: SelectionRule['params'];
  verifyPromql?: string;
  /** Why this rule, in words. */
  because: string;
}

/** The design's choices, shipped as the default rules.yaml. */
export const DEFAULT_RULES_YAML = `# Medic selection rules: the first rule whose match holds gives the ladder.
rules:
  - name: agent-down
    match: { alertname: [AgentDown] }
    ladder: [restart]
  # A predicted failure (AgentFailurePredicted: the failure model's probability above 0.7 for 2m): act
  # before the agent fails, with the gentlest remedy for what drives the prediction (the anomaly type of
  # its top factor); the tier's preemptive_mode decides how.
  - name: predicted-resource-exhaustion
    match: { alertname: [AgentFailurePredicted], anomaly_type: [resource_exhaustion] }
    ladder: [repair]
    params: { repair: { memory_trend: true } }
  - name: predicted-latency
    match: { alertname: [AgentFailurePredicted], anomaly_type: [latency_degradation, traffic_anomaly] }
    ladder: [scale]
  - name: predicted-error-burst
    match: { alertname: [AgentFailurePredicted], anomaly_type: [error_burst] }
    ladder: [restart]
  - name: predicted-dependency
    match: { alertname: [AgentFailurePredicted], anomaly_type: [dependency_failure] }
    ladder: [circuit_break]
  # Errors, latency or lost readiness soon after a deploy of a version not yet known good: roll it back
  # before anything else (a restart brings the same version back).
  - name: trouble-after-deploy
    match: { alertname: [AgentHighErrorRate, AgentHighLatency, AgentLatencyDegrading, AgentNotReady], deployed_within: 30m }
    ladder: [rollback, restart]
  - name: known-error-signature
    match: { error_signature: [timeout, memory_leak, connection_pool_exhausted] }
    ladder: [runtime_patch, restart]
  - name: high-latency
    match: { alertname: [AgentHighLatency, AgentLatencyDegrading, AgentQueueBacklog] }
    ladder: [scale, restart]
  - name: severe-error-rate
    match: { alertname: [AgentHighErrorRate], error_rate: { gt: 0.5 } }
    ladder: [circuit_break, rollback, restart]
  - name: error-rate
    match: { alertname: [AgentHighErrorRate] }
    ladder: [restart, rollback]
  - name: bad-version
    match: { alertname: [AgentBadVersion, AgentErrorsAfterDeploy] }
    ladder: [rollback, restart]
  - name: dependency-down
    match: { alertname: [AgentDependencyDown] }
    ladder: [circuit_break, reroute]
  - name: memory-trend
    match: { alertname: [AgentMemoryLeak, AgentMemoryExhaustionPredicted] }
    ladder: [repair]
    params: { repair: { memory_trend: true } }
  - name: not-ready
    match: { alertname: [AgentNotReady] }
    ladder: [repair, restart]
  - name: resource-exhaustion
    match: { alertname: [AgentMemoryHigh, AgentCPUSaturated, AgentOOMKilled, AgentDiskFull, AgentBadConfig] }
    ladder: [repair, restart]
  - name: anomaly-resource-exhaustion
    match: { anomaly_type: [resource_exhaustion] }
    ladder: [repair, restart]
  - name: anomaly-latency
    match: { anomaly_type: [latency_degradation] }
    ladder: [scale, restart]
  - name: anomaly-error-burst
    match: { anomaly_type: [error_burst] }
    ladder: [restart, rollback]
  - name: anomaly-traffic
    match: { anomaly_type: [traffic_anomaly] }
    ladder: [scale]
  - name: anomaly-dependency
    match: { anomaly_type: [dependency_failure] }
    ladder: [circuit_break, reroute]
  - name: otherwise
    ladder: [restart]
`;

export function loadRules(file: string, strategies?: readonly string[]): SelectionRule[] {
  return loadYamlConfig(file, rulesSchema(strategies), 'rules file').rules;
}

export function parseRulesYaml(text: string, label: string, strategies?: readonly string[]): SelectionRule[] {
  return parseYamlConfig(text, rulesSchema(strategies), label).rules;
}

export const defaultRules = (): SelectionRule[] => parseYamlConfig(DEFAULT_RULES_YAML, RulesSchema, 'built-in rules').rules;

/** The first matching rule's ladder; undefined only when no rule matches (no catch-all rule). */
export function select(rules: SelectionRule[], facts: IncidentFacts): Selection | undefined {
  for (const rule of rules) {
    const reasons = matches(rule, facts);
    if (reasons) {
      return { rule: rule.name, ladder: rule.ladder, params: rule.params, verifyPromql: rule.verify?.promql, because: reasons.length ? reasons.join(', ') : 'it matches every incident' };
    }
  }
  return undefined;
}

function matches(rule: SelectionRule, f: IncidentFacts): string[] | undefined {
  const m = rule.match;
  const why: string[] = [];
  if (m.alertname) {
    if (!m.alertname.includes(f.alertname)) return undefined;
    why.push(`alertname is ${f.alertname}`);
  }
  if (m.severity) {
    if (!m.severity.includes(f.severity)) return undefined;
    why.push(`severity is ${f.severity}`);
  }
  for (const [label, test] of Object.entries(m.labels ?? {})) {
    if (!test(f.labels[label])) return undefined;
    why.push(`label ${label} matches`);
  }
  if (m.error_rate) {
    const r = f.errorRate;
    const t = m.error_rate;
    if (r === undefined) return undefined;
    if ((t.gt !== undefined && !(r > t.gt)) || (t.gte !== undefined && !(r >= t.gte)) || (t.lt !== undefined && !(r < t.lt)) || (t.lte !== undefined && !(r <= t.lte))) {
      return undefined;
    }
    why.push(`error rate ${r} is ${describeThreshold(t)}`);
  }
  if (m.anomaly_type) {
    if (!f.anomalyType || !m.anomaly_type.includes(f.anomalyType)) return undefined;
    why.push(`anomaly type is ${f.anomalyType}`);
  }
  if (m.deployed_within !== undefined) {
    const d = f.recentDeploy;
    if (!d || d.beforeIncidentS > m.deployed_within) return undefined;
    why.push(`version ${d.version} (not known good) was deployed ${Math.round(d.beforeIncidentS)}s before the incident`);
  }
  if (m.error_signature) {
    if (!f.errorSignature || !m.error_signature.includes(f.errorSignature)) return undefined;
    why.push(`error signature is ${f.errorSignature}`);
  }
  return why;
}

function describeThreshold(t: { gt?: number; gte?: number; lt?: number; lte?: number }): string {
  return [t.gt !== undefined && `> ${t.gt}`, t.gte !== undefined && `>= ${t.gte}`, t.lt !== undefined && `< ${t.lt}`, t.lte !== undefined && `<= ${t.lte}`]
    .filter(Boolean)
    .join(' and ');
}

/** Reads the measured error rate an alert carries, if any. */
export function errorRateFromAnnotations(annotations: Record<string, string>): number | undefined {
  for (const key of ['error_rate', 'value']) {
    const v = Number.parseFloat(annotations[key] ?? '');
    if (Number.isFinite(v) && v >= 0 && v <= 1) return v;
  }
  return undefined;
}
