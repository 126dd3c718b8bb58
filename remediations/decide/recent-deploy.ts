// The fact behind a rule's `deployed_within`: trouble soon after a deploy of a version not known good.
import type { IncidentFacts } from './selection.ts';
import type { Observation } from '../strategies/strategy.ts';

/**
 * The running version, when it was deployed before the incident began, is not marked known good, and a
 * known-good version to return to exists: what a rule's `deployed_within` looks at.
 */
export function recentDeploy(v: Observation['version'], incidentAt: number): IncidentFacts['recentDeploy'] {
  if (!v) return undefined;
  const current = [...v.history].reverse().find((h) => h.version === v.version);
  if (!current || current.known_good || current.deployed_at === undefined) return undefined;
  if (!v.history.some((h) => h.known_good && h.version !== v.version)) return undefined;
  const at = Date.parse(current.deployed_at);
  if (!Number.isFinite(at) || at > incidentAt) return undefined;
  return { version: v.version, beforeIncidentS: (incidentAt - at) / 1000 };
}
