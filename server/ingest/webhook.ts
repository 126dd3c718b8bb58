// POST /webhook/alertmanager: authenticate, check media type and size, validate, commit, answer.
// Alertmanager treats any 2xx as delivered and never sends it again, so the answer is 200 only after
// the delivery with every alert is committed (and fsynced under synchronous full); on a store failure
// it is 503, which Alertmanager retries. Recording the alerts as incidents and work comes after the
// answer (receipt-recorder.ts), so a flood of deliveries is answered at the rate the disk takes them.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseAlertmanagerPayload } from './alertmanager-payload.ts';
import type { Clock } from '../../lib/clock.ts';
import { toNotification } from './inbox.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MedicMetrics, NotificationResult } from '../observability/metrics.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import type { AuthCheck } from './webhook-auth.ts';
import { logThrottle } from '../../lib/log-throttle.ts';
import type { BacklogGate } from './backlog-gate.ts';
import type { IngestActivity } from './ingest-activity.ts';

export interface WebhookDeps {
  store: Store;
  checkAuth: (authorization: string | undefined) => AuthCheck;
  metrics: MedicMetrics;
  clock: Clock;
  bodyLimitBytes: number;
  backlog: BacklogGate;
  /** Deliveries being answered (the workers defer to them). */
  ingest: IngestActivity;
  /** Called after the answer is sent: a delivery waits to be recorded; never inside the request. */
  onReceived: () => void;
}

export function webhookRouter(deps: WebhookDeps): Router {
  const router = express.Router();
  // Refused credentials are a misconfiguration until proven otherwise: say so, once per interval.
  const authRefusals = logThrottle(10_000, () => deps.clock.now());
  const parseJson = express.json({ limit: deps.bodyLimitBytes, strict: false, type: () => true });

  router.post(
    '/webhook/alertmanager',
    (req, res, next) => {
      const started = process.hrtime.bigint();
      deps.ingest.started();
      res.once('close', () => deps.ingest.answered());
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        deps.metrics.webhookDuration.observe({ code: String(res.statusCode) }, seconds);
        deps.metrics.notificationsReceived.inc({ result: (res.locals.result as NotificationResult | undefined) ?? 'error' });
      });
      next();
    },
    (req, res, next) => {
      const auth = deps.checkAuth(req.headers.authorization);
      if (auth.ok) return next();
      authRefusals((suppressedSinceLast) => (res.locals.log as Logger).warn(
        { client: req.socket.remoteAddress, reason: auth.reason, suppressedSinceLast },
        `webhook delivery refused (401): ${auth.reason}; check that Alertmanager's webhook http_config (authorization or basic_auth) sends what Medic expects (webhook.bearer_token / MEDIC_WEBHOOK_TOKEN, webhook.basic_auth)`,
      ));
      res.setHeader('WWW-Authenticate', 'Bearer realm="medic"');
      reject(res, 401, 'unauthorized', auth.reason);
    },
    (req, res, next) => {
      if (req.is(['application/json', 'application/*+json'])) return next();
      const seen = req.headers['content-type'] ?? 'none';
      reject(res, 415, 'unsupported_media_type', `Content-Type must be application/json, but was ${seen}`);
    },
    parseJson,
    async (req, res) => {
      const log = res.locals.log as Logger;
      const parsed = parseAlertmanagerPayload(req.body);
      if (!parsed.ok) {
        reject(res, 400, 'invalid', 'the body is not an Alertmanager webhook payload (version 4)', parsed.problems);
        log.warn({ problems: parsed.problems }, 'webhook payload rejected');
        return;
      }
      const payload = parsed.payload;
      if (payload.truncatedAlerts > 0) {
        // Alertmanager dropped alerts to honour max_alerts: Medic never sees them. Say so loudly.
        log.warn({ truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey }, 'Alertmanager truncated this notification');
      }
      let firing = 0;
      for (const a of payload.alerts) if (a.status === 'firing') firing++;
      let notificationId: number;
      try {
        if (firing > 0) {
          const backlog = await deps.backlog.check();
          if (backlog.full) {
            res.setHeader('Retry-After', '30');
            reject(res, 503, 'backlog_full', `the work backlog is full (${backlog.depth} items queued; server.max_backlog is ${backlog.limit}): retry later`);
            log.warn({ depth: backlog.depth, limit: backlog.limit, alerts: payload.alerts.length }, 'backlog full: delivery refused with 503 so Alertmanager retries it later');
            return;
          }
        }
        ({ notificationId } = await deps.store.receiveNotification(toNotification(payload, deps.clock.now(), res.locals.requestId as string)));
        // Counted as the work it may queue until the backlog is counted again (repeats included: an upper bound).
        deps.backlog.queued(firing);
      } catch (err) {
        const unavailable = err instanceof StoreUnavailableError;
        log.error({ err }, unavailable ? 'store cannot commit: answering 503 so Alertmanager retries' : 'recording the notification failed');
        res.setHeader('Retry-After', '5');
        reject(res, 503, 'store_unavailable', 'the notification could not be stored; retry later');
        return;
      }
      // Two increments, not one per alert: a label lookup each costs more than the count.
      if (firing > 0) deps.metrics.alertsReceived.inc({ status: 'firing' }, firing);
      if (payload.alerts.length > firing) deps.metrics.alertsReceived.inc({ status: 'resolved' }, payload.alerts.length - firing);
      res.locals.result = 'accepted';
      // What became of the alerts (incidents created, resolved, duplicates) is known once they are
      // recorded, a moment later: GET /api/notifications/:id says.
      res.status(200).json({ status: 'accepted', notification: notificationId, alerts: payload.alerts.length });
      // At debug: the info line for each delivery is 'notification recorded', a moment later, off the
      // answer's path (a line per delivery here cost 6% of a flood's event loop, measured).
      log.debug({ notification: notificationId, receiver: payload.receiver, groupKey: payload.groupKey, alerts: payload.alerts.length }, 'notification received');
      setImmediate(deps.onReceived);
    },
  );

  // body-parser's errors, turned into answers that say what to fix.
  router.use('/webhook/alertmanager', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      return reject(res, 413, 'too_large', `the body is larger than the limit of ${deps.bodyLimitBytes} bytes (server.body_limit)`);
    }
    if (type === 'entity.parse.failed') {
      return reject(res, 415, 'unsupported_media_type', `the body is not valid JSON: ${(err as Error).message}`);
    }
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return reject(res, 415, 'unsupported_media_type', (err as Error).message);
    }
    if (type === 'request.aborted' || type === 'request.size.invalid' || type === 'stream.encoding.set') {
      return reject(res, 400, 'invalid', (err as Error).message);
    }
    next(err);
  });
  return router;
}

function reject(res: Response, status: number, result: NotificationResult, message: string, problems?: unknown[]): void {
  res.locals.result = result;
  res.status(status).json(problems ? { error: message, problems } : { error: message });
}
