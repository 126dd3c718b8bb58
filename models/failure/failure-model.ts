// The failure model: an LSTM over the last `steps` rows of an agent's metrics that says how likely a
// failure is to start within `horizon` rows, calibrated to a probability, with the inputs that drive it.
// Training (fit) takes windows already labelled (training/failure-labels.ts), split by time by the caller.
import { seededRandom } from '../../lib/random.ts';
import type { AnomalyType } from '../anomaly-model.ts';
import { typeOf } from '../anomaly-model.ts';
import type { Detector, Reading } from '../detector.ts';
import { fitScaler, type Scaler } from '../scaler.ts';
import { brier, calibrate, fitPlatt, thresholdForPrecision, type Platt } from './calibration.ts';
import { FAILURE_ARTIFACT_KIND, failureArtifactProblems, type FailureArtifact } from './failure-artifact.ts';
import { buildNetwork, exportWeights, importWeights, type Architecture } from './lstm-network.ts';
import { scaleRow, scaleSeries, windowsAt } from './sequence-input.ts';
import { currentBackend, tf } from './tf-backend.ts';

/** Rows of one series and, per row, whether the window ending there is positive (1), negative (0) or left out (-1). */
export interface LabelledSeries {
  rows: readonly (readonly number[])[];
  labels: ArrayLike<number>;
}

export interface FailureTrainOptions {
  columns: string[];
  architecture: Architecture;
  steps: number;
  horizon: number;
  epochs: number;
  batchSize: number;
  /** Epochs without a better validation loss before training stops (the best weights are kept). */
  patience: number;
  learningRate: number;
  seed: number;
  /** Validation precision the alert threshold is chosen for. */
  targetPrecision: number;
  /** Positive windows weigh at most this many negatives (class imbalance). */
  maxPositiveWeight?: number;
  sampling?: FailureArtifact['sampling'];
  fillLimit?: number;
  onEpoch?: (e: { epoch: number; loss: number; validationLoss: number; seconds: number; best: boolean }) => void;
}

export interface TrainingReport {
  epochs: { epoch: number; loss: number; validationLoss: number; seconds: number }[];
  bestEpoch: number;
  validation: { windows: number; positives: number; brier: number; threshold: number; precision: number; recall: number };
  /** Calibrated validation probabilities and labels (the report's precision-recall curve). */
  validationScores: { p: Float32Array; labels: Uint8Array };
}

const PREDICT_BATCH = 512;

export class FailureModel implements Detector {
  readonly kind = 'failure';
  readonly window: number;
  readonly fillLimit: number;
  private constructor(readonly artifact: FailureArtifact, private readonly network: tf.LayersModel) {
    this.window = artifact.steps;
    this.fillLimit = artifact.preprocessing?.fillLimit ?? 3;
  }

  get columns(): readonly string[] { return this.artifact.columns; }
  get threshold(): number { return this.artifact.threshold; }
  get sampling(): FailureArtifact['sampling'] { return this.artifact.sampling; }

  static fromArtifact(a: FailureArtifact): FailureModel {
    if (a?.kind !== FAILURE_ARTIFACT_KIND) throw new Error(`not a failure model: kind ${JSON.stringify(a?.kind ?? null)}`);
    const problems = failureArtifactProblems(a);
    if (problems.length) throw new Error(`failure model artifact: ${problems.join('; ')}`);
    if (!currentBackend()) throw new Error('the TensorFlow.js backend is not started: await initBackend() before loading a failure model');
    const network = buildNetwork(a.architecture, a.steps, a.columns.length, a.training.seed);
    importWeights(network, a.weights);
    return new FailureModel(a, network);
  }

