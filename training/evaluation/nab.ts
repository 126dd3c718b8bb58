// NAB-style scoring (Numenta Anomaly Benchmark, standard profile), written for Medic from NAB's published
// rules (nab/sweeper.py, nab/runner.py): the first 15% of each file, at most 750 rows, is probationary
// (ignored); within an anomaly window only the first detection counts, worth more the earlier it comes (a
// scaled sigmoid of its position, divided by its value at the window's left edge so that an on-time
// detection is worth exactly A_TP); a detection outside every window costs A_FP times that sigmoid of its
// distance after the preceding window (a full A_FP with no window before it); a missed window costs A_FN.
// Scores are normalised over the corpus so that no detections give 0 and a detection at every window's
// start gives 100; the threshold is the one that scores best over the corpus, found by sweeping every
// distinct score as NAB's optimiser does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STANDARD_PROFILE = { tp: 1.0, fp: 0.11, fn: 1.0 };
const PROBATION = 0.15;
// NAB caps the probationary period at 15% of 5000 rows, so long files are scored from row 750 on.
const PROBATION_CAP = PROBATION * 5000;

export interface NabFile {
  name: string;
  category: string;
  timestamps: string[];
  values: number[];
  /** Anomaly windows as row index ranges [start, end], inclusive. */
  windows: [number, number][];
}

export function loadNab(dir: string): NabFile[] {
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, [string, string][]>;
  const files: NabFile[] = [];
  for (const category of readdirSync(join(dir, 'data')).sort()) {
    for (const f of readdirSync(join(dir, 'data', category)).filter((n) => n.endsWith('.csv')).sort()) {
      const lines = readFileSync(join(dir, 'data', category, f), 'utf8').split('\n').slice(1).filter((l) => l.trim());
      const timestamps = lines.map((l) => l.split(',')[0]!);
      const values = lines.map((l) => Number(l.split(',')[1]));
      const toIndex = (ts: string) => {
        const t = Date.parse(ts.replace(' ', 'T').replace(/\.\d+$/, '') + 'Z');
        const i = timestamps.findIndex((s) => Date.parse(s.replace(' ', 'T') + 'Z') >= t);
        return i < 0 ? timestamps.length - 1 : i;
      };
      const windows = (labels[`${category}/${f}`] ?? []).map(([a, b]) => [toIndex(a), toIndex(b)] as [number, number]);
      files.push({ name: f, category, timestamps, values, windows });
    }
  }
  return files;
}

/** The first scored row of a file of n rows: min(⌊15% of n⌋, 750), as NAB's sweeper computes it. */
export function probationLength(n: number): number {
  return Math.min(Math.floor(PROBATION * n), PROBATION_CAP);
}

