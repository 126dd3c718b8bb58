// When an agent failed, read from its Prometheus history and Medic's remediations (pure). A row is
// failing when the agent was down (its samples are missing between its first and last scrape: a gap,
// not an agent that did not exist yet), breached the latency or error SLO, or when Medic acted on it
// then: a failure Medic prevented is still the failure it would have been (Azure lost ~9% accuracy
// retraining on "it never failed" after mitigation, arXiv 2402.00034). Prometheus' rows are in the agent
// metric contract's order (models/features.ts AGENT_SIGNALS).
import { breachesSlo } from '../lib/failure-slo.ts';
import { CONTRACT_COLUMNS } from '../models/signal-queries.ts';

const LATENCY = CONTRACT_COLUMNS.indexOf('latency_p99_s');
const ERRORS = CONTRACT_COLUMNS.indexOf('error_rate');

export interface HistoryForLabels {
  /** Unix seconds of each row, ascending, on a step grid. */
  timestamps: readonly number[];
  rows: readonly (readonly number[])[];
}

/**
 * Per row, 1 when the agent was failing. `actedAt` holds Unix seconds at which Medic acted on the agent
 * (remediations that ran, not shadow or dry-run): the row holding each is failing.
 */
export function historyFailures(h: HistoryForLabels, actedAt: readonly number[], stepSeconds: number): Uint8Array {
  const n = h.rows.length;
  const failing = new Uint8Array(n);
  const present = (r: readonly number[]) => r.some(Number.isFinite);
  let first = -1, last = -1;
  for (let t = 0; t < n; t++) if (present(h.rows[t]!)) { if (first < 0) first = t; last = t; }
  for (let t = 0; t < n; t++) {
    const r = h.rows[t]!;
    if (t > first && t < last && !present(r)) failing[t] = 1;
    else if (breachesSlo(finite(r[LATENCY]), finite(r[ERRORS]))) failing[t] = 1;
  }
  if (n === 0) return failing;
  const start = h.timestamps[0]!;
  for (const at of actedAt) {
    const t = Math.floor((at - start) / stepSeconds + 1e-9);
    if (t >= 0 && t < n) failing[t] = 1;
  }
  return failing;
}

const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);

/**
 * Leaves out (-1) negative windows at random, seeded, so that at most `maxWindows` labelled windows
 * remain; every positive is kept (failures are what is rare). Calibration and the threshold are fitted
 * on held-out windows that are never thinned, so the probabilities still mean what they say.
 */
export function thinNegatives(labels: Int8Array, maxWindows: number, random: () => number): Int8Array {
  let positives = 0, negatives = 0;
  for (const l of labels) { if (l === 1) positives++; else if (l === 0) negatives++; }
  const room = maxWindows - positives;
  if (negatives <= room) return labels;
  const keep = Math.max(0, room) / negatives;
  return labels.map((l) => (l === 0 && random() >= keep ? -1 : l));
}
