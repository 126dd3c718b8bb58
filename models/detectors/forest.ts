// The 'forest' kind: Medic's anomaly model (features → scaling → Isolation Forest), models/anomaly-model.ts.
import { AnomalyModel, type AnomalyArtifact } from '../anomaly-model.ts';
import type { DetectorKind } from '../detector.ts';

export const forestKind: DetectorKind = {
  kind: 'forest',
  artifactKind: 'medic-anomaly-model',
  load: (artifact) => AnomalyModel.fromArtifact(artifact as AnomalyArtifact),
};
