// Medic on the NAB dev split (nab.ts's scorer), beside NAB's baselines, each without and with the alert
// hold-off. NAB's scorer rewards one early detection per window and charges every false positive, so it
// is scored with the hold-off Alertmanager's repeat interval would apply: asked for here by name, since
// `medic anomaly score` gives raw scores unless told otherwise.
// Medic's streaming detector is also cross-validated (nab-cross-validation.ts): its constants were
// tuned on this split, so it is scored on each category with constants and threshold chosen on the other
// categories, and each category's own best threshold is set beside the corpus-wide one.
import { holdOffScores, type HoldOffSpan } from './alert-hold-off.ts';
import { randomScores, rollingZScores, windowedGaussianScores } from './baselines.ts';
import { bestNabScore, loadNab, type NabFile } from './nab.ts';
import { crossValidate, type CandidateFit, type CvReport } from './nab-cross-validation.ts';
import { scoreRows, timestampHours, type ScoreOptions } from './score-rows.ts';
import { scoreUnivariate, type UnivariateOptions } from './univariate-detector.ts';

/** The hold-off of the "medic" row and of every "+ hold-off" row. */
export const NAB_HOLD_OFF = { hours: 12 } as const;

/** The alert thresholds swept for Medic's detector: 0.300 to 0.700 in steps of 0.005 (it alerts at 0.5). */
export const NAB_THRESHOLDS = Array.from({ length: 81 }, (_, k) => Math.round(300 + 5 * k) / 1000);

/**
 * The constant sets cross-validated: the defaults first, then each constant one step either way. The
 * defaults are the ones cross-validation picks among them (evaluateNab reports whether it still does).
 */
export const NAB_CANDIDATES: Partial<UnivariateOptions>[] = [
  {},
  { tailShare: 0.05 }, { tailShare: 0.12 },
  { noveltyBand: 0.05 }, { noveltyBand: 0.1 },
  { noveltySamples: 8 }, { noveltySamples: 16 },
  { historySamples: 2880 }, { historySamples: 5760 },
  { shortSamples: 1 }, { shortSamples: 3 },
];

export interface NabEvaluation {
  detectors: Record<string, NabResult>;
  /** Medic's detector with its hold-off at each threshold: the corpus-wide best, and each category's own. */
  medic: CandidateFit;
  /** Leave one category out over NAB_CANDIDATES (candidate 0: the defaults). */
  crossValidation: CvReport;
  candidates: Partial<UnivariateOptions>[];
}

export interface NabResult {
  score: number;
  threshold: number;
  categories: Record<string, number>;
}

/**
 * Medic's streaming detector as `medic anomaly score --hold-off 12h` runs it (the hold-off applied at
 * each threshold swept, so the best one is an alert level), the same without its hold-off, the Isolation
 * Forest on features that was Medic's NAB detector before (learning online, past rows only), and the
 * baselines without and with the same hold-off; then Medic's detector cross-validated.
 */
export function evaluateNab(dir: string, window: number, seed: number): NabEvaluation {
  const files = loadNab(dir);
  const tables = files.map((f) => ({ timestamps: f.timestamps, columns: ['value'], rows: f.values.map((v) => [v]) }));
  const hoursAt = tables.map((t) => timestampHours(t));
  const forest: ScoreOptions = { detector: 'forest', window, contamination: 0.1, seed, trainFraction: 0.15, online: true, refitEvery: 1000 };
  const run = (o: ScoreOptions) => tables.map((t) => Float64Array.from(scoreRows(t, o), (s) => s.score));
  const streaming = run({ ...forest, detector: 'streaming' });
  // The defaults' scores are the streaming backtest's own (one column, one detector with the defaults).
  const crossValidation = crossValidate({ files, thresholds: NAB_THRESHOLDS, holdOff: NAB_HOLD_OFF, hoursAt }, NAB_CANDIDATES, (o) =>
    o === NAB_CANDIDATES[0] ? streaming : files.map((f) => scoreUnivariate(f.values, o)));
  const medic = crossValidation.fits[0]!;
  const results: Record<string, NabResult> = {
    medic: { score: medic.score, threshold: medic.threshold, categories: Object.fromEntries(Object.entries(medic.categories).map(([c, f]) => [c, f.atCorpus])) },
    'medic without hold-off': bestNabScore(files, streaming),
    'calibrated forest (online)': bestNabScore(files, run(forest)),
  };
  const baselines: Record<string, Float64Array[]> = {
    'rolling z-score': files.map((f) => rollingZScores(f.values.map((v) => [v]), 288)),
    'windowed gaussian': files.map((f) => windowedGaussianScores(f.values)),
    random: files.map((f, i) => randomScores(f.values.length, seed + i)),
  };
  for (const [name, scores] of Object.entries(baselines)) {
    results[name] = bestNabScore(files, scores);
    results[`${name} + hold-off`] = bestWithHoldOff(files, scores, NAB_HOLD_OFF, hoursAt);
  }
  return { detectors: results, medic, crossValidation, candidates: NAB_CANDIDATES };
}

/**
 * A baseline with the hold-off, at the alert threshold that scores best among its upper quantiles
 * (1 − 10^(−k/4), k = 4…20): the baseline gets the benefit of the doubt, Medic's alert threshold is fixed.
 */
function bestWithHoldOff(files: NabFile[], scores: Float64Array[], span: HoldOffSpan, hoursAt: number[][]): NabResult {
  const all = Float64Array.from(scores.flatMap((s) => Array.from(s))).sort();
  const candidates = new Set<number>();
  for (let k = 4; k <= 20; k++) candidates.add(all[Math.min(all.length - 1, Math.floor((1 - 10 ** (-k / 4)) * all.length))]!);
  let best: NabResult | undefined;
  for (const threshold of candidates) {
    const r = bestNabScore(files, scores.map((s, i) => holdOffScores(s, threshold, span, hoursAt[i])));
    if (!best || r.score > best.score) best = r;
  }
  return best!;
}
