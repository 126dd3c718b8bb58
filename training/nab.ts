// NAB-style scoring (Numenta Anomaly Benchmark, standard profile), written for Medic from NAB's published
// rules: the first 15% of each file is probationary (ignored); within an anomaly window only the first
// detection counts, worth more the earlier it comes (a scaled sigmoid of its position); a detection
// outside every window costs A_FP times that sigmoid of its distance after the preceding window (a full
// A_FP with no window before it); a missed window costs A_FN. Scores are normalised over the corpus so
// that no detections give 0 and a detector at every window's start gives 100; the threshold is the one
// that scores best over the corpus, as NAB optimises it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STANDARD_PROFILE = { tp: 1.0, fp: 0.11, fn: 1.0 };
const PROBATION = 0.15;

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

export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

export interface RawScore {
  raw: number;
  nullScore: number;
  perfect: number;
}

/** One file's raw score for a set of detections (row flagged or not). */
export function scoreFile(file: NabFile, detected: ArrayLike<boolean>, p = STANDARD_PROFILE): RawScore {
  const probation = Math.floor(PROBATION * file.values.length);
  let raw = 0;
  const windows = file.windows;
  const found = new Array<boolean>(windows.length).fill(false);
  let w = 0; // the first window not ending before i
  for (let i = probation; i < file.values.length; i++) {
    while (w < windows.length && windows[w]![1] < i) w++;
    if (!detected[i]) continue;
    const inWindow = w < windows.length && windows[w]![0] <= i && i <= windows[w]![1];
    if (inWindow) {
      if (!found[w]) {
        const [a, b] = windows[w]!;
        const length = b - a + 1;
        raw += p.tp * scaledSigmoid(-(b - i + 1) / length);
        found[w] = true;
      }
      continue;
    }
    const prev = w - 1 >= 0 ? windows[w - 1] : undefined;
    if (prev) {
      const length = prev[1] - prev[0] + 1;
      raw += p.fp * scaledSigmoid((i - prev[1]) / length);
    } else {
      raw -= p.fp;
    }
  }
  const counted = windows.filter(([, b]) => b >= probation);
  raw -= p.fn * counted.filter((win) => !found[windows.indexOf(win)]).length;
  const perfect = counted.reduce((s, [a, b]) => s + p.tp * scaledSigmoid(-(b - Math.max(a, probation) + 1) / (b - a + 1)), 0);
  return { raw, nullScore: -p.fn * counted.length, perfect };
}

/** 100 × (raw − null) / (perfect − null); NaN for files with no windows (nothing to normalise by). */
export function normalise(scores: RawScore[]): number {
  const raw = scores.reduce((s, x) => s + x.raw, 0);
  const nul = scores.reduce((s, x) => s + x.nullScore, 0);
  const perfect = scores.reduce((s, x) => s + x.perfect, 0);
  return perfect === nul ? Number.NaN : (100 * (raw - nul)) / (perfect - nul);
}

/** The best normalised corpus score over thresholds, and the per-category scores at that threshold. */
export function bestNabScore(files: NabFile[], scores: ArrayLike<number>[], steps = 60): { score: number; threshold: number; categories: Record<string, number> } {
  const all = scores.flatMap((s) => Array.from(s)).sort((a, b) => a - b);
  let best = { score: Number.NEGATIVE_INFINITY, threshold: Number.POSITIVE_INFINITY, categories: {} as Record<string, number> };
  const candidates = new Set<number>();
  for (let k = 0; k < steps; k++) candidates.add(all[Math.min(all.length - 1, Math.floor((1 - 0.5 ** (k / 4 + 1)) * all.length))]!);
  candidates.add(Number.POSITIVE_INFINITY);
  for (const threshold of candidates) {
    const raw = files.map((f, i) => scoreFile(f, Array.from(scores[i]!, (v) => v >= threshold)));
    const total = normalise(raw);
    if (total > best.score) {
      const categories: Record<string, number> = {};
      for (const c of [...new Set(files.map((f) => f.category))]) categories[c] = normalise(raw.filter((_, i) => files[i]!.category === c));
      best = { score: total, threshold, categories };
    }
  }
  return best;
}
