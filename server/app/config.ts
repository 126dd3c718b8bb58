// Loading the configuration: medic.yaml, then environment variables, then command-line flags, each
// overriding the one before, validated against the one schema (config-schema.ts) with every problem
// reported at once.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SHIPPED_REGISTRY } from '../../models/registry.ts';
import { readSecretFile } from '../../lib/read-secret.ts';
import { ConfigError, describeIssue, formatDurations, readYamlFile } from '../../lib/yaml-config.ts';
import { ConfigSchema, type MedicConfig } from './config-schema.ts';
import type { WebhookCredentials } from '../ingest/webhook-auth.ts';
import type { ApiCredential } from '../api/api-auth.ts';
import { readApiCredentials } from './api-credentials.ts';
import { readPrometheusConnection } from './prometheus-credentials.ts';
import { publicUrl, type PrometheusConnection } from '../../lib/prometheus-connection.ts';
import { redactUrl } from '../store/postgres/pg-connection.ts';

export { ConfigError };
export { ConfigSchema, type MedicConfig } from './config-schema.ts';
export type { WebhookCredentials } from '../ingest/webhook-auth.ts';

export interface LoadedConfig {
  config: MedicConfig;
  credentials: WebhookCredentials;
  /** Credentials for /api with their roles (api.tokens and MEDIC_OPERATOR_TOKEN / MEDIC_READONLY_TOKEN). */
  apiCredentials: ApiCredential[];
  /** The YAML file read, if any. */
  file?: string;
  /** Absolute path of the SQLite database. */
  sqlitePath: string;
  dataDir: string;
  /** Absolute paths of the remediation files, when set. */
  files: { inventory?: string; policies?: string; rules?: string };
  /** Absolute path of the model registry (the shipped one unless models.registry is set). */
  modelRegistry: string;
  /** prometheus.url with its tenant, credentials and TLS, files read; undefined without a url. */
  prometheus?: PrometheusConnection;
}

/** Command-line settings, already parsed; undefined means "not given". */
export interface ConfigFlags {
  config?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  insecure?: boolean;
  logLevel?: string;
  inventory?: string;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
}

type Raw = Record<string, unknown>;

interface Override {
  path: string[];
  value: unknown;
  source: string;
  /** Settings that this one replaces when set (a token replaces a token file from a lower source). */
  replaces?: string[][];
}

