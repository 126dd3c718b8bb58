// Scoring, verification and training against a Prometheus-compatible API that demands what Mimir and
// Thanos deployments demand: a REAL Prometheus scraping a simulated fleet, behind a loopback proxy (plain
// and TLS with a self-signed certificate made by openssl) that refuses any request without the tenant
// header and the bearer token or basic credentials. The settings are read by loadConfig from a medic.yaml,
// as the server reads them. Requests are counted at the proxy: ceil(N/B) per column, pages under the real
// 11,000 points per series limit, and refusals name the source, never the secret.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { AGENT_SIGNALS } from '../../models/features.ts';
import { loadConfig } from '../../server/app/config.ts';
import { fetchFleetSeries } from '../../server/scoring/anomaly-scorer.ts';
import { createPrometheusClient } from '../../server/scoring/prometheus-client.ts';
import { fetchPrometheusHistory } from '../../training/prometheus-source.ts';
import { startFleet, type Fleet } from '../../sim/fleet.ts';
import { writeFleetFiles } from '../../sim/fleet-files.ts';
import { freeBlock } from '../../sim/stack/ports.ts';
import { promQuery, startPrometheus, type Daemon } from '../../sim/stack/daemons.ts';
import { waitFor } from '../helpers/wait.ts';

const AGENTS = 3;
const TENANT = 'team-medic';
const TOKEN = 'prom-bearer-7f3a9c1e5b';
const USER = 'medic';
const PASSWORD = 'prom-password-2d8e4f6a';
const COLUMNS = AGENT_SIGNALS.map((s) => s.column);
const SAMPLING = { stepSeconds: 1, rateWindow: '5s' };

interface Seen { path: string; start: number; end: number; step: number; tenant: string | undefined }

