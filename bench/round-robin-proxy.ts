// A round-robin HTTP proxy for bench:webhook: it stands in for the load balancer (a Kubernetes Service)
// in front of several Medic replicas. Each request goes to the next upstream in turn; bodies are streamed
// both ways, never buffered; connections to the upstreams are kept alive and reused, as a Service's
// proxy would. An upstream that cannot be reached, or fails before answering, gets the client a 502.
// Nothing is retried: a POST is not the proxy's to repeat (Alertmanager retries the delivery itself).
//
// Run directly, it listens on 127.0.0.1 (port 0: any free one, printed as JSON on stdout, as
// bench/bare-endpoint.ts does):
//   node --import tsx bench/round-robin-proxy.ts --upstream http://127.0.0.1:8081 --upstream http://127.0.0.1:8082 [--port N]
import http from 'node:http';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  // Headers the Connection header names are hop-by-hop too.
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()).filter(Boolean));
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

interface Upstream {
  url: URL;
  agent: http.Agent;
}

export interface RoundRobinProxy {
  server: http.Server;
  /** Requests sent to each upstream so far, in the order given: the split is even by construction. */
  forwarded(): number[];
  /** Stops listening, ends the kept-alive connections to the upstreams. */
  close(): Promise<void>;
}

/**
 * A proxy over `upstreams` (http:// base URLs; the request's path and query are appended). The caller
 * listens on `server`. Contract: request i goes to upstream i mod n, whatever happened to earlier ones;
 * the upstream's status, headers (but hop-by-hop ones) and body reach the client unchanged; a failure
 * before the upstream's answer began is a 502 with a JSON body naming the upstream; a failure after it
 * began cuts the client's connection (a truncated body must not look complete).
 */
export function roundRobinProxy(upstreams: readonly string[]): RoundRobinProxy {
  if (upstreams.length === 0) throw new Error('round-robin proxy: at least one --upstream is required, but none was given');
  const pool: Upstream[] = upstreams.map((u) => {
    const url = new URL(u);
    if (url.protocol !== 'http:') throw new Error(`round-robin proxy: --upstream must be an http:// URL, but was ${u}`);
    // maxSockets unbounded: one upstream connection per client connection in flight, as the clients ask.
    return { url, agent: new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo' }) };
  });
  const counts = pool.map(() => 0);
  let next = 0;

  const server = http.createServer((req, res) => {
    const index = next;
    next = (next + 1) % pool.length;
    counts[index]!++;
    const upstream = pool[index]!;
    const headers = endToEnd(req.headers);
    headers.host = upstream.url.host;
    const remote = req.socket.remoteAddress;
    if (remote) headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${String(headers['x-forwarded-for'])}, ${remote}` : remote;

    const basePath = upstream.url.pathname.replace(/\/$/, '');
    const out = http.request(
      { protocol: 'http:', hostname: upstream.url.hostname, port: upstream.url.port || 80, method: req.method, path: `${basePath}${req.url ?? '/'}`, headers, agent: upstream.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
        answer.pipe(res);
        // The upstream dropped the connection mid-body: cut the client's too.
        answer.once('error', () => res.destroy());
        answer.once('close', () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    out.once('error', (err) => {
      req.unpipe(out);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ status: 'error', error: `bad gateway: upstream ${upstream.url.origin} failed: ${err.message}` });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    // The client went away before its answer was complete: stop the upstream request as well.
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.once('error', () => out.destroy());
    req.pipe(out);
  });
  // Longer than the clients' idle time between requests, shorter than Medic's (75 s), as a balancer's should be.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  return {
    server,
    forwarded: () => [...counts],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const u of pool) u.agent.destroy();
      }),
  };
}

// Run as a script: the proxy in a process of its own, so that the bench reads its CPU from /proc apart
// from the replicas' and the load generator's.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string', multiple: true, default: [] },
      port: { type: 'string', default: '0' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`round-robin proxy: --port must be an integer from 0 to 65535, but was ${values.port}`);
    process.exit(2);
  }
  let proxy: RoundRobinProxy;
  try {
    proxy = roundRobinProxy(values.upstream);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  proxy.server.listen(port, '127.0.0.1', () => {
    const address = proxy.server.address();
    console.log(JSON.stringify({ msg: 'round-robin proxy listening', port: typeof address === 'object' && address ? address.port : 0, upstreams: values.upstream }));
  });
  process.on('SIGTERM', () => {
    console.log(JSON.stringify({ msg: 'round-robin proxy stopping', forwarded: proxy.forwarded() }));
    void proxy.close().then(() => process.exit(0));
  });
}
