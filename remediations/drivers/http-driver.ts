// The `http` driver: the agent admin protocol (docs/agent-protocol.md) over HTTP. Each call is bounded by
// its own timeout and by the caller's signal; 4xx answers are terminal, the rest retryable.
import { z } from 'zod';
import { DriverError, type ActionName, type ActionRequest, type ActionResult, type Agent, type Driver, type Health } from '../types.ts';
import { ONE_TOKEN, oneToken, targetOf, TokenFields, type DriverDefinition } from './driver-definition.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

/** An agent's admin endpoint (the http driver's, and the process driver's for everything but its lifecycle). */
export interface HttpTarget {
  readonly kind: 'http' | 'process';
  readonly base_url: string;
  readonly token: string;
  readonly [field: string]: unknown;
}

export const HttpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  body?: Record<string, unknown>;
}

const RETRYABLE_STATUS = new Set([409, 425, 429]);

export function route(request: ActionRequest): Route {
  switch (request.action) {
    case 'summary': return { method: 'GET', path: '/summary' };
    case 'save_state': return { method: 'POST', path: '/state/save' };
    case 'restore_state': return { method: 'POST', path: '/state/restore', body: { state: request.state } };
    case 'restart':
      return { method: 'POST', path: '/restart', body: { request_id: request.requestId, graceful_timeout_s: request.gracefulTimeoutS, ...(request.state ? { state: request.state } : {}) } };
    case 'get_replicas': return { method: 'GET', path: '/replicas' };
    case 'set_replicas': return { method: 'PUT', path: '/replicas', body: { replicas: request.replicas } };
    case 'get_circuit': return { method: 'GET', path: '/circuit' };
    case 'set_circuit':
      return { method: 'PUT', path: '/circuit', body: { state: request.state, ...(request.canaryWeight !== undefined ? { canary_weight: request.canaryWeight } : {}) } };
    case 'get_config': return { method: 'GET', path: '/config' };
    case 'patch_config': return { method: 'PATCH', path: '/config', body: { patch: request.patch } };
    case 'get_version': return { method: 'GET', path: '/version' };
    case 'rollback': return { method: 'POST', path: '/rollback', body: { to_version: request.toVersion } };
    case 'get_traffic': return { method: 'GET', path: '/traffic' };
    case 'set_traffic': return { method: 'PUT', path: '/traffic', body: { weight: request.weight } };
    case 'gc': return { method: 'POST', path: '/gc' };
    case 'set_profiling': return { method: 'PUT', path: '/profiling', body: { enabled: request.enabled, ...(request.durationS ? { duration_s: request.durationS } : {}) } };
  }
}

export const HTTP_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'summary', 'save_state', 'restore_state', 'restart', 'get_replicas', 'set_replicas', 'get_circuit', 'set_circuit',
  'get_config', 'patch_config', 'get_version', 'rollback', 'get_traffic', 'set_traffic', 'gc', 'set_profiling',
]);

export function createHttpDriver(options: { timeoutMs: number }): Driver {
  async function call(baseUrl: string, token: string, r: Route, signal: AbortSignal): Promise<{ status: number; body: Record<string | symbol, unknown> }> {
    const bounded = deadlineSignal(options.timeoutMs, signal);
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/$/, '')}${r.path}`, {
        method: r.method,
        headers: { authorization: `Bearer ${token}`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
        body: r.body ? JSON.stringify(r.body) : undefined,
        signal: bounded,
      });
    } catch (err) {
      const why = signal.aborted ? 'aborted' : bounded.aborted ? `timed out after ${options.timeoutMs} ms` : (err as Error).message;
      throw new DriverError(`${r.method} ${r.path}: ${why}`, true, { cause: err });
    }
    return { status: res.status, body: parseBody(await readBounded(res)) };
  }

  return {
    name: 'http',
    supports: HTTP_ACTIONS,
    async health(agent, signal): Promise<Health> {
      const t = target(agent);
      try {
        const h = await call(t.base_url, t.token, { method: 'GET', path: '/health' }, signal);
        // A failing agent that still answers says which boot it is: the baseline a restart is proven against.
        const ids = {
          bootId: typeof h.body.boot_id === 'string' ? h.body.boot_id : undefined,
          pid: typeof h.body.pid === 'number' ? h.body.pid : undefined,
          version: typeof h.body.version === 'string' ? h.body.version : undefined,
        };
        if (h.status !== 200 || h.body.status !== 'ok') {
          return { healthy: false, ...ids, reason: String(h.body.reason ?? h.body.error ?? `health answered ${h.status} ${String(h.body.status ?? '')}`.trim()) };
        }
        const r = await call(t.base_url, t.token, { method: 'GET', path: '/ready' }, signal);
        return { healthy: r.status === 200, ...ids, reason: r.status === 200 ? undefined : `not ready: ${String(r.body.reason ?? r.status)}` };
      } catch (err) {
        return { healthy: false, reason: (err as Error).message };
      }
    },
    async perform(agent, request, signal): Promise<ActionResult> {
      const t = target(agent);
      const r = route(request);
      const { status, body } = await call(t.base_url, t.token, r, signal);
      // A 2xx that is not JSON is not the agent's admin API (a proxy's login page, a wrong port): the
      // action cannot be taken as done, and repeating it will not help.
      if (status >= 200 && status < 300 && body[NOT_JSON] !== undefined) {
        throw new DriverError(`${r.method} ${r.path} answered ${status} with a body that is not a JSON object: ${String(body.error)}`, false);
      }
      if (status >= 200 && status < 300) return { data: body };
      const retryable = status >= 500 || RETRYABLE_STATUS.has(status);
      throw new DriverError(`${r.method} ${r.path} answered ${status}: ${String(body.error ?? '')}`.trim(), retryable);
    },
  };
}

// An agent's answer is small JSON; a broken or hostile one may send megabytes, or never end (the call's
// timeout covers the body too). Past this, the rest is not read.
const MAX_BODY = 256 * 1024;

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      chunks.push(Buffer.from(chunk as Uint8Array));
      size += (chunk as Uint8Array).byteLength;
      if (size >= MAX_BODY) break;
    }
  } catch {
    // A body cut off (a reset, the timeout): what arrived is judged as it is.
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
}

/** The body as an object: garbage, or JSON that is not an object (null, a number, a list), is kept as text under `error`. */
function parseBody(text: string): Record<string | symbol, unknown> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: below.
  }
  return { error: text.slice(0, 200), [NOT_JSON]: true };
}

const NOT_JSON = Symbol('not JSON');

function target(agent: Agent): HttpTarget {
  return targetOf<HttpTarget>(agent, ['http', 'process'], 'an HTTP admin endpoint');
}

export const httpDriver: DriverDefinition<{ base_url: string; token?: string; token_file?: string }> = {
  name: 'http',
  targetSchema: z.strictObject({ ...TokenFields, base_url: HttpUrl }).refine(oneToken, ONE_TOKEN),
  target: (b, ctx) => ({ kind: 'http', base_url: b.base_url, token: ctx.readToken(ctx.where, b) }),
  create: (s) => createHttpDriver({ timeoutMs: s.httpTimeoutMs }),
};
