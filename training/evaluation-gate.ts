// The evaluation gate: whether a freshly trained model may replace the one in service. Publishing
// always happens (the version and its card are there to inspect and to promote by hand); the gate only
// decides the automatic promotion of `medic train anomaly --promote` and of the nightly run.
//
// A candidate passes when every check passes:
// 1. enough held-out data: at least `minValidationRows` healthy held-out rows, or nothing can be judged.
// 2. alarm budget: the threshold was set so that healthy readings cross it at the budget's per-reading
//    rate (models/alarm-budget.ts: at most N AgentAnomalous alerts per agent per day, every reading
//    above the threshold counted as an alert). On held-out healthy rows the model may flag somewhat more
//    by chance, but not clearly more than `flagRateFactor` × that rate: the check fails when the flags
//    seen would happen with probability below `significance` if the true rate were that allowance
//    (one-sided binomial test). So one flag in a few thousand rows does not condemn a model, and a
//    model that flags a tenth of healthy rows (a contamination-style threshold) fails.
// 3. not worse than the promoted version (only with labels of both classes in the held-out rows): the
//    promoted model scores the SAME held-out rows; the candidate's AUC may be at most `aucTolerance`
//    lower and its best F1 at most `f1Tolerance` lower. A promoted version that cannot score these
//    columns, or does not load, is no reason to keep the candidate out.

import type { AlarmBudget } from '../models/alarm-budget.ts';

export interface GateOptions {
  minValidationRows: number;
  flagRateFactor: number;
  significance: number;
  aucTolerance: number;
  f1Tolerance: number;
}

export const GATE_DEFAULTS: GateOptions = { minValidationRows: 10, flagRateFactor: 1, significance: 0.01, aucTolerance: 0.01, f1Tolerance: 0.02 };

export interface GateInput {
  /** The model's alarm budget (models/alarm-budget.ts). */
  budget: AlarmBudget;
  /** validationMetrics() of the candidate. */
  candidate: Record<string, number>;
  /** The promoted version scored on the same held-out rows; `metrics` absent when it could not score them. */
  incumbent?: { version: string; metrics?: Record<string, number>; problem?: string };
}

export interface GateCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface GateResult {
  passed: boolean;
  checks: GateCheck[];
}

export function evaluationGate(input: GateInput, o: GateOptions = GATE_DEFAULTS): GateResult {
  const c = input.candidate;
  const checks: GateCheck[] = [];
  const healthy = c.validation_healthy_rows ?? 0;
  checks.push({
    name: 'enough held-out data',
    passed: healthy >= o.minValidationRows,
    detail: `${healthy} healthy held-out rows (at least ${o.minValidationRows} needed)`,
  });
  if (healthy > 0) {
    const rate = c.validation_flag_rate ?? 0;
    const flagged = Math.round(rate * healthy);
    const b = input.budget;
    const allowed = Math.min(1, o.flagRateFactor * b.readingRate);
    const p = binomialTail(flagged, healthy, allowed);
    const perDay = (rate * 86_400) / b.stepSeconds;
    checks.push({
      name: 'alarm budget',
      passed: p >= o.significance,
      detail: `flagged ${flagged} of ${healthy} healthy held-out readings (${pct(rate)}, at most ${perDay.toPrecision(2)} alerts per agent per day); budget ${b.alertsPerDay}/day at one reading every ${b.stepSeconds} s = ${pct(b.readingRate)} of readings${o.flagRateFactor === 1 ? '' : `, allowed ${o.flagRateFactor} × that`}; P(at least that many | budget) = ${p.toPrecision(2)}, the gate needs >= ${o.significance}`,
    });
  }
  const labelled = c.auc !== undefined && Number.isFinite(c.auc);
  if (!input.incumbent) {
    checks.push({ name: 'not worse than the promoted version', passed: true, detail: 'no promoted version to compare with' });
  } else if (!labelled) {
    checks.push({ name: 'not worse than the promoted version', passed: true, detail: `no labelled anomalies held out: not compared with ${input.incumbent.version} beyond the flag rate` });
  } else if (!input.incumbent.metrics || !Number.isFinite(input.incumbent.metrics.auc ?? Number.NaN)) {
    checks.push({ name: 'not worse than the promoted version', passed: true, detail: `${input.incumbent.version} could not be compared: ${input.incumbent.problem ?? 'it produced no AUC on these rows'}` });
  } else {
    const inc = input.incumbent.metrics;
    const aucOk = c.auc! >= inc.auc! - o.aucTolerance;
    const f1Ok = (c.best_f1 ?? 0) >= (inc.best_f1 ?? 0) - o.f1Tolerance;
    checks.push({
      name: 'not worse than the promoted version',
      passed: aucOk && f1Ok,
      detail: `on the same held-out rows: AUC ${c.auc!.toFixed(4)} vs ${input.incumbent.version} ${inc.auc!.toFixed(4)} (tolerance ${o.aucTolerance}), best F1 ${(c.best_f1 ?? 0).toFixed(4)} vs ${(inc.best_f1 ?? 0).toFixed(4)} (tolerance ${o.f1Tolerance})`,
    });
  }
  return { passed: checks.every((k) => k.passed), checks };
}

/** P(X >= k) for X ~ Binomial(n, p), summed in log space so large n neither overflows nor underflows. */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p); // i = 0
  const terms: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i >= k) terms.push(logPmf);
    logPmf += Math.log(n - i) - Math.log(i + 1) + logRatio;
  }
  terms.push(logPmf); // i = n
  const max = terms.reduce((m, t) => Math.max(m, t), Number.NEGATIVE_INFINITY);
  return Math.min(1, Math.exp(max) * terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

function pct(x: number): string {
  return `${(x * 100).toPrecision(2)}%`;
}
