import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { seededRandom } from '../../lib/random.ts';
import { averagePathLength, IsolationForest } from '../../models/isolation-forest.ts';

/** Gaussian rows (Box-Muller) and a few far outliers at the end. */
function dataset(n: number, outliers: number, dims: number, seed: number): { rows: number[][]; labels: number[] } {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from({ length: dims }, gauss));
  for (let i = 0; i < outliers; i++) rows.push(Array.from({ length: dims }, () => (random() < 0.5 ? -1 : 1) * (4 + 2 * random())));
  return { rows, labels: [...Array<number>(n).fill(0), ...Array<number>(outliers).fill(1)] };
}

export function rocAuc(scores: ArrayLike<number>, labels: number[]): number {
  const idx = labels.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  idx.forEach((i, r) => {
    if (labels[i] === 1) rankSum += r + 1;
  });
  const pos = labels.filter((l) => l === 1).length;
  const neg = labels.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (x: ArrayLike<number>) => {
    const order = Array.from(x, (v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(x.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, v, i) => s + (v - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('IsolationForest', () => {
  it('normalises by c(n) as the paper defines it', () => {
    assert.equal(averagePathLength(1), 0);
    assert.equal(averagePathLength(2), 1);
    assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-3);
  });

  it('ranks injected outliers above ordinary points (ROC-AUC > 0.97)', () => {
    const { rows, labels } = dataset(3000, 60, 6, 11);
    const forest = IsolationForest.fit(rows, { seed: 3 });
    const scores = forest.scoreAll(rows);
    assert.ok(rocAuc(scores, labels) > 0.97, `AUC ${rocAuc(scores, labels)}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(Array.from(scores.slice(3000))) > 0.6);
    assert.ok(mean(Array.from(scores.slice(0, 3000))) < 0.5);
  });

  it('is reproducible with a seed, and a different seed grows different trees', () => {
    const { rows } = dataset(500, 10, 4, 5);
    const a = IsolationForest.fit(rows, { seed: 7 }).scoreAll(rows);
    const b = IsolationForest.fit(rows, { seed: 7 }).scoreAll(rows);
    const c = IsolationForest.fit(rows, { seed: 8 }).scoreAll(rows);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('gives the same scores after a JSON round trip', () => {
    const { rows } = dataset(400, 10, 3, 9);
    const forest = IsolationForest.fit(rows, { seed: 1, trees: 50 });
    const again = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
    assert.deepEqual(again.scoreAll(rows), forest.scoreAll(rows));
    assert.throws(() => IsolationForest.fromJSON({ ...forest.toJSON(), kind: 'other' as 'medic-isolation-forest' }), /not a Medic isolation forest/);
  });

  it('agrees in ranking with ml-isolation-forest on the same data (Spearman > 0.8)', () => {
    const { rows } = dataset(800, 20, 4, 21);
    const ours = IsolationForest.fit(rows, { seed: 2 }).scoreAll(rows);
    // A new instance per fit: calling train() twice on one appends trees that predict() never reads.
    const theirs = new MlIsolationForest({ nEstimators: 50 });
    theirs.train(rows);
    const rho = spearman(ours, theirs.predict(rows));
    assert.ok(rho > 0.8, `Spearman ${rho}`);
  });

  it('isolates nothing in constant data: every point scores alike', () => {
    const rows = Array.from({ length: 100 }, () => [1, 2, 3]);
    const scores = IsolationForest.fit(rows, { seed: 1 }).scoreAll(rows);
    assert.equal(new Set(scores).size, 1);
  });
});
