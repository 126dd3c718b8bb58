// Labels for the failure model, from what happened after each window (pure). A row is failing when the
// agent was down, not ready, breached its error or latency SLO, or was remediated by Medic (a failure
// prevented is still the failure it would have been: retraining on "it never failed" after Medic healed
// it is how Azure lost ~9% accuracy, arXiv 2402.00034). The window ending at row t is positive when a
// failure starts within [t, t + horizon] (the start row itself included: the metric counts it, as
// training/evaluation/event-prediction.ts does), left out (-1) while a failure is under way (nothing
// left to predict), and negative otherwise.

/** Per-row window labels: 1 positive, 0 negative, -1 left out. */
export function windowLabels(failing: ArrayLike<number>, horizon: number): Int8Array {
  if (!(Number.isInteger(horizon) && horizon >= 1)) throw new Error(`failure labels: horizon must be an integer >= 1, but was ${horizon}`);
  const n = failing.length;
  const out = new Int8Array(n);
  let nextStart = Infinity;
  for (let t = n - 1; t >= 0; t--) {
    const isFailing = failing[t]! > 0;
    const isStart = isFailing && (t === 0 || !(failing[t - 1]! > 0));
    if (isStart) nextStart = t;
    out[t] = isFailing && !isStart ? -1 : nextStart - t <= horizon ? 1 : 0;
  }
  return out;
}

/** Starts of failing runs (the events). */
export function failureStarts(failing: ArrayLike<number>): number[] {
  const starts: number[] = [];
  for (let t = 0; t < failing.length; t++) if (failing[t]! > 0 && (t === 0 || !(failing[t - 1]! > 0))) starts.push(t);
  return starts;
}

/** Time split: the first `1 − validationFraction` of rows train, the rest validate (never shuffled across time). */
export function splitByTime<T>(rows: readonly T[], validationFraction: number): { train: T[]; validation: T[] } {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`validation fraction must be in (0, 1), but was ${validationFraction}`);
  const cut = Math.round(rows.length * (1 - validationFraction));
  return { train: rows.slice(0, cut), validation: rows.slice(cut) };
}
