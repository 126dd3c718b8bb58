// A warning that can repeat thousands of times a second (refused connections, refused credentials) is
// logged at most once per interval, saying how many were left out since: the story without the flood.

export type LogThrottle = (emit: (suppressedSinceLast: number) => void) => void;

export function logThrottle(intervalMs: number, now: () => number = Date.now): LogThrottle {
  let last = -Infinity;
  let suppressed = 0;
  return (emit) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    emit(suppressed);
    last = t;
    suppressed = 0;
  };
}
