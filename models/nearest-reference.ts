// Distance to the nearest healthy state: a reference set of training feature rows (scaled), and for a
// reading the Euclidean distance to its nearest row. It sees what the forest dilutes: one feature far
// outside its training range puts a reading far from EVERY reference row, however many trees never
// split on that feature. And the per-feature gaps to that nearest row explain the reading: the feature
// that differs most from the closest healthy state is the one to look at.
//
// Scaled values are clipped at ±CLIP standard deviations for the distance only: past that, "how much
// further" says nothing about ranking, and one huge feature would otherwise hide every other.

export const CLIP = 50;

export interface SerializedReference {
  /** Feature columns per row. */
  width: number;
  /** Row-major scaled feature rows, rounded to 0.001 σ. */
  data: number[];
  /** Each row's position in the training rows (to leave a row's own neighbourhood out when calibrating). */
  positions?: number[];
}

const clip = (x: number) => (x > CLIP ? CLIP : x < -CLIP ? -CLIP : x);

/** Every `stride`-th row so that at most `max` rows are kept, evenly spread over the training rows. */
export function chooseReference(rows: readonly Float64Array[], max: number): SerializedReference {
  if (rows.length === 0) throw new Error('no rows for a reference set');
  if (!(Number.isInteger(max) && max >= 1)) throw new Error(`reference rows must be a positive integer, but was ${max}`);
  const width = rows[0]!.length;
  const stride = Math.max(1, Math.ceil(rows.length / max));
  const data: number[] = [];
  const positions: number[] = [];
  for (let i = 0; i < rows.length; i += stride) {
    positions.push(i);
    for (let c = 0; c < width; c++) data.push(Math.round(clip(rows[i]![c]!) * 1000) / 1000);
  }
  return { width, data, positions };
}

export class NearestReference {
  private readonly data: Float64Array;
  readonly rows: number;

  constructor(private readonly r: SerializedReference) {
    this.data = Float64Array.from(r.data);
    this.rows = r.data.length / r.width;
  }

  /**
   * The nearest reference row to `scaled` (a scaled feature row) and the distance to it. With `exclude`,
   * rows whose training position is within `exclude.radius` of `exclude.position` are skipped: a
   * training row's distance as a reading of the same series LATER would be (its own window is not there).
   */
  nearest(scaled: ArrayLike<number>, exclude?: { position: number; radius: number }): { index: number; distance: number } {
    const w = this.r.width;
    const q = Float64Array.from({ length: w }, (_, c) => clip(scaled[c]!));
    let best = Number.POSITIVE_INFINITY;
    let index = -1;
    for (let m = 0; m < this.rows; m++) {
      if (exclude && this.r.positions && Math.abs(this.r.positions[m]! - exclude.position) <= exclude.radius) continue;
      const base = m * w;
      let d = 0;
      // Partial distance: stop adding once this row cannot be the nearest.
      for (let c = 0; c < w && d < best; c++) {
        const e = q[c]! - this.data[base + c]!;
        d += e * e;
      }
      if (d < best) (best = d), (index = m);
    }
    return { index, distance: Math.sqrt(best) };
  }

  /** |scaled − reference row| per feature, unclipped on the reading's side: how far, in σ, each feature is. */
  gaps(scaled: ArrayLike<number>, index: number): Float64Array {
    const w = this.r.width;
    return Float64Array.from({ length: w }, (_, c) => Math.abs(scaled[c]! - this.data[index * w + c]!));
  }

  /** The reference without the positions (serving does not need them). */
  toJSON(): SerializedReference {
    return { width: this.r.width, data: this.r.data };
  }
}

export function referenceProblems(r: unknown, width: number): string[] {
  const x = r as Partial<SerializedReference> | undefined;
  if (!x || x.width !== width || !Array.isArray(x.data) || x.data.length === 0 || x.data.length % width !== 0) return [`reference must hold rows of ${width} features`];
  return x.data.every((v) => typeof v === 'number' && Number.isFinite(v)) ? [] : ['reference holds a value that is not a finite number'];
}
