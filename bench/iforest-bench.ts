// npm run bench:iforest: Medic's Isolation Forest, ml-isolation-forest and scikit-learn's
// IsolationForest (Debian's python3-sklearn, n_estimators=100, max_samples='auto') on the same generated
// CSV (50,000 × 10, with injected outliers), in one run: fit time, score time, ROC-AUC. A measurement.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { seededRandom } from '../lib/random.ts';
import { IsolationForest } from '../models/isolation-forest.ts';
import { rocAuc } from '../training/evaluation/detection-metrics.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '50000' }, 'skip-ml': { type: 'boolean' }, python: { type: 'string', default: '/usr/bin/python3' } } });
const N = Number(values.rows);
const DIMS = 10;
const OUTLIERS = Math.round(N * 0.01);

const random = seededRandom(42);
const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
const rows: number[][] = [];
const labels: number[] = [];
for (let i = 0; i < N; i++) {
  const outlier = i % Math.round(N / OUTLIERS) === 0;
  // Outliers stray on three of the ten features only, by about 2.5σ: found, but not trivially.
  const shifted = new Set([Math.floor(random() * DIMS), Math.floor(random() * DIMS), Math.floor(random() * DIMS)]);
  rows.push(Array.from({ length: DIMS }, (_, d) => gauss() + (outlier && shifted.has(d) ? (random() < 0.5 ? -2.5 : 2.5) : 0)));
  labels.push(outlier ? 1 : 0);
}
const dir = mkdtempSync(join(tmpdir(), 'medic-iforest-'));
writeFileSync(join(dir, 'data.csv'), rows.map((r) => r.map((v) => v.toFixed(6)).join(',')).join('\n'));
console.log(`bench:iforest: ${N} rows × ${DIMS} features, ${labels.filter(Boolean).length} injected outliers, 100 trees each`);

function time<T>(fn: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

const results: { name: string; fitMs: number; scoreMs: number; auc: number }[] = [];
{
  const [forest, fitMs] = time(() => IsolationForest.fit(rows, { trees: 100, sampleSize: 256, seed: 1 }));
  const [scores, scoreMs] = time(() => forest.scoreAll(rows));
  results.push({ name: 'medic', fitMs, scoreMs, auc: rocAuc(scores, labels) });
}
{
  const script = `
import sys, time, numpy as np
from sklearn.ensemble import IsolationForest
X = np.loadtxt(sys.argv[1], delimiter=',')
t = time.perf_counter(); m = IsolationForest(n_estimators=100, max_samples='auto', random_state=1).fit(X); fit = time.perf_counter() - t
t = time.perf_counter(); s = -m.score_samples(X); score = time.perf_counter() - t
np.savetxt(sys.argv[2], s)
print(f"{fit*1000:.1f} {score*1000:.1f}")
`;
  writeFileSync(join(dir, 'sk.py'), script);
  try {
    const out = execFileSync(values.python!, [join(dir, 'sk.py'), join(dir, 'data.csv'), join(dir, 'sk-scores.txt')], { encoding: 'utf8' }).trim().split(' ');
    const { readFileSync } = await import('node:fs');
    const scores = readFileSync(join(dir, 'sk-scores.txt'), 'utf8').trim().split('\n').map(Number);
    results.push({ name: 'scikit-learn', fitMs: Number(out[0]), scoreMs: Number(out[1]), auc: rocAuc(scores, labels) });
  } catch (err) {
    console.log(`scikit-learn skipped: ${(err as Error).message.split('\n')[0]} (apt-get install python3-sklearn; --python PATH)`);
  }
}
if (!values['skip-ml']) {
  const ml = new MlIsolationForest({ nEstimators: 100 });
  const [, fitMs] = time(() => ml.train(rows));
  const [scores, scoreMs] = time(() => ml.predict(rows));
  results.push({ name: 'ml-isolation-forest', fitMs, scoreMs, auc: rocAuc(scores, labels) });
}

console.log('\nimplementation         fit ms   score ms   total ms   ROC-AUC');
for (const r of results) console.log(`${r.name.padEnd(20)} ${r.fitMs.toFixed(0).padStart(8)} ${r.scoreMs.toFixed(0).padStart(10)} ${(r.fitMs + r.scoreMs).toFixed(0).padStart(10)} ${r.auc.toFixed(4).padStart(9)}`);
const medic = results.find((r) => r.name === 'medic')!;
const sk = results.find((r) => r.name === 'scikit-learn');
if (sk) {
  console.log(`\nmedic vs scikit-learn: ${((sk.fitMs + sk.scoreMs) / (medic.fitMs + medic.scoreMs)).toFixed(1)}× faster (fit + score), ROC-AUC difference ${(medic.auc - sk.auc).toFixed(4)} (target: ≥ 3× faster, within 0.01)`);
}
