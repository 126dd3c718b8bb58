// The inverse of parse-instant.ts for messages and model cards: Unix seconds as ISO 8601 in UTC.

/** Unix seconds → '2026-11-29T03:00:00.000Z'. */
export function formatInstant(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}
