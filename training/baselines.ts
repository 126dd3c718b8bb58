// Simple detectors run beside Medic's model in every evaluation, so its figures mean something.
import { seededRandom } from '../lib/random.ts';
import { IsolationForest } from '../models/isolation-forest.ts';

/** Uniform noise: what any detector must beat. */
export function randomScores(n: number, seed = 1): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, random);
}

/** Max over columns of |z| against a trailing window of `window` samples before each row. */
export function rollingZScores(rows: number[][], window = 288): Float64Array {
  const width = rows[0]?.length ?? 0;
  const out = new Float64Array(rows.length);
  const sum = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let t = 0; t < rows.length; t++) {
    const n = Math.min(t, window);
    let worst = 0;
    if (n > 1) {
      for (let c = 0; c < width; c++) {
        const mean = sum[c]! / n;
        const std = Math.sqrt(Math.max(0, sq[c]! / n - mean * mean));
        worst = Math.max(worst, Math.abs(rows[t]![c]! - mean) / (std + 1e-6));
      }
    }
    out[t] = worst;
    for (let c = 0; c < width; c++) {
      const v = rows[t]![c]!;
      sum[c]! += v;
      sq[c]! += v * v;
      if (t >= window) {
        const old = rows[t - window]![c]!;
        sum[c]! -= old;
        sq[c]! -= old * old;
      }
    }
  }
  return out;
}

/** The sklearn-like reference: an Isolation Forest on the raw metrics, no features. */
export function rawForestScores(train: number[][], test: number[][], seed = 1): Float64Array {
  return IsolationForest.fit(train, { seed }).scoreAll(test);
}
