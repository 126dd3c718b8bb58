// Alert hold-off (debounce): once a sample alerts, the samples of the next span do not alert again, as
// Alertmanager's repeat interval keeps a firing alert from paging twice: one incident, one page. It
// works on any detector's alerts, so an evaluation can give every detector the same hold-off.

/** How long an alert holds off the next one: hours on the samples' timestamps, or a number of samples. */
export type HoldOffSpan = { hours: number } | { samples: number };

/**
 * Which alerts survive the hold-off. An alert held off does not restart it, so a condition that lasts
 * alerts again once per span. `hoursAt` gives each sample's time in hours (any epoch) and is required
 * for a span in hours. Causal: sample t reads only samples before it.
 */
export function holdOff(alerts: ArrayLike<boolean>, span: HoldOffSpan, hoursAt?: ArrayLike<number>): boolean[] {
  let at: (t: number) => number;
  let length: number;
  if ('hours' in span) {
    if (!hoursAt || hoursAt.length !== alerts.length) throw new Error(`hold-off: a span in hours needs one time per sample, got ${hoursAt?.length ?? 0} for ${alerts.length}`);
    at = (t) => hoursAt[t]!;
    length = span.hours;
  } else {
    at = (t) => t;
    length = span.samples;
  }
  const out = new Array<boolean>(alerts.length).fill(false);
  let last = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < alerts.length; t++) {
    if (!alerts[t] || at(t) - last <= length) continue;
    out[t] = true;
    last = at(t);
  }
  return out;
}

/**
 * Scores after the hold-off: a sample that alerts (score >= threshold) inside the span after an alert
 * scores 0, since its incident has already been raised; every other score is kept.
 */
export function holdOffScores(scores: ArrayLike<number>, threshold: number, span: HoldOffSpan, hoursAt?: ArrayLike<number>): Float64Array {
  const kept = holdOff(Array.from(scores, (s) => s >= threshold), span, hoursAt);
  return Float64Array.from(scores, (s, t) => (s >= threshold && !kept[t] ? 0 : s));
}
