// What serving scores with, whatever the model kind: one Detector per loaded artifact. Kinds are listed
// in models/detectors/index.ts ('forest', the Isolation Forest anomaly model; 'failure', the LSTM failure predictor); the registry of
// artifacts loads every model through that list, so the server never names a model class.
import type { AnomalyType } from './anomaly-model.ts';

/** One reading of an agent's newest sample. */
export interface Reading {
  /** In [0, 1]; higher is more anomalous (or, for a failure kind, more likely to fail). */
  score: number;
  /** score >= threshold. */
  isAnomaly: boolean;
  type: AnomalyType;
  /** The inputs that weigh most in this reading, largest first. */
  contributions: { feature: string; deviation: number }[];
}

/**
 * A loaded model. Callers may rely on: `score` is pure and reads only the rows it is given; `window` rows
 * of `columns` (the agent metric contract, in this order), preprocessed by models/preprocessing.ts with
 * `fillLimit`, sampled from Prometheus with `sampling` (absent for models trained from CSV).
 */
export interface Detector {
  /** The kind that loaded it (models/detectors/index.ts). */
  readonly kind: string;
  readonly columns: readonly string[];
  readonly window: number;
  readonly threshold: number;
  readonly sampling: { stepSeconds: number; rateWindow: string } | undefined;
  readonly fillLimit: number;
  /** Scores the newest row of a trailing window (its last `window` rows are read). */
  score(window: readonly (readonly number[])[]): Reading;
}

/** One model kind: how its artifacts are recognised and loaded. */
export interface DetectorKind {
  /** The name the registry lists ('forest'). */
  readonly kind: string;
  /** The `kind` field of its model.json artifacts. */
  readonly artifactKind: string;
  /** Loads an artifact of `artifactKind`; throws naming what is wrong with it. */
  load(artifact: unknown): Detector;
}
