// The Store port's part for the fleet guards, so that several Medics on one store admit actions as one:
// the actions under way (reservations), the healing budget and an alert storm's rate (token buckets, as
// rows) and the storm itself (a row: whoever creates it escalates it, once for the fleet). A decision
// reads all of it and writes its outcome in one transaction, one admission at a time across replicas;
// the rules themselves are pure (remediations/decide/admission.ts) and passed in; the state's types are in
// remediations/guard-state.ts.
import type { GuardReads, GuardState, GuardWrites } from '../../remediations/guard-state.ts';
export type * from '../../remediations/guard-state.ts';

export interface GuardsStore {
  /**
   * Reads the guards' state, lets `decide` (pure, synchronous) rule on it, and writes what it returns,
   * all in one transaction that no other admission on this store runs beside.
   */
  admitAction<T>(reads: GuardReads, decide: (state: GuardState) => { writes: GuardWrites; result: T }): Promise<T>;
  /** Ends a reservation (the action finished, failed or was deferred). */
  releaseReservation(holder: string): Promise<void>;
}
