// The anomaly model: features (features.ts) → standard scaling → Isolation Forest → a score in [0, 1],
// a threshold from the contamination setting, and an explanation: which features deviate most, mapped
// to the anomaly type the remediation rules select on. Serialises to a JSON artifact that names its
// feature schema; an artifact for another schema is refused with a clear message.
import { extractFeatures, extractLatest, featureNames, FEATURE_SCHEMA_VERSION, type FeatureOptions } from './features.ts';
import { warmupRows } from './signal-queries.ts';
import { IsolationForest, type SerializedForest } from './isolation-forest.ts';
import { MlForest } from './ml-forest.ts';
import { checkFillLimit, DEFAULT_FILL_LIMIT } from './preprocessing.ts';
import type { Detector, Reading } from './detector.ts';
import { fitScaler, scale, type Scaler } from './scaler.ts';

/** Medic's own forest (the default, publishable) or ml-isolation-forest (backtests and cross-checks only). */
export const FOREST_IMPLEMENTATIONS = ['medic', 'ml-isolation-forest'] as const;
export type ForestImplementation = (typeof FOREST_IMPLEMENTATIONS)[number];

interface Forest {
  score(row: ArrayLike<number>): number;
  scoreAll(rows: readonly ArrayLike<number>[]): Float64Array;
}

export const ANOMALY_TYPES = ['resource_exhaustion', 'latency_degradation', 'error_burst', 'traffic_anomaly', 'dependency_failure', 'unknown'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface TrainOptions extends FeatureOptions {
  contamination?: number;
  sampling?: AnomalyArtifact['sampling'];
  /** The forward-fill limit the training rows were prepared with (models/preprocessing.ts). */
  fillLimit?: number;
  implementation?: ForestImplementation;
  trees?: number;
  sampleSize?: number;
  seed?: number;
}

export interface AnomalyArtifact {
  kind: 'medic-anomaly-model';
  featureSchemaVersion: number;
  columns: string[];
  featureNames: string[];
  window: number;
  scaler: Scaler;
  forest: SerializedForest;
  threshold: number;
  contamination: number;
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

/** A reading of the forest kind: `contributions` are the features that deviate most from training (|scaled value|). */
export type AnomalyScore = Reading;

// delta reads the sample before the newest: a window of one would make serving differ from training.
function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 2) throw new Error(`window must be an integer >= 2, but was ${window}`);
}

/** Rows at the start of each series that serving would not score: a partial window, and the rate warm-up. */
export function trainingSkip(o: { window: number; sampling?: AnomalyArtifact['sampling'] }): number {
  return o.window - 1 + (o.sampling ? warmupRows(o.sampling) : 0);
}

export class AnomalyModel implements Detector {
  /** Its kind in models/detectors/index.ts. */
  readonly kind = 'forest';

  private constructor(
    private readonly a: AnomalyArtifact,
    private readonly forest: Forest,
    readonly implementation: ForestImplementation = 'medic',
  ) {}

  /** Fits on every row of one series, the first ones included (backtests score those rows too). */
  static train(rows: readonly ArrayLike<number>[], columns: string[], o: TrainOptions): AnomalyModel {
    if (rows.length < 2) throw new Error(`need at least 2 rows to train, got ${rows.length}`);
    checkWindow(o.window);
    return AnomalyModel.fit(extractFeatures(rows, o), columns, o);
  }

  /**
   * Fits on several series (an agent type's agents), as serving sees them: each series' features come from
   * its own rows only, and its first rows, whose window is not yet full (nor, with a sampling, its rate
   * window), are left out, because serving does not score an agent that young (models/signal-queries.ts).
   */
  static trainSeries(series: readonly (readonly ArrayLike<number>[])[], columns: string[], o: TrainOptions): AnomalyModel {
    checkWindow(o.window);
    const skip = trainingSkip(o);
    const vectors = series.flatMap((rows) => extractFeatures(rows, o).slice(skip));
    if (vectors.length < 2) {
      throw new Error(`need at least 2 rows to train after each series' first ${skip} (window ${o.window}${o.sampling ? ` and rate warm-up` : ''}), got ${vectors.length} from ${series.length} series`);
    }
    return AnomalyModel.fit(vectors, columns, o);
  }

