// Who may use the read/operate API (/api) and what they may do. With api tokens configured, each token
// names a person or system and a role: read-only reads, operator also decides (approvals, promotions).
// The webhook's credential then opens /api no more: a leaked Alertmanager secret cannot approve a
// remediation. Without api tokens, /api takes the webhook's credentials with the operator role, as
// before; start-up warns about it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../lib/logger.ts';
import { logThrottle } from '../../lib/log-throttle.ts';
import type { AuthCheck } from '../ingest/webhook-auth.ts';

export type ApiRole = 'read-only' | 'operator';

export interface ApiCredential {
  name: string;
  role: ApiRole;
  token: string;
}

/** Who made a request: the credential's name and role, and which kind of credential it was. */
export interface Principal {
  name: string;
  role: ApiRole;
  via: 'api-token' | 'webhook-credential' | 'open';
}

export type ApiAuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Methods that read; every other method changes state and needs the operator role. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createApiAuth(
  credentials: readonly ApiCredential[],
  webhookCheck: (authorization: string | undefined) => AuthCheck,
  webhookHasCredentials: boolean,
): (authorization: string | undefined) => ApiAuthResult {
  if (credentials.length === 0) {
    const principal: Principal = webhookHasCredentials
      ? { name: 'webhook-credential', role: 'operator', via: 'webhook-credential' }
      : { name: 'anonymous', role: 'operator', via: 'open' };
    return (authorization) => {
      const auth = webhookCheck(authorization);
      return auth.ok ? { ok: true, principal } : auth;
    };
  }
  const known = credentials.map((c) => ({ digest: digest(c.token), principal: { name: c.name, role: c.role, via: 'api-token' } as Principal }));
  return (authorization) => {
    if (!authorization) return { ok: false, reason: 'missing Authorization header (expected Bearer with an API token)' };
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') {
      // Every token is compared, in constant time, whichever matches: timing tells neither which one
      // matched nor how much of one did.
      const presented = digest(value);
      let match: Principal | undefined;
      for (const k of known) if (timingSafeEqual(presented, k.digest)) match = k.principal;
      if (match) return { ok: true, principal: match };
    }
    if (webhookHasCredentials && webhookCheck(authorization).ok) {
      return { ok: false, reason: "the webhook's credential does not open /api; use an API token (api.tokens)" };
    }
    return { ok: false, reason: scheme === 'bearer' ? 'API token does not match' : 'unsupported Authorization scheme (expected Bearer with an API token)' };
  };
}

/**
 * The /api gate: 401 without a known credential (logged, at most once a minute). The principal is left in
 * res.locals for the role check, the routes and the audit.
 */
export function apiAccess(check: (authorization: string | undefined) => ApiAuthResult, log: Logger, now: () => number): RequestHandler {
  const refusals = logThrottle(60_000, now);
  return (req: Request, res: Response, next: NextFunction) => {
    const auth = check(req.headers.authorization);
    if (!auth.ok) {
      refusals((suppressedSinceLast) => ((res.locals.log as Logger | undefined) ?? log).warn(
        { client: req.socket.remoteAddress, method: req.method, path: req.path, reason: auth.reason, suppressedSinceLast },
        `API request refused (401): ${auth.reason}; check the client's Authorization header against api.tokens (MEDIC_OPERATOR_TOKEN, MEDIC_READONLY_TOKEN)`,
      ));
      res.setHeader('WWW-Authenticate', 'Bearer realm="medic"');
      return void res.status(401).json({ error: auth.reason });
    }
    res.locals.principal = auth.principal;
    next();
  };
}

/** After the audit is set up, so that a refused change is audited too: a state change needs the operator role. */
export function requireOperatorForChanges(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal | undefined;
    if (READ_METHODS.has(req.method) || principal?.role === 'operator') return next();
    res.status(403).json({ error: `${principal?.name ?? 'this credential'} has the ${principal?.role ?? 'no'} role; ${req.method} ${req.originalUrl.split('?')[0]} needs the operator role` });
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
