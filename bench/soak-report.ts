// The soak benchmark's verdict on flatness, from its samples: each figure's median over the first fifth
// of the run (after a one-minute warm-up) against the last fifth, and the heap's least-squares trend.
export interface SoakSample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  lagP99Ms: number;
  queue: number;
  answerP99Ms: number;
  delivered: number;
}

const FIGURES = ['rssMiB', 'heapMiB', 'lagP99Ms', 'answerP99Ms', 'queue'] as const;

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

export function soakReport(samples: SoakSample[]) {
  const warm = samples.filter((s) => s.minute >= 1);
  const fifth = Math.max(1, Math.floor(warm.length / 5));
  const first = warm.slice(0, fifth);
  const last = warm.slice(-fifth);
  const summary = Object.fromEntries(FIGURES.map((f) => {
    const a = median(first.map((s) => s[f]));
    const b = median(last.map((s) => s[f]));
    return [f, { first: a, last: b, ratio: b / a }];
  })) as Record<(typeof FIGURES)[number], { first: number; last: number; ratio: number }>;
  const heapTrendMiBPerHour = slope(warm.filter((s) => Number.isFinite(s.heapMiB)).map((s) => [s.minute / 60, s.heapMiB]));
  const rows = FIGURES.map((f) => `| ${f} | ${summary[f].first.toFixed(1)} | ${summary[f].last.toFixed(1)} | ${summary[f].ratio.toFixed(2)} |`);
  const text = [
    `samples: ${samples.length} (${warm.length} after the first minute); first and last fifth compared, medians`,
    '| figure | first fifth | last fifth | last / first |',
    '|---|---|---|---|',
    ...rows,
    `heap trend: ${heapTrendMiBPerHour.toFixed(1)} MiB/hour (least squares over every sample after the first minute)`,
  ].join('\n');
  return { summary: { ...summary, heapTrendMiBPerHour }, text };
}
