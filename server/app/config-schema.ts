// The configuration's schema: every setting of medic.yaml, its rule and its default, in one place.
// Settings keep medic.yaml's snake_case names in code too, so a setting has one name in the file, the
// docs, the error messages and the source. Loading and precedence are config.ts's.
import { z } from 'zod';
import { ByteSize, Duration } from '../../lib/yaml-config.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

// HTTP basic auth, as the webhook takes it and as Medic sends it to Prometheus.
const BasicAuthSchema = z
  .strictObject({
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    password_file: z.string().min(1).optional(),
  })
  .refine((b) => (b.password === undefined) !== (b.password_file === undefined), { message: 'needs exactly one of password or password_file' });

const WebhookSchema = z
  .strictObject({
    bearer_token: z.string().min(1).optional(),
    bearer_token_file: z.string().min(1).optional(),
    basic_auth: BasicAuthSchema.optional(),
  })
  .refine((w) => !(w.bearer_token !== undefined && w.bearer_token_file !== undefined), {
    message: 'set bearer_token or bearer_token_file, not both',
  });

// Credentials for the read/operate API (/api), apart from the webhook's: who may read incidents and
// who may decide (approve, reject, promote). Each has a name, recorded as who did what.
export const API_ROLES = ['read-only', 'operator'] as const;
const ApiTokenSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 letters, digits or . _ @ -'),
    role: z.enum(API_ROLES),
    // At least 16 characters: an API token is a password that no one types.
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    token_file: z.string().min(1).optional(),
  })
  .refine((t) => (t.token === undefined) !== (t.token_file === undefined), { message: 'needs exactly one of token or token_file' });

const ApiSchema = z
  .strictObject({ tokens: z.array(ApiTokenSchema).max(200).default([]) })
  .refine((a) => new Set(a.tokens.map((t) => t.name)).size === a.tokens.length, { message: 'token names must be unique' });

