// One schema for the whole configuration: medic.yaml, then environment variables, then command-line
// flags, each overriding the one before. Settings keep medic.yaml's snake_case names in code too, so a
// setting has one name in the file, the docs, the error messages and the source.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { SHIPPED_REGISTRY } from '../../models/registry.ts';
import { z } from 'zod';
import { formatDurationMs } from '../../lib/units.ts';
import { ByteSize, ConfigError, describeIssue, Duration, readYamlFile } from '../../lib/yaml-config.ts';

export { ConfigError };


const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const WebhookSchema = z
  .strictObject({
    bearer_token: z.string().min(1).optional(),
    bearer_token_file: z.string().min(1).optional(),
    basic_auth: z
      .strictObject({
        username: z.string().min(1),
        password: z.string().min(1).optional(),
        password_file: z.string().min(1).optional(),
      })
      .refine((b) => (b.password === undefined) !== (b.password_file === undefined), {
        message: 'needs exactly one of password or password_file',
      })
      .optional(),
  })
  .refine((w) => !(w.bearer_token !== undefined && w.bearer_token_file !== undefined), {
    message: 'set bearer_token or bearer_token_file, not both',
  });

export const ConfigSchema = z.strictObject({
  data_dir: z.string().min(1).default('./data'),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9095),
      body_limit: ByteSize.default(1024 * 1024),
      insecure: z.boolean().default(false),
      shutdown_timeout: Duration.default(10_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      driver: z.enum(['sqlite']).default('sqlite'),
      sqlite: z
        .strictObject({
          path: z.string().min(1).optional(),
          // FULL fsyncs the WAL on every commit: an accepted notification survives power loss, not just
          // a crash. NORMAL trades that for speed.
          synchronous: z.enum(['full', 'normal']).default('full'),
          // better-sqlite3 waits synchronously, blocking the event loop: keep this short.
          busy_timeout: Duration.default(200),
        })
        .prefault({}),
    })
    .prefault({}),
  webhook: WebhookSchema.prefault({}),
  workers: z
    .strictObject({
      concurrency: z.number().int().min(1).max(64).default(4),
      poll_interval: Duration.default(1000),
      max_attempts: z.number().int().min(1).max(100).default(5),
      retry_backoff: Duration.default(1000),
      retry_backoff_max: Duration.default(300_000),
      // engine: the remediation engine; dry-run: only record "would heal" (no inventory consulted).
      handler: z.enum(['engine', 'dry-run']).default('engine'),
      // How long the dry-run handler pretends an action takes; for demos and tests.
      dry_run_delay: Duration.default(0),
    })
    .prefault({}),
  remediation: z
    .strictObject({
      /** What Medic may act on. Without one, every alert is escalated: there is no target. */
      inventory: z.string().min(1).optional(),
      /** Tier policies and selection rules; the shipped defaults when not given. */
      policies: z.string().min(1).optional(),
      rules: z.string().min(1).optional(),
      /** Act on nothing anywhere: every action goes through the dry-run driver. */
      dry_run: z.boolean().default(false),
      /** Bound on each call to an agent's admin API. */
      http_timeout: Duration.default(5000),
      process_start_timeout: Duration.default(15_000),
      /** For the kubernetes driver; default: in-cluster configuration, else ~/.kube/config. */
      kubeconfig: z.string().min(1).optional(),
      /** How often expired config and runtime patches are looked for and reverted. */
      revert_interval: Duration.default(10_000),
      verify_interval: Duration.default(500),
      /** How long to wait before looking again at a guard that is full or an approval that is pending. */
      recheck_interval: Duration.default(5000),
    })
    .prefault({}),
  alertmanager: z
    .strictObject({
      /** Alertmanager's base URL, for escalation alerts and silences; unset: escalations are logged only. */
      url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      timeout: Duration.default(5000),
    })
    .prefault({}),
  prometheus: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      /** Per query: scoring and the prediction loop give up on a slow Prometheus rather than wait. */
      timeout: Duration.default(2000),
    })
    .prefault({}),
  models: z
    .strictObject({
      /** The model registry (models/registry.ts layout); unset: the models shipped with Medic. */
      registry: z.string().min(1).optional(),
      /** How often the registry is checked for a newly promoted version (hot reload). */
      reload_interval: Duration.default(10_000),
      /** Score each incident's agent before deciding (needs prometheus.url). */
      score_incidents: z.boolean().default(true),
      /** Score the whole fleet this often and export medic_anomaly_score (needs prometheus.url); 0 turns it off. */
      prediction_interval: Duration.default(30_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
});

export type MedicConfig = z.output<typeof ConfigSchema>;

/** Credentials the webhook accepts, with any *_file settings already read. */
export interface WebhookCredentials {
  bearerToken?: string;
  basic?: { username: string; password: string };
}

export interface LoadedConfig {
  config: MedicConfig;
  credentials: WebhookCredentials;
  /** The YAML file read, if any. */
  file?: string;
  /** Absolute path of the SQLite database. */
  sqlitePath: string;
  dataDir: string;
  /** Absolute paths of the remediation files, when set. */
  files: { inventory?: string; policies?: string; rules?: string };
  /** Absolute path of the model registry (the shipped one unless models.registry is set). */
  modelRegistry: string;
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

const ENV_SETTINGS: { env: string; path: string[]; kind: 'string' | 'int'; replaces?: string[][] }[] = [
  { env: 'MEDIC_HOST', path: ['server', 'host'], kind: 'string' },
  { env: 'MEDIC_PORT', path: ['server', 'port'], kind: 'int' },
  { env: 'MEDIC_DATA_DIR', path: ['data_dir'], kind: 'string' },
  { env: 'MEDIC_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { env: 'MEDIC_INVENTORY', path: ['remediation', 'inventory'], kind: 'string' },
  { env: 'MEDIC_PROMETHEUS_URL', path: ['prometheus', 'url'], kind: 'string' },
  { env: 'MEDIC_ALERTMANAGER_URL', path: ['alertmanager', 'url'], kind: 'string' },
  { env: 'MEDIC_MODEL_REGISTRY', path: ['models', 'registry'], kind: 'string' },
  {
    env: 'MEDIC_WEBHOOK_TOKEN', path: ['webhook', 'bearer_token'], kind: 'string',
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
  for (const s of ENV_SETTINGS) {
    const text = nonEmpty(env[s.env]);
    if (text === undefined) continue;
    overrides.push({ path: s.path, value: s.kind === 'int' ? intOrText(text) : text, source: s.env, replaces: s.replaces });
  }
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
  // Remediation files named in medic.yaml are relative to it; from a flag or the environment, to cwd.
  const fileBase = (path: string) => (sources.has(path) || !file ? cwd : resolve(file, '..'));
  const remediationFile = (key: 'inventory' | 'policies' | 'rules') => {
    const v = config.remediation[key];
    return v === undefined ? undefined : resolve(fileBase(`remediation.${key}`), v);
  };
  const files = { inventory: remediationFile('inventory'), policies: remediationFile('policies'), rules: remediationFile('rules') };
  const modelRegistry = config.models.registry ? resolve(fileBase('models.registry'), config.models.registry) : SHIPPED_REGISTRY;
  return { config, credentials, file, sqlitePath, dataDir, files, modelRegistry };
}

function readCredentials(config: MedicConfig, baseDir: string): WebhookCredentials {
  const problems: string[] = [];
  const readSecret = (setting: string, path: string): string | undefined => {
    const full = isAbsolute(path) ? path : resolve(baseDir, path);
    try {
      const text = readFileSync(full, 'utf8').trim();
      if (text === '') problems.push(`${setting}: ${full} is empty`);
      return text;
    } catch (err) {
      problems.push(`${setting}: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  };
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
  return {
    ...copy,
    server: { ...copy.server, shutdown_timeout: formatDurationMs(copy.server.shutdown_timeout) },
  };
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
