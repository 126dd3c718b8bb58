// Data preparation between a source and the model: resample each series to a fixed step, then the gap
// handling serving shares (models/preprocessing.ts: bounded forward fill, drop rows with nothing, zero
// fill), and describe the result for the model card.
//
// What danfojs-node does here and what it does not:
// - It computes `describe()` for the card (over at most 10,000 evenly spaced rows: see describeColumns).
// - Resampling is one pass in plain TypeScript: danfo's groupby is quadratic in the number of groups
//   (measured: 200 s for one series of 40,000 buckets, 21 ms for 400), and its mean does not skip NaN
//   (one missing scrape would blank a whole bucket).
// - Gap filling is models/preprocessing.ts, plain TypeScript: serving runs the same code on its windows
//   and must not load danfo (danfo 1.2 has no forward fill anyway).
// - Rolling windows are computed by models/features.ts and nowhere else: training and serving share
//   one feature module, so a second rolling implementation here would be a second source of truth.
// danfo (and TensorFlow.js under it) loads in about 4 s, so it is imported lazily, by training only.
import { DEFAULT_FILL_LIMIT, preprocess } from '../models/preprocessing.ts';
import type { TrainingData, TrainingSeries } from './training-data.ts';

export interface PrepareOptions {
  /** Resample timestamped series to this step; default: each series' own median spacing. */
  stepSeconds?: number;
  /** At most this many consecutive missing samples of a column are forward-filled (default 3). */
  fillLimit?: number;
}

export interface PreparationReport {
  inputRows: number;
  rows: number;
  /** Cells missing after resampling (a scrape gap, a bucket without samples, an empty CSV cell). */
  missingCells: number;
  forwardFilled: number;
  zeroFilled: number;
  /** Rows with every column still missing after the forward fill: the agent was down or not yet there. */
  droppedRows: number;
}

type Danfo = typeof import('danfojs-node');
let danfo: Promise<Danfo> | undefined;
const loadDanfo = () => (danfo ??= import('danfojs-node'));

export async function prepareData(data: TrainingData, o: PrepareOptions = {}): Promise<{ data: TrainingData; report: PreparationReport }> {
  const report: PreparationReport = { inputRows: 0, rows: 0, missingCells: 0, forwardFilled: 0, zeroFilled: 0, droppedRows: 0 };
  const series: TrainingSeries[] = [];
  for (const s of data.series) {
    report.inputRows += s.rows.length;
    const step = s.timestamps ? (o.stepSeconds ?? medianStep(s.timestamps)) : undefined;
    const resampled = step ? resample(s, step) : s;
    const p = preprocess(resampled.rows, o.fillLimit ?? DEFAULT_FILL_LIMIT);
    report.missingCells += p.missing;
    report.forwardFilled += p.forwardFilled;
    report.zeroFilled += p.zeroFilled;
    report.droppedRows += p.dropped;
    if (p.kept.length === 0) continue;
    report.rows += p.kept.length;
    series.push({
      ...resampled,
      timestamps: resampled.timestamps ? p.kept.map((i) => resampled.timestamps![i]!) : null,
      rows: p.rows,
      labels: resampled.labels ? p.kept.map((i) => resampled.labels![i]!) : null,
    });
  }
  return { data: { ...data, series }, report };
}

/**
 * Puts a series on the grid t0, t0+step, ... (t0 = the first timestamp rounded down to the step): each
 * bucket holds the mean of the finite samples inside it, NaN when there are none; a bucket's label is
 * 1 when any sample in it is labelled 1. Samples on the grid already stay as they are.
 */
export function resample(s: TrainingSeries, stepSeconds: number): TrainingSeries {
  if (!s.timestamps || s.rows.length === 0) return s;
  if (!(stepSeconds > 0)) throw new Error(`step must be positive, but was ${stepSeconds}`);
  const ts = s.timestamps;
  const t0 = Math.floor(ts[0]! / stepSeconds + 1e-9) * stepSeconds;
  const length = Math.floor((ts.at(-1)! - t0) / stepSeconds + 1e-9) + 1;
  const width = s.rows[0]!.length;
  const sum = Array.from({ length }, () => new Array<number>(width).fill(0));
  const count = Array.from({ length }, () => new Array<number>(width).fill(0));
  const labels = s.labels ? new Array<number>(length).fill(0) : null;
  ts.forEach((t, i) => {
    const b = Math.floor((t - t0) / stepSeconds + 1e-9);
    s.rows[i]!.forEach((v, c) => {
      if (Number.isFinite(v)) {
        sum[b]![c]! += v;
        count[b]![c]!++;
      }
    });
    if (labels && s.labels![i] === 1) labels[b] = 1;
  });
  return {
    ...s,
    timestamps: Array.from({ length }, (_, b) => t0 + b * stepSeconds),
    rows: sum.map((r, b) => r.map((v, c) => (count[b]![c]! > 0 ? v / count[b]![c]! : Number.NaN))),
    labels,
  };
}

/** The step a series was sampled at: the median spacing of its timestamps. */
export function medianStep(timestamps: readonly number[]): number | undefined {
  const diffs = timestamps.slice(1).map((t, i) => t - timestamps[i]!).filter((d) => d > 0).sort((a, b) => a - b);
  return diffs.length ? diffs[Math.floor(diffs.length / 2)] : undefined;
}

/**
 * Per-column count, mean, std, min, median, max and variance, for the model card. Above `maxRows` rows
 * an evenly strided sample is described: danfo's describe() turns quadratic on a constant column (a
 * healthy dependency_up is all 1s: measured 8 s for 40,000 rows, 29 s for 80,000, 0.4 s for 10,000).
 */
export async function describeColumns(rows: readonly number[][], columns: readonly string[], maxRows = 10_000): Promise<{ stats: Record<string, Record<string, number>>; described: number; stride: number }> {
  if (rows.length === 0) return { stats: {}, described: 0, stride: 1 };
  const stride = Math.ceil(rows.length / maxRows);
  const sample = stride > 1 ? rows.filter((_, i) => i % stride === 0) : (rows as number[][]);
  const dfd = await loadDanfo();
  const names = columns.map((_, c) => `c${c}`);
  const d = new dfd.DataFrame(sample, { columns: names }).describe();
  const stats = d.index as string[];
  const values = d.values as number[][];
  return {
    stats: Object.fromEntries(columns.map((column, c) => [column, Object.fromEntries(stats.map((stat, i) => [stat, Number(values[i]![c])]))])),
    described: sample.length,
    stride,
  };
}
