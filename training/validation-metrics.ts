// How a model does on held-out rows: the last part in time of each agent's series, scored the way
// serving scores them (causal features over the series, so the rows just before the held-out part are
// the warm-up of its rolling windows, as live history would be).
import type { AnomalyModel } from '../models/anomaly-model.ts';
import { evaluateScores } from './evaluation/detection-metrics.ts';

export interface HeldOutPart {
  /** The whole series (training part, then held-out part). */
  rows: readonly number[][];
  /** Index of the first held-out row. */
  from: number;
  labels: readonly number[] | null;
}

/**
 * Metrics on the held-out rows. Always: validation_rows, validation_healthy_rows, validation_flags and
 * validation_flag_rate (healthy rows the model flags: labelled 0 with no labelled anomaly in the window
 * before, or every row without labels), the same
 * as alerts per agent-day beside the alarm budget it was set for, threshold and score quantiles. With labels of both classes: precision, recall and f1 at the model's threshold, and
 * best_f1 (best threshold) and auc from detection-metrics.
 */
export function validationMetrics(model: AnomalyModel, parts: readonly HeldOutPart[]): Record<string, number> {
  const scores: number[] = [];
  const flags: boolean[] = [];
  const labels: number[] = [];
  /** Rows labelled 0 whose window still holds a labelled anomaly: neither healthy nor anomalous. */
  const aftermath: boolean[] = [];
  const labelled = parts.length > 0 && parts.every((p) => p.labels !== null);
  for (const p of parts) {
    if (p.from >= p.rows.length) continue;
    // Features are causal over `window` rows (and the one before, for delta): scoring from there on
    // gives the held-out rows exactly the scores a scoring of the whole series would.
    const start = Math.max(0, p.from - model.window);
    const scored = model.scoreSeries(p.rows.slice(start)).slice(p.from - start);
    for (const [i, s] of scored.entries()) {
      scores.push(s.score);
      flags.push(s.isAnomaly);
      const t = p.from + i;
      labels.push(labelled ? p.labels![t]! : 0);
      // A reading's features span its window (and the readings its score averages): right after a
      // labelled anomaly they still describe it, so a flag there is no false alarm on a healthy agent.
      aftermath.push(labelled && p.labels![t] === 0 && p.labels!.slice(Math.max(0, t - model.window), t).includes(1));
    }
  }
  const isHealthy = (i: number) => labels[i] === 0 && !aftermath[i];
  const healthy = labels.filter((_, i) => isHealthy(i)).length;
  const falseFlags = flags.filter((f, i) => f && isHealthy(i)).length;
  const sorted = [...scores].sort((a, b) => a - b);
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : Number.NaN);
  const budget = model.budget;
  const metrics: Record<string, number> = {
    validation_rows: scores.length,
    validation_healthy_rows: healthy,
    validation_flags: falseFlags,
    validation_flag_rate: healthy ? falseFlags / healthy : Number.NaN,
    // Every flagged reading counted as an alert, as the budget counts them (models/alarm-budget.ts).
    validation_alerts_per_agent_day: healthy ? (falseFlags / healthy) * (86_400 / budget.stepSeconds) : Number.NaN,
    alarm_budget_per_day: budget.alertsPerDay,
    alarm_reading_rate: budget.readingRate,
    threshold: model.threshold,
    score_p50: q(0.5),
    score_p90: q(0.9),
    score_p99: q(0.99),
    score_max: sorted.at(-1) ?? Number.NaN,
  };
  const anomalous = labels.filter((l) => l === 1).length;
  if (labelled && anomalous > 0 && healthy > 0) {
    const tp = flags.filter((f, i) => f && labels[i] === 1).length;
    const precision = tp + falseFlags ? tp / (tp + falseFlags) : 0;
    const recall = tp / anomalous;
    const best = evaluateScores(scores, labels);
    Object.assign(metrics, {
      validation_anomalous_rows: anomalous,
      precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
      best_f1: best.f1, auc: best.auc,
    });
  }
  return metrics;
}
