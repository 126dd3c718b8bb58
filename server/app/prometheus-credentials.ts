// The prometheus settings as a connection (lib/prometheus-connection.ts), read at start-up: token and
// password files, and the TLS files' PEM text, so that a missing or unreadable file stops the boot with
// the setting's name rather than failing every query at 3 a.m. Problems name settings and paths, never
// a secret's content.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readSecretFile } from '../../lib/read-secret.ts';
import { ConfigError } from '../../lib/yaml-config.ts';
import type { PrometheusConnection } from '../../lib/prometheus-connection.ts';
import type { MedicConfig } from './config-schema.ts';

/** The connection for prometheus.url, or undefined when no Prometheus is configured. */
export function readPrometheusConnection(config: MedicConfig, baseDir: string): PrometheusConnection | undefined {
  const p = config.prometheus;
  if (!p.url) return undefined;
  const problems: string[] = [];
  const secret = (setting: string, path: string) => readSecretFile(`prometheus.${setting}`, path, baseDir, problems);
  const connection: PrometheusConnection = { url: p.url };
  if (p.tenant) connection.tenant = p.tenant;
  const token = p.bearer_token ?? (p.bearer_token_file ? secret('bearer_token_file', p.bearer_token_file) : undefined);
  if (token) connection.bearerToken = token;
  if (p.basic_auth) {
    const password = p.basic_auth.password ?? (p.basic_auth.password_file ? secret('basic_auth.password_file', p.basic_auth.password_file) : undefined);
    if (password) connection.basicAuth = { username: p.basic_auth.username, password };
  }
  if (p.tls) {
    const pem = (setting: string, path: string | undefined) => (path === undefined ? undefined : readPem(`prometheus.tls.${setting}`, path, baseDir, problems));
    connection.tls = { ca: pem('ca_file', p.tls.ca_file), cert: pem('cert_file', p.tls.cert_file), key: pem('key_file', p.tls.key_file), insecureSkipVerify: p.tls.insecure_skip_verify };
    if (!p.url.startsWith('https:')) problems.push(`prometheus.tls: set, but prometheus.url ${p.url.replace(/\/\/[^@/]*@/, '//')} is not https: TLS settings would be ignored`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return connection;
}

function readPem(setting: string, path: string, baseDir: string, problems: string[]): string | undefined {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  try {
    const text = readFileSync(full, 'utf8');
    // The key file is a secret: only its shape is checked here, and only its path is ever printed.
    if (!text.includes('-----BEGIN ')) problems.push(`${setting}: ${full} holds no PEM block (-----BEGIN ...)`);
    return text;
  } catch (err) {
    problems.push(`${setting}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
}
