// How well scores find labelled anomalies: point-wise precision/recall/F1 at the best threshold, the
// same with point-adjust (a whole labelled segment counts as found when any of its points is flagged:
// it inflates results, so it is always reported beside the point-wise figure), segment-wise recall,
// and ROC-AUC.

export interface DetectionResult {
  f1: number;
  precision: number;
  recall: number;
  threshold: number;
  f1PointAdjusted: number;
  segmentRecall: number;
  auc: number;
}

export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Average ranks for ties, so a constant detector scores 0.5.
  const ranks = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) (pos++, (rankSum += ranks[i]!));
  const neg = labels.length - pos;
  return pos === 0 || neg === 0 ? Number.NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function segments(labels: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1 && (i === 0 || labels[i - 1] !== 1)) out.push([i, i]);
    if (labels[i] === 1) out[out.length - 1]![1] = i;
  }
  return out;
}

function f1Of(pred: Uint8Array, labels: ArrayLike<number>): { f1: number; precision: number; recall: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] && labels[i] === 1) tp++;
    else if (pred[i]) fp++;
    else if (labels[i] === 1) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, precision, recall };
}

function adjust(pred: Uint8Array, segs: [number, number][]): Uint8Array {
  const out = pred.slice();
  for (const [a, b] of segs) {
    let hit = false;
    for (let i = a; i <= b && !hit; i++) hit = pred[i] === 1;
    if (hit) out.fill(1, a, b + 1);
  }
  return out;
}

/** Best F1 over thresholds (each measured independently: point-wise, and point-adjusted). */
export function evaluateScores(scores: ArrayLike<number>, labels: ArrayLike<number>, steps = 200): DetectionResult {
  const sorted = Array.from(scores).sort((a, b) => a - b);
  const segs = segments(labels);
  let best = { f1: 0, precision: 0, recall: 0, threshold: Number.POSITIVE_INFINITY };
  let bestAdjusted = 0;
  let segmentRecall = 0;
  const pred = new Uint8Array(scores.length);
  for (let s = 0; s < steps; s++) {
    const threshold = sorted[Math.floor(((s + 0.5) / steps) * sorted.length)]!;
    for (let i = 0; i < scores.length; i++) pred[i] = scores[i]! >= threshold ? 1 : 0;
    const r = f1Of(pred, labels);
    if (r.f1 > best.f1) {
      best = { ...r, threshold };
      segmentRecall = segs.length ? segs.filter(([a, b]) => pred.subarray(a, b + 1).includes(1)).length / segs.length : 0;
    }
    bestAdjusted = Math.max(bestAdjusted, f1Of(adjust(pred, segs), labels).f1);
  }
  return { ...best, f1PointAdjusted: bestAdjusted, segmentRecall, auc: rocAuc(scores, labels) };
}
