// The HTTP surface: operations endpoints, the webhook, the read API, and one error handler.
import type { RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Clock } from '../../lib/clock.ts';
import type { Agent } from '../../remediations/types.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import { apiAccess, requireOperatorForChanges, type ApiAuthResult } from '../api/api-auth.ts';
import type { ChangeFeed } from '../api/change-feed.ts';
import { controlsApiRouter } from '../api/controls-api.ts';
import { eventsApiRouter } from '../api/events-api.ts';
import { fleetApiRouter } from '../api/fleet-api.ts';
import { operatorApiRouter, type ResetBreaker } from '../api/operator-api.ts';
import { operatorAudit } from '../api/operator-audit.ts';
import { readApiRouter } from '../api/read-api.ts';
import { runbooksRouter } from '../api/runbooks.ts';
import { replayApiRouter, type ReplayService } from '../api/replay-api.ts';
import { sessionApiRouter } from '../api/session-api.ts';
import { consoleRouter } from '../console/console-router.ts';
import { STRATEGY_NAMES } from '../../remediations/strategies/index.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import { isWebhookDelivery, webhookHandler } from '../ingest/webhook.ts';
import { requestIdFrom } from '../../lib/request-id.ts';
import type { BacklogGate } from '../ingest/backlog-gate.ts';
import type { IngestActivity } from '../ingest/ingest-activity.ts';
import type { AuthCheck } from '../ingest/webhook-auth.ts';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export interface AppDeps {
  store: Store;
  metrics: MedicMetrics;
  log: Logger;
  clock: Clock;
  checkAuth: (authorization: string | undefined) => AuthCheck;
  /** Who may use /api and with which role (api-auth.ts). */
  checkApi: (authorization: string | undefined) => ApiAuthResult;
  bodyLimitBytes: number;
  backlog: BacklogGate;
  ingest: IngestActivity;
  /** A delivery was committed as received: record it (receipt-recorder.ts). */
  onReceived: () => void;
  /** An operator decided an approval (or resumed automatic actions): work waiting on it may run now. */
  onDecision: () => void;
  readiness: () => Promise<Readiness>;
  /** The inventory's agents, for GET /api/fleet. */
  fleet?: () => readonly Agent[];
  /** The tier the policies put an agent in (for filtering incidents by tier). */
  tierOf?: (agent: Agent) => string;
  /** The policies' tier names (operators may switch a tier's decision mode). */
  tiers?: readonly string[];
  /** The anomaly models in service, for GET /api/models. */
  models?: () => unknown[];
  /** The last round's failure predictions, for GET /api/predictions. */
  predictions?: () => unknown[];
  /** What changed in the store, for GET /api/events (the console's live views). */
  events?: ChangeFeed;
  /** At most this many /api/events streams at once. */
  maxEventStreams?: number;
  /** The policy replay (what-if), for POST /api/replays. */
  replay?: ReplayService;
  /** An operator closes a circuit breaker, for POST /api/breakers/:target/reset. */
  resetBreaker?: ResetBreaker;
}

/**
 * The server's request listener: deliveries to the webhook go to its own handler (no Express in their
 * path: server/ingest/webhook.ts says why), everything else to the Express app.
 */
export function createApp(deps: AppDeps): RequestListener {
  const app = expressApp(deps);
  const webhook = webhookHandler(deps);
  return (req, res) => {
    if (isWebhookDelivery(req)) webhook(req, res);
    else app(req, res);
  };
}

function expressApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    res.locals.log = deps.log.child({ requestId });
    next();
  });

  app.get('/healthz', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (req, res) => {
    const r = await deps.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  });

  app.get('/metrics', async (req, res) => {
    const body = await deps.metrics.registry.metrics();
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(body);
  });

  // Public documentation, linked from alerts and dashboards: no credentials, nothing from the store.
  app.use(runbooksRouter());
  // The console's static files: no data in them, so no credential; it uses /api with its user's token.
  app.use(consoleRouter());

  // The read API shows alert labels and annotations, the operator API decides: both behind the gate,
  // and every state change on them audited.
  app.use('/api', apiAccess(deps.checkApi, deps.log, () => deps.clock.now()), operatorAudit(deps.store, deps.clock, deps.log), requireOperatorForChanges());
  app.use(sessionApiRouter(deps.tiers ?? ['default'], STRATEGY_NAMES));
  if (deps.events) app.use(eventsApiRouter(deps.events, deps.maxEventStreams ?? 50));
  if (deps.replay) app.use(replayApiRouter(deps.replay, deps.log));
  const tierOf = deps.tierOf;
  app.use(readApiRouter(deps.store, deps.models, deps.predictions, (tier) =>
    (deps.tiers ?? ['default']).includes(tier) ? (deps.fleet?.() ?? []).filter((a) => (tierOf ? tierOf(a) : 'default') === tier).map((a) => a.id) : undefined));
  app.use(fleetApiRouter(deps.store, deps.fleet ?? (() => [])));
  app.use(operatorApiRouter(deps.store, deps.clock, deps.onDecision, deps.resetBreaker));
  app.use(controlsApiRouter(deps.store, deps.clock, deps.log, deps.onDecision, deps.tiers ?? ['default']));

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const log = (res.locals.log as Logger | undefined) ?? deps.log;
    if (res.headersSent) return next(err);
    if (err instanceof StoreUnavailableError) {
      log.error({ err }, 'store unavailable');
      res.status(503).json({ error: 'the store is unavailable; retry later' });
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    log.error({ err }, 'unexpected error');
    res.status(500).json({ error: 'internal error; see the logs', requestId: res.locals.requestId });
  });
  return app;
}
