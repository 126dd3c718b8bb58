// The operator API's audit trail: every request that could change state (any method but a read) is
// recorded with who made it, by which kind of credential, and the answer it got: decisions, refusals for
// want of a role, and mistakes alike. Unauthenticated requests are not recorded (anyone can send them;
// they would fill the disk) but logged, rate-limited, by the access gate.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Store } from '../store/store.ts';
import { READ_METHODS, type Principal } from './api-auth.ts';

export function operatorAudit(store: Store, clock: Clock, log: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal | undefined;
    if (READ_METHODS.has(req.method) || !principal) return next();
    res.on('finish', () => {
      const entry = {
        at: clock.now(), who: principal.name, role: principal.role, via: principal.via, method: req.method,
        path: req.originalUrl.slice(0, 512), status: res.statusCode, requestId: String(res.locals.requestId ?? ''),
        client: req.socket.remoteAddress ?? null,
      };
      const reqLog = (res.locals.log as Logger | undefined) ?? log;
      reqLog.info({ audit: { who: entry.who, role: entry.role, via: entry.via, method: entry.method, path: entry.path, status: entry.status } },
        `operator API: ${entry.who} (${entry.role}) ${entry.method} ${entry.path} → ${entry.status}`);
      store.recordAudit(entry).catch((err: unknown) => reqLog.error({ err, audit: entry }, 'cannot record the operator action in the audit trail'));
    });
    next();
  };
}

/** Who decides: the API token's name when one was used (a body cannot claim to be someone else), else the body's `by`. */
export function decider(principal: Principal | undefined, claimed: string | undefined): { by: string } | { error: string } {
  if (principal?.via === 'api-token') {
    if (claimed !== undefined && claimed !== principal.name) {
      return { error: `"by" is taken from your API token (${principal.name}); leave it out or set it to ${principal.name}` };
    }
    return { by: principal.name };
  }
  if (claimed === undefined) return { error: 'the body must be {"by": "<who>", "note"?: "<why>"}' };
  return { by: claimed };
}

const Decision = z.strictObject({
  by: z.string().min(1, 'must name who decides').max(200).optional(),
  note: z.string().max(2000).optional(),
});

/**
 * An operator's decision from a request: the body ({"by"?, "note"?}) and who decides. Answers 400 and
 * gives undefined when either is wrong.
 */
export function readDecision(req: Request, res: Response): { by: string; note: string | null } | undefined {
  const body = Decision.safeParse(req.body ?? {});
  if (!body.success) {
    res.status(400).json({ error: 'the body must be {"by"?: "<who>", "note"?: "<why>"}', problems: body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    return undefined;
  }
  const who = decider(res.locals.principal as Principal | undefined, body.data.by);
  if ('error' in who) {
    res.status(400).json({ error: who.error });
    return undefined;
  }
  return { by: who.by, note: body.data.note ?? null };
}
