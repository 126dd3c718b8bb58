// The anomaly model: features (features.ts) → standard scaling → two views of each reading, the
// Isolation Forest (joint oddness) and the distance to the nearest healthy training state (one metric
// far out) → one calibrated score in [0, 1] (calibrated-scorer.ts) whose threshold is the alarm budget's
// false-alarm rate (alarm-budget.ts) → an explanation: the features furthest from that nearest healthy
// state, mapped to the anomaly type the remediation rules select on. Serialises to a JSON artifact
// (anomaly-artifact.ts) that names its feature schema; an artifact for another schema is refused.
import { extractFeatures, featuresAt, featureNames, FEATURE_SCHEMA_VERSION, type FeatureOptions } from './features.ts';
import { warmupRows } from './signal-queries.ts';
import { IsolationForest } from './isolation-forest.ts';
import { MlForest } from './ml-forest.ts';
import { checkFillLimit, DEFAULT_FILL_LIMIT } from './preprocessing.ts';
import type { Detector, Reading } from './detector.ts';
import { fitScaler, scale } from './scaler.ts';
import { artifactProblems, type AnomalyArtifact } from './anomaly-artifact.ts';
import { CalibratedScorer, DEFAULT_REFERENCE_ROWS } from './calibrated-scorer.ts';
import { DEFAULT_ALARM_BUDGET, DEFAULT_READING_SECONDS } from './alarm-budget.ts';

export type { AnomalyArtifact } from './anomaly-artifact.ts';

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
  /** Alerts per healthy agent per day the threshold allows (default 1). */
  alertsPerDay?: number;
  /** Seconds between readings when there is no `sampling` (CSV input): default serving's 15 s. */
  readingSeconds?: number;
  /** Training rows kept as the nearest-state reference (default 2,048). */
  referenceRows?: number;
}

/** A reading of the forest kind: `contributions` are the features furthest (σ) from the nearest healthy training state. */
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
    private readonly scorer: CalibratedScorer,
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
    const forestThreshold = scores[Math.min(scores.length - 1, Math.floor((1 - contamination) * scores.length))]!;
    const scorer = CalibratedScorer.fit(scaled, forest, {
      window: o.window, referenceRows: o.referenceRows ?? DEFAULT_REFERENCE_ROWS,
      alertsPerDay: o.alertsPerDay ?? DEFAULT_ALARM_BUDGET, stepSeconds: o.sampling?.stepSeconds ?? o.readingSeconds ?? DEFAULT_READING_SECONDS,
    });
    return new AnomalyModel({
      kind: 'medic-anomaly-model', featureSchemaVersion: FEATURE_SCHEMA_VERSION, columns, featureNames: featureNames(columns), window: o.window,
      scaler, forest: forest instanceof IsolationForest ? forest.toJSON() : { kind: 'medic-isolation-forest', version: 1, sampleSize: 0, features: 0, trees: [] },
      threshold: scorer.threshold, contamination, forestThreshold, scorer: scorer.toJSON(), training: { rows: vectors.length, seed, trees },
      ...(o.sampling ? { sampling: o.sampling } : {}),
      ...(o.fillLimit !== undefined ? { preprocessing: { fillLimit: checkFillLimit(o.fillLimit) } } : {}),
    }, forest, scorer, implementation);
  }

  static fromArtifact(a: AnomalyArtifact): AnomalyModel {
    if (a.kind !== 'medic-anomaly-model') throw new Error(`not a Medic anomaly model artifact (kind ${String(a.kind)})`);
    if (a.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
      throw new Error(`the artifact was built for feature schema ${a.featureSchemaVersion}, but this Medic extracts schema ${FEATURE_SCHEMA_VERSION}: retrain it with this version (medic train anomaly)`);
    }
    const problems = artifactProblems(a);
    if (problems.length) throw new Error(`the artifact is damaged: ${problems.join('; ')}`);
    return new AnomalyModel(a, IsolationForest.fromJSON(a.forest), CalibratedScorer.fromJSON(a.scorer));
  }

  toArtifact(): AnomalyArtifact {
    if (this.implementation !== 'medic') throw new Error(`a model built with ${this.implementation} cannot be saved (it has no save/load): train with Medic's forest to publish`);
    return this.a;
  }

  /** The calibrated score at the alarm budget's false-alarm rate. */
  get threshold(): number {
    return this.scorer.threshold;
  }

  /** The alarm budget the threshold was set for. */
  get budget(): CalibratedScorer['budget'] {
    return this.scorer.budget;
  }

  get columns(): string[] {
    return this.a.columns;
  }

  /** Rows a reading reads: the feature window, and the rows before it of the readings it averages. */
  get window(): number {
    return this.a.window + this.scorer.smoothing - 1;
  }

  /** The feature window. */
  get featureWindow(): number {
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

  /** Scores every row of a series (training-path features); each reading averages the ones before it in the series. */
  scoreSeries(rows: readonly ArrayLike<number>[]): AnomalyScore[] {
    const scaled = extractFeatures(rows, { window: this.a.window }).map((v) => scale(this.a.scaler, v));
    const forest = this.forest.scoreAll(scaled);
    const evidence = scaled.map((v, t) => this.scorer.evidence(v, forest[t]!));
    const statistics = evidence.map((e) => e.statistic);
    return scaled.map((v, t) => this.reading(v, evidence[t]!.nearest, statistics.slice(Math.max(0, t - this.scorer.smoothing + 1), t + 1)));
  }

  /** Scores the newest sample of a trailing window of `window` rows (serving-path features). */
  scoreLatest(window: readonly ArrayLike<number>[]): AnomalyScore {
    if (window.length === 0) throw new Error('no samples to extract features from');
    const o = { window: this.a.window };
    const first = Math.max(0, window.length - this.scorer.smoothing);
    const scaled = Array.from({ length: window.length - first }, (_, k) => scale(this.a.scaler, featuresAt(window, first + k, o)));
    const forest = this.forest.scoreAll(scaled);
    const evidence = scaled.map((v, k) => this.scorer.evidence(v, forest[k]!));
    return this.reading(scaled.at(-1)!, evidence.at(-1)!.nearest, evidence.map((e) => e.statistic));
  }

  /** Detector: the serving path. */
  score(window: readonly (readonly number[])[]): Reading {
    return this.scoreLatest(window);
  }

  private reading(scaled: Float64Array, nearest: number, statistics: number[]): AnomalyScore {
    const score = this.scorer.score(statistics);
    const gaps = this.scorer.gaps(scaled, nearest);
    const contributions = this.a.featureNames
      .map((feature, i) => ({ feature, deviation: gaps[i]! }))
      .sort((x, y) => y.deviation - x.deviation)
      .slice(0, 3);
    return { score, isAnomaly: score >= this.threshold, type: typeOf(contributions[0]?.feature), contributions };
  }
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
