// The failure model's artifact (model.json, kind 'medic-failure-model'): everything serving needs to
// rebuild the network and read rows the way training did, and the checks that refuse a damaged one at
// load rather than at the first prediction.
import type { Scaler } from '../scaler.ts';
import { architectureProblems, type Architecture } from './lstm-network.ts';
import type { Platt } from './calibration.ts';

export const FAILURE_ARTIFACT_KIND = 'medic-failure-model';

export interface FailureArtifact {
  kind: typeof FAILURE_ARTIFACT_KIND;
  formatVersion: 1;
  columns: string[];
  /** Rows the network reads (the design: 20). */
  steps: number;
  /** A window is positive when a failure starts within this many rows after it. */
  horizon: number;
  architecture: Architecture;
  scaler: Scaler;
  /** The network's weights in its layer order: shape and little-endian float32, base64. */
  weights: { shape: number[]; data: string }[];
  /** Raw output → probability (calibration.ts). */
  calibration: Platt;
  /** Calibrated probability at or above which the model alerts (chosen for `targetPrecision`). */
  threshold: number;
  targetPrecision: number;
  sampling?: { stepSeconds: number; rateWindow: string };
  preprocessing?: { fillLimit: number };
  training: { backend: string; tfjs: string; seed: number; epochs: number; windows: number; positives: number };
}

export function failureArtifactProblems(a: FailureArtifact): string[] {
  const problems: string[] = [];
  if (a.formatVersion !== 1) problems.push(`formatVersion must be 1, but was ${JSON.stringify(a.formatVersion)}`);
  if (!Array.isArray(a.columns) || a.columns.length === 0 || !a.columns.every((c) => typeof c === 'string')) return [...problems, 'columns must be a non-empty list of names'];
  if (!(Number.isInteger(a.steps) && a.steps >= 2)) problems.push(`steps must be an integer >= 2, but was ${a.steps}`);
  if (!(Number.isInteger(a.horizon) && a.horizon >= 1)) problems.push(`horizon must be an integer >= 1, but was ${a.horizon}`);
  if (!a.architecture || typeof a.architecture !== 'object') problems.push('architecture is missing');
  else problems.push(...architectureProblems(a.architecture).map((p) => `architecture: ${p}`));
  const w = a.columns.length;
  if (!a.scaler || a.scaler.mean?.length !== w || a.scaler.std?.length !== w) problems.push(`scaler must have ${w} means and standard deviations`);
  else if (![...a.scaler.mean, ...a.scaler.std].every(Number.isFinite) || !a.scaler.std.every((s) => s > 0)) problems.push('scaler values must be finite, standard deviations positive');
  if (!Array.isArray(a.weights) || a.weights.length === 0) problems.push('weights are missing');
  if (!a.calibration || !Number.isFinite(a.calibration.a) || !Number.isFinite(a.calibration.b)) problems.push('calibration must have finite a and b');
  if (!(a.threshold > 0 && a.threshold <= 1)) problems.push(`threshold must be in (0, 1], but was ${a.threshold}`);
  return problems;
}
