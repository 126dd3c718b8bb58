// The failure model's network, as the design draws it by default: LSTM 128 → dropout 0.2 → LSTM 64 →
// dropout 0.2 → LSTM 32 → dense 16 relu → dense 1 sigmoid, Adam, binary cross-entropy. Sizes are
// configurable (`units`, `dense`): bench:lstm reports the design's and the shipped default side by side.
import { tf } from './tf-backend.ts';

export interface Architecture {
  /** LSTM layer sizes, first to last (the design: [128, 64, 32]). */
  units: number[];
  /** The relu layer before the output (the design: 16). */
  dense: number;
  /** Dropout between LSTM layers (the design: 0.2). */
  dropout: number;
}

export const DESIGN_ARCHITECTURE: Architecture = { units: [128, 64, 32], dense: 16, dropout: 0.2 };

export function architectureProblems(a: Architecture): string[] {
  const problems: string[] = [];
  if (!Array.isArray(a.units) || a.units.length === 0 || !a.units.every((u) => Number.isInteger(u) && u >= 1 && u <= 1024)) problems.push(`units must be 1 to 1024 per LSTM layer, at least one layer, but were ${JSON.stringify(a.units)}`);
  if (!(Number.isInteger(a.dense) && a.dense >= 1 && a.dense <= 1024)) problems.push(`dense must be an integer in [1, 1024], but was ${a.dense}`);
  if (!(a.dropout >= 0 && a.dropout < 1)) problems.push(`dropout must be in [0, 1), but was ${a.dropout}`);
  return problems;
}

/** A compiled network for [batch, steps, features] inputs; `seed` fixes the initial weights. */
export function buildNetwork(a: Architecture, steps: number, features: number, seed = 1, learningRate = 1e-3): tf.LayersModel {
  const problems = architectureProblems(a);
  if (problems.length) throw new Error(`failure model architecture: ${problems.join('; ')}`);
  const model = tf.sequential();
  a.units.forEach((units, i) => {
    const last = i === a.units.length - 1;
    model.add(tf.layers.lstm({
      units, returnSequences: !last,
      // Glorot for the recurrent kernel too: tfjs' default orthogonal initializer is slow on big
      // matrices (it warns) and its random stream is not seedable.
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 100 + i }),
      ...(i === 0 ? { inputShape: [steps, features] } : {}),
    }));
    if (!last && a.dropout > 0) model.add(tf.layers.dropout({ rate: a.dropout, seed: seed + 200 + i }));
  });
  model.add(tf.layers.dense({ units: a.dense, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 300 }) }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 301 }) }));
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'binaryCrossentropy' });
  return model;
}

/** The weights as plain arrays (the artifact), in the network's order. */
export function exportWeights(model: tf.LayersModel): { shape: number[]; data: string }[] {
  return model.getWeights().map((w) => ({ shape: w.shape, data: Buffer.from((w.dataSync() as Float32Array).buffer.slice(0)).toString('base64') }));
}

export function importWeights(model: tf.LayersModel, weights: readonly { shape: number[]; data: string }[]): void {
  const expected = model.getWeights();
  if (weights.length !== expected.length) throw new Error(`the artifact has ${weights.length} weight tensors, the architecture needs ${expected.length}`);
  const tensors = weights.map((w, i) => {
    const want = expected[i]!.shape;
    if (w.shape.join('x') !== want.join('x')) throw new Error(`weight ${i} has shape ${w.shape.join('x')}, the architecture needs ${want.join('x')}`);
    const bytes = Buffer.from(w.data, 'base64');
    if (bytes.length !== want.reduce((a, b) => a * b, 1) * 4) throw new Error(`weight ${i} holds ${bytes.length} bytes, not ${want.join('x')} float32 values`);
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice();
    if (!values.every(Number.isFinite)) throw new Error(`weight ${i} holds a value that is not finite`);
    return tf.tensor(values, want);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}
