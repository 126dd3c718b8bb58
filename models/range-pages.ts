// Paging a range query by time: Prometheus (and Thanos, Mimir, VictoriaMetrics after it) refuses a range
// query that would return more than 11,000 points per series, so a long range is asked for in pages.
// Training's months of history and serving's short windows page the same way (models/fleet-query.ts).

/** Prometheus refuses a range query that would return more than 11,000 points per series. */
export const MAX_POINTS_PER_QUERY = 11_000;

export interface TimeChunk {
  start: number;
  end: number;
}

/**
 * Splits the step grid start, start+step, ..., ≤ end into consecutive pages of at most `maxPoints`
 * points. Pages share no point and leave none out: page k+1 starts one step after page k ends.
 */
export function splitRange(start: number, end: number, stepSeconds: number, maxPoints = MAX_POINTS_PER_QUERY): TimeChunk[] {
  if (!(stepSeconds > 0)) throw new Error(`step must be positive, but was ${stepSeconds}`);
  if (!(Number.isInteger(maxPoints) && maxPoints >= 1)) throw new Error(`points per query must be a positive integer, but was ${maxPoints}`);
  if (end < start) throw new Error(`the range ends (${end}) before it starts (${start})`);
  const points = Math.floor((end - start) / stepSeconds + 1e-9) + 1;
  const chunks: TimeChunk[] = [];
  for (let first = 0; first < points; first += maxPoints) {
    const last = Math.min(points, first + maxPoints) - 1;
    chunks.push({ start: start + first * stepSeconds, end: start + last * stepSeconds });
  }
  return chunks;
}
