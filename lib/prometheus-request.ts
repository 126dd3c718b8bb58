// One request to a Prometheus-compatible HTTP API, with the connection's headers, authentication and TLS
// (lib/prometheus-connection.ts), bounded by a deadline, answered as Prometheus' `data` or as an error that
// names the source, the status and Prometheus' own reason, and says whether trying again can help.
// Errors never carry a secret: the URL is shown without user:password and the other side's text is
// scrubbed of the credentials before it is quoted (a proxy may echo the request's headers).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { deadlineSignal } from './deadline-signal.ts';
import { prometheusHttpOptions, publicUrl, secretsOf, type PrometheusConnection } from './prometheus-connection.ts';

export class PrometheusRequestError extends Error {
  /** 429, 5xx, a timeout or a connection failure: the same request may succeed later. */
  readonly transient: boolean;
  readonly status: number | undefined;
  constructor(message: string, transient: boolean, status?: number) {
    super(message);
    this.name = 'PrometheusRequestError';
    this.transient = transient;
    this.status = status;
  }
}

export interface PrometheusHttp {
  /** The URL as messages may show it (no credentials). */
  readonly source: string;
  /**
   * GET or POST `path` (relative to the base URL) with `params` (form-encoded for POST); resolves with
   * the answer's `data` when Prometheus says success. `what` names the request in errors.
   */
  call(method: 'GET' | 'POST', path: string, params: Record<string, string | readonly string[]>, o: { timeoutMs: number; signal?: AbortSignal; what: string }): Promise<unknown>;
}

const QUOTED_BODY = 300;

export function createPrometheusHttp(connection: PrometheusConnection): PrometheusHttp {
  const { headers, agent } = prometheusHttpOptions(connection);
  const base = new URL(connection.url);
  base.username = '';
  base.password = '';
  const prefix = base.pathname.replace(/\/+$/, '');
  const source = publicUrl(connection.url);
  const secrets = secretsOf(connection);
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('<redacted>'), text);
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;

  return {
    source,
    call(method, path, params, o) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const one of typeof v === 'string' ? [v] : v) form.append(k, one);
      const body = method === 'POST' ? form.toString() : undefined;
      const target = new URL(`${prefix}${path}${method === 'GET' ? `?${form}` : ''}`, base);
      const signal = deadlineSignal(o.timeoutMs, o.signal);
      return new Promise<unknown>((resolve, reject) => {
        const req = send(target, {
          method, agent, signal,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}) },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(failure(err)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let json: { status?: string; errorType?: string; error?: string; data?: unknown } | undefined;
            try {
              json = JSON.parse(text) as typeof json;
            } catch {
              json = undefined;
            }
            if (status >= 200 && status < 300 && json?.status === 'success') return resolve(json.data);
            const reason = scrub(json?.error ? `${json.errorType ?? 'error'}: ${json.error}` : text.trim().slice(0, QUOTED_BODY) || 'no error text');
            reject(refusal(status, reason));
          });
        });
        req.on('error', (err) => reject(failure(err)));
        req.end(body);
      });

      function refusal(status: number, reason: string): PrometheusRequestError {
        if (status === 401 || status === 403) {
          return new PrometheusRequestError(`Prometheus at ${source} refused ${o.what}: ${reason} (HTTP ${status}; check the prometheus tenant, bearer_token or basic_auth settings)`, false, status);
        }
        // 429 and 5xx: busy, restarting, or a query-frontend's queue full; 4xx: the request itself.
        const transient = status === 429 || status >= 500 || status === 0;
        return new PrometheusRequestError(`Prometheus at ${source} ${transient ? `answered ${status} to` : 'refused'} ${o.what}: ${reason}${transient ? '' : ` (HTTP ${status})`}`, transient, status);
      }

      function failure(err: unknown): Error {
        if (o.signal?.aborted) return o.signal.reason instanceof Error ? o.signal.reason : new Error(`${o.what}: aborted`);
        if (signal.aborted) return new PrometheusRequestError(`Prometheus at ${source} did not answer within ${o.timeoutMs} ms for ${o.what}`, true);
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (code === 'ECONNREFUSED') return new PrometheusRequestError(`cannot reach Prometheus at ${source} (connection refused) for ${o.what}: is it running, and is its URL right?`, true);
        if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
          return new PrometheusRequestError(`TLS to Prometheus at ${source} failed for ${o.what} (${code}): trust its CA with prometheus.tls.ca_file`, false);
        }
        return new PrometheusRequestError(`cannot query Prometheus at ${source} for ${o.what}: ${`${code} ${scrub((err as Error).message)}`.trim()}`, true);
      }
    },
  };
}
