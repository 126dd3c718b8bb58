// Failures written into a healthy, unlabelled history (pure, seeded), so the failure model can learn
// from data that never saw one (ASD's training months, a fleet's first week). Most faults degrade
// before they fail, as real ones do: a leak or a queue ramps for a while, and the failure starts when the
// ramp crosses a level the metric never reached in health; some are sudden, for honesty (nothing in the
// window foretells them). Each touches 1 to 3 columns; the failing rows are the labels.
import { seededRandom } from '../lib/random.ts';

export const SYNTHETIC_KINDS = ['ramp', 'step', 'variance'] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

export interface SyntheticFaultOptions {
  seed: number;
  /** Mean healthy rows between two faults. */
  every: number;
  /** Longest ramp before the failure starts, in rows. */
  maxRamp: number;
  /** Rows a failure lasts. */
  duration: [number, number];
  /** Share of faults that are sudden steps (the rest ramp or grow noisy). */
  suddenShare: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticFaultOptions = { seed: 7, every: 160, maxRamp: 24, duration: [6, 30], suddenShare: 0.25 };

export interface InjectedFault { kind: SyntheticKind; columns: number[]; rampFrom: number; start: number; end: number }

/** A copy of `rows` with faults written in, the per-row failing flags, and what was injected where. */
export function injectFaults(rows: readonly (readonly number[])[], o: SyntheticFaultOptions = SYNTHETIC_DEFAULTS): { rows: number[][]; failing: Uint8Array; faults: InjectedFault[] } {
  const random = seededRandom(o.seed);
  const width = rows[0]?.length ?? 0;
  const out = rows.map((r) => [...r]);
  const failing = new Uint8Array(rows.length);
  const faults: InjectedFault[] = [];
  if (width === 0) return { rows: out, failing, faults };
  const { mean, std, min, max } = columnStats(rows);
  const movable = [...Array(width).keys()].filter((c) => std[c]! > 1e-9 || max[c]! > min[c]!);
  const pool = movable.length ? movable : [...Array(width).keys()];
  let t = Math.floor(o.every * (0.5 + random()));
  while (t < rows.length) {
    const kind: SyntheticKind = random() < o.suddenShare ? 'step' : random() < 0.75 ? 'ramp' : 'variance';
    const k = 1 + Math.floor(random() * Math.min(3, pool.length));
    const columns = shuffle(pool, random).slice(0, k);
    const ramp = kind === 'step' ? 0 : 4 + Math.floor(random() * (o.maxRamp - 3));
    const duration = o.duration[0] + Math.floor(random() * (o.duration[1] - o.duration[0] + 1));
    const rampFrom = t;
    const start = t + ramp;
    const end = Math.min(rows.length, start + duration);
    if (start >= rows.length) break;
    for (const c of columns) {
      const spread = Math.max(std[c]!, 1e-3 * Math.max(1, Math.abs(mean[c]!)), (max[c]! - min[c]!) / 3);
      // Which way the metric degrades: up unless it already sits near its top (a ratio near 1).
      const up = random() < 0.7 || max[c]! - mean[c]! < spread;
      const sign = up ? 1 : -1;
      // The failure level: beyond anything seen in health, by 1 to 3 spreads.
      const target = (up ? max[c]! : min[c]!) + sign * spread * (1 + 2 * random());
      for (let i = rampFrom; i < end; i++) {
        const base = rows[i]![c]!;
        const progress = i < start ? (i - rampFrom + 1) / (ramp + 1) : 1;
        if (kind === 'variance') out[i]![c] = base + sign * (progress * Math.abs(target - mean[c]!)) * (0.5 + random());
        // Toward the failure level, keeping a quarter of the healthy noise: at the level, a row lies
        // beyond the healthy range by at least a spread less a quarter of the range (spread ≥ range/3).
        else out[i]![c] = base + (kind === 'ramp' ? progress : 1) * (target + 0.25 * (base - mean[c]!) - base);
      }
    }
    for (let i = start; i < end; i++) failing[i] = 1;
    faults.push({ kind, columns, rampFrom, start, end });
    t = end + Math.floor(o.every * (0.5 + random()));
  }
  return { rows: out, failing, faults };
}

function columnStats(rows: readonly (readonly number[])[]): { mean: number[]; std: number[]; min: number[]; max: number[] } {
  const width = rows[0]!.length;
  const mean = new Array<number>(width).fill(0), sq = new Array<number>(width).fill(0);
  const min = new Array<number>(width).fill(Infinity), max = new Array<number>(width).fill(-Infinity);
  for (const r of rows) for (let c = 0; c < width; c++) {
    const v = r[c]!;
    mean[c]! += v; sq[c]! += v * v;
    if (v < min[c]!) min[c] = v;
    if (v > max[c]!) max[c] = v;
  }
  const n = rows.length;
  for (let c = 0; c < width; c++) mean[c] = mean[c]! / n;
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2)));
  return { mean, std, min, max };
}

function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
