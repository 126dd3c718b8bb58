// Simple detectors run beside Medic's model in every evaluation, so its figures mean something.
import { seededRandom } from '../../lib/random.ts';
import { IsolationForest } from '../../models/isolation-forest.ts';

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

/**
 * NAB's windowed Gaussian idea: the tail probability of each value under a normal fitted to a trailing
 * window of the same series (score = 1 − Q(|z|)), the window excluding the value itself.
 */
export function windowedGaussianScores(values: number[], window = 6400): Float64Array {
  const out = new Float64Array(values.length);
  let sum = 0;
  let sq = 0;
  for (let t = 0; t < values.length; t++) {
    const n = Math.min(t, window);
    if (n > 1) {
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
      const z = std > 0 ? Math.abs(values[t]! - mean) / std : 0;
      out[t] = 1 - 0.5 * erfc(z / Math.SQRT2);
    }
    sum += values[t]!;
    sq += values[t]! ** 2;
    if (t >= window) {
      sum -= values[t - window]!;
      sq -= values[t - window]! ** 2;
    }
  }
  return out;
}

// Complementary error function (Numerical Recipes' erfc approximation, |error| < 1.2e-7).
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
