// The anomaly model's artifact (model.json): what it holds and the checks that refuse a damaged one, so
// a model that loads can score (a truncated or hand-edited artifact is refused at load, not at 3 a.m.).
import { featureNames } from './features.ts';
import type { SerializedForest } from './isolation-forest.ts';
import type { Scaler } from './scaler.ts';
import { scorerProblems, type SerializedScorer } from './calibrated-scorer.ts';

export interface AnomalyArtifact {
  kind: 'medic-anomaly-model';
  featureSchemaVersion: number;
  columns: string[];
  featureNames: string[];
  /** The feature window, in samples. */
  window: number;
  scaler: Scaler;
  forest: SerializedForest;
  /** The calibrated score at the alarm budget's false-alarm rate (scorer.budget). */
  threshold: number;
  /** The forest's training parameter: the share of training rows above `forestThreshold`. Not the alarm rate. */
  contamination: number;
  /** The forest's own raw-score cut at `contamination`, recorded for comparison; alarms use `threshold`. */
  forestThreshold?: number;
  /** The calibrated combination of the forest and the nearest healthy state (models/calibrated-scorer.ts). */
  scorer: SerializedScorer;
  training: { rows: number; seed: number; trees: number };
  /**
   * How the training rows were sampled from Prometheus (absent for CSV input): serving queries with the
   * same step and rate window, or the temporal features would mean something else.
   */
  sampling?: { stepSeconds: number; rateWindow: string };
  /**
   * How gaps in the training rows were filled (models/preprocessing.ts): serving fills live gaps the
   * same way. Absent in artifacts from before it was recorded, which were prepared with the default.
   */
  preprocessing?: { fillLimit: number };
}

export function artifactProblems(a: AnomalyArtifact): string[] {
  const problems: string[] = [];
  if (!Array.isArray(a.columns) || a.columns.length === 0 || !a.columns.every((c) => typeof c === 'string')) return ['columns must be a non-empty list of names'];
  const names = featureNames(a.columns);
  if (!Array.isArray(a.featureNames) || a.featureNames.join('\u0000') !== names.join('\u0000')) problems.push('featureNames do not match the columns under this feature schema');
  if (!Number.isInteger(a.window) || a.window < 2) problems.push(`window must be an integer >= 2, but was ${String(a.window)}`);
  const finite = (xs: unknown) => Array.isArray(xs) && xs.length === names.length && xs.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!a.scaler || !finite(a.scaler.mean) || !finite(a.scaler.std)) problems.push(`scaler must hold ${names.length} finite means and standard deviations`);
  if (!(typeof a.threshold === 'number' && a.threshold >= 0 && a.threshold <= 1)) problems.push(`threshold must be in [0, 1], but was ${String(a.threshold)}`);
  if (!a.forest || a.forest.features !== names.length || !Array.isArray(a.forest.trees) || a.forest.trees.length === 0) problems.push(`forest must hold trees over ${names.length} features`);
  else if (a.forest.trees.some((t) => !t || !Array.isArray(t.feature) || [t.threshold, t.left, t.right, t.size].some((xs) => !Array.isArray(xs) || xs.length !== t.feature.length) || t.feature.some((f) => f >= names.length) || t.left.some((i) => i >= t.feature.length) || t.right.some((i) => i >= t.feature.length))) problems.push('a tree of the forest is malformed (arrays of unequal length or indices out of range)');
  problems.push(...scorerProblems(a.scorer, names.length));
  if (a.sampling && !(a.sampling.stepSeconds > 0 && typeof a.sampling.rateWindow === 'string')) problems.push('sampling must give a positive stepSeconds and a rateWindow');
  if (a.preprocessing && !(Number.isInteger(a.preprocessing.fillLimit) && a.preprocessing.fillLimit >= 0)) problems.push(`preprocessing.fillLimit must be an integer >= 0, but was ${String(a.preprocessing.fillLimit)}`);
  return problems;
}