export function scaledSigmoid(position: number): number {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/**
 * What a detection at each row would be worth (NAB's "sweep score"), and which window it falls in (−1:
 * none). Rows of the probationary period are left out (`from`). The one place the rules live: scoreFile
 * and the threshold sweep both read it.
 */
export function rowWeights(file: NabFile, p = STANDARD_PROFILE): { from: number; window: Int32Array; weight: Float64Array } {
  const n = file.values.length;
  const window = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  let w = 0; // the first window not ending before i
  for (let i = 0; i < n; i++) {
    while (w < file.windows.length && file.windows[w]![1] < i) w++;
    const cur = file.windows[w];
    if (cur && cur[0] <= i) {
      const width = cur[1] - cur[0] + 1;
      window[i] = w;
      weight[i] = (p.tp * scaledSigmoid(-(cur[1] - i + 1) / width)) / MAX_TP;
      continue;
    }
    const prev = file.windows[w - 1];
    // NAB divides the distance past the preceding window by its width less one.
    const position = prev ? (i - prev[1]) / Math.max(1, prev[1] - prev[0]) : 3;
    weight[i] = p.fp * scaledSigmoid(position);
  }
  return { from: probationLength(n), window, weight };
}

export interface RawScore {
  raw: number;
  nullScore: number;
  perfect: number;
}

/** Windows with at least one row after the probationary period: the ones a detector can find or miss. */
function countedWindows(file: NabFile): number {
  const from = probationLength(file.values.length);
  return file.windows.filter(([, b]) => b >= from).length;
}

/** One file's raw score for a set of detections (row flagged or not). */
export function scoreFile(file: NabFile, detected: ArrayLike<boolean>, p = STANDARD_PROFILE): RawScore {
  const { from, window, weight } = rowWeights(file, p);
  const best = new Array<number>(file.windows.length).fill(Number.NEGATIVE_INFINITY);
  let raw = 0;
  for (let i = from; i < file.values.length; i++) {
    if (!detected[i]) continue;
    const w = window[i]!;
    if (w < 0) raw += weight[i]!;
    else best[w] = Math.max(best[w]!, weight[i]!);
  }
  const counted = countedWindows(file);
  for (let w = 0; w < file.windows.length; w++) {
    if (file.windows[w]![1] >= from) raw += Number.isFinite(best[w]!) ? best[w]! : -p.fn;
  }
  return { raw, nullScore: -p.fn * counted, perfect: p.tp * counted };
}

/** 100 × (raw − null) / (perfect − null); NaN for files with no windows (nothing to normalise by). */
export function normalise(scores: RawScore[]): number {
  const raw = scores.reduce((s, x) => s + x.raw, 0);
  const nul = scores.reduce((s, x) => s + x.nullScore, 0);
  const perfect = scores.reduce((s, x) => s + x.perfect, 0);
  return perfect === nul ? Number.NaN : (100 * (raw - nul)) / (perfect - nul);
}

/**
 * The best normalised corpus score over every distinct score taken as the threshold (a row is a
 * detection when its score >= the threshold), and the per-category scores at that threshold. One sweep
 * from the highest score down, updating the corpus total as each row joins the detections.
 */
export function bestNabScore(files: NabFile[], scores: ArrayLike<number>[], p = STANDARD_PROFILE): { score: number; threshold: number; categories: Record<string, number> } {
  const value: number[] = [];
  const gain: number[] = [];
  const slot: number[] = []; // global window index, or −1 for a row outside every window
  let windowBase = 0;
  files.forEach((f, k) => {
    const { from, window, weight } = rowWeights(f, p);
    for (let i = from; i < f.values.length; i++) {
      const v = scores[k]![i]!;
      if (Number.isNaN(v)) continue; // never a detection
      value.push(v);
      gain.push(weight[i]!);
      slot.push(window[i]! < 0 ? -1 : windowBase + window[i]!);
    }
    windowBase += f.windows.length;
  });
  // No detections: every counted window missed.
  let total = files.reduce((s, f) => s - p.fn * countedWindows(f), 0);
  const best = new Float64Array(windowBase).fill(-p.fn);
  const order = Array.from(value.keys()).sort((a, b) => value[b]! - value[a]!);
  let bestTotal = total;
  let threshold = Number.POSITIVE_INFINITY;
  for (let j = 0; j < order.length; j++) {
    const r = order[j]!;
    const s = slot[r]!;
    if (s < 0) total += gain[r]!;
    else if (gain[r]! > best[s]!) {
      total += gain[r]! - best[s]!;
      best[s] = gain[r]!;
    }
    // A threshold only takes effect once every row with the same score has joined.
    const next = order[j + 1];
    if ((next === undefined || value[next]! !== value[r]!) && total > bestTotal) {
      bestTotal = total;
      threshold = value[r]!;
    }
  }
  const raw = files.map((f, i) => scoreFile(f, Array.from(scores[i]!, (v) => v >= threshold), p));
  const categories: Record<string, number> = {};
  for (const c of [...new Set(files.map((f) => f.category))]) categories[c] = normalise(raw.filter((_, i) => files[i]!.category === c));
  return { score: normalise(raw), threshold, categories };
}
