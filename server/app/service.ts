// The service's lifecycle: open the store, resume interrupted work, listen, and stop gracefully.
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, type Readiness } from './http-app.ts';
import { listen } from './listen.ts';
import { changeFeed } from '../api/change-feed.ts';
import { replayService } from '../replay/replay-service.ts';
import { systemClock, type Clock } from '../../lib/clock.ts';
import { ConfigError, type LoadedConfig } from './config.ts';
import { openStore } from './open-store.ts';
import { createLeader } from './leader.ts';
import { limitConnections } from './connection-limits.ts';
import { backlogGate } from '../ingest/backlog-gate.ts';
import { IngestActivity } from '../ingest/ingest-activity.ts';
import { ReceiptRecorder } from '../ingest/receipt-recorder.ts';
import { dryRunHandler } from '../queue/dry-run-handler.ts';
import { engineRetryRule } from '../queue/retry.ts';
import type { Logger } from '../../lib/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { createAuthCheck, isLoopbackHost } from '../ingest/webhook-auth.ts';
import { createApiAuth } from '../api/api-auth.ts';
import { WorkerPool, type WorkHandler } from '../queue/worker-pool.ts';
import { RemediationEngine } from '../../remediations/engine.ts';
import { createDriverRegistry } from '../../remediations/drivers/index.ts';
import { buildInventory, loadInventory } from '../../remediations/inventory.ts';
import { defaultPolicies, loadPolicies, tierFor } from '../../remediations/decide/policies.ts';
import { defaultRules, loadRules } from '../../remediations/decide/selection.ts';
import { createAlertmanagerClient, createLogEscalator } from '../notify/alertmanager-client.ts';
import { createEscalationOutbox } from '../notify/escalation-outbox.ts';
import { startChangeReverter } from '../../remediations/act/change-reverter.ts';
import { resetBreaker } from '../../remediations/act/breaker-reset.ts';
import { createPrometheusClient } from '../scoring/prometheus-client.ts';
import { createIncidentScorer } from '../scoring/anomaly-scorer.ts';
import { ModelService } from '../scoring/model-service.ts';
import { FailurePredictor } from '../scoring/failure-predictor.ts';
import { startFailureModels } from '../scoring/failure-models-start.ts';
import { PREEMPTIVE_ALERTNAME } from '../../remediations/decide/policies.ts';
import { PredictionLoop } from '../scoring/prediction-loop.ts';
import { engineHandler, metricsObserver } from '../queue/remediation-handler.ts';

export const VERSION = '0.1.0';

export interface ServiceOptions {
  loaded: LoadedConfig;
  log: Logger;
  clock?: Clock;
  /** Replaces the configured handler (tests that exercise the webhook, inbox and queue alone). */
  handler?: WorkHandler;
}

