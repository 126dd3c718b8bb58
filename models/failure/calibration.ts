// From the network's output to a probability an SRE can act on, and to the alert threshold. Class
// weights in training push the raw output up for rare failures, so the raw value is not a probability:
// Platt scaling (a logistic regression on the output's logit, fitted on validation windows the network
// never trained on) maps it back. The threshold is the lowest probability whose validation precision
// reaches the target, so recall is as high as that precision allows.

export interface Platt { a: number; b: number }

const EPS = 1e-6;
const logit = (p: number) => Math.log(Math.max(EPS, Math.min(1 - EPS, p)) / (1 - Math.max(EPS, Math.min(1 - EPS, p))));

export function calibrate(c: Platt, raw: number): number {
  return 1 / (1 + Math.exp(-(c.a * logit(raw) + c.b)));
}

/** Newton's method on the log-loss of sigmoid(a·logit(raw) + b); Platt's smoothed targets avoid ±∞. */
export function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>): Platt {
  const n = raw.length;
  const positives = Array.from(labels).filter((y) => y > 0.5).length;
  if (n === 0 || positives === 0 || positives === n) return { a: 1, b: 0 };
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  const x = Float64Array.from(raw, logit);
  const t = Float64Array.from(labels, (y) => (y > 0.5 ? hi : lo));
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(a * x[i]! + b)));
      const d = p - t[i]!;
      const w = p * (1 - p);
      ga += d * x[i]!; gb += d;
      haa += w * x[i]! * x[i]!; hab += w * x[i]!; hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da; b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return Number.isFinite(a) && Number.isFinite(b) ? { a, b } : { a: 1, b: 0 };
}

/**
 * The lowest threshold at which windows scored ≥ it have precision ≥ target, among those with at least
 * `minAlarms` alarms (precision on one window means nothing); 1 when none reaches the target.
 */
export function thresholdForPrecision(p: ArrayLike<number>, labels: ArrayLike<number>, target: number, minAlarms = 3): number {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((i, j) => p[j]! - p[i]!);
  let best = 1;
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    if (labels[order[k]!]! > 0.5) tp++;
    const next = order[k + 1];
    // Only cut between distinct values: windows with equal probability alarm together.
    if (next !== undefined && p[next]! === p[order[k]!]!) continue;
    if (k + 1 >= minAlarms && tp / (k + 1) >= target) best = p[order[k]!]!;
  }
  return best;
}

/** Brier score: mean squared error of the probabilities (0 perfect; always 0.5 scores 0.25). */
export function brier(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - (labels[i]! > 0.5 ? 1 : 0)) ** 2;
  return p.length ? s / p.length : 0;
}
