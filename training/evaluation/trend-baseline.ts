// What a Prometheus rule with predict_linear() would catch: per metric, a least-squares line through the
// last `window` samples, extrapolated `horizon` samples ahead, scored by how far the extrapolation falls
// outside the range that metric held in training. It is the baseline a failure predictor must beat,
// because an SRE can write it in one line of PromQL without any model.

export interface TrendOptions {
  /** Samples in the fitted line, the current one included (predict_linear's range). */
  window: number;
  /** How many samples ahead the line is extrapolated. */
  horizon: number;
}

/**
 * One score per test row: the max over columns of (distance of the projected value outside the column's
 * training [min, max]) / (the column's training standard deviation), 0 when every projection stays in
 * range. History runs from the end of `train` into `test`, so the first test rows have a full window;
 * row t reads only rows up to t. O(rows × columns).
 */
export function trendScores(train: number[][], test: number[][], o: TrendOptions): Float64Array {
  const { window, horizon } = o;
  if (!Number.isInteger(window) || window < 1) throw new Error(`trend baseline: window must be an integer >= 1, but was ${window}`);
  if (!Number.isFinite(horizon) || horizon < 0) throw new Error(`trend baseline: horizon must be >= 0, but was ${horizon}`);
  if (train.length === 0) throw new Error('trend baseline: train must have at least one row (it defines each column\'s normal range)');
  const width = train[0]!.length;
  for (const [name, rows] of [['train', train], ['test', test]] as const) {
    const bad = rows.findIndex((r) => r.length !== width);
    if (bad >= 0) throw new Error(`trend baseline: ${name}[${bad}] must have ${width} columns like train[0], but had ${rows[bad]!.length}`);
  }
  const { min, max, scale } = ranges(train, width);
  const history = (k: number): number[] => (k < train.length ? train[k]! : test[k - train.length]!);

  // Per column over the window, with x = (row − t) ∈ [−(n−1), 0]: s0 = Σy, s1 = Σx·y. Moving t on by
  // one lowers every x by 1 (s1 −= s0), then the oldest row leaves and the new one enters at x = 0.
  const s0 = new Float64Array(width);
  const s1 = new Float64Array(width);
  const out = new Float64Array(test.length);
  const total = train.length + test.length;
  let n = 0;
  for (let k = 0; k < total; k++) {
    const row = history(k);
    const leaving = n === window ? history(k - window) : null;
    for (let c = 0; c < width; c++) {
      s1[c]! -= s0[c]!;
      if (leaving) {
        s0[c]! -= leaving[c]!;
        s1[c]! -= -window * leaving[c]!;
      }
      s0[c]! += row[c]!;
    }
    if (!leaving) n++;
    if (k < train.length) continue;
    // Closed forms for Σx and Σx² over x = −(n−1)..0; the denominator n·Σx² − (Σx)² = n²(n²−1)/12.
    const sx = (-n * (n - 1)) / 2;
    const denominator = (n * n * (n * n - 1)) / 12;
    let worst = 0;
    for (let c = 0; c < width; c++) {
      const slope = denominator > 0 ? (n * s1[c]! - sx * s0[c]!) / denominator : 0;
      const intercept = (s0[c]! - slope * sx) / n;
      const projected = intercept + slope * horizon;
      const outside = projected > max[c]! ? projected - max[c]! : projected < min[c]! ? min[c]! - projected : 0;
      if (outside > 0) worst = Math.max(worst, outside / scale[c]!);
    }
    out[k - train.length] = worst;
  }
  return out;
}

// Each column's training range and standard deviation. A constant column would divide by 0, so the
// scale has a floor of 1e-6 of the column's magnitude (and of 1, for columns near 0).
function ranges(train: number[][], width: number): { min: Float64Array; max: Float64Array; scale: Float64Array } {
  const min = new Float64Array(width).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(width).fill(Number.NEGATIVE_INFINITY);
  const mean = new Float64Array(width);
  for (const row of train) {
    for (let c = 0; c < width; c++) {
      const v = row[c]!;
      if (v < min[c]!) min[c] = v;
      if (v > max[c]!) max[c] = v;
      mean[c]! += v / train.length;
    }
  }
  const scale = new Float64Array(width);
  for (let c = 0; c < width; c++) {
    let sq = 0;
    for (const row of train) sq += (row[c]! - mean[c]!) ** 2;
    const floor = 1e-6 * Math.max(1, Math.abs(min[c]!), Math.abs(max[c]!));
    scale[c] = Math.max(Math.sqrt(sq / train.length), floor);
  }
  return { min, max, scale };
}