  static async train(train: readonly LabelledSeries[], validation: readonly LabelledSeries[], o: FailureTrainOptions): Promise<{ model: FailureModel; report: TrainingReport }> {
    // Rows of an agent that was down hold no samples (NaN): they must not move the scaling.
    const scaler = fitScaler(train.flatMap((s) => s.rows).filter((r) => r.every(Number.isFinite)));
    const t = assemble(train, scaler, o.steps);
    const v = assemble(validation, scaler, o.steps);
    if (t.n === 0 || v.n === 0) throw new Error(`need labelled windows of ${o.steps} rows to train and to validate, got ${t.n} and ${v.n}`);
    if (t.positives === 0) throw new Error(`the training windows hold no failure within ${o.horizon} rows: nothing to learn from`);
    const network = buildNetwork(o.architecture, o.steps, o.columns.length, o.seed, o.learningRate);
    const xs = tf.tensor3d(t.x, [t.n, o.steps, o.columns.length]);
    const ys = tf.tensor2d(t.y, [t.n, 1]);
    const vx = tf.tensor3d(v.x, [v.n, o.steps, o.columns.length]);
    const vy = tf.tensor2d(v.y, [v.n, 1]);
    const positiveWeight = Math.min(o.maxPositiveWeight ?? 20, Math.max(1, (t.n - t.positives) / t.positives));
    const epochs: TrainingReport['epochs'] = [];
    const random = seededRandom(o.seed + 17);
    let best = { loss: Infinity, epoch: 0, weights: network.getWeights().map((w) => w.clone()) };
    try {
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const started = performance.now();
        // Shuffled with the seed, not by tfjs (Math.random): the same data and seed train the same model.
        const order = tf.tensor1d(shuffled(t.n, random), 'int32');
        const [ex, ey] = [tf.gather(xs, order), tf.gather(ys, order)];
        const h = await network.fit(ex, ey, { epochs: 1, batchSize: o.batchSize, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: positiveWeight } });
        tf.dispose([order, ex, ey]);
        const validationLoss = tf.tidy(() => (network.evaluate(vx, vy, { batchSize: PREDICT_BATCH }) as tf.Scalar).dataSync()[0]!);
        const seconds = (performance.now() - started) / 1000;
        const loss = Number(h.history.loss?.[0]);
        const improved = validationLoss < best.loss - 1e-6;
        if (improved) {
          tf.dispose(best.weights);
          best = { loss: validationLoss, epoch, weights: network.getWeights().map((w) => w.clone()) };
        }
        epochs.push({ epoch, loss, validationLoss, seconds });
        o.onEpoch?.({ epoch, loss, validationLoss, seconds, best: improved });
        if (epoch - best.epoch >= o.patience) break;
      }
      network.setWeights(best.weights);
    } finally {
      tf.dispose([xs, ys, vx, vy, ...best.weights]);
    }
    const raw = predictBatches(network, v.x, v.n, o.steps, o.columns.length);
    const calibration = fitPlatt(raw, v.y);
    const p = Float32Array.from(raw, (r) => calibrate(calibration, r));
    const threshold = thresholdForPrecision(p, v.y, o.targetPrecision);
    const artifact: FailureArtifact = {
      kind: FAILURE_ARTIFACT_KIND, formatVersion: 1, columns: o.columns, steps: o.steps, horizon: o.horizon, architecture: o.architecture,
      scaler, weights: exportWeights(network), calibration, threshold, targetPrecision: o.targetPrecision,
      ...(o.sampling ? { sampling: o.sampling } : {}), ...(o.fillLimit !== undefined ? { preprocessing: { fillLimit: o.fillLimit } } : {}),
      training: { backend: currentBackend() ?? 'unknown', tfjs: tf.version_core, seed: o.seed, epochs: epochs.length, windows: t.n, positives: t.positives },
    };
    let tp = 0, alarms = 0;
    for (let i = 0; i < v.n; i++) if (p[i]! >= threshold) { alarms++; if (v.y[i]! > 0.5) tp++; }
    const labels = Uint8Array.from(v.y);
    return {
      model: new FailureModel(artifact, network),
      report: {
        epochs, bestEpoch: best.epoch, validationScores: { p, labels },
        validation: { windows: v.n, positives: v.positives, brier: brier(p, labels), threshold, precision: alarms ? tp / alarms : 0, recall: v.positives ? tp / v.positives : 0 },
      },
    };
  }

  /** Calibrated probability per row of a series (rows before the first full window score 0). */
  scoreSeries(rows: readonly ArrayLike<number>[]): Float32Array {
    const { steps, scaler } = this.artifact;
    const width = this.columns.length;
    const out = new Float32Array(rows.length);
    if (rows.length < steps) return out;
    const scaled = scaleSeries(scaler, rows);
    const ends = Array.from({ length: rows.length - steps + 1 }, (_, i) => i + steps - 1);
    const raw = predictBatches(this.network, windowsAt(scaled, width, steps, ends), ends.length, steps, width);
    ends.forEach((t, i) => { out[t] = calibrate(this.artifact.calibration, raw[i]!); });
    return out;
  }

  /** Probability for each agent's newest window, one batch for the fleet. */
  scoreBatch(windows: readonly (readonly (readonly number[])[])[]): Float32Array {
    const { steps, scaler } = this.artifact;
    const width = this.columns.length;
    const x = new Float32Array(windows.length * steps * width);
    windows.forEach((w, i) => {
      if (w.length < steps) throw new Error(`a window of ${w.length} rows; the failure model reads ${steps}`);
      for (let s = 0; s < steps; s++) scaleRow(scaler, w[w.length - steps + s]!, x, (i * steps + s) * width);
    });
    return predictBatches(this.network, x, windows.length, steps, width).map((r) => calibrate(this.artifact.calibration, r));
  }

  /**
   * The reading for one agent: the probability, and what drives it by occlusion. Each column in turn
   * (then each quarter of the window) is replaced by its training mean and the drop in probability is
   * that input's contribution: one batch of columns + 4 extra windows.
   */
  score(window: readonly (readonly number[])[]): Reading {
    return this.explain(window).reading;
  }

  explain(window: readonly (readonly number[])[]): { reading: Reading; steps: { from: number; to: number; contribution: number }[] } {
    const { steps, scaler } = this.artifact;
    const width = this.columns.length;
    if (window.length < steps) throw new Error(`a window of ${window.length} rows; the failure model reads ${steps}`);
    const base = new Float32Array(steps * width);
    for (let s = 0; s < steps; s++) scaleRow(scaler, window[window.length - steps + s]!, base, s * width);
    const quarters = [0, 1, 2, 3].map((q) => ({ from: Math.floor((q * steps) / 4), to: Math.floor(((q + 1) * steps) / 4) }));
    const n = 1 + width + quarters.length;
    const x = new Float32Array(n * steps * width);
    for (let k = 0; k < n; k++) x.set(base, k * steps * width);
    for (let c = 0; c < width; c++) for (let s = 0; s < steps; s++) x[(1 + c) * steps * width + s * width + c] = 0;
    quarters.forEach((q, i) => x.fill(0, (1 + width + i) * steps * width + q.from * width, (1 + width + i) * steps * width + q.to * width));
    const p = predictBatches(this.network, x, n, steps, width).map((r) => calibrate(this.artifact.calibration, r));
    const score = p[0]!;
    const contributions = this.columns.map((feature, c) => ({ feature, deviation: score - p[1 + c]! }))
      .sort((a, b) => b.deviation - a.deviation).slice(0, 3);
    const type: AnomalyType = typeOf(contributions[0]?.feature);
    return {
      reading: { score, isAnomaly: score >= this.threshold, type, contributions },
      steps: quarters.map((q, i) => ({ from: q.from - steps, to: q.to - steps, contribution: score - p[1 + width + i]! })),
    };
  }

  toArtifact(): FailureArtifact { return this.artifact; }

  /** The same network alarming at another threshold (an operating point chosen on events, say). */
  withThreshold(threshold: number): FailureModel {
    if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], but was ${threshold}`);
    return new FailureModel({ ...this.artifact, threshold }, this.network);
  }
}

function shuffled(n: number, random: () => number): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function assemble(series: readonly LabelledSeries[], scaler: Scaler, steps: number): { x: Float32Array; y: Float32Array; n: number; positives: number } {
  const width = scaler.mean.length;
  const parts: Float32Array[] = [];
  const ys: number[] = [];
  for (const s of series) {
    if (s.labels.length !== s.rows.length) throw new Error(`a series has ${s.rows.length} rows but ${s.labels.length} labels`);
    const ends: number[] = [];
    for (let t = steps - 1; t < s.rows.length; t++) if (s.labels[t]! >= 0) { ends.push(t); ys.push(s.labels[t]! > 0 ? 1 : 0); }
    if (ends.length) parts.push(windowsAt(scaleSeries(scaler, s.rows), width, steps, ends));
  }
  const x = new Float32Array(ys.length * steps * width);
  let offset = 0;
  for (const part of parts) { x.set(part, offset); offset += part.length; }
  return { x, y: Float32Array.from(ys), n: ys.length, positives: ys.filter((y) => y > 0).length };
}

function predictBatches(network: tf.LayersModel, x: Float32Array, n: number, steps: number, width: number): Float32Array {
  const out = new Float32Array(n);
  for (let from = 0; from < n; from += PREDICT_BATCH) {
    const count = Math.min(PREDICT_BATCH, n - from);
    const values = tf.tidy(() => (network.predict(tf.tensor3d(x.subarray(from * steps * width, (from + count) * steps * width), [count, steps, width])) as tf.Tensor).dataSync());
    out.set(values, from);
  }
  return out;
}
