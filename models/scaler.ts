// Standard scaling, fitted on training vectors and applied unchanged when serving.
export interface Scaler {
  mean: number[];
  std: number[];
}

export function fitScaler(rows: readonly ArrayLike<number>[]): Scaler {
  const width = rows[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  for (const r of rows) for (let i = 0; i < width; i++) mean[i]! += r[i]!;
  for (let i = 0; i < width; i++) mean[i] = mean[i]! / Math.max(1, rows.length);
  for (const r of rows) for (let i = 0; i < width; i++) sq[i]! += (r[i]! - mean[i]!) ** 2;
  // A constant feature scales by 1: dividing by ~0 would turn noise into outliers.
  const std = sq.map((s) => Math.sqrt(s / Math.max(1, rows.length)) || 1);
  return { mean, std };
}

export function scale(s: Scaler, row: ArrayLike<number>): Float64Array {
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = (row[i]! - s.mean[i]!) / s.std[i]!;
  return out;
}
