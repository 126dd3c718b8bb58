// Whether the webhook is busy answering deliveries, for the workers to let it go first (the store is
// synchronous, so a claim blocks the answers behind it). Busy while a delivery is being answered and a
// moment after: with group commit every connection is answered in the same turn and sends its next
// delivery an instant later, and "none in flight" at that instant let the workers claim between every
// group (measured under a flood: the engine took about a third of the event loop).
export class IngestActivity {
  private inFlight = 0;
  private lastAnsweredAt = -Infinity;

  /**
   * @param now a monotonic clock in ms (performance.now by default)
   * @param quietMs how long after the last answer the webhook still counts as busy
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly quietMs = 5,
  ) {}

  started(): void {
    this.inFlight++;
  }

  answered(): void {
    this.inFlight--;
    this.lastAnsweredAt = this.now();
  }

  busy(): boolean {
    return this.inFlight > 0 || this.now() - this.lastAnsweredAt < this.quietMs;
  }
}
