// POST /webhook/alertmanager: authenticate, check media type and size, validate, commit, answer.
// Alertmanager treats any 2xx as delivered and never sends it again, so the answer is 200 only after
// the delivery with every alert is committed (and fsynced under synchronous full); on a store failure
// it is 503, which Alertmanager retries. Recording the alerts as incidents and work comes after the
// answer (receipt-recorder.ts), so a flood of deliveries is answered at the rate the disk takes them.
// A plain node:http handler, ahead of the Express app (server/app/http-app.ts): on a saturated webhook
// Express's router and body parser were a fifth of the event loop (bench:webhook, --profile), and this
// route needs neither; read-json-body.ts gives their answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAlertmanagerPayload } from './alertmanager-payload.ts';
import type { Clock } from '../../lib/clock.ts';
import { toNotification } from './inbox.ts';
import type { Logger } from '../../lib/logger.ts';
import { requestIdFrom } from '../../lib/request-id.ts';
import type { MedicMetrics, NotificationResult } from '../observability/metrics.ts';
import { StoreUnavailableError, type Store } from '../store/store.ts';
import type { AuthCheck } from './webhook-auth.ts';
import { logThrottle } from '../../lib/log-throttle.ts';
import type { BacklogGate } from './backlog-gate.ts';
import type { IngestActivity } from './ingest-activity.ts';
import { mediaTypeProblem, readJsonBody } from './read-json-body.ts';

export const WEBHOOK_PATH = '/webhook/alertmanager';

export interface WebhookDeps {
  store: Store;
  log: Logger;
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

/** Whether a request is a delivery to the webhook (the path as Express matches it: any case, a trailing slash, a query). */
export function isWebhookDelivery(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const query = req.url.indexOf('?');
  let path = query < 0 ? req.url : req.url.slice(0, query);
  if (path.length === WEBHOOK_PATH.length + 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path.length === WEBHOOK_PATH.length && path.toLowerCase() === WEBHOOK_PATH;
}

export function webhookHandler(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => void {
  // Refused credentials are a misconfiguration until proven otherwise: say so, once per interval.
  const authRefusals = logThrottle(10_000, () => deps.clock.now());

  return (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    // A child logger costs more than a delivery's validation: made only when a line is written.
    let child: Logger | undefined;
    const log = (): Logger => (child ??= deps.log.child({ requestId }));
    let result: NotificationResult = 'error';
    deps.ingest.started();
    res.once('close', () => deps.ingest.answered());
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.webhookDuration.observe({ code: String(res.statusCode) }, seconds);
      deps.metrics.notificationsReceived.inc({ result });
    });
    const answer = (status: number, r: NotificationResult, body: unknown): void => {
      result = r;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    const reject = (status: number, r: NotificationResult, message: string, problems?: unknown[]): void =>
      answer(status, r, problems ? { error: message, problems } : { error: message });

    const auth = deps.checkAuth(req.headers.authorization);
    if (!auth.ok) {
      authRefusals((suppressedSinceLast) => log().warn(
        { client: req.socket.remoteAddress, reason: auth.reason, suppressedSinceLast },
        `webhook delivery refused (401): ${auth.reason}; check that Alertmanager's webhook http_config (authorization or basic_auth) sends what Medic expects (webhook.bearer_token / MEDIC_WEBHOOK_TOKEN, webhook.basic_auth)`,
      ));
      res.setHeader('WWW-Authenticate', 'Bearer realm="medic"');
      req.resume();
      return reject(401, 'unauthorized', auth.reason);
    }
    const wrongType = mediaTypeProblem(req);
    if (wrongType) {
      req.resume();
      return reject(415, 'unsupported_media_type', wrongType);
    }
    receive({ req, res, requestId, log, reject, answer }, deps).catch((err: unknown) => {
      log().error({ err }, 'unexpected error in the webhook');
      if (!res.headersSent) answer(500, 'error', { error: 'internal error; see the logs', requestId });
      else res.destroy();
    });
  };
}

interface Delivery {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  log: () => Logger;
  reject: (status: number, r: NotificationResult, message: string, problems?: unknown[]) => void;
  answer: (status: number, r: NotificationResult, body: unknown) => void;
}

// The body read, validated and committed as received; the answer says so only after the commit.
async function receive({ req, res, requestId, log, reject, answer }: Delivery, deps: WebhookDeps): Promise<void> {
  const body = await readJsonBody(req, deps.bodyLimitBytes);
  if (!body.ok) return reject(body.status, body.result, body.message);
  const parsed = parseAlertmanagerPayload(body.value);
  if (!parsed.ok) {
    reject(400, 'invalid', 'the body is not an Alertmanager webhook payload (version 4)', parsed.problems);
    log().warn({ problems: parsed.problems }, 'webhook payload rejected');
    return;
  }
  const payload = parsed.payload;
  if (payload.truncatedAlerts > 0) {
    // Alertmanager dropped alerts to honour max_alerts: Medic never sees them. Say so loudly.
    log().warn({ truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey }, 'Alertmanager truncated this notification');
  }
  let firing = 0;
  for (const a of payload.alerts) if (a.status === 'firing') firing++;
  let notificationId: number;
  try {
    if (firing > 0) {
      const backlog = await deps.backlog.check();
      if (backlog.full) {
        res.setHeader('Retry-After', '30');
        reject(503, 'backlog_full', `the work backlog is full (${backlog.depth} items queued; server.max_backlog is ${backlog.limit}): retry later`);
        log().warn({ depth: backlog.depth, limit: backlog.limit, alerts: payload.alerts.length }, 'backlog full: delivery refused with 503 so Alertmanager retries it later');
        return;
      }
    }
    ({ notificationId } = await deps.store.receiveNotification(toNotification(payload, deps.clock.now(), requestId)));
    // Counted as the work it may queue until the backlog is counted again (repeats included: an upper bound).
    deps.backlog.queued(firing);
  } catch (err) {
    const unavailable = err instanceof StoreUnavailableError;
    log().error({ err }, unavailable ? 'store cannot commit: answering 503 so Alertmanager retries' : 'recording the notification failed');
    res.setHeader('Retry-After', '5');
    reject(503, 'store_unavailable', 'the notification could not be stored; retry later');
    return;
  }
  // Two increments, not one per alert: a label lookup each costs more than the count.
  if (firing > 0) deps.metrics.alertsReceived.inc({ status: 'firing' }, firing);
  if (payload.alerts.length > firing) deps.metrics.alertsReceived.inc({ status: 'resolved' }, payload.alerts.length - firing);
  // What became of the alerts (incidents created, resolved, duplicates) is known once they are
  // recorded, a moment later: GET /api/notifications/:id says.
  answer(200, 'accepted', { status: 'accepted', notification: notificationId, alerts: payload.alerts.length });
  // At debug: the info line for each delivery is 'notification recorded', a moment later, off the
  // answer's path (a line per delivery here cost 6% of a flood's event loop, measured).
  if (deps.log.isLevelEnabled('debug')) log().debug({ notification: notificationId, receiver: payload.receiver, groupKey: payload.groupKey, alerts: payload.alerts.length }, 'notification received');
  setImmediate(deps.onReceived);
}
