// Every medic_* metric, declared once. Label values come from closed sets, never from an alert's text.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StoreStats } from '../store/store.ts';

export const NOTIFICATION_RESULTS = [
  'accepted', 'unauthorized', 'unsupported_media_type', 'too_large', 'invalid', 'store_unavailable', 'backlog_full', 'error',
] as const;
export type NotificationResult = (typeof NOTIFICATION_RESULTS)[number];

export const WORK_RESULTS = ['done', 'failed', 'retry', 'released', 'deferred'] as const;
export type WorkResult = (typeof WORK_RESULTS)[number];

export interface MetricSources {
  storeStats(): Promise<StoreStats>;
  workerStates(): { busy: number; idle: number };
  /** Circuit breakers by agent type and state. */
  breakers?(): Promise<{ agentType: string; state: string }[]>;
  /** Escalations kept in the outbox that Alertmanager has not taken yet. */
  unsentEscalations?(): Promise<number>;
}

export const REMEDIATION_RESULTS = ['succeeded', 'failed', 'verify_failed', 'shadow', 'dry_run'] as const;

export type MedicMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(sources: MetricSources, version: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // A failing store must not fail the scrape: the store's gauges then report nothing, and
  // medic_store_up says why.
  let lastStats: Promise<StoreStats | undefined> | undefined;
  const stats = (): Promise<StoreStats | undefined> => {
    lastStats ??= sources.storeStats().then(
      (s) => s,
      () => undefined,
    ).finally(() => setImmediate(() => (lastStats = undefined)));
    return lastStats;
  };

  // A gauge read from the store's figures at scrape time (nothing set when the store cannot answer).
  const storeGauge = (name: string, help: string, pick: (s: StoreStats) => number) =>
    new Gauge({
      name, help, registers,
      async collect() {
        const s = await stats();
        if (s) this.set(pick(s));
      },
    });

  const metrics = {
    registry,
    buildInfo: new Gauge({ name: 'medic_build_info', help: 'Medic version running; always 1.', labelNames: ['version'], registers }),
    leader: new Gauge({ name: 'medic_periodic_jobs_leader', help: '1 while this Medic runs the periodic jobs (it holds the store\'s periodic-jobs lease), else 0: one Medic of those on a store.', registers }),
    notificationsReceived: new Counter({
      name: 'medic_notifications_received_total',
      help: 'Alertmanager webhook deliveries received, by how they were answered.',
      labelNames: ['result'],
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'medic_connections_refused_total',
      help: 'Connections closed before a request was read, by the limit they met (server.max_connections, server.max_connections_per_client).',
      labelNames: ['reason'],
      registers,
    }),
    alertsReceived: new Counter({
      name: 'medic_alerts_received_total',
      help: 'Alerts received in accepted deliveries, by alert status.',
      labelNames: ['status'],
      registers,
    }),
    alertDuplicates: new Counter({
      name: 'medic_alert_duplicates_total',
      help: 'Alerts received again for an incident already recorded in that state (repeats, retries, HA peers).',
      registers,
    }),
    incidentsCreated: new Counter({ name: 'medic_incidents_created_total', help: 'Incidents opened.', registers }),
    incidentsResolved: new Counter({ name: 'medic_incidents_resolved_total', help: 'Incidents closed by a resolved alert.', registers }),
    workCancelled: new Counter({
      name: 'medic_work_cancelled_total',
      help: 'Queued work cancelled because its alert resolved before the work started.',
      registers,
    }),
    workProcessed: new Counter({
      name: 'medic_work_processed_total',
      help: 'Work items that left a worker, by result.',
      labelNames: ['result'],
      registers,
    }),
    webhookDuration: new Histogram({
      name: 'medic_webhook_request_duration_seconds',
      help: 'Time from receiving a webhook request to answering it, by HTTP status code.',
      labelNames: ['code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    queueDepth: storeGauge('medic_queue_depth', 'Work items waiting for a worker.', (st) => st.pendingWork),
    alertsWaiting: storeGauge('medic_alerts_waiting', 'Alerts in deliveries answered and committed but not yet recorded as incidents (the inbox\'s second step).', (st) => st.receivedAlerts),
    actionsPaused: storeGauge('medic_actions_paused', '1 while an operator has paused automatic actions (the kill switch: POST /api/controls/pause), else 0.', (st) => st.actionsPaused ? 1 : 0),
    notificationsUnrecordable: new Counter({
      name: 'medic_notifications_unrecordable_total',
      help: 'Deliveries committed whose alerts could not be recorded (kept with the error; GET /api/notifications/:id).',
      registers,
    }),
    incidentsOpen: storeGauge('medic_incidents_open', 'Incidents whose alert is still firing.', (st) => st.openIncidents),
    workers: new Gauge({
      name: 'medic_workers',
      help: 'Workers by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const w = sources.workerStates();
        this.set({ state: 'busy' }, w.busy);
        this.set({ state: 'idle' }, w.idle);
      },
    }),
    remediations: new Counter({
      name: 'medic_remediations_total',
      help: 'Remediations that ran to an outcome, by strategy and result.',
      labelNames: ['strategy', 'result'],
      registers,
    }),
    remediationDuration: new Histogram({
      name: 'medic_remediation_duration_seconds',
      help: 'Time from acting to a verified (or failed) outcome, by strategy.',
      labelNames: ['strategy'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    timeToRecovery: new Histogram({
      name: 'medic_time_to_recovery_seconds',
      help: 'Time from the alert\'s start (Alertmanager\'s startsAt) to Medic\'s verified recovery, by the strategy that healed, the tier, and the selection rule that recognised the fault.',
      labelNames: ['strategy', 'tier', 'fault'],
      buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    recoveryPhases: new Histogram({
      name: 'medic_recovery_phase_seconds',
      help: 'Where the time to recovery went, by phase: routing (alert start to Medic), queueing (to the healing action), action, verification.',
      labelNames: ['phase'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    escalationsUnsent: new Gauge({
      name: 'medic_escalations_unsent',
      help: 'Escalations kept in the outbox that Alertmanager has not taken yet (it is down, or refuses them); they are sent again until it does.',
      registers,
      async collect() {
        const n = await sources.unsentEscalations?.().catch(() => undefined);
        if (n !== undefined) this.set(n);
      },
    }),
    escalations: new Counter({
      name: 'medic_escalations_total',
      help: 'Incidents handed to humans, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    guardBlocks: new Counter({
      name: 'medic_guard_blocks_total',
      help: 'Incidents a guard held back, or moved past a strategy for, by guard (once per incident and guard, not per recheck).',
      labelNames: ['guard'],
      registers,
    }),
    guardWait: new Histogram({
      name: 'medic_guard_wait_seconds',
      help: 'How long an incident held by a guard (or waiting for approval: mode) waited before it acted or was escalated, by guard.',
      labelNames: ['guard'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    circuitBreakers: new Gauge({
      name: 'medic_circuit_breakers',
      help: 'Circuit breakers Medic manages, by agent type and state.',
      labelNames: ['agent_type', 'state'],
      registers,
      async collect() {
        if (!sources.breakers) return;
        const all = await sources.breakers().catch(() => undefined);
        if (!all) return;
        this.reset();
        const counts = new Map<string, number>();
        for (const b of all) counts.set(`${b.agentType}\u0000${b.state}`, (counts.get(`${b.agentType}\u0000${b.state}`) ?? 0) + 1);
        for (const [key, n] of counts) {
          const [agent_type, state] = key.split('\u0000');
          this.set({ agent_type: agent_type!, state: state! }, n);
        }
      },
    }),
    anomalyScore: new Gauge({
      name: 'medic_anomaly_score',
      help: 'Anomaly score in [0, 1] of each agent at the last prediction loop, with the type of its largest deviation.',
      labelNames: ['agent', 'agent_type', 'tier', 'anomaly_type'],
      registers,
    }),
    anomalyThreshold: new Gauge({
      name: 'medic_anomaly_threshold',
      help: 'Score from which the model serving an agent type (its own, or the default model) calls a sample anomalous.',
      labelNames: ['agent_type'],
      registers,
    }),
    failureProbability: new Gauge({
      name: 'medic_failure_probability',
      help: 'Calibrated probability that each agent fails within its failure model\'s horizon, at the last prediction loop.',
      labelNames: ['agent', 'agent_type', 'tier'],
      registers,
    }),
    failureThreshold: new Gauge({
      name: 'medic_failure_threshold',
      help: 'Probability from which the failure model serving an agent type alarms (chosen for its target precision of alarm episodes).',
      labelNames: ['agent_type'],
      registers,
    }),
    predictionPrecision: new Gauge({ name: 'medic_prediction_precision', help: 'Share of failure-prediction alarm episodes followed within the horizon by a failure (or a remediation that prevented it), since start.', registers }),
    predictionRecall: new Gauge({ name: 'medic_prediction_recall', help: 'Share of agent failures foreseen by an alarm episode starting within the horizon before them, since start.', registers }),
    predictionLeadTime: new Gauge({ name: 'medic_prediction_lead_time_seconds', help: 'Median time from the predicting alarm to the failure, over the last 1,000 foreseen failures.', registers }),
    predictionBrier: new Gauge({ name: 'medic_prediction_brier_score', help: 'Mean squared error of the failure probabilities against what happened within the horizon (0 perfect, 0.25 a coin).', registers }),
    predictionEpisodes: new Counter({ name: 'medic_prediction_episodes_total', help: 'Failure-prediction alarm episodes judged, by outcome (true: a failure followed or was prevented).', labelNames: ['outcome'], registers }),
    predictionFailures: new Counter({ name: 'medic_prediction_failures_total', help: 'Agent failures seen by the prediction loop, by whether an alarm foresaw them.', labelNames: ['predicted'], registers }),
    modelInfo: new Gauge({
      name: 'medic_model_info',
      help: 'Model version in service per family (anomaly, failure) and agent type; always 1.',
      labelNames: ['family', 'agent_type', 'version'],
      registers,
    }),
    modelEvaluation: new Gauge({
      name: 'medic_model_evaluation',
      help: 'Figures measured on held-out data when each model in service was trained (from its card), by family, agent type and figure.',
      labelNames: ['family', 'agent_type', 'figure'],
      registers,
    }),
    modelReloads: new Counter({
      name: 'medic_model_reloads_total',
      help: 'Promoted model versions taken into service (loaded) or refused because they did not load (refused).',
      labelNames: ['result'],
      registers,
    }),
    predictionLoops: new Counter({
      name: 'medic_prediction_loops_total',
      help: 'Fleet scoring rounds, by result (ok, failed, skipped while the previous one still ran).',
      labelNames: ['result'],
      registers,
    }),
    predictionDuration: new Histogram({
      name: 'medic_prediction_loop_duration_seconds',
      help: 'Time of one fleet scoring round, by phase (query: Prometheus; score: features and models).',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    incidentScoring: new Histogram({
      name: 'medic_incident_scoring_duration_seconds',
      help: 'Time to score an incident\'s agent, by phase (query: Prometheus; score: features and model).',
      labelNames: ['phase'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    storeUp: new Gauge({
      name: 'medic_store_up',
      help: '1 when the store answered the last scrape, 0 when it did not.',
      registers,
      async collect() {
        this.set((await stats()) ? 1 : 0);
      },
    }),
  };
  metrics.buildInfo.set({ version }, 1);
  // Known label values start at zero so rates and absent() work from the first scrape.
  for (const result of NOTIFICATION_RESULTS) metrics.notificationsReceived.inc({ result }, 0);
  for (const status of ['firing', 'resolved']) metrics.alertsReceived.inc({ status }, 0);
  for (const reason of ['total', 'per_client']) metrics.connectionsRefused.inc({ reason }, 0);
  for (const result of WORK_RESULTS) metrics.workProcessed.inc({ result }, 0);
  for (const result of ['loaded', 'refused']) metrics.modelReloads.inc({ result }, 0);
  for (const result of ['ok', 'failed', 'skipped']) metrics.predictionLoops.inc({ result }, 0);
  for (const outcome of ['true', 'false']) metrics.predictionEpisodes.inc({ outcome }, 0);
  for (const predicted of ['yes', 'no']) metrics.predictionFailures.inc({ predicted }, 0);
  return metrics;
}