// A secret from the environment is trimmed: a Kubernetes Secret or `echo` adds a trailing newline that
// would otherwise make every delivery 401, silently.
const ENV_SETTINGS: { env: string; path: string[]; kind: 'string' | 'int' | 'secret'; replaces?: string[][] }[] = [
  { env: 'MEDIC_HOST', path: ['server', 'host'], kind: 'string' },
  { env: 'MEDIC_PORT', path: ['server', 'port'], kind: 'int' },
  { env: 'MEDIC_DATA_DIR', path: ['data_dir'], kind: 'string' },
  { env: 'MEDIC_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { env: 'MEDIC_INVENTORY', path: ['remediation', 'inventory'], kind: 'string' },
  { env: 'MEDIC_PROMETHEUS_URL', path: ['prometheus', 'url'], kind: 'string' },
  { env: 'MEDIC_PROMETHEUS_TENANT', path: ['prometheus', 'tenant'], kind: 'string' },
  {
    env: 'MEDIC_PROMETHEUS_BEARER_TOKEN', path: ['prometheus', 'bearer_token'], kind: 'secret',
    replaces: [['prometheus', 'bearer_token_file'], ['prometheus', 'basic_auth']],
  },
  {
    env: 'MEDIC_PROMETHEUS_BEARER_TOKEN_FILE', path: ['prometheus', 'bearer_token_file'], kind: 'string',
    replaces: [['prometheus', 'bearer_token'], ['prometheus', 'basic_auth']],
  },
  { env: 'MEDIC_ALERTMANAGER_URL', path: ['alertmanager', 'url'], kind: 'string' },
  // A database URL may carry a password: a secret, trimmed, never printed.
  { env: 'MEDIC_DATABASE_URL', path: ['store', 'postgres', 'url'], kind: 'secret' },
  { env: 'MEDIC_STORE_DRIVER', path: ['store', 'driver'], kind: 'string' },
  { env: 'MEDIC_MODEL_REGISTRY', path: ['models', 'registry'], kind: 'string' },
  {
    env: 'MEDIC_WEBHOOK_TOKEN', path: ['webhook', 'bearer_token'], kind: 'secret',
    replaces: [['webhook', 'bearer_token_file']],
  },
  {
    env: 'MEDIC_WEBHOOK_TOKEN_FILE', path: ['webhook', 'bearer_token_file'], kind: 'string',
    replaces: [['webhook', 'bearer_token']],
  },
];

/**
 * Builds the effective configuration: defaults < medic.yaml < environment < flags.
 * Throws ConfigError with every problem found; never returns a half-valid config.
 */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  const explicitFile = flags.config ?? nonEmpty(env.MEDIC_CONFIG);
  const file = explicitFile ? resolve(cwd, explicitFile) : defaultFile(cwd);
  const fileLabel = file ?? 'defaults';
  const raw = file ? readYamlFile(file) : {};

  const overrides: Override[] = [];
  const envProblems: string[] = [];
  for (const s of ENV_SETTINGS) {
    const given = nonEmpty(env[s.env]);
    if (given === undefined) continue;
    const text = s.kind === 'secret' ? given.trim() : given;
    // Blank is not unset: a secret that became whitespace must not leave the webhook open.
    if (text === '') envProblems.push(`${s.env}: holds only whitespace; set the secret or unset the variable`);
    overrides.push({ path: s.path, value: s.kind === 'int' ? intOrText(text) : text, source: s.env, replaces: s.replaces });
  }
  if (envProblems.length > 0) throw new ConfigError(envProblems);
  if (flags.host !== undefined) overrides.push({ path: ['server', 'host'], value: flags.host, source: '--host' });
  if (flags.port !== undefined) overrides.push({ path: ['server', 'port'], value: intOrText(flags.port), source: '--port' });
  if (flags.dataDir !== undefined) overrides.push({ path: ['data_dir'], value: flags.dataDir, source: '--data-dir' });
  if (flags.logLevel !== undefined) overrides.push({ path: ['log', 'level'], value: flags.logLevel, source: '--log-level' });
  if (flags.insecure) overrides.push({ path: ['server', 'insecure'], value: true, source: '--insecure' });
  if (flags.inventory !== undefined) overrides.push({ path: ['remediation', 'inventory'], value: flags.inventory, source: '--inventory' });
  if (flags.prometheusUrl !== undefined) overrides.push({ path: ['prometheus', 'url'], value: flags.prometheusUrl, source: '--prometheus-url' });
  if (flags.alertmanagerUrl !== undefined) overrides.push({ path: ['alertmanager', 'url'], value: flags.alertmanagerUrl, source: '--alertmanager-url' });

  const sources = new Map<string, string>();
  for (const o of overrides) {
    for (const r of o.replaces ?? []) deletePath(raw, r);
    setPath(raw, o.path, o.value);
    sources.set(o.path.join('.'), o.source);
  }

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${sources.get(issue.path.join('.')) ?? fileLabel}: ${describeIssue(issue, raw)}`),
    );
  }
  const config = parsed.data;
  const dataDir = resolve(cwd, config.data_dir);
  const sqlitePath = config.store.sqlite.path ? resolve(dataDir, config.store.sqlite.path) : resolve(dataDir, 'medic.db');
  const credentials = readCredentials(config, file ? resolve(file, '..') : cwd);
  const apiCredentials = readApiCredentials(config, env, file ? resolve(file, '..') : cwd);
  // Remediation files named in medic.yaml are relative to it; from a flag or the environment, to cwd.
  const fileBase = (path: string) => (sources.has(path) || !file ? cwd : resolve(file, '..'));
  const remediationFile = (key: 'inventory' | 'policies' | 'rules') => {
    const v = config.remediation[key];
    return v === undefined ? undefined : resolve(fileBase(`remediation.${key}`), v);
  };
  const files = { inventory: remediationFile('inventory'), policies: remediationFile('policies'), rules: remediationFile('rules') };
  const modelRegistry = config.models.registry ? resolve(fileBase('models.registry'), config.models.registry) : SHIPPED_REGISTRY;
  const prometheus = readPrometheusConnection(config, file ? resolve(file, '..') : cwd);
  return { config, credentials, apiCredentials, file, sqlitePath, dataDir, files, modelRegistry, ...(prometheus ? { prometheus } : {}) };
}

function readCredentials(config: MedicConfig, baseDir: string): WebhookCredentials {
  const problems: string[] = [];
  const readSecret = (setting: string, path: string) => readSecretFile(setting, path, baseDir, problems);
  const w = config.webhook;
  const credentials: WebhookCredentials = {};
  const token = w.bearer_token ?? (w.bearer_token_file ? readSecret('webhook.bearer_token_file', w.bearer_token_file) : undefined);
  if (token) credentials.bearerToken = token;
  if (w.basic_auth) {
    const password =
      w.basic_auth.password ??
      (w.basic_auth.password_file ? readSecret('webhook.basic_auth.password_file', w.basic_auth.password_file) : undefined);
    if (password) credentials.basic = { username: w.basic_auth.username, password };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return credentials;
}

function defaultFile(cwd: string): string | undefined {
  const candidate = resolve(cwd, 'medic.yaml');
  return existsSync(candidate) ? candidate : undefined;
}

/** Configuration with secrets replaced, for `medic config check` and start-up logs. */
export function redactedConfig(config: MedicConfig): unknown {
  const copy = structuredClone(config) as MedicConfig;
  if (copy.webhook.bearer_token) copy.webhook.bearer_token = '<redacted>';
  if (copy.webhook.basic_auth?.password) copy.webhook.basic_auth.password = '<redacted>';
  for (const t of copy.api.tokens) if (t.token) t.token = '<redacted>';
  if (copy.prometheus.bearer_token) copy.prometheus.bearer_token = '<redacted>';
  if (copy.prometheus.basic_auth?.password) copy.prometheus.basic_auth.password = '<redacted>';
  if (copy.prometheus.url) copy.prometheus.url = publicUrl(copy.prometheus.url);
  if (copy.store.postgres.url) copy.store.postgres.url = redactUrl(copy.store.postgres.url);
  // Durations read as written ("10s"), every one of them, not as the milliseconds kept in code.
  return formatDurations(ConfigSchema, copy);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function intOrText(text: string): number | string {
  return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
}

function setPath(target: Raw, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Raw;
  }
  node[path[path.length - 1]!] = value;
}

function deletePath(target: Raw, path: string[]): void {
  let parent: unknown = target;
  for (const key of path.slice(0, -1)) parent = typeof parent === 'object' && parent !== null ? (parent as Raw)[key] : undefined;
  if (typeof parent === 'object' && parent !== null) delete (parent as Raw)[path[path.length - 1]!];
}
