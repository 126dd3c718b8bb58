// Backtesting the failure model on an exported history: learn from earlier rows (`--train`), score every
// later row from the rows up to it. A history with a failure column (`failing`, 0/1: down, not ready, SLO
// breached or remediated) is labelled by it; an unlabelled one (ASD's training month, a healthy fleet)
// gets synthetic failures written in (training/synthetic-faults.ts), most degrading before they fail.
import { FailureModel, type FailureTrainOptions, type LabelledSeries, type TrainingReport } from '../../models/failure/failure-model.ts';
import { initBackend, type BackendName } from '../../models/failure/tf-backend.ts';
import { splitByTime, windowLabels } from '../failure-labels.ts';
import { injectFaults, SYNTHETIC_DEFAULTS, type SyntheticFaultOptions } from '../synthetic-faults.ts';

/** The model's training settings (models/failure/failure-model.ts), and how a history is split and labelled. */
export interface FailureBacktestOptions extends Pick<FailureTrainOptions, 'horizon' | 'steps' | 'architecture' | 'epochs' | 'batchSize' | 'patience' | 'learningRate' | 'seed' | 'targetPrecision' | 'onEpoch'> {
  /** The latest share of the training history kept for early stopping, calibration and the threshold. */
  validationFraction: number;
  synthetic: SyntheticFaultOptions;
  backend?: BackendName;
}

/** What a small machine trains in seconds per series; bench:lstm compares it with the design's sizes. */
export const BACKTEST_DEFAULTS: FailureBacktestOptions = {
  horizon: 10, steps: 20, architecture: { units: [32, 16], dense: 16, dropout: 0.2 }, epochs: 12, batchSize: 64, patience: 3,
  learningRate: 2e-3, seed: 1, targetPrecision: 0.5, validationFraction: 0.2, synthetic: SYNTHETIC_DEFAULTS,
};

export interface TrainedFromHistory {
  model: FailureModel;
  report: TrainingReport;
  /** How the training history was labelled. */
  labels: 'failing column' | 'synthetic failures';
  failures: number;
}

/** Trains on `rows` (with per-row failing flags, or none: synthetic failures are written in). */
export async function trainFromHistory(rows: readonly (readonly number[])[], columns: string[], failing: ArrayLike<number> | undefined, o: FailureBacktestOptions): Promise<TrainedFromHistory> {
  await initBackend(o.backend);
  const labelled = failing ? { rows: rows.map((r) => [...r]), failing: Uint8Array.from(failing) } : injectFaults(rows, { ...o.synthetic, seed: o.synthetic.seed + o.seed });
  const labels = windowLabels(labelled.failing, o.horizon);
  const indices = labelled.rows.map((_, i) => i);
  const { train, validation } = splitByTime(indices, o.validationFraction);
  const part = (ix: number[]): LabelledSeries => ({ rows: ix.map((i) => labelled.rows[i]!), labels: ix.map((i) => labels[i]!) });
  const { model, report } = await FailureModel.train([part(train)], [part(validation)], {
    columns, architecture: o.architecture, steps: o.steps, horizon: o.horizon, epochs: o.epochs, batchSize: o.batchSize,
    patience: o.patience, learningRate: o.learningRate, seed: o.seed, targetPrecision: o.targetPrecision, ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  let failures = 0;
  for (let i = 0; i < labelled.failing.length; i++) if (labelled.failing[i] && (i === 0 || !labelled.failing[i - 1])) failures++;
  return { model, report, labels: failing ? 'failing column' : 'synthetic failures', failures };
}

/**
 * failure_probability for every row of `input`, each from the rows up to it: the window of the first
 * rows reaches back into `history` (the training rows before them in time) when given, else they score 0.
 */
export function scoreFollowing(model: FailureModel, input: readonly (readonly number[])[], history: readonly (readonly number[])[] = []): Float32Array {
  const lead = history.slice(Math.max(0, history.length - (model.window - 1)));
  const scored = model.scoreSeries([...lead, ...input]);
  return scored.slice(lead.length);
}
