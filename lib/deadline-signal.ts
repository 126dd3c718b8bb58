// A signal that aborts when its parent does or when a deadline passes: what every call to an agent, a
// cluster or Prometheus is bounded by.
//
// Why not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal is held only
// weakly, by its own timer and by the composite, so a garbage collection while the call waits can drop it,
// and the composite then never aborts. A call to an agent that accepts the connection and never answers
// waited forever (seen once in CI, test/integration/driver-faults.test.ts 'hang'; reproduced every time
// with forced collections: test/unit/deadline-signal.test.ts). Here the timer's closure holds the
// controller, so the deadline lives as long as it is pending.

export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  // Like AbortSignal.timeout: a pending deadline does not keep the process alive.
  timer.unref();
  // No listener on the parent to clear the timer early: the parent is often the service's own, shared by
  // every call in flight, and a pending timer costs less than a listener per call.
  return parent ? AbortSignal.any([parent, deadline.signal]) : deadline.signal;
}
