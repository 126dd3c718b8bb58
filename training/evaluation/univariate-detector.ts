// A streaming detector for one metric, scored sample by sample from the past alone (NAB's setting, and a
// scrape loop's). Two statistics against a long baseline of the same series, the larger one counting:
//  - level: |z| of the mean of the last `shortSamples` values against the running mean and standard
//    deviation of that mean over the last `historySamples` samples. Averaging two samples halves a
//    one-sample glitch and keeps a change that lasts (a burst, a drop) at full strength.
//  - novelty: −log10 of the share of past values within ±`noveltyBand` standard deviations of the
//    current value, averaged over the last `noveltySamples` samples. It finds a level the series has
//    never held (a flat line between the two plateaus of a daily cycle, a jump to a new range) that
//    the z-score misses because a bimodal series has a wide standard deviation; averaging keeps a
//    single record-breaking spike from counting as a new level.
// The combined statistic s = max(|z|, noveltyWeight × novelty) is reported as s / (s + alertAt), so the
// alert threshold sits at 0.5 on every series. Nothing is scored before `minHistory` samples.
// No sample after t is read for the score of t, and the score of t does not depend on the series length.

export interface UnivariateOptions {
  /** Samples in the long baseline (a ring: memory and time per sample stay bounded). */
  historySamples: number;
  /** Samples averaged before the level z-score. */
  shortSamples: number;
  /** Half-width of the novelty band, in standard deviations of the history. */
  noveltyBand: number;
  /** Samples over which the novelty is averaged. */
  noveltySamples: number;
  /** Weight of the novelty (−log10 of a share) against the z-score. */
  noveltyWeight: number;
  /** The combined statistic at which a sample alerts (its score is then 0.5). */
  alertAt: number;
  /** Samples of history before the first score. */
  minHistory: number;
}

/** Chosen on the NAB dev split (see training/evaluation/evaluate-nab.ts); the comments above say why each exists. */
export const UNIVARIATE_DEFAULTS: UnivariateOptions = {
  historySamples: 8640,
  shortSamples: 2,
  noveltyBand: 0.05,
  noveltySamples: 6,
  noveltyWeight: 2,
  alertAt: 6,
  minHistory: 100,
};

// A deviation from a constant history has no finite z: it is reported as this.
const MAX_Z = 1000;

export class UnivariateDetector {
  private readonly o: UnivariateOptions;
  /** The last `historySamples` values in arrival order (ring) and sorted (for the novelty counts). */
  private readonly ring: Float64Array;
  private readonly sorted: number[] = [];
  /** The same for the short means, whose running sums give the z-score's baseline. */
  private readonly meanRing: Float64Array;
  private meanSum = 0;
  private meanSq = 0;
  private valueSum = 0;
  private valueSq = 0;
  private seen = 0;
  private readonly recent: number[] = [];
  private readonly recentNovelty: number[] = [];

  constructor(o: Partial<UnivariateOptions> = {}) {
    this.o = { ...UNIVARIATE_DEFAULTS, ...o };
    const problems = [
      !(Number.isInteger(this.o.historySamples) && this.o.historySamples >= this.o.minHistory) && `historySamples must be an integer >= minHistory, but was ${this.o.historySamples}`,
      !(Number.isInteger(this.o.shortSamples) && this.o.shortSamples >= 1) && `shortSamples must be a positive integer, but was ${this.o.shortSamples}`,
      !(Number.isInteger(this.o.noveltySamples) && this.o.noveltySamples >= 1) && `noveltySamples must be a positive integer, but was ${this.o.noveltySamples}`,
      !(this.o.noveltyBand > 0) && `noveltyBand must be > 0, but was ${this.o.noveltyBand}`,
      !(this.o.noveltyWeight >= 0) && `noveltyWeight must be >= 0, but was ${this.o.noveltyWeight}`,
      !(this.o.alertAt > 0) && `alertAt must be > 0, but was ${this.o.alertAt}`,
      !(Number.isInteger(this.o.minHistory) && this.o.minHistory >= 2) && `minHistory must be an integer >= 2, but was ${this.o.minHistory}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`univariate detector: ${problems.join('; ')}`);
    this.ring = new Float64Array(this.o.historySamples);
    this.meanRing = new Float64Array(this.o.historySamples);
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

    const n = Math.min(this.seen, o.historySamples);
    let statistic = 0;
    if (n >= o.minHistory) {
      const mean = this.meanSum / n;
      const std = Math.sqrt(Math.max(0, this.meanSq / n - mean * mean));
      const z = std > 1e-12 * Math.max(1, Math.abs(mean)) ? Math.abs(short - mean) / std : short === mean ? 0 : MAX_Z;

      const vMean = this.valueSum / n;
      const band = o.noveltyBand * Math.sqrt(Math.max(0, this.valueSq / n - vMean * vMean));
      const near = upperBound(this.sorted, value + band) - lowerBound(this.sorted, value - band);
      this.recentNovelty.push(-Math.log10((near + 1) / (n + 1)));
      if (this.recentNovelty.length > o.noveltySamples) this.recentNovelty.shift();
      const novelty = this.recentNovelty.reduce((s, v) => s + v, 0) / o.noveltySamples;

      statistic = Math.max(Math.min(z, MAX_Z), o.noveltyWeight * novelty);
    }
    this.learn(value, short);
    return statistic / (statistic + o.alertAt);
  }

  private learn(value: number, short: number): void {
    const slot = this.seen % this.o.historySamples;
    if (this.seen >= this.o.historySamples) {
      const old = this.ring[slot]!;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
      this.valueSum -= old;
      this.valueSq -= old * old;
      const oldMean = this.meanRing[slot]!;
      this.meanSum -= oldMean;
      this.meanSq -= oldMean * oldMean;
    }
    this.ring[slot] = value;
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
    this.valueSum += value;
    this.valueSq += value * value;
    this.meanRing[slot] = short;
    this.meanSum += short;
    this.meanSq += short * short;
    this.seen++;
    // Sliding sums drift as values come and go: start them afresh from the ring once per lap.
    if (this.seen % this.o.historySamples === 0) this.resum();
  }

  private resum(): void {
    this.valueSum = this.valueSq = this.meanSum = this.meanSq = 0;
    for (let i = 0; i < this.o.historySamples; i++) {
      this.valueSum += this.ring[i]!;
      this.valueSq += this.ring[i]! ** 2;
      this.meanSum += this.meanRing[i]!;
      this.meanSq += this.meanRing[i]! ** 2;
    }
  }
}

/** Scores a whole series in order (each sample against the ones before it). */
export function scoreUnivariate(values: ArrayLike<number>, o: Partial<UnivariateOptions> = {}): Float64Array {
  const detector = new UnivariateDetector(o);
  return Float64Array.from({ length: values.length }, (_, t) => detector.update(values[t]!));
}

function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
