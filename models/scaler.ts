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
  // A feature that (almost) never moved in training scales by a small unit, 0.1% of its magnitude (at
  // least 0.001): any real move is then far outside its training range, as it is for the agent (a
  // dependency_up that was always 1 going to 0 read as a one-sigma event when such features scaled by
  // 1). The floor keeps float noise (Prometheus' 0.995 vs 0.99499999999999988) from reading as 1e16 σ.
  const std = sq.map((s, i) => Math.max(Math.sqrt(s / Math.max(1, rows.length)), 1e-3 * Math.max(1, Math.abs(mean[i]!))));
  return { mean, std };
}

export function scale(s: Scaler, row: ArrayLike<number>): Float64Array {
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = (row[i]! - s.mean[i]!) / s.std[i]!;
  return out;
}
