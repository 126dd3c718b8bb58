// The Store port's part for named leases: one holder at a time, taken over once it lapses, each new
// holder with a larger fencing token. The periodic jobs run on the replica that holds `periodic-jobs`
// (server/app/leader.ts), so that several Medics on one store revert a change, resend an escalation or
// raise a predicted failure once, not once each.

export interface LeasesStore {
  /**
   * Takes the lease `name` for `holder` until now + ttlMs, or extends it if `holder` has it; the
   * holder's fence, or undefined while another holder's lease runs.
   */
  acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<number | undefined>;
  /** Gives the lease up at once (a clean stop), if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>;
}
