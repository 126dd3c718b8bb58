// How rare a statistic is on healthy data: its empirical distribution up to a high quantile, and past
// that an exponential tail fitted to the excesses (peaks over threshold), so a reading far beyond
// anything seen in training still gets a finite, ordered probability instead of "more than the max".
// The exponential is the extreme-value limit of light-tailed statistics (distances, log-probabilities);
// it extrapolates the rare end from the many excesses over the 95% quantile, not from the few largest.
//
// A calibrated score maps that probability p onto [0, 1]: score = −log10(p) / 10, so 0.5 reads
// "one healthy reading in 100,000 is this unusual" and a threshold is a false-alarm rate.

/** Levels of the stored quantile grid: 0, …, TAIL_FROM in equal steps. */
const GRID = 100;
/** Where the fitted tail takes over from the empirical distribution. */
export const TAIL_FROM = 0.95;
/** Below this a quantile grid is mostly repeats; with few values the tail rests on few excesses (the gate then judges it). */
export const MIN_TAIL_VALUES = 10;
/** −log10 of the probability that maps to a score of 1. */
const DECADES = 10;

export interface Tail {
  /** Quantiles of the calibration values at levels TAIL_FROM × k / GRID, k = 0..GRID (non-decreasing). */
  quantiles: number[];
  /** Mean excess over quantiles[GRID]: the scale of the exponential tail. */
  scale: number;
  /** Calibration values it was fitted on. */
  n: number;
}

export function fitTail(values: ArrayLike<number>): Tail {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length < MIN_TAIL_VALUES || !sorted.every(Number.isFinite)) throw new Error(`a tail needs at least ${MIN_TAIL_VALUES} finite calibration values, got ${sorted.length}`);
  const at = (level: number) => sorted[Math.min(sorted.length - 1, Math.floor(level * (sorted.length - 1)))]!;
  const quantiles = Array.from({ length: GRID + 1 }, (_, k) => at((TAIL_FROM * k) / GRID));
  const u = quantiles[GRID]!;
  let sum = 0;
  let count = 0;
  for (const x of sorted) if (x > u) (sum += x - u), count++;
  // A statistic with no excess at all (a constant) gets a tiny scale: anything above it is very rare.
  const spread = Math.max(1e-9, (u - quantiles[0]!) * 1e-3);
  return { quantiles, scale: count ? Math.max(spread, sum / count) : spread, n: sorted.length };
}

/** P(a healthy value >= x). */
export function tailProbability(t: Tail, x: number): number {
  const q = t.quantiles;
  const u = q[GRID]!;
  if (x > u) return (1 - TAIL_FROM) * Math.exp(-(x - u) / t.scale);
  if (!(x > q[0]!)) return 1;
  // Last grid point at or below x, then linear between it and the next one.
  let lo = 0;
  let hi = GRID;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const width = q[hi]! - q[lo]!;
  const level = (TAIL_FROM * (lo + (width > 0 ? (x - q[lo]!) / width : 1))) / GRID;
  return 1 - level;
}

/** The calibrated score of a probability: −log10(p) / 10, in [0, 1]. */
export function scoreOfProbability(p: number): number {
  return Math.min(1, Math.max(0, -Math.log10(Math.max(p, 1e-300)) / DECADES));
}

/** The score a reading reaches with probability `p` on healthy data: a threshold for that false-alarm rate. */
export function thresholdForRate(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`a false-alarm rate must be in (0, 1), but was ${p}`);
  return scoreOfProbability(p);
}

/** The inverse: the healthy probability a score stands for. */
export function rateOfScore(score: number): number {
  return 10 ** (-score * DECADES);
}

export function tailProblems(t: unknown, name: string): string[] {
  const x = t as Partial<Tail> | undefined;
  const ok = x && Array.isArray(x.quantiles) && x.quantiles.length === GRID + 1 && x.quantiles.every((v, i, a) => Number.isFinite(v) && (i === 0 || v >= a[i - 1]!))
    && typeof x.scale === 'number' && x.scale > 0 && Number.isFinite(x.scale);
  return ok ? [] : [`${name} must hold ${GRID + 1} non-decreasing quantiles and a positive scale`];
}
