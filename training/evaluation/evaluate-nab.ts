// Medic on the NAB dev split (nab.ts's scorer), beside NAB's baselines, each without and with the alert
// hold-off. NAB's scorer rewards one early detection per window and charges every false positive, so it
// is scored with the hold-off Alertmanager's repeat interval would apply: asked for here by name, since
// `medic anomaly score` gives raw scores unless told otherwise.
import { holdOffScores, type HoldOffSpan } from './alert-hold-off.ts';
import { randomScores, rollingZScores, windowedGaussianScores } from './baselines.ts';
import { bestNabScore, loadNab, type NabFile } from './nab.ts';
import { scoreRows, timestampHours, type ScoreOptions } from './score-rows.ts';

/** The hold-off of the "medic" row and of every "+ hold-off" row. */
export const NAB_HOLD_OFF = { hours: 12 } as const;

export interface NabResult {
  score: number;
  threshold: number;
  categories: Record<string, number>;
}

/**
 * Medic's streaming detector as `medic anomaly score --hold-off 12h` runs it, the same without its
 * hold-off, the Isolation Forest on features that was Medic's NAB detector before (learning online, past
 * rows only), and the baselines without and with the same hold-off.
 */
export function evaluateNab(dir: string, window: number, seed: number): Record<string, NabResult> {
  const files = loadNab(dir);
  const tables = files.map((f) => ({ timestamps: f.timestamps, columns: ['value'], rows: f.values.map((v) => [v]) }));
  const hoursAt = tables.map((t) => timestampHours(t));
  const forest: ScoreOptions = { detector: 'forest', window, contamination: 0.1, seed, trainFraction: 0.15, online: true, refitEvery: 1000 };
  const run = (o: ScoreOptions) => tables.map((t) => Float64Array.from(scoreRows(t, o), (s) => s.score));
  const results: Record<string, NabResult> = {
    medic: bestNabScore(files, run({ ...forest, detector: 'streaming', holdOff: NAB_HOLD_OFF })),
    'medic without hold-off': bestNabScore(files, run({ ...forest, detector: 'streaming' })),
    'features+IF (medic before)': bestNabScore(files, run(forest)),
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
  return results;
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
