// A streaming detector for one metric, scored sample by sample from the past alone (NAB's setting, and a
// scrape loop's). Two statistics against a long baseline of the same series:
//  - level: |z| of the mean of the last `shortSamples` values against the running mean and standard
//    deviation of that mean over the last `historySamples` samples. Averaging two samples halves a
//    one-sample glitch and keeps a change that lasts (a burst, a drop) at full strength.
//  - novelty: −log10 of the share of past values within ±`noveltyBand` standard deviations of the
//    current value, averaged over the last `noveltySamples` samples. It finds a level the series has
//    never held (a flat line between the two plateaus of a daily cycle, a jump to a new range) that
//    the z-score misses because a bimodal series has a wide standard deviation; averaging keeps a
//    single record-breaking spike from counting as a new level.
// Neither statistic means the same on every series: a z of 6 is routine on a spiky series and unheard
// of on a smooth one, and novelty is bounded by log10 of the history length. So each is calibrated
// against its own past on the same series: its tail probability p = P(past statistic >= now), the
// empirical share up to the (1 − `tailShare`) quantile u and, past u, an exponential tail whose scale
// is the mean excess over u (peaks over threshold, the extreme-value limit of light tails), so a value
// beyond every past one still gets a finite, ordered probability. The rarer of the two counts:
// L = −log10(min(p_level, p_novelty)), reported as L / (L + alertAt), so 0.5 is one fixed tail
// probability (10^−alertAt) on every series and one threshold fits all of them.
// Nothing is scored before `minHistory` samples and `minHistory` statistics. No sample after t is read
// for the score of t, and the score of t does not depend on the series length.

export interface UnivariateOptions {
  /** Samples in the long baseline and in each statistic's past (rings: memory and time stay bounded). */
  historySamples: number;
  /** Samples averaged before the level z-score. */
  shortSamples: number;
  /** Half-width of the novelty band, in standard deviations of the history. */
  noveltyBand: number;
  /** Samples over which the novelty is averaged. */
  noveltySamples: number;
  /** Share of a statistic's past taken as its tail (the excesses over its (1 − tailShare) quantile). */
  tailShare: number;
  /** −log10 of the tail probability at which a sample alerts (its score is then 0.5). */
  alertAt: number;
  /** Samples of history before the statistics are computed, and statistics before the first score. */
  minHistory: number;
}

/**
 * Chosen by leave-one-category-out cross-validation on the NAB dev split (nab-cross-validation.ts over
 * evaluate-nab.ts's NAB_CANDIDATES: these, and each constant one step either way; `medic anomaly
 * evaluate` prints it). Each constant set is scored on every category with the alert threshold chosen on
 * the other categories; these constants score best that way (held-out corpus 74.9, every fold choosing
 * 0.5), and were reached by moving to the best neighbour until none was better (tailShare 0.05 → 0.08,
 * noveltyBand 0.05 → 0.07). Choosing constants and threshold together without the held-out category
 * scores 72.3. With the 12 h hold-off, the whole split scores 74.9 at 0.5, its best corpus-wide
 * threshold, which `alertAt` puts there (p ≈ 1.4e-3), and no category's own best threshold adds more
 * than 2.0 points. The design itself (calibration, the tail's shape) was worked out on the same split.
 */
export const UNIVARIATE_DEFAULTS: UnivariateOptions = {
  historySamples: 4032,
  shortSamples: 2,
  noveltyBand: 0.07,
  noveltySamples: 12,
  tailShare: 0.08,
  alertAt: 2.85,
  minHistory: 100,
};

// A deviation from a constant history has no finite z: it is reported as this.
const MAX_Z = 1000;
// Decades of improbability beyond which a score no longer rises (it is then 1 − alertAt / 300).
const MAX_DECADES = 300;

export class UnivariateDetector {
  private readonly o: UnivariateOptions;
  /** The last `historySamples` values: sorted for the novelty counts, summed for its band. */
  private readonly values: SortedRing;
  /** The same for the short means, whose sums give the z-score's baseline. */
  private readonly means: SortedRing;
  /** Each statistic's own past, sorted: what it is calibrated against. */
  private readonly levels: SortedRing;
  private readonly novelties: SortedRing;
  private readonly recent: number[] = [];
  private readonly recentNovelty: number[] = [];