export interface RunningService {
  /** Base URL, with the port actually bound (port 0 picks a free one). */
  url: string;
  port: number;
  store: Store;
  pool: WorkerPool;
  /** Stops accepting, drains in-flight work within server.shutdown_timeout, closes the store. */
  stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, credentials, sqlitePath } = options.loaded;
  const { log } = options;
  const clock = options.clock ?? systemClock;

  const hasCredentials = credentials.bearerToken !== undefined || credentials.basic !== undefined;
  if (!hasCredentials && !isLoopbackHost(config.server.host)) {
    if (!config.server.insecure) {
      throw new ConfigError([
        `refusing to listen on ${config.server.host} without webhook credentials: anyone who can reach it could post alerts. ` +
          'Set MEDIC_WEBHOOK_TOKEN or MEDIC_WEBHOOK_TOKEN_FILE (or webhook.bearer_token_file / webhook.basic_auth in medic.yaml), ' +
          'or pass --insecure to accept unauthenticated notifications.',
      ]);
    }
    log.warn({ host: config.server.host }, 'listening beyond loopback WITHOUT credentials (--insecure)');
  }
  const apiAuth = createApiAuth(options.loaded.apiCredentials, createAuthCheck(credentials), hasCredentials);
  if (options.loaded.apiCredentials.length === 0) {
    log.warn('no API tokens (api.tokens, MEDIC_OPERATOR_TOKEN): /api takes the webhook\'s credentials with the operator role; set API tokens to keep deciding apart from delivering');
  }

  // Remediation files are validated before anything starts: a typo stops the boot, not a 3 a.m. page.
  const inventory = options.loaded.files.inventory ? loadInventory(options.loaded.files.inventory) : buildInventory([]);
  const policies = options.loaded.files.policies ? loadPolicies(options.loaded.files.policies) : defaultPolicies();
  const rules = options.loaded.files.rules ? loadRules(options.loaded.files.rules) : defaultRules();
  if (!config.prometheus.url && rules.some((rule) => rule.verify?.promql)) {
    throw new ConfigError([
      `${options.loaded.files.rules ?? 'rules'}: rules ${rules.filter((rule) => rule.verify?.promql).map((rule) => rule.name).join(', ')} verify with PromQL: set --prometheus-url (MEDIC_PROMETHEUS_URL)`,
    ]);
  }
  if (config.workers.handler === 'engine' && inventory.all().length === 0) {
    log.warn('no inventory (--inventory or remediation.inventory): every incident will be escalated, none acted on');
  }

  const opened = await openStore(config, sqlitePath, log, options.loaded.file ? resolve(options.loaded.file, '..') : process.cwd());
  const store: Store = opened.store;

  // The only Medic on its store (SQLite's lock) returns what a dead predecessor left running at once;
  // beside other replicas, an expired lease hands work over instead (a running item may be theirs).
  const recovered = opened.exclusive ? await store.recoverInterrupted(clock.now()) : 0;
  if (recovered > 0) log.warn({ recovered }, 'work interrupted by the previous process returned to the queue');
  const pause = await store.actionsPaused();
  if (pause) log.warn({ by: pause.by, since: new Date(pause.at).toISOString(), note: pause.note }, 'automatic actions are PAUSED (the kill switch): no remediation starts until POST /api/controls/resume');

  let pool: WorkerPool | undefined;
  const metrics = createMetrics(
    { storeStats: () => store.stats(), workerStates: () => pool?.states() ?? { busy: 0, idle: 0 }, breakers: () => store.listBreakers(), unsentEscalations: () => store.unsentEscalations() },
    VERSION,
  );
  const r = config.remediation;
  const drivers = createDriverRegistry({ httpTimeoutMs: r.http_timeout, processStartTimeoutMs: r.process_start_timeout, kubeconfig: r.kubeconfig, dryRun: r.dry_run });
  const medicUrl = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${config.server.port}`;
  const alertmanager = config.alertmanager.url
    ? createAlertmanagerClient({ url: config.alertmanager.url, timeoutMs: config.alertmanager.timeout, medicUrl, log, clock })
    : undefined;
  // Escalations are kept until Alertmanager takes them, across its outages and Medic's restarts.
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // One Medic of those on the store runs the periodic jobs below (server/app/leader.ts).
  const leader = createLeader({ store, holder: instanceId, clock, log: log.child({ component: 'leader' }), metrics });
  await leader.start();
  const outbox = alertmanager && createEscalationOutbox({
    store, build: (e) => alertmanager.escalationAlerts(e), post: (p) => alertmanager.postAlerts(p), clock,
    log: log.child({ component: 'escalations' }), intervalMs: config.alertmanager.resend_interval, backoffMs: config.alertmanager.resend_interval, isLeader: leader.isLeader,
  });
  outbox?.start();
  // Models load before the first incident is taken; a registry that is empty or damaged leaves Medic
  // deciding on alerts alone, never stopped.
  const models = new ModelService(options.loaded.modelRegistry, log.child({ component: 'models' }), metrics);
  models.start(config.models.reload_interval);
  // The failure model needs TensorFlow.js started before it loads; it starts when the registry holds one.
  const failureModels = new ModelService(options.loaded.modelRegistry, log.child({ component: 'failure-models' }), metrics, 'failure');
  const failureStart = await startFailureModels(options.loaded.modelRegistry, failureModels, config.models.reload_interval, log);
  // One connection (tenant, credentials, TLS) for scoring, the fleet loops and verification alike.
  const promConnection = options.loaded.prometheus ?? (config.prometheus.url ? { url: config.prometheus.url } : undefined);
  const scoringPrometheus = promConnection ? createPrometheusClient(promConnection, config.prometheus.timeout) : undefined;
  const batching = { batchSize: config.prometheus.batch_size };
  // Idle until a failure model is in service (server/scoring/failure-models-start.ts).
  const failures = scoringPrometheus
    ? new FailurePredictor({ models: failureModels, prometheus: scoringPrometheus, metrics, clock, timeoutMs: config.prometheus.timeout, batching, actedSince: (since) => store.actedTargetsSince(since) })
    : undefined;
  const scorer = scoringPrometheus && config.models.score_incidents ? createIncidentScorer({
    models, prometheus: scoringPrometheus, clock, metrics,
    // A predicted failure is explained by the failure model (on any replica), not by the anomaly model.
    failurePrediction: (agent, alertname, signal) => (alertname === PREEMPTIVE_ALERTNAME ? failures?.predictionFor(agent, signal) : undefined),
  }) : undefined;
  const predictions = scoringPrometheus && config.models.prediction_interval > 0
    ? new PredictionLoop({ models, prometheus: scoringPrometheus, metrics, log: log.child({ component: 'predictions' }), clock, timeoutMs: config.prometheus.timeout, batching, isLeader: leader.isLeader, failures })
    : undefined;
  const engine = new RemediationEngine({
    store,
    inventory,
    policies,
    rules,
    drivers,
    escalator: outbox ?? createLogEscalator(log),
    silencer: alertmanager,
    observer: metricsObserver(metrics),
    clock,
    retry: engineRetryRule({ maxAttempts: r.action_tries, backoffMs: config.workers.retry_backoff, backoffMaxMs: config.workers.retry_backoff_max }),
    prometheus: promConnection ? createPrometheusClient(promConnection, r.http_timeout) : undefined,
    recheckMs: r.recheck_interval,
    verifyIntervalMs: r.verify_interval,
    scorer,
  });
  const configuredHandler = config.workers.handler === 'engine' ? engineHandler(engine) : dryRunHandler(clock, config.workers.dry_run_delay);
  const ingest = new IngestActivity();
  pool = new WorkerPool({
    store,
    handler: options.handler ?? configuredHandler,
    concurrency: config.workers.concurrency,
    pollIntervalMs: config.workers.poll_interval,
    maxAttempts: config.workers.max_attempts,
    leaseMs: config.workers.lease,
    retryBackoffMs: config.workers.retry_backoff,
    retryBackoffMaxMs: config.workers.retry_backoff_max,
    clock,
    log,
    metrics,
    instanceId,
    // Whatever handler runs, work given up on is closed and escalated by the engine: never left silent.
    onGaveUp: (work, error, { log: l }) => engine.abandon(work.incident, work.item.id, error, l),
    ingestBusy: () => ingest.busy(),
  });
  const workers = pool;
  const backlog = backlogGate({ stats: () => store.stats(), limit: config.server.max_backlog, clock });
  const recorder = new ReceiptRecorder({ store, clock, log, metrics, ingestBusy: () => ingest.busy(), catchUp: () => backlog.pressing(), onRecorded: () => workers.wake() });

  let stopping = false;
  const readiness = async (): Promise<Readiness> => {
    const checks: Record<string, string> = {};
    try {
      await store.ping();
      checks.store = 'ok';
    } catch (err) {
      checks.store = err instanceof Error ? err.message : String(err);
    }
    checks.workers = workers.running ? 'running' : 'stopped';
    if (stopping) checks.shutdown = 'in progress';
    return { ready: checks.store === 'ok' && workers.running && !stopping, checks };
  };

  const events = changeFeed({ store, log });
  const app = createApp({
    store, tiers: [...policies.tiers.keys()], fleet: () => inventory.all(), tierOf: (a) => tierFor(policies, a.type, a.tier).name,
    metrics,
    log,
    clock,
    checkAuth: createAuthCheck(credentials),
    checkApi: apiAuth,
    bodyLimitBytes: config.server.body_limit,
    backlog,
    ingest,
    onReceived: () => recorder.kick(),
    onDecision: () => workers.wake(),
    readiness,
    models: () => [...models.inService().map((m) => ({ family: 'anomaly', ...m })), ...failureModels.inService().map((m) => ({ family: 'failure', backend: failureStart.backend()?.name ?? null, ...m }))],
    predictions: () => predictions?.failurePredictions() ?? [],
    events, maxEventStreams: Math.max(1, Math.floor(config.server.max_connections / 4)),
    replay: replayService({ store, inventory, policies, rules, files: options.loaded.files }),
    resetBreaker: (target, by, note) => resetBreaker({ store, inventory, drivers, policies, clock, timeoutMs: r.http_timeout }, target, by, note),
  });

  let server: Server;
  try {
    server = await listen(app, config.server.host, config.server.port);
  } catch (err) {
    await leader.stop();
    await store.close();
    await opened.release();
    throw err;
  }
  limitConnections(server, { maxConnections: config.server.max_connections, perClient: config.server.max_connections_per_client }, {
    log, refused: (reason) => metrics.connectionsRefused.inc({ reason }),
  });
  // Alertmanager keeps connections alive between deliveries; outlive its idle timeout.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  server.requestTimeout = 30_000;

  workers.start();
  recorder.start();
  predictions?.start(config.models.prediction_interval);
  const reverter = startChangeReverter({
    store, inventory, drivers, policies, clock, log,
    intervalMs: r.revert_interval, timeoutMs: r.http_timeout, isLeader: leader.isLeader,
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const hostForUrl = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  log.info(
    {
      host: config.server.host, port, store: opened.where, workers: config.workers.concurrency, auth: hasCredentials, version: VERSION,
      handler: options.handler ? 'custom' : config.workers.handler, agents: inventory.all().length, dryRun: r.dry_run,
      alertmanager: config.alertmanager.url ?? null, models: models.inService().map((m) => `${m.agentType}@${m.version}`), failureModels: failureModels.inService().map((m) => `${m.agentType}@${m.version}`),
      scoring: { incidents: Boolean(scorer), predictionLoop: predictions ? config.models.prediction_interval : null },
    },
    'medic is serving',
  );

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      const timeout = config.server.shutdown_timeout;
      const deadline = Date.now() + timeout;
      log.info({ timeoutMs: timeout }, 'shutting down: no new requests; finishing in-flight work');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      events.close(); // live streams end now: they would hold the close until the timeout
      server.closeIdleConnections();
      // Requests already inside get their answer (their commit included) before connections are cut.
      const [{ released }] = await Promise.all([workers.stop(timeout), Promise.race([closed, sleep(timeout, undefined, { ref: false })])]);
      // Deliveries answered and not yet recorded are recorded now, within the timeout; any left stay
      // committed as received and the next start records them.
      if ((await recorder.stop(Math.max(0, deadline - Date.now()))).left) log.warn('deliveries still waiting to be recorded at the timeout: the next start records them');
      if (released > 0) log.warn({ released }, 'work still running at the timeout returned to the queue');
      server.closeAllConnections();
      await closed;
      await reverter.stop();
      outbox?.stop();
      await predictions?.stop();
      await leader.stop();
      models.stop();
      failureStart.stop();
      // Agents Medic started as local processes do not outlive it.
      await drivers.stopAll();
      await store.close();
      await opened.release();
      log.info('stopped');
    })();
    return stopped;
  };

  return { url: `http://${hostForUrl}:${port}`, port, store, pool: workers, stop };
}
