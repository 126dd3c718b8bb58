// Medic on the labelled Application Server Dataset (asd.ts), beside baselines run in the same pass: an
// Isolation Forest on the raw metrics (the sklearn-like reference), a rolling max-|z| and random scores.
// Medic's scores are exactly those of `medic anomaly score --train TRAIN --input TEST --no-header` with
// its defaults (the same function, score-rows.ts), so a user can reproduce any server's figure.
// Per detector, the mean over servers of the best-threshold point-wise F1, the point-adjusted F1 (inflated
// by design: never read it alone), segment recall and AUC.
import { loadAsd } from './asd.ts';
import { randomScores, rawForestScores, rollingZScores } from './baselines.ts';
import { evaluateScores, type DetectionResult } from './detection-metrics.ts';
import { SCORE_DEFAULTS, scoreRows, type ScoreOptions } from './score-rows.ts';

export type AsdSummary = Pick<DetectionResult, 'f1' | 'f1PointAdjusted' | 'segmentRecall' | 'auc'>;

export function evaluateAsd(dir: string, window: number, seed: number, progress?: (server: string) => void): { servers: number; detectors: Record<string, AsdSummary> } {
  const servers = loadAsd(dir);
  const sums: Record<string, AsdSummary> = {};
  for (const s of servers) {
    progress?.(s.name);
    const columns = s.train[0]!.map((_, i) => `metric_${i + 1}`);
    const options: ScoreOptions = { ...SCORE_DEFAULTS, window, seed };
    // The test split is scored with the training split as its past: the first test rows get full windows.
    const all = [...s.train, ...s.test];
    const detectors: Record<string, ArrayLike<number>> = {
      'medic (calibrated)': Float64Array.from(scoreRows({ timestamps: null, columns, rows: s.test }, options, s.train), (x) => x.score),
      'iforest on raw': rawForestScores(s.train, s.test, seed),
      'max-|z| (rolling)': rollingZScores(all).slice(s.train.length),
      random: randomScores(s.test.length, seed),
    };
    for (const [name, scores] of Object.entries(detectors)) {
      const r = evaluateScores(scores, s.labels);
      const acc = (sums[name] ??= { f1: 0, f1PointAdjusted: 0, segmentRecall: 0, auc: 0 });
      acc.f1 += r.f1 / servers.length;
      acc.f1PointAdjusted += r.f1PointAdjusted / servers.length;
      acc.segmentRecall += r.segmentRecall / servers.length;
      acc.auc += r.auc / servers.length;
    }
  }
  return { servers: servers.length, detectors: sums };
}