export const ConfigSchema = z.strictObject({
  data_dir: z.string().min(1).default('./data'),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9095),
      body_limit: ByteSize.default(1024 * 1024),
      // Connections are capped before a request is read, in total and per client address, so that one
      // client cannot take every file descriptor. An Alertmanager peer opens one connection per alert group
      // it flushes at once (hundreds on a large fleet), so a peer may hold half the total; the total stays
      // under the usual soft limit of 1,024 descriptors with room for the store's and the drivers'.
      max_connections: z.number().int().min(1).max(100_000).default(512),
      max_connections_per_client: z.number().int().min(1).max(100_000).default(256),
      // Queued work past which deliveries with firing alerts are answered 503 (Alertmanager retries):
      // far above a storm on a large fleet, far below what fills a disk.
      max_backlog: z.number().int().min(1).default(10_000),
      insecure: z.boolean().default(false),
      shutdown_timeout: Duration.default(10_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      // sqlite: embedded, one process. postgres: several replicas on one database. Unset: postgres when
      // store.postgres.url (MEDIC_DATABASE_URL) is given, else sqlite.
      driver: z.enum(['sqlite', 'postgres']).optional(),
      sqlite: z
        .strictObject({
          path: z.string().min(1).optional(),
          // FULL fsyncs the WAL on every commit: an accepted notification survives power loss, not just
          // a crash. NORMAL trades that for speed.
          synchronous: z.enum(['full', 'normal']).default('full'),
          // better-sqlite3 waits synchronously, blocking the event loop: keep this short.
          busy_timeout: Duration.default(200),
          // Readiness fails below this much free space on the database's volume: before deliveries start
          // to fail with a full disk, not after. 0 turns the check off.
          min_free_space: ByteSize.default(64 * 1024 * 1024),
        })
        .prefault({}),
      postgres: z
        .strictObject({
          /** postgres://user[:password]@host:port/database; its password never appears in logs or errors. */
          url: z.url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// URL' }).optional(),
          /** Medic's tables live in this schema (created if missing). */
          schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _)').default('public'),
          /** Connections per replica: its workers, the webhook's receipts and the API's reads share them. */
          pool_size: z.number().int().min(2).max(200).default(10),
          /** A statement past this is cancelled and answered as "store unavailable" (503): no request waits on a stuck lock. */
          statement_timeout: Duration.default(5000),
          connect_timeout: Duration.default(5000),
          tls: z
            .strictObject({
              /** Trust these CA certificates (PEM) instead of the system's. */
              ca_file: z.string().min(1).optional(),
              /** Encrypt without checking the server's certificate: never outside a test. */
              insecure_skip_verify: z.boolean().default(false),
            })
            .optional(),
        })
        .prefault({}),
    })
    .refine((s) => s.driver !== 'postgres' || s.postgres.url !== undefined, {
      message: 'is required when store.driver is postgres (set it, or MEDIC_DATABASE_URL)',
      path: ['postgres', 'url'],
    })
    .transform((s) => ({ ...s, driver: s.driver ?? (s.postgres.url ? ('postgres' as const) : ('sqlite' as const)) }))
    .prefault({}),
  webhook: WebhookSchema.prefault({}),
  api: ApiSchema.prefault({}),
  workers: z
    .strictObject({
      concurrency: z.number().int().min(1).max(64).default(4),
      poll_interval: Duration.default(1000),
      max_attempts: z.number().int().min(1).max(100).default(5),
      // A claim holds this long unless renewed (every third of it, while the work runs): a Medic that dies
      // mid-incident has its work taken over by another on the same store after at most this.
      lease: Duration.default(10_000),
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
      /** Tries of one strategy on one incident when its driver fails retryably (a 503, a timeout), the
       * first included, with workers.retry_backoff between them; then the ladder climbs. */
      action_tries: z.number().int().min(1).max(10).default(3),
    })
    .prefault({}),
  alertmanager: z
    .strictObject({
      /** Alertmanager's base URL, for escalation alerts and silences; unset: escalations are logged only. */
      url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      timeout: Duration.default(5000),
      /** How often escalations Alertmanager has not taken yet are looked at again; an unsent one waits this
       * long after its first failure, doubling after each further one up to a minute, and is never dropped. */
      resend_interval: Duration.default(5000),
    })
    .prefault({}),
  prometheus: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      /** Per query: scoring and the prediction loop give up on a slow Prometheus rather than wait. */
      timeout: Duration.default(2000),
      // A Prometheus-compatible API behind tenancy, authentication or TLS (Mimir, Thanos, VictoriaMetrics,
      // a Prometheus behind a proxy): the same for scoring, verification and the server's fleet queries.
      /** Sent as X-Scope-OrgID. Mimir's rule for tenant ids; "|" joins tenants for federated queries. */
      tenant: z.string().regex(/^[A-Za-z0-9!._*'()|-]{1,150}$/, 'must be 1-150 letters, digits or ! - _ . * \' ( ) |').optional(),
      bearer_token: z.string().min(1).optional(),
      bearer_token_file: z.string().min(1).optional(),
      basic_auth: BasicAuthSchema.optional(),
      tls: z
        .strictObject({
          ca_file: z.string().min(1).optional(),
          cert_file: z.string().min(1).optional(),
          key_file: z.string().min(1).optional(),
          insecure_skip_verify: z.boolean().default(false),
        })
        .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'needs both cert_file and key_file for a client certificate, or neither' })
        .optional(),
      /** Agents per fleet query: 10,000 agents are 20 queries per column, none of them over per-query limits. */
      batch_size: z.number().int().min(1).max(5000).default(500),
    })
    .refine((p) => !(p.bearer_token !== undefined && p.bearer_token_file !== undefined), { message: 'set bearer_token or bearer_token_file, not both' })
    .refine((p) => !((p.bearer_token !== undefined || p.bearer_token_file !== undefined) && p.basic_auth !== undefined), { message: 'set a bearer token or basic_auth, not both (one Authorization header)' })
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
