// The HTML training report written beside a failure model (report.html): loss curves per epoch, the
// precision-recall curve of the held-out windows, and the lead-time histogram of the failures it
// foresaw. Self-contained (inline SVG, no scripts, no network), so it opens from the registry folder.

export interface ReportInput {
  title: string;
  summary: Record<string, string | number>;
  epochs: { epoch: number; loss: number; validationLoss: number }[];
  bestEpoch: number;
  /** Held-out windows: calibrated probability and label. */
  validation: { p: ArrayLike<number>; labels: ArrayLike<number> };
  threshold: number;
  /** Lead times of predicted failures, in minutes. */
  leadMinutes: number[];
}

const W = 420, H = 240, PAD = 36;

export function precisionRecallCurve(p: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; precision: number; recall: number }[] {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[b]! - p[a]!);
  const positives = order.filter((i) => labels[i]! > 0.5).length;
  const out: { threshold: number; precision: number; recall: number }[] = [];
  let tp = 0;
  order.forEach((i, k) => {
    if (labels[i]! > 0.5) tp++;
    const next = order[k + 1];
    if (next === undefined || p[next]! !== p[i]!) out.push({ threshold: p[i]!, precision: tp / (k + 1), recall: positives ? tp / positives : 0 });
  });
  return out;
}

export function renderReport(r: ReportInput): string {
  const escape = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const pr = precisionRecallCurve(r.validation.p, r.validation.labels);
  const maxLoss = Math.max(...r.epochs.flatMap((e) => [e.loss, e.validationLoss]), 1e-9);
  const lossChart = chart('loss per epoch (training: blue, held-out: orange)', [
    { color: '#1f77b4', points: r.epochs.map((e) => [e.epoch, e.loss]) },
    { color: '#ff7f0e', points: r.epochs.map((e) => [e.epoch, e.validationLoss]) },
  ], [1, Math.max(2, r.epochs.length)], [0, maxLoss], `best epoch ${r.bestEpoch}`);
  const at = pr.find((x) => x.threshold <= r.threshold);
  const prChart = chart('precision (y) against recall (x), held-out windows', [{ color: '#2ca02c', points: pr.map((x) => [x.recall, x.precision]) }],
    [0, 1], [0, 1], at ? `alarm threshold ${r.threshold.toFixed(3)}: precision ${at.precision.toFixed(2)}, recall ${at.recall.toFixed(2)}` : `alarm threshold ${r.threshold.toFixed(3)}`);
  const bins = histogram(r.leadMinutes, 10);
  const histChart = bars('lead time of foreseen failures (minutes)', bins);
  const rows = Object.entries(r.summary).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(r.title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}svg{margin:1em 1em 0 0;border:1px solid #ccc}</style></head>
<body><h1>${escape(r.title)}</h1><table>${rows}</table>
<div>${lossChart}${prChart}${histChart}</div></body></html>
`;
}

function chart(title: string, lines: { color: string; points: number[][] }[], xr: [number, number], yr: [number, number], note: string): string {
  const x = (v: number) => PAD + ((v - xr[0]) / (xr[1] - xr[0] || 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - ((v - yr[0]) / (yr[1] - yr[0] || 1)) * (H - 2 * PAD);
  const paths = lines.map((l) => `<polyline fill="none" stroke="${l.color}" stroke-width="2" points="${l.points.map(([a, b]) => `${x(a!).toFixed(1)},${y(b!).toFixed(1)}`).join(' ')}"/>`).join('');
  return `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><text x="${PAD}" y="18" font-size="12">${title}</text>` +
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#888"/><line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" stroke="#888"/>` +
    `<text x="${PAD}" y="${H - 10}" font-size="10">${xr[0]}</text><text x="${W - PAD}" y="${H - 10}" font-size="10">${xr[1]}</text>` +
    `<text x="4" y="${PAD}" font-size="10">${yr[1].toPrecision(2)}</text>${paths}<text x="${PAD}" y="${H - PAD + 14}" font-size="11">${note}</text></svg>`;
}

function histogram(values: number[], count: number): { label: string; n: number }[] {
  if (!values.length) return [];
  const max = Math.max(...values, 1e-9);
  const width = max / count;
  const bins = Array.from({ length: count }, (_, i) => ({ label: `${(i * width).toFixed(1)}`, n: 0 }));
  for (const v of values) bins[Math.min(count - 1, Math.floor(v / width))]!.n++;
  return bins;
}

function bars(title: string, bins: { label: string; n: number }[]): string {
  const top = Math.max(1, ...bins.map((b) => b.n));
  const bw = (W - 2 * PAD) / Math.max(1, bins.length);
  const rects = bins.map((b, i) => {
    const h = (b.n / top) * (H - 2 * PAD);
    return `<rect x="${(PAD + i * bw + 1).toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#9467bd"><title>${b.n} from ${b.label} min</title></rect><text x="${(PAD + i * bw).toFixed(1)}" y="${H - PAD + 12}" font-size="9">${b.label}</text>`;
  }).join('');
  return `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><text x="${PAD}" y="18" font-size="12">${title}</text>${rects || `<text x="${PAD}" y="${H / 2}" font-size="12">no failure foreseen</text>`}</svg>`;
}
