// The training commands' way to Prometheus: --prometheus names the URL; tenant, credentials, TLS and the
// batch size come from the server's own prometheus settings (medic.yaml via MEDIC_CONFIG or ./medic.yaml,
// and MEDIC_PROMETHEUS_* variables), so a nightly retraining reaches Mimir or Thanos exactly as the server
// does. They are used only when --prometheus is the server's prometheus.url: credentials are never sent
// to another host than the one they were configured for.
import { loadConfig } from '../server/app/config.ts';
import { publicUrl, type PrometheusConnection } from '../lib/prometheus-connection.ts';

export interface TrainingPrometheus {
  connection?: Omit<PrometheusConnection, 'url'>;
  batchSize: number;
  /** Why the configured credentials were not used, when some are configured for another URL. */
  note?: string;
}

export function trainingPrometheus(url: string, env: NodeJS.ProcessEnv, cwd: string): TrainingPrometheus {
  const loaded = loadConfig({}, env, cwd);
  const batchSize = loaded.config.prometheus.batch_size;
  const configured = loaded.prometheus;
  if (!configured) return { batchSize };
  const { url: configuredUrl, ...connection } = configured;
  if (publicUrl(configuredUrl) !== publicUrl(url)) {
    const hasSettings = Object.keys(connection).length > 0;
    return { batchSize, ...(hasSettings ? { note: `prometheus settings are for ${publicUrl(configuredUrl)}, not ${publicUrl(url)}: querying without its tenant, credentials and TLS` } : {}) };
  }
  return { batchSize, connection };
}

/** `source` with the settings above when it reads Prometheus (the process's environment and directory). */
export function withPrometheusSettings<S extends { kind: string; url?: string }>(source: S, log: (line: string) => void): S {
  if (source.kind !== 'prometheus' || source.url === undefined) return source;
  const p = trainingPrometheus(source.url, process.env, process.cwd());
  if (p.note) log(p.note);
  return { ...source, batchSize: p.batchSize, ...(p.connection ? { connection: p.connection } : {}) };
}
