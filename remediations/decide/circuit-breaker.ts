// The circuit breaker as data: the legal transitions, and one function that checks a move against them.
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerRecordView {
  state: BreakerState;
  changedAt: number;
  nextCheckAt: number | null;
  opens: number;
}

/** from → the states it may move to, and the event that names the move. */
export const BREAKER_TRANSITIONS: Record<BreakerState, Partial<Record<BreakerState, string>>> = {
  closed: { open: 'failure_detected' },
  open: { half_open: 'open_duration_elapsed', open: 'reopened' },
  half_open: { closed: 'canary_succeeded', open: 'canary_failed' },
};

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  event: string;
  at: number;
}

export class IllegalBreakerTransition extends Error {
  constructor(from: BreakerState, to: BreakerState) {
    super(`circuit breaker cannot move from ${from} to ${to}`);
    this.name = 'IllegalBreakerTransition';
  }
}

/** Checks a move and names it; throws IllegalBreakerTransition for a move the table does not allow. */
export function transition(from: BreakerState, to: BreakerState, at: number): BreakerTransition {
  const event = BREAKER_TRANSITIONS[from][to];
  if (!event) throw new IllegalBreakerTransition(from, to);
  return { from, to, event, at };
}