describe('a Prometheus-compatible API behind tenancy, authentication and TLS', { timeout: 180_000 }, () => {
  let dir: string;
  let fleet: Fleet;
  let prometheus: Daemon;
  let proxy: Server;
  let tlsProxy: Server;
  let proxyUrl: string;
  let tlsUrl: string;
  let seen: Seen[];

  // The gate a multi-tenant query API puts in front: tenant header, then one of the credentials.
  const gate = async (req: IncomingMessage, res: ServerResponse) => {
    const tenant = req.headers['x-scope-orgid'] as string | undefined;
    const auth = req.headers.authorization;
    const ok = auth === `Bearer ${TOKEN}` || auth === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    if (tenant !== TENANT || !ok) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      // Echoes what it got, as some proxies do: the client must not repeat it.
      return void res.end(tenant !== TENANT ? 'no org id' : `bad credentials: ${auth ?? 'none'}`);
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const u = new URL(req.url!, 'http://x');
    const p = req.method === 'POST' ? new URLSearchParams(body) : u.searchParams;
    seen.push({ path: u.pathname, start: Number(p.get('start')), end: Number(p.get('end')), step: Number(p.get('step')), tenant });
    const headers = { ...req.headers, host: new URL(prometheus.url).host };
    delete headers.authorization;
    const upstream = request(`${prometheus.url}${req.url}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end('upstream down'));
    upstream.end(body);
  };

  const writeConfig = (name: string, prom: Record<string, unknown>) => {
    const file = join(dir, name);
    writeFileSync(file, stringify({ prometheus: prom }));
    return loadConfig({ config: file }, {}, dir);
  };
  const scoreFleet = (connection: Parameters<typeof createPrometheusClient>[0], batchSize = 2) =>
    fetchFleetSeries(createPrometheusClient(connection, 10_000), COLUMNS, SAMPLING, 10, '', Date.now(), AbortSignal.timeout(20_000), { batchSize });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-promcompat-'));
    fleet = await startFleet({ agents: AGENTS, basePort: await freeBlock(AGENTS + 1), token: 'promcompat-token', seed: 5 });
    writeFleetFiles(dir, fleet.controlUrl, fleet.agents(), 'promcompat-token', '127.0.0.1');
    prometheus = await startPrometheus(dir, { targetsFile: join(dir, 'targets.json'), medicTarget: '127.0.0.1:9', alertmanager: 'http://127.0.0.1:9' });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    proxy = createServer((req, res) => void gate(req, res));
    tlsProxy = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => void gate(req, res));
    await Promise.all([proxy, tlsProxy].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    tlsUrl = `https://127.0.0.1:${(tlsProxy.address() as AddressInfo).port}`;
    await waitFor('every agent scraped for a few seconds', async () =>
      (await promQuery(prometheus.url, 'count(count_over_time(agent_queue_depth[1m]) >= 6)'))[0]?.value === AGENTS, 90_000, 500);
  });
  after(async () => {
    await Promise.all([proxy, tlsProxy].map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
    await prometheus?.stop();
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen = [];
  });

  it('scores the fleet through the tenant and bearer token, in ceil(N/B) queries per column', async () => {
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const loaded = writeConfig('bearer.yaml', { url: proxyUrl, tenant: TENANT, bearer_token_file: 'token' });
    const fetched = await scoreFleet(loaded.prometheus!, 2);
    assert.equal(fetched.series.size, AGENTS);
    const ranges = seen.filter((s) => s.path === '/api/v1/query_range');
    assert.equal(ranges.length, COLUMNS.length * Math.ceil(AGENTS / 2), 'ceil(3/2) = 2 batches per column');
    assert.equal(fetched.requests, ranges.length);
    assert.equal(seen.filter((s) => s.path === '/api/v1/label/agent/values').length, 1, 'the fleet listed once');
    assert.ok(seen.every((s) => s.tenant === TENANT));
    // Verification's PromQL goes through the same client, so the same settings.
    const up = await createPrometheusClient(loaded.prometheus!, 5000).query('up{job="agents"}', AbortSignal.timeout(5000));
    assert.equal(up.length, AGENTS);
  });

  it('is refused without the tenant or with a wrong token, naming the source and never the secret', async () => {
    await assert.rejects(scoreFleet({ url: proxyUrl, bearerToken: TOKEN }), (err: Error) => {
      assert.match(err.message, /^Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the list of agents: no org id \(HTTP 401; check the prometheus tenant/);
      assert.ok(!err.message.includes(TOKEN));
      return true;
    });
    const wrong = 'wrong-token-5e5e5e5e';
    await assert.rejects(scoreFleet({ url: proxyUrl, tenant: TENANT, bearerToken: wrong }), (err: Error) => {
      assert.match(err.message, /refused the list of agents: bad credentials: Bearer <redacted> \(HTTP 401/);
      assert.ok(!err.message.includes(wrong) && !err.message.includes(TOKEN), err.message);
      return true;
    });
    await assert.rejects(createPrometheusClient({ url: proxyUrl }, 5000).query('up', AbortSignal.timeout(5000)), /refused an instant query: no org id \(HTTP 401/);
  });

  it('trains through basic auth, a long range paged under the real 11,000 points limit', async () => {
    writeFileSync(join(dir, 'password'), PASSWORD);
    const loaded = writeConfig('basic.yaml', { url: proxyUrl, tenant: TENANT, basic_auth: { username: USER, password_file: 'password' } });
    const { url, ...connection } = loaded.prometheus!;
    const end = Math.floor(Date.now() / 1000);
    const start = end - 20_000;
    // Asked whole, Prometheus refuses this range: the paging below is what makes it answerable.
    const whole = await fetch(`${prometheus.url}/api/v1/query_range?${new URLSearchParams({ query: 'up', start: String(start), end: String(end), step: '1' })}`);
    assert.equal(whole.status, 400);
    assert.match(await whole.text(), /exceeded maximum resolution of 11,000 points per timeseries/);
    const data = await fetchPrometheusHistory({ url, connection, start, end, stepSeconds: 1, rateWindow: '5s', batchSize: 2, retries: 0 });
    assert.deepEqual(data.series.map((s) => s.agent).sort(), fleet.agents().map((a) => a.id).sort());
    const ranges = seen.filter((s) => s.path === '/api/v1/query_range');
    assert.equal(ranges.length, COLUMNS.length * 2 * 2, '2 batches × 2 pages per column');
    assert.ok(ranges.every((r) => (r.end - r.start) / r.step + 1 <= 11_000));
    assert.equal(data.series[0]!.rows.length, 20_001);
  });

  it('refuses training without credentials at once (no retries), saying where and not what', async () => {
    const end = Math.floor(Date.now() / 1000);
    await assert.rejects(fetchPrometheusHistory({ url: proxyUrl, connection: { tenant: TENANT, basicAuth: { username: USER, password: 'nope-nope-nope' } }, start: end - 60, end, stepSeconds: 1, rateWindow: '5s', retries: 3, backoffMs: 10_000 }), (err: Error) => {
      assert.match(err.message, /^Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the list of agents: bad credentials: Basic <redacted> \(HTTP 401/);
      assert.ok(!err.message.includes('nope-nope-nope'));
      return true;
    });
  });

  it('speaks TLS to a self-signed endpoint whose CA is trusted, and explains when it is not', async () => {
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const trusted = writeConfig('tls.yaml', { url: tlsUrl, tenant: TENANT, bearer_token_file: 'token', tls: { ca_file: 'cert.pem' } });
    const fetched = await scoreFleet(trusted.prometheus!, 500);
    assert.equal(fetched.series.size, AGENTS);
    assert.equal(fetched.requests, COLUMNS.length, 'one batch when the fleet fits in it');
    const { url, ...connection } = trusted.prometheus!;
    const end = Math.floor(Date.now() / 1000);
    const data = await fetchPrometheusHistory({ url, connection, start: end - 30, end, stepSeconds: 1, rateWindow: '5s', retries: 0 });
    assert.equal(data.series.length, AGENTS);
    const untrusted = writeConfig('tls-untrusted.yaml', { url: tlsUrl, tenant: TENANT, bearer_token_file: 'token' });
    await assert.rejects(scoreFleet(untrusted.prometheus!), /TLS to Prometheus at https:\/\/127\.0\.0\.1:\d+ failed for the list of agents \(\w+\): trust its CA with prometheus\.tls\.ca_file/);
  });
});
