// How the read side of the Store port is asked: the filters of the incident and attempt listings, and
// keyset pages (newest first). Each adapter turns every field into a bound condition.
import type { AlertStatus } from './store.ts';

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: number | null;
}

export interface IncidentFilter {
  agent?: string;
  /** Any of these agents (a tier's, say). */
  agents?: readonly string[];
  /** The alert's agent_type label. */
  agentType?: string;
  alertname?: string;
  /** Incidents with a decision or action of this strategy. */
  strategy?: string;
  status?: AlertStatus;
  /** Incidents first seen at or after / before these epoch milliseconds. */
  since?: number;
  until?: number;
}

export interface AttemptFilter {
  agent?: string;
  outcome?: string;
  since?: number;
  until?: number;
}

export interface PageRequest {
  limit: number;
  /** Items with ids below this (newest first). */
  cursor?: number;
}
