// Honest NAB figures for a detector whose constants were tuned on NAB: leave one category out.
// A threshold and detector constants chosen on the whole split score that split optimistically, and a
// threshold that suits one category but not another means the score does not mean the same on every
// series. So, for a grid of candidate constant sets and a grid of alert thresholds:
//  - every candidate's per-file scores are computed once (by the caller's `score`) and reduced to one
//    table: per threshold, per category, NAB's raw, null and perfect sums (nab.ts's scoreFile on the
//    detections that survive the hold-off at that threshold). Every question below is a sum over that
//    table, so thresholds and folds cost nothing more, and no score array outlives its candidate;
//  - fold k holds category k out: what scores best on the other categories (pooled and normalised as
//    NAB normalises a corpus) is chosen, then category k is scored with it. Category k's rows enter no
//    choice of its own fold (the unit test proves it with a synthetic corpus). Pooling the held-out raw
//    sums of all folds gives the corpus figure: every row scored by choices made without its category;
//  - per candidate, the folds choose only the threshold: the candidate whose held-out corpus figure is
//    best is the one cross-validation picks (as a grid search picks by cross-validated score);
//  - nested, the folds choose candidate and threshold together: an estimate of the whole procedure,
//    picking among the candidates included, on a category it never saw;
//  - per candidate on the whole split, its corpus-wide best threshold and each category's own best
//    threshold beside it: the gain says how far one threshold is from fitting every category.
// The hold-off is applied at each threshold (an alert that would not fire does not hold anything off),
// so a threshold here is exactly an alert level. A category without windows (artificialNoAnomaly) has
// no normalised score of its own (NAB divides by its windows); it counts through its false positives
// in every pooled figure, and they are reported.
import { holdOff, type HoldOffSpan } from './alert-hold-off.ts';
import { normalise, probationLength, scoreFile, STANDARD_PROFILE, type NabFile, type RawScore } from './nab.ts';

/** The sums of one category at one threshold, and its false positives (detections outside windows). */
export interface CategoryCell extends RawScore {
  falsePositives: number;
}

/** table[threshold index][category] for one candidate. */
export type ThresholdTable = Record<string, CategoryCell>[];

export interface CvSetup {
  files: NabFile[];
  /** The alert thresholds swept (a row alerts when its score >= the threshold). */
  thresholds: number[];
  /** Applied at each threshold, as `medic anomaly score --hold-off` applies it at its alert level. */
  holdOff?: HoldOffSpan;
  /** Each file's sample times in hours: required for a hold-off in hours. */
  hoursAt?: number[][];
}

export interface Fold {
  heldOut: string;
  /** Index of the candidate chosen on the other categories, and its threshold. */
  candidate: number;
  threshold: number;
  /** The other categories' pooled score at that choice (what it was chosen on). */
  trainScore: number;
  /** The held-out category's own normalised score (NaN without windows) and its false positives. */
  heldOutScore: number;
  heldOutFalsePositives: number;
}

export interface CategoryFit {
  /** Score at the corpus-wide threshold, the category's own best threshold and score there, the gain. */
  atCorpus: number;
  ownThreshold: number;
  ownBest: number;
  gain: number;
  falsePositives: number;
}

export interface CandidateFit {
  candidate: number;
  score: number;
  threshold: number;
  categories: Record<string, CategoryFit>;
  /** The largest gain over the categories that have windows. */
  worstGain: number;
}

/** Leave one category out: one fold per category, and the held-out figures they add up to. */
export interface Loco {
  folds: Fold[];
  /** The held-out raw sums of every fold pooled and normalised: every row scored by constants chosen without its category. */
  corpus: number;
  /** Mean of the held-out category scores (categories with windows). */
  mean: number;
}

export interface CvReport {
  categories: string[];
  /** Each fold chooses the candidate and the threshold on the other categories: the whole procedure, held out. */
  nested: Loco;
  /** Per candidate, each fold chooses only the threshold: how each constant set fares on unseen categories. */
  perCandidate: Loco[];
  /** The candidate with the best perCandidate corpus figure: the constants cross-validation picks. */
  chosen: number;
  /** Every candidate on the whole split (its corpus-wide threshold, and each category's own best). */
  fits: CandidateFit[];
}

/** One candidate's table: per threshold, per category, the NAB sums of its surviving detections. */
export function thresholdTable(setup: CvSetup, scores: ArrayLike<number>[], p = STANDARD_PROFILE): ThresholdTable {
  const { files, thresholds, holdOff: span, hoursAt } = setup;
  if (scores.length !== files.length) throw new Error(`cross-validation: ${scores.length} score arrays for ${files.length} files`);
  if (span && 'hours' in span && !hoursAt) throw new Error('cross-validation: a hold-off in hours needs hoursAt');
  return thresholds.map((threshold) => {
    const cells: Record<string, CategoryCell> = {};
    files.forEach((f, i) => {
      const alerts = Array.from(scores[i]!, (s) => s >= threshold);
      const detected = span ? holdOff(alerts, span, hoursAt?.[i]) : alerts;
      const raw = scoreFile(f, detected, p);
      const cell = (cells[f.category] ??= { raw: 0, nullScore: 0, perfect: 0, falsePositives: 0 });
      cell.raw += raw.raw;
      cell.nullScore += raw.nullScore;
      cell.perfect += raw.perfect;
      cell.falsePositives += countFalsePositives(f, detected);
    });
    return cells;
  });
}

