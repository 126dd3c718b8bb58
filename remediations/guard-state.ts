// The fleet guards' shared state, as the store keeps it and the admission rules read it (decide/admission.ts):
// the actions admitted and not yet finished (reservations), token buckets, and the storm (a bucket row
// while it lasts). The store (server/store/guards-store.ts) reads and writes it in one transaction.

/** An admitted action, counted by the concurrency and blast-radius guards until it is released. */
export interface Reservation {
  /** Unique across replicas: `work:<work item id>` (a new claim of the same work replaces it). */
  holder: string;
  /** Counted only while this work item runs: a dead replica's reservation ends with its claim. */
  workItemId: number | null;
  target: string;
  agentType: string;
  /** False when the target was down: restoring it disrupts nothing. */
  takesCapacity: boolean;
  /** A ceiling, for reservations without a work item (and a backstop for those with one). */
  until: number;
}

/** A token bucket's state; `since` is when it was created (the storm's start, for the storm bucket). */
export interface GuardBucket {
  name: string;
  tokens: number;
  at: number;
  since: number;
}

export interface GuardReads {
  now: number;
  /** This admission's holder: its own earlier reservation is not counted against it. */
  holder: string;
  /** Where the failing alerts begin, given the storm bucket (a storm looks back to its start). */
  failingSince(storm: GuardBucket | undefined): number;
  /** Where the actions in progress that count toward the blast radius begin. */
  disruptingSince: number;
}

export interface GuardState {
  /** Live reservations of other holders. */
  reservations: Reservation[];
  buckets: Map<string, GuardBucket>;
  /** Targets with firing alerts that began since failingSince, with their alert names. */
  failing: { target: string; alertname: string }[];
  /** Targets with automatic actions in progress since disruptingSince (from the attempts). */
  disrupting: { target: string; agentType: string | null }[];
}

export interface GuardWrites {
  reserve?: Reservation;
  put: GuardBucket[];
  drop: string[];
}

/** Reads the guards' state, lets `decide` (pure, synchronous) rule on it and writes what it returns, in one transaction. */
export type AdmitAction = <T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }) => Promise<T>;
