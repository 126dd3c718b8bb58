// The anomaly model: features (features.ts) → standard scaling → Isolation Forest → a score in [0, 1],
// a threshold from the contamination setting, and an explanation: which features deviate most, mapped
// to the anomaly type the remediation rules select on. Serialises to a JSON artifact that names its
// feature schema; an artifact for another schema is refused with a clear message.
import { extractFeatures, extractLatest, featureNames, FEATURE_SCHEMA_VERSION, type FeatureOptions } from './features.ts';
import { IsolationForest, type SerializedForest } from './isolation-forest.ts';
import { fitScaler, scale, type Scaler } from './scaler.ts';

export const ANOMALY_TYPES = ['resource_exhaustion', 'latency_degradation', 'error_burst', 'traffic_anomaly', 'dependency_failure', 'unknown'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface TrainOptions extends FeatureOptions {
  contamination?: number;
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
}

export interface AnomalyScore {
  score: number;
  isAnomaly: boolean;
  type: AnomalyType;
  /** The features that deviate most from training (|scaled value|), largest first. */
  contributions: { feature: string; deviation: number }[];
}

export class AnomalyModel {
  private constructor(private readonly a: AnomalyArtifact, private readonly forest: IsolationForest) {}

  static train(rows: readonly ArrayLike<number>[], columns: string[], o: TrainOptions): AnomalyModel {
    if (rows.length < 2) throw new Error(`need at least 2 rows to train, got ${rows.length}`);
    // delta reads the sample before the newest: a window of one would make serving differ from training.
    if (!Number.isInteger(o.window) || o.window < 2) throw new Error(`window must be an integer >= 2, but was ${o.window}`);
    const vectors = extractFeatures(rows, o);
    const scaler = fitScaler(vectors);
    const scaled = vectors.map((v) => scale(scaler, v));
    const seed = o.seed ?? 1;
    const trees = o.trees ?? 100;
    const forest = IsolationForest.fit(scaled, { trees, sampleSize: o.sampleSize ?? 256, seed });
    const contamination = o.contamination ?? 0.1;
    const scores = Array.from(forest.scoreAll(scaled)).sort((x, y) => x - y);
    const threshold = scores[Math.min(scores.length - 1, Math.floor((1 - contamination) * scores.length))]!;
    return new AnomalyModel({
      kind: 'medic-anomaly-model', featureSchemaVersion: FEATURE_SCHEMA_VERSION, columns, featureNames: featureNames(columns), window: o.window,
      scaler, forest: forest.toJSON(), threshold, contamination, training: { rows: rows.length, seed, trees },
    }, forest);
  }

  static fromArtifact(a: AnomalyArtifact): AnomalyModel {
    if (a.kind !== 'medic-anomaly-model') throw new Error(`not a Medic anomaly model artifact (kind ${String(a.kind)})`);
    if (a.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
      throw new Error(`the artifact was built for feature schema ${a.featureSchemaVersion}, but this Medic extracts schema ${FEATURE_SCHEMA_VERSION}: retrain it with this version (medic train anomaly)`);
    }
    return new AnomalyModel(a, IsolationForest.fromJSON(a.forest));
  }

  toArtifact(): AnomalyArtifact {
    return this.a;
  }

  get window(): number {
    return this.a.window;
  }

  /** Scores every row of a series (training-path features). */
  scoreSeries(rows: readonly ArrayLike<number>[]): AnomalyScore[] {
    return extractFeatures(rows, { window: this.a.window }).map((v) => this.explain(v));
  }

  /** Scores the newest sample of a trailing window (serving-path features). */
  scoreLatest(window: readonly ArrayLike<number>[]): AnomalyScore {
    return this.explain(extractLatest(window, { window: this.a.window }));
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