  private static fit(vectors: Float64Array[], columns: string[], o: TrainOptions): AnomalyModel {
    const scaler = fitScaler(vectors);
    const scaled = vectors.map((v) => scale(scaler, v));
    const seed = o.seed ?? 1;
    const trees = o.trees ?? 100;
    const implementation = o.implementation ?? 'medic';
    const forest = implementation === 'medic' ? IsolationForest.fit(scaled, { trees, sampleSize: o.sampleSize ?? 256, seed }) : MlForest.fit(scaled, trees);
    const contamination = o.contamination ?? 0.1;
    const scores = Array.from(forest.scoreAll(scaled)).sort((x, y) => x - y);
    const threshold = scores[Math.min(scores.length - 1, Math.floor((1 - contamination) * scores.length))]!;
    return new AnomalyModel({
      kind: 'medic-anomaly-model', featureSchemaVersion: FEATURE_SCHEMA_VERSION, columns, featureNames: featureNames(columns), window: o.window,
      scaler, forest: forest instanceof IsolationForest ? forest.toJSON() : { kind: 'medic-isolation-forest', version: 1, sampleSize: 0, features: 0, trees: [] },
      threshold, contamination, training: { rows: vectors.length, seed, trees },
      ...(o.sampling ? { sampling: o.sampling } : {}),
      ...(o.fillLimit !== undefined ? { preprocessing: { fillLimit: checkFillLimit(o.fillLimit) } } : {}),
    }, forest, implementation);
  }

  static fromArtifact(a: AnomalyArtifact): AnomalyModel {
    if (a.kind !== 'medic-anomaly-model') throw new Error(`not a Medic anomaly model artifact (kind ${String(a.kind)})`);
    if (a.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
      throw new Error(`the artifact was built for feature schema ${a.featureSchemaVersion}, but this Medic extracts schema ${FEATURE_SCHEMA_VERSION}: retrain it with this version (medic train anomaly)`);
    }
    const problems = artifactProblems(a);
    if (problems.length) throw new Error(`the artifact is damaged: ${problems.join('; ')}`);
    return new AnomalyModel(a, IsolationForest.fromJSON(a.forest));
  }

  toArtifact(): AnomalyArtifact {
    if (this.implementation !== 'medic') throw new Error(`a model built with ${this.implementation} cannot be saved (it has no save/load): train with Medic's forest to publish`);
    return this.a;
  }

  get threshold(): number {
    return this.a.threshold;
  }

  get columns(): string[] {
    return this.a.columns;
  }

  get window(): number {
    return this.a.window;
  }

  get sampling(): AnomalyArtifact['sampling'] {
    return this.a.sampling;
  }

  /** Consecutive missing samples serving carries forward, as training did. */
  get fillLimit(): number {
    return this.a.preprocessing?.fillLimit ?? DEFAULT_FILL_LIMIT;
  }

  /** The feature rows the forest was fitted on. */
  get trainingRows(): number {
    return this.a.training.rows;
  }

  /** Scores every row of a series (training-path features). */
  scoreSeries(rows: readonly ArrayLike<number>[]): AnomalyScore[] {
    return extractFeatures(rows, { window: this.a.window }).map((v) => this.explain(v));
  }

  /** Scores the newest sample of a trailing window (serving-path features). */
  scoreLatest(window: readonly ArrayLike<number>[]): AnomalyScore {
    return this.explain(extractLatest(window, { window: this.a.window }));
  }

  /** Detector: the serving path. */
  score(window: readonly (readonly number[])[]): Reading {
    return this.scoreLatest(window);
  }

  private explain(vector: Float64Array): AnomalyScore {
    const scaled = scale(this.a.scaler, vector);
    const score = this.forest.score(scaled);
    const contributions = this.a.featureNames
      .map((feature, i) => ({ feature, deviation: Math.abs(scaled[i]!) }))
      .sort((x, y) => y.deviation - x.deviation)
      .slice(0, 3);
    return { score, isAnomaly: score >= this.a.threshold, type: typeOf(contributions[0]?.feature), contributions };
  }
}

// A model that loads must score: a truncated or hand-edited artifact is refused here, not at 3 a.m.
function artifactProblems(a: AnomalyArtifact): string[] {
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
  if (a.sampling && !(a.sampling.stepSeconds > 0 && typeof a.sampling.rateWindow === 'string')) problems.push('sampling must give a positive stepSeconds and a rateWindow');
  if (a.preprocessing && !(Number.isInteger(a.preprocessing.fillLimit) && a.preprocessing.fillLimit >= 0)) problems.push(`preprocessing.fillLimit must be an integer >= 0, but was ${String(a.preprocessing.fillLimit)}`);
  return problems;
}

/** The anomaly type of the feature that deviates most, by the column it comes from. */
export function typeOf(feature: string | undefined): AnomalyType {
  const column = feature?.split(':')[0] ?? '';
  if (/latency|duration|response/.test(column)) return 'latency_degradation';
  if (/error|fail|5xx/.test(column)) return 'error_burst';
  if (/memory|cpu|queue|disk|storage/.test(column)) return 'resource_exhaustion';
  if (/request_rate|traffic|rps/.test(column)) return 'traffic_anomaly';
  if (/dependency/.test(column)) return 'dependency_failure';
  return 'unknown';
}
