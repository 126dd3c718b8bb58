// The 'failure' kind: the LSTM failure predictor (models/failure/failure-model.ts). Its artifacts load
// only once the TensorFlow.js backend has started (models/failure/tf-backend.ts, initBackend).
import type { DetectorKind } from '../detector.ts';
import { FAILURE_ARTIFACT_KIND, type FailureArtifact } from '../failure/failure-artifact.ts';
import { FailureModel } from '../failure/failure-model.ts';

export const failureKind: DetectorKind = {
  kind: 'failure',
  artifactKind: FAILURE_ARTIFACT_KIND,
  load: (artifact) => FailureModel.fromArtifact(artifact as FailureArtifact),
};
