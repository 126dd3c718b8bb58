// Group commit: writes submitted in the same turn of the event loop are committed together, so a burst
// of webhook deliveries costs one transaction and one fsync instead of one each.

/** One item's outcome in a group: its own result, or the error that rolled it (alone) back. */
export type Settled<R> = { ok: R } | { err: unknown };

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, R> {
  private pending: Pending<I, R>[] = [];

  /**
   * @param commit writes the items in one transaction and settles each one on its own; when it throws,
   *   nothing committed and every item of the group is rejected with that error.
   */
  constructor(private readonly commit: (items: I[]) => Settled<R>[]) {}

  /** Resolves once the item's group has committed (durably, as far as the store's fsync setting goes). */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is waiting now (also called on close, so nothing submitted is left unanswered). */
  flush(): void {
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let results: Settled<R>[];
    try {
      results = this.commit(group.map((p) => p.item));
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    group.forEach((p, i) => {
      const r = results[i]!;
      if ('ok' in r) p.resolve(r.ok);
      else p.reject(r.err);
    });
  }
}
