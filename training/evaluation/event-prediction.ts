// Failure prediction scored by events, not points: did an alarm come in the H rows before a labelled
// failure started (or at its start), and how many alarm episodes were false? Point-wise F1 rewards a
// detector for flagging every row of a long incident; an SRE is paged once per episode and cares
// whether the page came before the failure, so this is the figure for "predicts failures".
//
// Definitions (one place, so every detector is measured the same way):
// - an event is the start s of a labelled segment (a row labelled 1 whose previous row is 0 or absent);
// - an alarm is a row r with score >= threshold, except rows inside a segment after its start: those
//   are treated as below threshold (they neither alarm nor join episodes), because alarming during a
//   failure already under way predicts nothing and must not be counted as a false alarm either;
// - consecutive alarm rows form an episode; an episode starting at row e predicts event s when
//   s − H <= e <= s, and it is true when it predicts an event;
// - recall = predicted events / events, precision = true episodes / episodes, F1 their harmonic mean;
// - lead time of a predicted event = s − (earliest episode start predicting it), in rows.
// Where this differs from the wording ("an alarm row r predicts s when s − H <= r <= s", any row
// of the episode): read that way, an alarm that is always on scores best. In-segment rows are not
// alarms, so the episodes become the gaps between segments, each ending at the next start: on ASD every
// detector, random included, reaches F1 0.92 at the lowest threshold. An episode that began long before
// the horizon is a standing alarm, not a prediction, so it is the episode's start that must fall in the
// H rows before the failure (at H = 10 this gives Isolation Forest 0.134, max-|z| 0.097, random 0.100;
// the reference figures are 0.111, 0.092, 0.110).

export interface EventPredictionResult {
  events: number;
  predicted: number;
  episodes: number;
  trueEpisodes: number;
  falseAlarms: number;
  precision: number;
  recall: number;
  f1: number;
  /** One per predicted event, in event order: rows between the earliest predicting alarm and the start. */
  leadTimes: number[];
  /** Median of `leadTimes` (mean of the two middle ones when even); null when nothing was predicted. */
  medianLead: number | null;
}

export interface BestEventPrediction extends EventPredictionResult {
  threshold: number;
}

/** Everything that depends on labels and horizon only, computed once per series, not per threshold. */
interface Layout {
  horizon: number;
  starts: Int32Array;
  /** 1 = inside a segment after its start: never an alarm. */
  ignored: Uint8Array;
  /** 1 = an episode starting on this row would predict some event (an event starts within [r, r + H]). */
  predicts: Uint8Array;
}

function layout(labels: ArrayLike<number>, horizon: number): Layout {
  if (!Number.isInteger(horizon) || horizon < 0) throw new Error(`event prediction: horizon must be an integer >= 0, but was ${horizon}`);
  const n = labels.length;
  const ignored = new Uint8Array(n);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new Error(`event prediction: labels[${i}] must be 0 or 1, but was ${l}`);
    if (l === 1 && (i === 0 || labels[i - 1] !== 1)) starts.push(i);
    else if (l === 1) ignored[i] = 1;
  }
  const predicts = new Uint8Array(n);
  let next = Number.POSITIVE_INFINITY;
  let k = starts.length - 1;
  for (let r = n - 1; r >= 0; r--) {
    if (k >= 0 && starts[k] === r) (next = r), k--;
    predicts[r] = next - r <= horizon ? 1 : 0;
  }
  return { horizon, starts: Int32Array.from(starts), ignored, predicts };
}

