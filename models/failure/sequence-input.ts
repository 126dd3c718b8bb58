// What the failure model reads, ONE module for training and serving: each of the last `steps` rows,
// scaled by the training scaler (models/scaler.ts) and clipped to ±CLIP, row after row. Scaled values,
// not hand-made temporal features: the LSTM's job is to learn the dynamics (a leak's slope, a queue's
// build-up) from the sequence itself. Non-finite values (a gap preprocessing could not fill) read as
// the training mean, 0 after scaling, so one missing sample does not look like a failure.
import type { Scaler } from '../scaler.ts';

/** Scaled values beyond this many training standard deviations are clipped (an outage reads 10σ, not 1e6σ). */
export const CLIP = 10;

/** One scaled, clipped row. */
export function scaleRow(s: Scaler, row: ArrayLike<number>, out: Float32Array, offset: number): void {
  for (let c = 0; c < s.mean.length; c++) {
    const v = row[c]!;
    const z = Number.isFinite(v) ? (v - s.mean[c]!) / s.std[c]! : 0;
    out[offset + c] = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
  }
}

/** Every row of a series scaled once (training reads many overlapping windows of it). */
export function scaleSeries(s: Scaler, rows: readonly ArrayLike<number>[]): Float32Array {
  const width = s.mean.length;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, t) => scaleRow(s, r, out, t * width));
  return out;
}

/**
 * Windows of `steps` rows ending at each row of `ends`, as one [ends.length, steps, width] buffer. Row t's
 * window is rows t−steps+1 … t of the scaled series (the past only); `ends` must be ≥ steps − 1.
 */
export function windowsAt(scaled: Float32Array, width: number, steps: number, ends: readonly number[]): Float32Array {
  const out = new Float32Array(ends.length * steps * width);
  ends.forEach((t, i) => {
    if (t < steps - 1 || (t + 1) * width > scaled.length) throw new Error(`window ending at row ${t} needs rows ${t - steps + 1}..${t}, which this series does not have`);
    out.set(scaled.subarray((t - steps + 1) * width, (t + 1) * width), i * steps * width);
  });
  return out;
}
