/**
 * Where time comes from. Injected wherever a decision depends on the time (cooldowns, windows, expiries,
 * guards, deploy ages, silences), so tests move time instead of sleeping. Loops that really wait
 * (verification polling, a process's start-up, progress output) measure elapsed wall time instead: a
 * moved clock would never let them finish.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
