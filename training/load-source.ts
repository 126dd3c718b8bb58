// Reads the training data a command line asked for: a Prometheus range (fixed, or the lookback up to
// now for a nightly run) or a CSV file, read afresh on every call.
import { readFileSync } from 'node:fs';
import { readCsvSource } from './csv-source.ts';
import { fetchPrometheusHistory } from './prometheus-source.ts';
import { startProgress, type ProgressOptions } from '../lib/progress.ts';
import type { TrainingData } from './training-data.ts';
import type { PrometheusConnection } from '../lib/prometheus-connection.ts';

/** Where training data comes from, as a command line validated it (cli/train-options.ts). */
export type SourceSpec =
  | {
    kind: 'prometheus'; url: string; stepSeconds: number; rateWindow: string; selector?: string; pointsPerQuery: number; timeoutMs: number; range: { from: number; to: number } | { lookbackMs: number };
    /** Tenant, credentials, TLS (cli/prometheus-settings.ts) and agents per query. */
    connection?: Omit<PrometheusConnection, 'url'>; batchSize?: number;
  }
  | { kind: 'csv'; file: string; header: boolean; stepSeconds?: number };

export async function loadSource(spec: SourceSpec, o: { nowMs: number; signal?: AbortSignal; progress?: Pick<ProgressOptions, 'tty'>; log: (line: string) => void }): Promise<TrainingData> {
  if (spec.kind === 'csv') {
    const data = readCsvSource(readFileSync(spec.file, 'utf8'), { header: spec.header, name: spec.file });
    o.log(`read ${spec.file}: ${data.series.reduce((n, s) => n + s.rows.length, 0)} rows, ${data.series.length} series, columns ${data.columns.join(', ')}`);
    return data;
  }
  const range = 'lookbackMs' in spec.range ? { from: (o.nowMs - spec.range.lookbackMs) / 1000, to: o.nowMs / 1000 } : spec.range;
  o.log(`querying ${spec.url} from ${new Date(range.from * 1000).toISOString()} to ${new Date(range.to * 1000).toISOString()} every ${spec.stepSeconds} s`);
  let progress: ReturnType<typeof startProgress> | undefined;
  const data = await fetchPrometheusHistory({
    url: spec.url, start: range.from, end: range.to, stepSeconds: spec.stepSeconds, rateWindow: spec.rateWindow, selector: spec.selector,
    pointsPerQuery: spec.pointsPerQuery, timeoutMs: spec.timeoutMs, signal: o.signal, connection: spec.connection, batchSize: spec.batchSize,
    onProgress: (done, total) => {
      progress ??= startProgress('prometheus', total, { ...o.progress, log: o.log });
      progress.update(done);
    },
  });
  progress?.finish();
  const types = [...new Set(data.series.map((s) => s.agentType))].sort();
  o.log(`${data.series.length} agents of ${types.length} types (${types.join(', ')}), ${data.series[0]?.rows.length ?? 0} steps each`);
  if (data.series.length === 0) throw new Error(`Prometheus at ${spec.url} has no agent series in that range${spec.selector ? ` for selector ${spec.selector}` : ''}: check --from/--to (or --lookback) and --selector`);
  return data;
}