// One O(n) pass per threshold; `nextStart` is scratch space of length n, reused across thresholds.
function measure(lay: Layout, scores: ArrayLike<number>, threshold: number, nextStart: Int32Array): EventPredictionResult {
  const { ignored, predicts, starts, horizon } = lay;
  const n = ignored.length;
  let episodes = 0;
  let trueEpisodes = 0;
  let inEpisode = false;
  nextStart.fill(n);
  for (let i = 0; i < n; i++) {
    // NaN compares false: a row without a score never alarms.
    if (ignored[i] === 0 && scores[i]! >= threshold) {
      if (!inEpisode) {
        episodes++;
        inEpisode = true;
        nextStart[i] = i;
        if (predicts[i] === 1) trueEpisodes++;
      }
    } else inEpisode = false;
  }
  for (let i = n - 2; i >= 0; i--) if (nextStart[i] === n) nextStart[i] = nextStart[i + 1]!;
  const leadTimes: number[] = [];
  for (const s of starts) {
    // The earliest episode start at or after the window's left edge predicts s if it is not past s.
    const e = nextStart[Math.max(0, s - horizon)]!;
    if (e <= s) leadTimes.push(s - e);
  }
  const events = starts.length;
  const predicted = leadTimes.length;
  const precision = episodes ? trueEpisodes / episodes : 0;
  const recall = events ? predicted / events : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { events, predicted, episodes, trueEpisodes, falseAlarms: episodes - trueEpisodes, precision, recall, f1, leadTimes, medianLead: median(leadTimes) };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function checkLengths(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) throw new Error(`event prediction: scores must have one value per label (${labels.length}), but had ${scores.length}`);
}

/** Event-level precision, recall, F1 and lead times of `scores` alarmed at `threshold` (see the header). */
export function eventPrediction(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number, horizon: number): EventPredictionResult {
  checkLengths(labels, scores);
  return measure(layout(labels, horizon), scores, threshold, new Int32Array(labels.length));
}

/**
 * The best event F1 over candidate thresholds: the distinct (non-NaN) score values, or, when there are
 * more than `maxThresholds` (default 400), that many evenly spaced quantiles of them (always including
 * the lowest and highest), plus +Infinity (no alarms at all, F1 0). Ties keep the highest threshold,
 * i.e. the fewest alarms. O(n log n + thresholds × n).

 */
export function bestEventF1(labels: ArrayLike<number>, scores: ArrayLike<number>, horizon: number, o: { maxThresholds?: number } = {}): BestEventPrediction {
  checkLengths(labels, scores);
  const maxThresholds = o.maxThresholds ?? 400;
  if (!Number.isInteger(maxThresholds) || maxThresholds < 2) throw new Error(`event prediction: maxThresholds must be an integer >= 2, but was ${maxThresholds}`);
  const lay = layout(labels, horizon);
  const scratch = new Int32Array(labels.length);
  const candidates = thresholds(scores, maxThresholds);
  let best: BestEventPrediction = { ...measure(lay, scores, Number.POSITIVE_INFINITY, scratch), threshold: Number.POSITIVE_INFINITY };
  // Highest first, and only a strictly better F1 replaces the best: ties go to the fewer alarms.
  for (let i = candidates.length - 1; i >= 0; i--) {
    const r = measure(lay, scores, candidates[i]!, scratch);
    if (r.f1 > best.f1) best = { ...r, threshold: candidates[i]! };
  }
  return best;
}

// Distinct score values ascending, subsampled to `max` quantiles of them when there are more.
function thresholds(scores: ArrayLike<number>, max: number): Float64Array {
  const sorted = Float64Array.from(scores).filter((v) => !Number.isNaN(v)).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  if (distinct.length <= max) return Float64Array.from(distinct);
  const out: number[] = [];
  for (let q = 0; q < max; q++) {
    const v = distinct[Math.round((q / (max - 1)) * (distinct.length - 1))]!;
    if (out[out.length - 1] !== v) out.push(v);
  }
  return Float64Array.from(out);
}

/** The lowest threshold (of 200 quantiles) whose pooled episode precision reaches the target. */
export function eventThreshold(series: { p: ArrayLike<number>; failing: ArrayLike<number> }[], horizon: number, target: number): number {
  const all = Float64Array.from(series.flatMap((s) => Array.from(s.p))).sort();
  const candidates = [...new Set(Array.from({ length: 200 }, (_, i) => all[Math.floor(((i + 1) / 201) * (all.length - 1))]!))].filter((t) => t > 0).sort((a, b) => a - b);
  for (const t of candidates) {
    let episodes = 0, trueEpisodes = 0;
    for (const s of series) {
      const r = eventPrediction(Array.from(s.failing, (f) => (f > 0 ? 1 : 0)), s.p, t, horizon);
      episodes += r.episodes;
      trueEpisodes += r.trueEpisodes;
    }
    if (episodes >= 3 && trueEpisodes / episodes >= target) return t;
  }
  return 1;
}
