// The kubernetes driver against a recording API server on loopback: it must send exactly what
// kubectl rollout restart, kubectl scale and kubectl rollout undo send (test/fixtures/kubernetes/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createKubernetesDriver } from '../../remediations/drivers/kubernetes-driver.ts';
import type { Agent, Driver } from '../../remediations/types.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/kubernetes/${name}`, import.meta.url), 'utf8'));
const expected = fixture('expected-requests.json') as Record<string, { method: string; path: string; contentType?: string; body?: unknown }[]>;

interface Recorded {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
}

const agent: Agent = { id: 'bigagi-1', type: 'bigagi', tier: '', driver: 'kubernetes', target: { kind: 'kubernetes', namespace: 'agents', deployment: 'bigagi-1', container: 'agent' } };

describe('kubernetes driver: the requests kubectl would make', () => {
  let server: Server;
  let driver: Driver;
  let recorded: Recorded[] = [];
  let deployment = fixture('deployment.json');

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const r: Recorded = { method: req.method!, path: req.url! };
        if (text) {
          r.contentType = req.headers['content-type'];
          r.body = JSON.parse(text);
        }
        recorded.push(r);
        const path = req.url!.split('?')[0];
        res.setHeader('content-type', 'application/json');
        if (path === '/apis/apps/v1/namespaces/agents/deployments/bigagi-1') {
          if (req.method === 'PATCH') deployment = { ...deployment, metadata: { ...deployment.metadata, generation: deployment.metadata.generation + 1 } };
          return void res.end(JSON.stringify(deployment));
        }
        if (path === '/apis/apps/v1/namespaces/agents/deployments/bigagi-1/scale') {
          return void res.end(JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'bigagi-1' }, spec: (r.body as { spec: unknown }).spec }));
        }
        if (path === '/apis/apps/v1/namespaces/agents/replicasets') return void res.end(JSON.stringify(fixture('replicasets.json')));
        res.statusCode = 404;
        res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'not found' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    driver = createKubernetesDriver({
      timeoutMs: 5000,
      now: () => Date.parse('2026-11-29T01:02:03.456Z'),
      kubeConfig: (k8s) => {
        const kc = new k8s.KubeConfig();
        kc.loadFromOptions({
          clusters: [{ name: 'test', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
          users: [{ name: 'medic', token: 'test-token' }],
          contexts: [{ name: 'test', cluster: 'test', user: 'medic' }],
          currentContext: 'test',
        });
        return kc;
      },
    });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    recorded = [];
    deployment = fixture('deployment.json');
  });

  const signal = () => AbortSignal.timeout(5000);

  it('restart = kubectl rollout restart', async () => {
    await driver.perform(agent, { action: 'restart', requestId: 'r1', gracefulTimeoutS: 30 }, signal());
    assert.deepEqual(recorded, expected['rollout restart']);
  });

  it('scale = kubectl scale --replicas=3', async () => {
    await driver.perform(agent, { action: 'set_replicas', replicas: 3 }, signal());
    assert.deepEqual(recorded, expected.scale);
  });

  it('rollback = kubectl rollout undo (to the previous revision, ignoring ReplicaSets it does not own)', async () => {
    await driver.perform(agent, { action: 'rollback' }, signal());
    assert.deepEqual(recorded, expected['rollout undo']);
  });

  it('reads health from the Deployment status, with the generation as the boot id', async () => {
    const h = await driver.health(agent, signal());
    assert.deepEqual(h, { healthy: true, bootId: '7', version: '3', reason: undefined });
    deployment.status.readyReplicas = 1;
    const degraded = await driver.health(agent, signal());
    assert.equal(degraded.healthy, false);
    assert.match(degraded.reason!, /1\/2 ready/);
  });

  it('reports the revision history (the running revision not vouched for, each with its rollout time) and resources as config', async () => {
    const v = await driver.perform(agent, { action: 'get_version' }, signal());
    assert.deepEqual(v.data, {
      version: '3',
      history: [
        { version: '2', image: 'registry.example/bigagi:1.4.2', known_good: true, deployed_at: '2026-11-20T14:05:00.000Z' },
        { version: '3', image: 'registry.example/bigagi:1.5.0', known_good: false, deployed_at: '2026-11-28T09:30:00.000Z' },
      ],
    });
    const c = await driver.perform(agent, { action: 'get_config' }, signal());
    assert.deepEqual(c.data.config, { memory_limit_mib: 512, cpu_limit_millicores: 1000 });
  });

  it('repair patches the container resources with a strategic merge patch', async () => {
    await driver.perform(agent, { action: 'patch_config', patch: { memory_limit_mib: 768 } }, signal());
    assert.deepEqual(recorded, [{
      method: 'PATCH', path: '/apis/apps/v1/namespaces/agents/deployments/bigagi-1', contentType: 'application/strategic-merge-patch+json',
      body: { spec: { template: { spec: { containers: [{ name: 'agent', resources: { limits: { memory: '768Mi' } } }] } } } },
    }]);
  });

  it('treats a 404 as terminal and says what was asked', async () => {
    const missing: Agent = { ...agent, target: { kind: 'kubernetes', namespace: 'agents', deployment: 'nope', container: 'agent' } };
    await assert.rejects(driver.perform(missing, { action: 'set_replicas', replicas: 2 }, signal()), (err: { retryable?: boolean; message: string }) => {
      assert.equal(err.retryable, false);
      assert.match(err.message, /^scale:/);
      return true;
    });
  });
});
