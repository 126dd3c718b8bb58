// Isolation Forest (Liu, Ting and Zhou, 2008): each tree isolates points by random axis-aligned splits
// on a small subsample; anomalies are isolated in few splits. Medic's own implementation, because the
// npm package trains every tree on the whole data set (slow, and not the algorithm), has no seed and no
// save/load: here each tree sees a subsample of `sampleSize` (256) rows, trees stop at ceil(log2 ψ),
// path lengths are normalised by c(ψ), the PRNG is seeded, and trees are flat typed arrays that
// serialise to JSON.
import { seededRandom } from '../lib/random.ts';

export interface ForestOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
}

interface FlatTree {
  /** Split feature per node; -1 marks a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Training rows that reached a leaf (for its c(size) correction). */
  size: Int32Array;
  /** c(size) per node, computed once: scoring must not take a logarithm per point and tree. */
  correction: Float64Array;
}

function withCorrection(t: Omit<FlatTree, 'correction'>): FlatTree {
  return { ...t, correction: Float64Array.from(t.size, (n) => averagePathLength(n)) };
}

export interface SerializedForest {
  kind: 'medic-isolation-forest';
  version: 1;
  sampleSize: number;
  features: number;
  trees: { feature: number[]; threshold: number[]; left: number[]; right: number[]; size: number[] }[];
}

const EULER = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points: the normaliser c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

export class IsolationForest {
  private constructor(
    private readonly trees: FlatTree[],
    readonly sampleSize: number,
    readonly features: number,
  ) {}

  /** Fits on rows of equal length (already scaled as the caller wants). Deterministic for a seed. */
  static fit(rows: ArrayLike<number>[], o: ForestOptions = {}): IsolationForest {
    if (rows.length === 0) throw new Error('cannot fit an isolation forest on no rows');
    const features = rows[0]!.length;
    const nTrees = o.trees ?? 100;
    const psi = Math.min(o.sampleSize ?? 256, rows.length);
    const random = seededRandom(o.seed ?? 1);
    const heightLimit = Math.ceil(Math.log2(Math.max(psi, 2)));
    const indices = new Int32Array(rows.length);
    const trees: FlatTree[] = [];
    for (let t = 0; t < nTrees; t++) {
      // A subsample without replacement: a partial Fisher-Yates shuffle of the row indices.
      for (let i = 0; i < indices.length; i++) indices[i] = i;
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(random() * (indices.length - i));
        const tmp = indices[i]!;
        indices[i] = indices[j]!;
        indices[j] = tmp;
      }
      trees.push(buildTree(rows, indices.slice(0, psi), features, heightLimit, random));
    }
    return new IsolationForest(trees, psi, features);
  }

  /** Anomaly score in (0, 1]: about 0.5 and below for ordinary points, towards 1 for anomalies. */
  score(row: ArrayLike<number>): number {
    return this.scoreAll([row])[0]!;
  }

  private get normaliser(): number {
    return (this.cachedNormaliser ??= averagePathLength(this.sampleSize));
  }

  private cachedNormaliser: number | undefined;

  /** Scores many rows tree by tree: one small tree stays in cache while every row passes through it. */
  scoreAll(rows: ArrayLike<number>[]): Float64Array {
    const total = new Float64Array(rows.length);
    for (const t of this.trees) {
      const feature = t.feature;
      const threshold = t.threshold;
      const left = t.left;
      const right = t.right;
      const correction = t.correction;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        let node = 0;
        let depth = 0;
        let f = feature[0]!;
        while (f >= 0) {
          node = row[f]! < threshold[node]! ? left[node]! : right[node]!;
          f = feature[node]!;
          depth++;
        }
        total[i]! += depth + correction[node]!;
      }
    }
    const n = this.trees.length;
    const c = this.normaliser;
    for (let i = 0; i < total.length; i++) total[i] = 2 ** (-(total[i]! / n) / c);
    return total;
  }

  toJSON(): SerializedForest {
    return {
      kind: 'medic-isolation-forest', version: 1, sampleSize: this.sampleSize, features: this.features,
      trees: this.trees.map((t) => ({ feature: [...t.feature], threshold: [...t.threshold], left: [...t.left], right: [...t.right], size: [...t.size] })),
    };
  }

  static fromJSON(s: SerializedForest): IsolationForest {
    if (s.kind !== 'medic-isolation-forest' || s.version !== 1) throw new Error(`not a Medic isolation forest (kind ${String(s.kind)}, version ${String(s.version)})`);
    const trees = s.trees.map((t) => withCorrection({
      feature: Int32Array.from(t.feature), threshold: Float64Array.from(t.threshold), left: Int32Array.from(t.left), right: Int32Array.from(t.right), size: Int32Array.from(t.size),
    }));
    return new IsolationForest(trees, s.sampleSize, s.features);
  }
}

function buildTree(rows: ArrayLike<number>[], sample: Int32Array, features: number, heightLimit: number, random: () => number): FlatTree {
  const capacity = 2 * sample.length;
  const feature = new Int32Array(capacity).fill(-1);
  const threshold = new Float64Array(capacity);
  const left = new Int32Array(capacity);
  const right = new Int32Array(capacity);
  const size = new Int32Array(capacity);
  let next = 0;
  const mins = new Float64Array(features);
  const maxs = new Float64Array(features);
  const candidates: number[] = [];

  const grow = (idx: Int32Array, depth: number): number => {
    const node = next++;
    size[node] = idx.length;
    if (depth >= heightLimit || idx.length <= 1) return node;
    mins.fill(Infinity);
    maxs.fill(-Infinity);
    for (const i of idx) {
      const r = rows[i]!;
      for (let f = 0; f < features; f++) {
        const v = r[f]!;
        if (v < mins[f]!) mins[f] = v;
        if (v > maxs[f]!) maxs[f] = v;
      }
    }
    candidates.length = 0;
    for (let f = 0; f < features; f++) if (maxs[f]! > mins[f]!) candidates.push(f);
    if (candidates.length === 0) return node; // all equal: nothing left to isolate
    const f = candidates[Math.floor(random() * candidates.length)]!;
    const split = mins[f]! + random() * (maxs[f]! - mins[f]!);
    let nLeft = 0;
    for (const i of idx) if (rows[i]![f]! < split) nLeft++;
    const l = new Int32Array(nLeft);
    const r = new Int32Array(idx.length - nLeft);
    let a = 0;
    let b = 0;
    for (const i of idx) {
      if (rows[i]![f]! < split) l[a++] = i;
      else r[b++] = i;
    }
    feature[node] = f;
    threshold[node] = split;
    left[node] = grow(l, depth + 1);
    right[node] = grow(r, depth + 1);
    return node;
  };
  grow(sample, 0);
  return withCorrection({ feature: feature.slice(0, next), threshold: threshold.slice(0, next), left: left.slice(0, next), right: right.slice(0, next), size: size.slice(0, next) });
}
