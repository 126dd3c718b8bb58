// Feature extraction: ONE module for training and serving, so the model sees in production exactly what
// it was trained on. From a time-ordered window of samples (named numeric columns), each column gives
// its value and temporal features: delta, rolling mean and standard deviation, z-score against the
// rolling baseline before the sample, and the least-squares slope. Only past and present samples are
// used: features of sample t never look at t+1.

/** Bumped whenever the features change meaning or order: artifacts built for another schema are refused. */
export const FEATURE_SCHEMA_VERSION = 2;

export const PER_COLUMN = ['value', 'delta', 'roll_mean', 'roll_std', 'zscore', 'slope'] as const;

export interface FeatureOptions {
  /** Samples in the rolling window (the current one included). */
  window: number;
}

/** The agent metric contract as the columns the anomaly model sees (the design's three families). */
export const AGENT_SIGNALS = [
  { column: 'latency_p99_s', family: 'response_time' },
  { column: 'error_rate', family: 'error_pattern' },
  { column: 'request_rate', family: 'traffic' },
  { column: 'queue_depth', family: 'resource_usage' },
  { column: 'memory_utilisation', family: 'resource_usage' },
  { column: 'cpu', family: 'resource_usage' },
  { column: 'dependency_up', family: 'dependency' },
] as const;

export function featureNames(columns: readonly string[]): string[] {
  return columns.flatMap((c) => PER_COLUMN.map((f) => `${c}:${f}`));
}

/** Features of row t given the rows before it. The one function both paths below call. */
export function featuresAt(rows: readonly ArrayLike<number>[], t: number, o: FeatureOptions): Float64Array {
  const width = rows[t]!.length;
  const out = new Float64Array(width * PER_COLUMN.length);
  const from = Math.max(0, t - o.window + 1);
  const n = t - from + 1;
  for (let c = 0; c < width; c++) {
    const x = clean(rows[t]![c]!);
    const prev = t > 0 ? clean(rows[t - 1]![c]!) : x;
    // Rolling mean/std over the window; the baseline for the z-score excludes the current sample.
    let sum = 0;
    let sumSq = 0;
    let sxy = 0;
    for (let i = from; i <= t; i++) {
      const v = clean(rows[i]![c]!);
      sum += v;
      sumSq += v * v;
      sxy += (i - from) * v;
    }
    const mean = sum / n;
    const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
    let z = 0;
    if (n > 1) {
      const bMean = (sum - x) / (n - 1);
      const bStd = Math.sqrt(Math.max(0, (sumSq - x * x) / (n - 1) - bMean * bMean));
      // Tolerances relative to the values' size: Prometheus computes a flat p99 as 0.995 one step and
      // 0.99499999999999988 the next, and that rounding must not read as a 10-sigma jump (schema 2).
      const tolerance = 1e-9 * Math.max(1, Math.abs(bMean), Math.abs(x));
      z = bStd > tolerance ? (x - bMean) / bStd : Math.abs(x - bMean) <= tolerance ? 0 : Math.sign(x - bMean) * 10;
    }
    // Slope of v against i over the window (least squares), in units per sample.
    const sx = ((n - 1) * n) / 2;
    const sxx = ((n - 1) * n * (2 * n - 1)) / 6;
    const denominator = n * sxx - sx * sx;
    const slope = denominator > 0 ? (n * sxy - sx * sum) / denominator : 0;
    const base = c * PER_COLUMN.length;
    out[base] = x;
    out[base + 1] = x - prev;
    out[base + 2] = mean;
    out[base + 3] = std;
    out[base + 4] = Math.max(-10, Math.min(10, z));
    out[base + 5] = slope;
  }
  return out;
}

/** Training: the features of every row of a series. */
export function extractFeatures(rows: readonly ArrayLike<number>[], o: FeatureOptions): Float64Array[] {
  return rows.map((_, t) => featuresAt(rows, t, o));
}

/** Serving: the features of the newest sample, given the trailing window that ends with it. */
export function extractLatest(window: readonly ArrayLike<number>[], o: FeatureOptions): Float64Array {
  if (window.length === 0) throw new Error('no samples to extract features from');
  return featuresAt(window, window.length - 1, o);
}

// Training and serving hand over rows already preprocessed (models/preprocessing.ts). A NaN that still
// arrives (a backtest's CSV with an empty cell) reads as 0 rather than poisoning the whole window.
function clean(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
