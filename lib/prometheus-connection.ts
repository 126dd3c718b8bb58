// How Medic reaches a Prometheus-compatible query API (Prometheus, Thanos, Grafana Mimir, VictoriaMetrics):
// the one place that turns the connection settings into HTTP options (headers, authentication, TLS
// agent). Scoring, training and verification all call Prometheus through lib/prometheus-request.ts,
// which takes its options from here, so a tenant or a CA set once holds for every query.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Connection settings with every *_file already read (server/app/prometheus-credentials.ts). */
export interface PrometheusConnection {
  /** Base URL; a path prefix (Mimir's /prometheus, a proxy's /select/0/prometheus) is kept. */
  url: string;
  /** Sent as X-Scope-OrgID: Mimir, Cortex and Thanos' receive/query-frontend tenancy read it. */
  tenant?: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** PEM text, not paths: read once at start-up so a missing file stops the boot, not a query. */
  tls?: { ca?: string; cert?: string; key?: string; insecureSkipVerify?: boolean };
}

export interface PrometheusHttpOptions {
  headers: Record<string, string>;
  agent: HttpAgent | HttpsAgent;
}

export const TENANT_HEADER = 'X-Scope-OrgID';

/**
 * Headers and agent for every request to `c`. Keep-alive: a fleet round makes many requests in a row to
 * the same host, and a TLS handshake per request would cost more than the query.
 */
export function prometheusHttpOptions(c: PrometheusConnection): PrometheusHttpOptions {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (c.tenant) headers[TENANT_HEADER] = c.tenant;
  if (c.bearerToken) headers.authorization = `Bearer ${c.bearerToken}`;
  else if (c.basicAuth) headers.authorization = basic(c.basicAuth.username, c.basicAuth.password);
  const url = new URL(c.url);
  // http://user:pass@host works as with Prometheus' own clients; requests never carry it in the URL.
  if (!headers.authorization && url.username) headers.authorization = basic(decodeURIComponent(url.username), decodeURIComponent(url.password));
  const https = url.protocol === 'https:';
  if (!https) return { headers, agent: new HttpAgent({ keepAlive: true, maxSockets: 16 }) };
  const t = c.tls ?? {};
  const agent = new HttpsAgent({
    keepAlive: true, maxSockets: 16,
    ...(t.ca ? { ca: t.ca } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}),
    rejectUnauthorized: !t.insecureSkipVerify,
  });
  return { headers, agent };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The URL as messages and logs may show it: without any user:password in it. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<an invalid URL>';
  }
}

/** The secrets of `c`, so that text from the other side (an error body) can be scrubbed of them. */
export function secretsOf(c: PrometheusConnection): string[] {
  const out: string[] = [];
  if (c.bearerToken) out.push(c.bearerToken);
  if (c.basicAuth) out.push(c.basicAuth.password, basic(c.basicAuth.username, c.basicAuth.password).slice('Basic '.length));
  const u = (() => { try { return new URL(c.url); } catch { return undefined; } })();
  if (u?.password) out.push(decodeURIComponent(u.password));
  return out.filter((s) => s.length > 0);
}
