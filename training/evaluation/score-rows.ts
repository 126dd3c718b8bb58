// The backtest behind `medic anomaly score`: every row of a table scored from the rows before it (or
// from a separate training set or artifact), never with knowledge of a later one. Two detectors:
// - streaming (univariate-detector.ts per column, the most anomalous column counting), from the input's
//   own past;
// - forest: the Isolation Forest on features (models/anomaly-model.ts), learning from a training set, an
//   artifact, or the first rows of the input (which then score 0: they are its training set).
// The alert hold-off is opt-in: a score is a score, and zeroing the rows after an alert is a paging
// policy (Alertmanager's repeat interval) that an evaluation asks for by name (evaluate-nab.ts).
import { AnomalyModel, type AnomalyArtifact, type ForestImplementation } from '../../models/anomaly-model.ts';
import { DEFAULT_FILL_LIMIT, preprocess } from '../../models/preprocessing.ts';
import type { Table } from '../parse-table.ts';
import { holdOff, type HoldOffSpan } from './alert-hold-off.ts';
import { UnivariateDetector } from './univariate-detector.ts';

export const BACKTEST_DETECTORS = ['streaming', 'forest'] as const;
export type BacktestDetector = (typeof BACKTEST_DETECTORS)[number];

export interface ScoreOptions {
  /** Default: defaultDetector(). The options below it, down to refitEvery, are the forest's. */
  detector?: BacktestDetector;
  /** Alerts inside this span after an alert are dropped (and score 0); no hold-off when omitted. */
  holdOff?: HoldOffSpan;
  window: number;
  contamination: number;
  seed: number;
  trainFraction: number;
  online: boolean;
  refitEvery: number;
  /** forest: Medic's own (default) or ml-isolation-forest (a cross-check; slower, unseeded). */
  implementation?: ForestImplementation;
  /** forest: alerts per healthy series per day its threshold allows (default 1, models/alarm-budget.ts). */
  alertsPerDay?: number;
  /** forest: seconds between rows, for the budget's per-row rate (default 15, serving's step). */
  readingSeconds?: number;
}

/** `medic anomaly score`'s defaults (its command line takes them from here). */
export const SCORE_DEFAULTS = { window: 12, contamination: 0.1, seed: 1, trainFraction: 0.15, online: false, refitEvery: 500 } as const satisfies ScoreOptions;

export interface RowScore {
  score: number;
  isAnomaly: boolean;
}

/**
 * The detector that scores best where it was measured, so that a user gets it without choosing: the
 * forest when there is something to learn from (a training set, an artifact) or several columns to
 * learn across (ASD, 19 metrics: point-wise F1 0.53 with --train, against 0.24 for streaming); the
 * streaming detector for a single series (NAB: 74.9 against 45.9 for the forest, online).
 */
export function defaultDetector(table: Table, train?: number[][], artifact?: AnomalyArtifact): BacktestDetector {
  return train || artifact || table.columns.length > 1 ? 'forest' : 'streaming';
}

/**
 * Scores every row, learning only from rows before it, or from `train` (rows of the same columns that
 * come before the table in time) or a forest `artifact`.
 */
export function scoreRows(table: Table, o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): RowScore[] {
  const detector = o.detector ?? defaultDetector(table, train, artifact);
  if (detector === 'streaming' && (train || artifact)) throw new Error('--train and --model are the forest\'s: add --detector forest');
  const scored = detector === 'streaming' ? streamingScores(table) : forestScores(table, o, train, artifact);
  if (!o.holdOff) return scored;
  const hoursAt = 'hours' in o.holdOff ? timestampHours(table) : undefined;
  const kept = holdOff(scored.map((s) => s.isAnomaly), o.holdOff, hoursAt);
  return scored.map((s, t) => (s.isAnomaly && !kept[t] ? { score: 0, isAnomaly: false } : s));
}

// Each column has its own detector (its own past); a row is as anomalous as its most anomalous column.
function streamingScores(table: Table): RowScore[] {
  const detectors = table.columns.map(() => new UnivariateDetector());
  return table.rows.map((row) => {
    const score = detectors.reduce((worst, d, c) => Math.max(worst, d.update(row[c]!)), 0);
    return { score, isAnomaly: score >= 0.5 };
  });
}

// Gaps are handled as training and serving handle them (models/preprocessing.ts): short ones carried
// forward, the rest read as 0, and a row with nothing measured is not scored (0, as serving would not
// score an agent that is not there).
function forestScores(table: Table, o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): RowScore[] {
  const p = preprocess(table.rows, artifact?.preprocessing?.fillLimit ?? DEFAULT_FILL_LIMIT);
  const out: RowScore[] = table.rows.map(() => ({ score: 0, isAnomaly: false }));
  forestOnRows(p.rows, table.columns, o, train && preprocess(train, DEFAULT_FILL_LIMIT).rows, artifact).forEach((r, k) => {
    out[p.kept[k]!] = r;
  });
  return out;
}

function forestOnRows(rows: number[][], columns: string[], o: ScoreOptions, train?: number[][], artifact?: AnomalyArtifact): RowScore[] {
  const fit = (r: readonly number[][]) => AnomalyModel.train(r, columns, {
    window: o.window, contamination: o.contamination, seed: o.seed, implementation: o.implementation,
    ...(o.alertsPerDay !== undefined ? { alertsPerDay: o.alertsPerDay } : {}), ...(o.readingSeconds !== undefined ? { readingSeconds: o.readingSeconds } : {}),
  });
  if (artifact || train) {
    const model = artifact ? AnomalyModel.fromArtifact(artifact) : fit(train!);
    // The training rows come before the input in time: they are the first input rows' past (their
    // rolling windows), as live history is when serving starts scoring.
    const past = train ?? [];
    return model.scoreSeries([...past, ...rows]).slice(past.length).map(({ score, isAnomaly }) => ({ score, isAnomaly }));
  }
  const warm = Math.max(o.window + 1, Math.floor(rows.length * o.trainFraction));
  // The first `warm` rows are the model's training set: scoring them with it would read later rows.
  const out: RowScore[] = Array.from({ length: Math.min(warm, rows.length) }, () => ({ score: 0, isAnomaly: false }));
  let model = fit(rows.slice(0, warm));
  let fittedAt = warm;
  for (let t = warm; t < rows.length; t++) {
    if (o.online && t >= fittedAt + o.refitEvery) {
      model = fit(rows.slice(0, t));
      fittedAt = t;
    }
    const { score, isAnomaly } = model.scoreLatest(rows.slice(Math.max(0, t - model.window), t + 1));
    out.push({ score, isAnomaly });
  }
  return out;
}

/** Each row's timestamp in hours: ISO 8601 (a missing zone reads as UTC) or Unix seconds. */
export function timestampHours(table: Table): number[] {
  if (!table.timestamps) throw new Error('a hold-off in hours needs a timestamp column: give --hold-off as a number of rows');
  return table.timestamps.map((text, i) => {
    const t = text.trim();
    const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
    const ms = /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : Date.parse(iso);
    if (!Number.isFinite(ms)) throw new Error(`row ${i + 2}, timestamp: ${JSON.stringify(text)} is neither ISO 8601 nor Unix seconds; give --hold-off as a number of rows`);
    return ms / 3_600_000;
  });
}
