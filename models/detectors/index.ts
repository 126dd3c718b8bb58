// The explicit registry of model kinds. The artifact registry (models/registry.ts) loads every model.json
// through it, so serving and training never name a model class. Adding a kind is one file exporting one
// DetectorKind, one test, and one line in BUILTIN_DETECTOR_KINDS. The list is checked when this module
// loads, which is at start-up: a malformed or duplicated kind stops the process before it serves.
import type { Detector, DetectorKind } from '../detector.ts';
import { failureKind } from './failure.ts';
import { forestKind } from './forest.ts';

export const BUILTIN_DETECTOR_KINDS: readonly DetectorKind[] = [forestKind, failureKind];

export interface DetectorRegistry {
  /** Registered kind names, in registration order. */
  readonly kinds: readonly string[];
  /** Loads an artifact with the kind its `kind` field names; throws for an unknown or damaged one. */
  load(artifact: unknown): Detector;
}

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** Checks the list once (names well-formed, kinds and artifact kinds unique) and indexes it. */
export function createDetectorRegistry(kinds: readonly DetectorKind[]): DetectorRegistry {
  if (kinds.length === 0) throw new Error('detector registry: no kinds');
  const byArtifact = new Map<string, DetectorKind>();
  const names = new Set<string>();
  for (const k of kinds) {
    if (!NAME.test(k.kind)) throw new Error(`detector registry: kind ${JSON.stringify(k.kind)} must match ${NAME}`);
    if (names.has(k.kind)) throw new Error(`detector registry: kind ${k.kind} is registered twice`);
    if (byArtifact.has(k.artifactKind)) throw new Error(`detector registry: artifact kind ${k.artifactKind} is claimed by ${byArtifact.get(k.artifactKind)!.kind} and ${k.kind}`);
    names.add(k.kind);
    byArtifact.set(k.artifactKind, k);
  }
  const known = kinds.map((k) => `${k.artifactKind} (${k.kind})`).join(', ');
  return {
    kinds: [...names],
    load(artifact) {
      const artifactKind = typeof artifact === 'object' && artifact !== null ? (artifact as { kind?: unknown }).kind : undefined;
      const kind = typeof artifactKind === 'string' ? byArtifact.get(artifactKind) : undefined;
      if (!kind) throw new Error(`not a model this Medic can load: artifact kind ${JSON.stringify(artifactKind ?? null)} (known: ${known})`);
      return kind.load(artifact);
    },
  };
}

export const DETECTORS = createDetectorRegistry(BUILTIN_DETECTOR_KINDS);