/**
 * Leave one category out over `candidates`, each scored once by `score` (per file, in `setup.files`'
 * order). Ties go to the earlier candidate, then to the threshold nearest 0.5 (the alert level the
 * detector's own scale is built around), so a choice does not wander on a plateau.
 */
export function crossValidate<O>(setup: CvSetup, candidates: O[], score: (o: O) => ArrayLike<number>[], p = STANDARD_PROFILE): CvReport {
  if (candidates.length === 0) throw new Error('cross-validation: no candidates');
  const tables = candidates.map((o) => thresholdTable(setup, score(o), p));
  return crossValidateTables(setup.thresholds, tables);
}

/** The same from tables already computed (the cache: one per candidate). */
export function crossValidateTables(thresholds: number[], tables: ThresholdTable[]): CvReport {
  const categories = Object.keys(tables[0]![0] ?? {});
  const perCandidate = tables.map((table, candidate) => loco(thresholds, [table], categories, candidate));
  const chosen = perCandidate.reduce((best, r, i) => (r.corpus > perCandidate[best]!.corpus ? i : best), 0);
  return {
    categories,
    nested: loco(thresholds, tables, categories),
    perCandidate,
    chosen,
    fits: tables.map((table, candidate) => fitCandidate(thresholds, table, candidate)),
  };
}

// One fold per category: the choice (among `tables`) made on the other categories, applied to it.
function loco(thresholds: number[], tables: ThresholdTable[], categories: string[], offset = 0): Loco {
  const held: CategoryCell[] = [];
  const folds = categories.map((heldOut): Fold => {
    const { candidate, t, score } = argBest(thresholds, tables, categories.filter((c) => c !== heldOut));
    const cell = tables[candidate]![t]![heldOut]!;
    held.push(cell);
    return { heldOut, candidate: candidate + offset, threshold: thresholds[t]!, trainScore: score, heldOutScore: normalise([cell]), heldOutFalsePositives: cell.falsePositives };
  });
  const scored = folds.filter((f) => Number.isFinite(f.heldOutScore));
  return { folds, corpus: normalise(held), mean: scored.reduce((s, f) => s + f.heldOutScore, 0) / scored.length };
}

/** One candidate on the whole split: its corpus-best threshold, and each category's own best beside it. */
export function fitCandidate(thresholds: number[], table: ThresholdTable, candidate = 0): CandidateFit {
  const categories = Object.keys(table[0] ?? {});
  const { t, score } = argBest(thresholds, [table], categories);
  const fits: Record<string, CategoryFit> = {};
  let worstGain = 0;
  for (const c of categories) {
    const atCorpus = normalise([table[t]![c]!]);
    const own = argBest(thresholds, [table], [c]);
    const ownBest = normalise([table[own.t]![c]!]);
    const gain = ownBest - atCorpus;
    if (Number.isFinite(gain)) worstGain = Math.max(worstGain, gain);
    fits[c] = { atCorpus, ownThreshold: thresholds[own.t]!, ownBest, gain, falsePositives: table[t]![c]!.falsePositives };
  }
  return { candidate, score, threshold: thresholds[t]!, categories: fits, worstGain };
}

// The candidate and threshold with the best pooled score over `categories`. Pooling raw sums (not
// averaging category scores) is NAB's own normalisation, and lets a category without windows count
// through its false positives: on its own it has nothing to normalise by, so it is scored by its raw sum.
function argBest(thresholds: number[], tables: ThresholdTable[], categories: string[]): { candidate: number; t: number; score: number } {
  let best = { candidate: 0, t: 0, score: Number.NEGATIVE_INFINITY };
  tables.forEach((table, candidate) => {
    table.forEach((cells, t) => {
      const picked = categories.map((c) => cells[c]!);
      const normalised = normalise(picked);
      const score = Number.isFinite(normalised) ? normalised : picked.reduce((s, x) => s + x.raw, 0);
      const nearer = Math.abs(thresholds[t]! - 0.5) < Math.abs(thresholds[best.t]! - 0.5);
      if (score > best.score || (score === best.score && candidate === best.candidate && nearer)) best = { candidate, t, score };
    });
  });
  return best;
}

function countFalsePositives(file: NabFile, detected: ArrayLike<boolean>): number {
  const from = probationLength(file.values.length);
  let count = 0;
  let w = 0;
  for (let i = from; i < file.values.length; i++) {
    while (w < file.windows.length && file.windows[w]![1] < i) w++;
    const inside = w < file.windows.length && file.windows[w]![0] <= i;
    if (detected[i] && !inside) count++;
  }
  return count;
}
