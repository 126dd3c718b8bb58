// Gap handling between raw samples and features: ONE module for training (training/prepare.ts) and
// serving (signal-queries.ts latestWindow), so a model scores live gaps as it saw them in training.
// 1. Forward-fill at most `fillLimit` consecutive missing samples per column: a missed scrape or a rule
//    evaluated late is the last value, not a drop to 0.
// 2. Drop rows with every column still missing: the agent was down or not there yet. Read as zeros, a
//    silent agent would look like one with no latency, no traffic and no memory.
// 3. Fill what is still missing with 0 (e.g. no latency quantile without traffic).
// Rows without a gap come out unchanged, so models trained before this module score them as before.
// Pure and dependency-free: the server imports it, and must not load danfo.

/** Consecutive missing samples forward-filled per column when a model does not say otherwise. */
export const DEFAULT_FILL_LIMIT = 3;

export interface Preprocessed {
  /** The rows kept, gaps filled: every value finite. */
  rows: number[][];
  /** Index in the input of each kept row (to carry timestamps and labels along). */
  kept: number[];
  /** Cells missing in the input. */
  missing: number;
  forwardFilled: number;
  zeroFilled: number;
  /** Rows dropped with every column missing after the forward fill. */
  dropped: number;
}

export function checkFillLimit(limit: number): number {
  if (!(Number.isInteger(limit) && limit >= 0)) throw new Error(`fill limit must be an integer >= 0, but was ${limit}`);
  return limit;
}

/** Forward fill, drop, zero fill (above), over one series' rows in time order. */
export function preprocess(rows: readonly (readonly number[])[], fillLimit: number): Preprocessed {
  const f = forwardFill(rows, fillLimit);
  const kept: number[] = [];
  const out: number[][] = [];
  let zeroFilled = 0;
  f.rows.forEach((r, i) => {
    if (!r.some(Number.isFinite)) return;
    kept.push(i);
    out.push(r.map((v) => {
      if (Number.isFinite(v)) return v;
      zeroFilled++;
      return 0;
    }));
  });
  return { rows: out, kept, missing: f.missing, forwardFilled: f.filled, zeroFilled, dropped: rows.length - kept.length };
}

/** Carries each column's last value over at most `limit` consecutive missing samples; the rest stay NaN. */
export function forwardFill(rows: readonly (readonly number[])[], limit: number): { rows: number[][]; missing: number; filled: number } {
  checkFillLimit(limit);
  const width = rows[0]?.length ?? 0;
  const last = new Array<number>(width).fill(Number.NaN);
  const run = new Array<number>(width).fill(0);
  let missing = 0;
  let filled = 0;
  const out = rows.map((r) => r.map((v, c) => {
    if (Number.isFinite(v)) {
      last[c] = v;
      run[c] = 0;
      return v;
    }
    missing++;
    run[c]!++;
    if (run[c]! <= limit && Number.isFinite(last[c]!)) {
      filled++;
      return last[c]!;
    }
    return Number.NaN;
  }));
  return { rows: out, missing, filled };
}