  constructor(o: Partial<UnivariateOptions> = {}) {
    this.o = { ...UNIVARIATE_DEFAULTS, ...o };
    const problems = [
      !(Number.isInteger(this.o.historySamples) && this.o.historySamples >= this.o.minHistory) && `historySamples must be an integer >= minHistory, but was ${this.o.historySamples}`,
      !(Number.isInteger(this.o.shortSamples) && this.o.shortSamples >= 1) && `shortSamples must be a positive integer, but was ${this.o.shortSamples}`,
      !(Number.isInteger(this.o.noveltySamples) && this.o.noveltySamples >= 1) && `noveltySamples must be a positive integer, but was ${this.o.noveltySamples}`,
      !(this.o.noveltyBand > 0) && `noveltyBand must be > 0, but was ${this.o.noveltyBand}`,
      !(this.o.tailShare > 0 && this.o.tailShare < 0.5) && `tailShare must be in (0, 0.5), but was ${this.o.tailShare}`,
      !(this.o.alertAt > 0) && `alertAt must be > 0, but was ${this.o.alertAt}`,
      !(Number.isInteger(this.o.minHistory) && this.o.minHistory >= 3) && `minHistory must be an integer >= 3, but was ${this.o.minHistory}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`univariate detector: ${problems.join('; ')}`);
    this.values = new SortedRing(this.o.historySamples);
    this.means = new SortedRing(this.o.historySamples);
    this.levels = new SortedRing(this.o.historySamples);
    this.novelties = new SortedRing(this.o.historySamples);
  }

  /**
   * Scores `value` against everything seen before it, then learns it. Returns a score in [0, 1): 0.5 is
   * the alert threshold. A missing value (NaN) scores 0 and is not learned: a gap says nothing.
   */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0;
    const o = this.o;
    this.recent.push(value);
    if (this.recent.length > o.shortSamples) this.recent.shift();
    const short = this.recent.reduce((s, v) => s + v, 0) / this.recent.length;
    let score = 0;
    if (this.values.size >= o.minHistory) {
      const level = this.level(short);
      const novelty = this.novelty(value);
      if (this.levels.size >= o.minHistory) {
        const p = Math.min(tailProbability(this.levels.sorted, level, o.tailShare), tailProbability(this.novelties.sorted, novelty, o.tailShare));
        const decades = Math.min(MAX_DECADES, -Math.log10(p));
        score = decades / (decades + o.alertAt);
      }
      // An anomaly joins the past like any sample: a series that keeps doing it stops being surprised.
      this.levels.add(level);
      this.novelties.add(novelty);
    }
    this.values.add(value);
    this.means.add(short);
    return score;
  }

  private level(short: number): number {
    const { sum, sq, size: n } = this.means;
    const mean = sum / n;
    const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
    if (std > 1e-12 * Math.max(1, Math.abs(mean))) return Math.min(MAX_Z, Math.abs(short - mean) / std);
    return short === mean ? 0 : MAX_Z;
  }

  private novelty(value: number): number {
    const { sorted, sum, sq, size: n } = this.values;
    const mean = sum / n;
    const band = this.o.noveltyBand * Math.sqrt(Math.max(0, sq / n - mean * mean));
    const near = upperBound(sorted, value + band) - lowerBound(sorted, value - band);
    this.recentNovelty.push(-Math.log10((near + 1) / (n + 1)));
    if (this.recentNovelty.length > this.o.noveltySamples) this.recentNovelty.shift();
    return this.recentNovelty.reduce((s, x) => s + x, 0) / this.o.noveltySamples;
  }
}

/**
 * P(a past statistic >= s), from the past's sorted values (at least 3): the empirical share (plus one, so
 * it is never 0) up to the tail's threshold u, the (k+1)-th largest with k = ⌈tailShare × n⌉; past u, the
 * tail's share times a generalised Pareto survival fitted to the k excesses over u by the method of
 * moments (shape ξ = (1 − mean²/variance) / 2, below 1/2 by construction). A heavy tail (a bursty series,
 * ξ > 0) falls off as a power, so its bursts stay ordinary; a light or bounded one (ξ <= 0) is taken as
 * exponential, so anything beyond it still gets a finite, ordered, and very small probability.
 */
export function tailProbability(sorted: ArrayLike<number>, s: number, tailShare: number): number {
  const n = sorted.length;
  const k = Math.min(n - 2, Math.max(1, Math.ceil(tailShare * n)));
  const u = sorted[n - 1 - k]!;
  if (s <= u) return (n - lowerBound(sorted, s) + 1) / (n + 1);
  let sum = 0;
  let sq = 0;
  for (let i = n - k; i < n; i++) (sum += sorted[i]! - u), (sq += (sorted[i]! - u) ** 2);
  const mean = sum / k;
  const variance = sq / k - mean * mean;
  const share = (k + 1) / (n + 1);
  // Fewer than 5 excesses say nothing about a shape.
  const shape = k >= 5 && variance > 0 ? Math.max(0, 0.5 * (1 - (mean * mean) / variance)) : 0;
  // A tail with no spread (a statistic that has been constant) gets a tiny scale: any rise is rare.
  const scale = Math.max(shape > 0 ? 0.5 * mean * ((mean * mean) / variance + 1) : mean, 1e-3 * (u - sorted[0]!), 1e-9);
  return shape > 0 ? share * (1 + (shape * (s - u)) / scale) ** (-1 / shape) : share * Math.exp(-(s - u) / scale);
}

// The last `capacity` numbers in arrival order and sorted, with running sums for their mean and
// variance; the sums drift as numbers come and go, so they are recomputed from the ring once per lap.
class SortedRing {
  readonly sorted: number[] = [];
  sum = 0;
  sq = 0;
  private readonly ring: Float64Array;
  private seen = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  get size(): number {
    return this.sorted.length;
  }

  add(x: number): void {
    const slot = this.seen % this.capacity;
    if (this.seen >= this.capacity) {
      const old = this.ring[slot]!;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
      this.sum -= old;
      this.sq -= old * old;
    }
    this.ring[slot] = x;
    this.sorted.splice(lowerBound(this.sorted, x), 0, x);
    this.sum += x;
    this.sq += x * x;
    this.seen++;
    if (this.seen % this.capacity === 0) {
      this.sum = this.sq = 0;
      for (const y of this.ring) (this.sum += y), (this.sq += y * y);
    }
  }
}

/** Scores a whole series in order (each sample against the ones before it). */
export function scoreUnivariate(values: ArrayLike<number>, o: Partial<UnivariateOptions> = {}): Float64Array {
  const detector = new UnivariateDetector(o);
  return Float64Array.from({ length: values.length }, (_, t) => detector.update(values[t]!));
}

function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
