// Leave one category out: a held-out category never takes part in its own choice, the hold-off is applied
// at each threshold, and the whole-split figures agree with nab.ts's own sweep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { bestNabScore, type NabFile } from '../../training/evaluation/nab.ts';
import { crossValidate, fitCandidate, thresholdTable } from '../../training/evaluation/nab-cross-validation.ts';

const N = 1000;
const file = (category: string, name: string, windows: [number, number][]): NabFile => ({
  name, category, timestamps: Array.from({ length: N }, (_, i) => String(i)), values: new Array<number>(N).fill(0), windows,
});

// Three categories of two files, one window each. A candidate is a seed and a level: its scores are
// noise below `level`, and each window's first rows reach `level + 0.1`.
const corpus = ['a', 'b', 'c'].flatMap((c) => [file(c, `${c}1.csv`, [[400, 449]]), file(c, `${c}2.csv`, [[600, 649]])]);
type Candidate = { seed: number; level: number };
function scores(files: NabFile[], o: Candidate, heights: Record<string, number> = {}): Float64Array[] {
  return files.map((f, k) => {
    const random = seededRandom(o.seed * 100 + k);
    const s = Float64Array.from({ length: N }, () => random() * o.level);
    for (const [a] of f.windows) for (let i = a; i < a + 5; i++) s[i] = heights[f.category] ?? o.level + 0.1;
    return s;
  });
}
const thresholds = Array.from({ length: 21 }, (_, k) => k / 20);
const candidates: Candidate[] = [{ seed: 1, level: 0.4 }, { seed: 2, level: 0.6 }, { seed: 3, level: 0.8 }];

describe('NAB leave-one-category-out', () => {
  it("never lets the held-out category influence its own fold: rewriting its scores and labels changes nothing there", () => {
    const base = crossValidate({ files: corpus, thresholds }, candidates, (o) => scores(corpus, o));
    for (const held of ['a', 'b', 'c']) {
      // The held-out category's windows move and its scores become noise that favours another candidate.
      const files = corpus.map((f) => (f.category === held ? { ...f, windows: [[100 + f.name.length * 50, 199 + f.name.length * 50]] as [number, number][] } : f));
      const r = crossValidate({ files, thresholds }, candidates, (o) => scores(files, o).map((s, k) => (files[k]!.category === held ? Float64Array.from(s, (_, i) => (i * 7919 * (o.seed + 1)) % 1000 / 1000) : s)));
      const fold = (x: typeof r) => x.nested.folds.find((f) => f.heldOut === held)!;
      assert.deepEqual({ ...fold(r), heldOutScore: 0, heldOutFalsePositives: 0 }, { ...fold(base), heldOutScore: 0, heldOutFalsePositives: 0 }, `fold ${held}: the same choice`);
      assert.notEqual(fold(r).heldOutScore, fold(base).heldOutScore, `fold ${held}: scored on its new rows`);
      assert.ok(r.nested.folds.some((f) => f.heldOut !== held && (f.trainScore !== base.nested.folds.find((g) => g.heldOut === f.heldOut)!.trainScore)), 'the other folds see the change');
    }
  });

  it('does not pick, for a held-out category, the constants that only suit that category', () => {
    // Candidate 1's windows stand out only in category c (0.9 over noise up to 0.6); elsewhere they sit
    // inside the noise. Candidate 0 is good everywhere but best on c.
    const two: Candidate[] = [{ seed: 1, level: 0.4 }, { seed: 2, level: 0.6 }];
    const r = crossValidate({ files: corpus, thresholds }, two, (o) => (o.seed === 2 ? scores(corpus, o, { a: 0.3, b: 0.3, c: 0.9 }) : scores(corpus, o)));
    for (const f of r.nested.folds) assert.equal(f.candidate, 0, `fold ${f.heldOut}`);
    assert.ok(r.perCandidate[0]!.corpus > r.perCandidate[1]!.corpus);
    assert.equal(r.chosen, 0);
  });

  it('applies the hold-off at each threshold, and counts the false positives that survive it', () => {
    const f = file('a', 'a.csv', [[800, 849]]);
    const s = new Float64Array(N);
    for (let i = 300; i < 310; i++) s[i] = 0.7; // one burst of ten rows outside the window
    s[805] = 0.9;
    const hoursAt = [Array.from({ length: N }, (_, i) => i / 12)]; // 5-minute rows
    const table = thresholdTable({ files: [f], thresholds: [0.5, 0.8], holdOff: { hours: 1 }, hoursAt }, [s]);
    assert.equal(table[0]!.a!.falsePositives, 1, 'the burst alerts once');
    assert.equal(thresholdTable({ files: [f], thresholds: [0.5] }, [s])[0]!.a!.falsePositives, 10, 'without a hold-off, ten times');
    assert.equal(table[1]!.a!.falsePositives, 0);
    const fit = fitCandidate([0.5, 0.8], table);
    assert.equal(fit.threshold, 0.8, 'the threshold above the burst scores best');
  });

  it("agrees with nab.ts's sweep when every score is a threshold, and reports each category's own best beside it", () => {
    // Category a is quieter than b and c (noise up to 0.3, not 0.6) and its windows reach only 0.4: the
    // corpus threshold, above b's and c's noise, misses them. Scores on a 0.01 grid keep the sweep short.
    const s = scores(corpus, { seed: 5, level: 0.6 }, { a: 0.4, b: 0.7, c: 0.7 }).map((x, k) =>
      Float64Array.from(x, (v) => Math.round((corpus[k]!.category === 'a' && v !== 0.4 ? v / 2 : v) * 100) / 100));
    const all = [...new Set(s.flatMap((x) => Array.from(x)))].sort((x, y) => x - y);
    const fit = fitCandidate(all, thresholdTable({ files: corpus, thresholds: all }, s));
    const nab = bestNabScore(corpus, s);
    assert.ok(Math.abs(fit.score - nab.score) < 1e-9, `${fit.score} vs ${nab.score}`);
    for (const c of ['a', 'b', 'c']) {
      const own = bestNabScore(corpus.filter((f) => f.category === c), s.filter((_, k) => corpus[k]!.category === c));
      assert.ok(Math.abs(fit.categories[c]!.ownBest - own.score) < 1e-9, `${c}: own best ${fit.categories[c]!.ownBest} vs ${own.score}`);
      assert.ok(Math.abs(fit.categories[c]!.gain - (own.score - fit.categories[c]!.atCorpus)) < 1e-9);
    }
    assert.equal(fit.worstGain, Math.max(...['a', 'b', 'c'].map((c) => fit.categories[c]!.gain)));
    assert.ok(fit.threshold > 0.6 && fit.categories.a!.gain > 50, `category a would rather have its own threshold (${fit.categories.a!.ownThreshold}, +${fit.categories.a!.gain})`);
    assert.ok(fit.categories.b!.gain < 1e-9 && fit.categories.c!.gain < 1e-9);
  });
});
