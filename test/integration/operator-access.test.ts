// Access control on /api: API tokens with roles apart from the webhook's credential, who decided recorded
// from the token (not from the body), every state change audited, refusals logged, and no secret in any
// log line of the run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../server/app/config.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { deliver, getJson, metricValue, postJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const WEBHOOK_TOKEN = 'webhook-secret-4f1c9a7e2b';
const ALICE_TOKEN = 'alice-secret-token-8d2e5f0a93';
const GRAFANA_TOKEN = 'grafana-readonly-token-17c4be';
const ENV_OPERATOR_TOKEN = 'env-operator-token-6a0d3c21f5';
const SECRETS = [WEBHOOK_TOKEN, ALICE_TOKEN, GRAFANA_TOKEN, ENV_OPERATOR_TOKEN];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('operator API access control', () => {
  let svc: TestService;
  let incidentId: number;

  before(async () => {
    const dir = tempDir('medic-access-');
    writeFileSync(join(dir, 'alice.token'), `${ALICE_TOKEN}\n`);
    writeFileSync(join(dir, 'medic.yaml'), [
      'api:',
      '  tokens:',
      '    - { name: alice, role: operator, token_file: alice.token }',
      `    - { name: grafana, role: read-only, token: ${GRAFANA_TOKEN} }`,
      '',
    ].join('\n'));
    svc = await startTestService({
      dataDir: dir,
      flags: { config: join(dir, 'medic.yaml') },
      env: { MEDIC_WEBHOOK_TOKEN: WEBHOOK_TOKEN, MEDIC_OPERATOR_TOKEN: `${ENV_OPERATOR_TOKEN}\n` },
    });
    const delivered = await deliver(`${svc.url}/webhook/alertmanager`, firingDelivery('acc00000000001', 'agent-access-1'), bearer(WEBHOOK_TOKEN), bearer(GRAFANA_TOKEN));
    assert.equal(delivered.status, 200);
    const incidents = await getJson(`${svc.url}/api/incidents`, bearer(GRAFANA_TOKEN));
    incidentId = incidents.body.items[0].id;
  });
  after(() => svc.dispose());

  const newApproval = () => svc.store.createApproval({ incidentId, strategy: 'restart', plan: { summary: 'restart agent-access-1' }, requestedAt: Date.now(), expiresAt: Date.now() + 3_600_000 });

  it('refuses /api without a token, with the webhook credential, and says why in the log', async () => {
    const none = await getJson(`${svc.url}/api/incidents`);
    assert.equal(none.status, 401);
    const webhook = await getJson(`${svc.url}/api/incidents`, bearer(WEBHOOK_TOKEN));
    assert.equal(webhook.status, 401);
    assert.match(webhook.body.error, /webhook's credential does not open \/api/);
    const approval = await newApproval();
    const approve = await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, { by: 'alice' }, bearer(WEBHOOK_TOKEN));
    assert.equal(approve.status, 401, 'the webhook secret cannot approve a remediation');
    assert.equal((await svc.store.listApprovals('pending')).some((a) => a.id === approval.id), true);
    assert.ok(svc.logs.some((l) => String(l.msg).startsWith('API request refused (401)')), 'a refusal is logged');
  });

  it('an API token does not deliver alerts', async () => {
    const res = await deliver(`${svc.url}/webhook/alertmanager`, firingDelivery('acc00000000002', 'agent-access-2'), bearer(ALICE_TOKEN));
    assert.equal(res.status, 401);
  });

  it('a read-only token reads but cannot decide, and the refusal is audited', async () => {
    assert.equal((await getJson(`${svc.url}/api/approvals`, bearer(GRAFANA_TOKEN))).status, 200);
    const approval = await newApproval();
    const res = await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, {}, bearer(GRAFANA_TOKEN));
    assert.equal(res.status, 403);
    assert.match(res.body.error, /grafana has the read-only role/);
    assert.equal((await svc.store.listApprovals('pending')).some((a) => a.id === approval.id), true);
    // The audit is written once the answer has gone out.
    await waitFor('the refusal in the audit', async () => (await svc.store.listAudit({ limit: 50 })).items
      .some((e) => e.who === 'grafana' && e.role === 'read-only' && e.status === 403 && e.path.endsWith(`/${approval.id}/approve`)));
  });

  it('an operator decides as the token names them; a body cannot claim someone else', async () => {
    const approval = await newApproval();
    const forged = await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, { by: 'mallory' }, bearer(ALICE_TOKEN));
    assert.equal(forged.status, 400);
    assert.match(forged.body.error, /taken from your API token \(alice\)/);
    const ok = await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, { note: 'checked the dashboard' }, bearer(ALICE_TOKEN));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.by, 'alice');
    const decided = (await svc.store.listApprovals('approved')).find((a) => a.id === approval.id);
    assert.equal(decided?.decidedBy, 'alice');

    const other = await newApproval();
    const byEnv = await postJson(`${svc.url}/api/approvals/${other.id}/reject`, {}, bearer(ENV_OPERATOR_TOKEN));
    assert.equal(byEnv.status, 200, 'MEDIC_OPERATOR_TOKEN works, its trailing newline trimmed');
    assert.equal(byEnv.body.by, 'env-operator');

    await waitFor('three decisions audited', async () => (await svc.store.listAudit({ limit: 10 })).items.filter((e) => e.who === 'alice' || e.who === 'env-operator').length >= 3);
    const audit = await getJson(`${svc.url}/api/audit?limit=10`, bearer(GRAFANA_TOKEN));
    assert.equal(audit.status, 200);
    const rows = audit.body.items as { who: string; method: string; path: string; status: number; via: string; requestId: string }[];
    assert.ok(rows.some((e) => e.who === 'alice' && e.status === 200 && e.via === 'api-token' && e.path.endsWith(`/${approval.id}/approve`) && e.requestId));
    assert.ok(rows.some((e) => e.who === 'alice' && e.status === 400), 'the forged attempt is audited too');
    assert.ok(rows.some((e) => e.who === 'env-operator' && e.status === 200));
  });

  it('an operator brings the revert of a change forward; read-only cannot; an inactive one is refused', async () => {
    const attempt = await svc.store.recordAttempt({
      incidentId, workItemId: null, target: 'agent-access-1', strategy: 'repair', driver: 'http', mode: 'auto', outcome: 'succeeded',
      reason: 'raised the memory limit', startedAt: Date.now(), finishedAt: Date.now(), details: {}, agentType: 'generic', alertname: 'AgentMemoryHigh',
    });
    const change = await svc.store.recordChange({ incidentId, attemptId: attempt.id, target: 'agent-access-1', kind: 'config', before: { m: 512 }, after: { m: 768 }, appliedAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
    assert.equal((await postJson(`${svc.url}/api/changes/${change.id}/revert`, {}, bearer(GRAFANA_TOKEN))).status, 403);
    assert.deepEqual(await svc.store.dueChanges(Date.now()), [], 'not due yet');
    const res = await postJson(`${svc.url}/api/changes/${change.id}/revert`, { note: 'the leak is fixed upstream' }, bearer(ALICE_TOKEN));
    assert.equal(res.status, 202);
    assert.equal(res.body.by, 'alice');
    assert.deepEqual((await svc.store.dueChanges(Date.now())).map((c) => c.id), [change.id], 'due now');
    await svc.store.settleChange(change.id, 'reverted', Date.now(), null);
    assert.equal((await postJson(`${svc.url}/api/changes/${change.id}/revert`, {}, bearer(ALICE_TOKEN))).status, 409);
  });

  it('the kill switch: an operator pauses and resumes automatic actions; read-only cannot; audited, logged, exported', async () => {
    const paused = async () => metricValue(await (await fetch(`${svc.url}/metrics`)).text(), 'medic_actions_paused');
    assert.equal(await paused(), 0);
    const refused = await postJson(`${svc.url}/api/controls/pause`, {}, bearer(GRAFANA_TOKEN));
    assert.equal(refused.status, 403, 'read-only cannot pause');
    assert.equal(await svc.store.actionsPaused(), undefined);

    const pause = await postJson(`${svc.url}/api/controls/pause`, { note: 'investigating a bad rule' }, bearer(ALICE_TOKEN));
    assert.equal(pause.status, 200);
    assert.equal(pause.body.changed, true);
    assert.equal(pause.body.actionsPaused.by, 'alice');
    assert.equal(pause.body.actionsPaused.note, 'investigating a bad rule');
    const again = await postJson(`${svc.url}/api/controls/pause`, {}, bearer(ENV_OPERATOR_TOKEN));
    assert.deepEqual([again.status, again.body.changed, again.body.actionsPaused.by], [200, false, 'alice'], 'the first pause stands');
    const seen = await getJson(`${svc.url}/api/controls`, bearer(GRAFANA_TOKEN));
    assert.equal(seen.status, 200, 'read-only sees the state');
    assert.equal(seen.body.actionsPaused.by, 'alice');
    assert.equal(await paused(), 1);
    assert.ok(svc.logs.some((l) => String(l.msg).startsWith('automatic actions PAUSED') && l.by === 'alice'), 'the pause is logged');
    assert.equal((await postJson(`${svc.url}/api/controls/pause`, { note: 7 }, bearer(ALICE_TOKEN))).status, 400, 'a bad body is refused');

    assert.equal((await postJson(`${svc.url}/api/controls/resume`, {}, bearer(GRAFANA_TOKEN))).status, 403, 'read-only cannot resume');
    const resume = await postJson(`${svc.url}/api/controls/resume`, {}, bearer(ALICE_TOKEN));
    assert.deepEqual([resume.status, resume.body.changed, resume.body.actionsPaused], [200, true, null]);
    assert.equal(await paused(), 0);
    await waitFor('pause and resume audited', async () => {
      const items = (await svc.store.listAudit({ limit: 50 })).items;
      return items.some((e) => e.who === 'alice' && e.status === 200 && e.path.endsWith('/controls/pause'))
        && items.some((e) => e.who === 'alice' && e.status === 200 && e.path.endsWith('/controls/resume'))
        && items.some((e) => e.who === 'grafana' && e.status === 403 && e.path.endsWith('/controls/pause'));
    });
  });

  it('an operator switches a tier\'s decision mode and back to the policy; read-only cannot; unknown tiers and modes refused', async () => {
    const put = (tier: string, body: unknown, token: string) => fetch(`${svc.url}/api/controls/tiers/${tier}/mode`, {
      method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
    assert.equal((await put('default', { mode: 'shadow' }, GRAFANA_TOKEN)).status, 403);
    const unknown = await put('nosuchtier', { mode: 'shadow' }, ALICE_TOKEN);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /no tier "nosuchtier" in the policies; the tiers are .*default/);
    const bad = await put('default', { mode: 'yolo' }, ALICE_TOKEN);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.problems), /must be one of auto, shadow, approve, notify, or policy/);
    assert.deepEqual(await svc.store.modeOverrides(), []);

    const set = await put('default', { mode: 'shadow', note: 'new rules rolling out' }, ALICE_TOKEN);
    assert.deepEqual([set.status, set.body.mode, set.body.by], [200, 'shadow', 'alice']);
    const seen = await getJson(`${svc.url}/api/controls`, bearer(GRAFANA_TOKEN));
    assert.deepEqual(seen.body.tierModes.map((m: { tier: string; mode: string; by: string; note: string }) => [m.tier, m.mode, m.by, m.note]), [['default', 'shadow', 'alice', 'new rules rolling out']]);
    assert.ok(svc.logs.some((l) => String(l.msg).startsWith('tier default switched to shadow mode')), 'logged');
    assert.equal((await put('default', { mode: 'policy' }, ALICE_TOKEN)).status, 200);
    assert.deepEqual(await svc.store.modeOverrides(), []);
    await waitFor('the switch audited', async () => (await svc.store.listAudit({ limit: 50 })).items
      .some((e) => e.who === 'alice' && e.method === 'PUT' && e.status === 200 && e.path.endsWith('/tiers/default/mode')));
  });

  it('filters incidents by tier (the policies\' grouping of the inventory) and refuses an unknown one', async () => {
    const unknown = await getJson(`${svc.url}/api/incidents?tier=nosuch`, bearer(GRAFANA_TOKEN));
    assert.deepEqual([unknown.status, unknown.body.error], [400, 'no tier "nosuch" in the policies']);
    const none = await getJson(`${svc.url}/api/incidents?tier=default`, bearer(GRAFANA_TOKEN));
    assert.deepEqual([none.status, none.body.items.length], [200, 0], 'agent-access-1 is in no inventory, so in no tier');
    const byType = await getJson(`${svc.url}/api/incidents?type=crewai&strategy=restart`, bearer(GRAFANA_TOKEN));
    assert.equal(byType.status, 200);
  });

  it('breaker reset: read-only cannot; an operator is told when there is nothing to reset', async () => {
    assert.equal((await postJson(`${svc.url}/api/breakers/agent-access-1/reset`, {}, bearer(GRAFANA_TOKEN))).status, 403);
    const none = await postJson(`${svc.url}/api/breakers/agent-access-1/reset`, {}, bearer(ALICE_TOKEN));
    assert.deepEqual([none.status, none.body.error], [404, 'no circuit breaker for agent-access-1']);
    const odd = await postJson(`${svc.url}/api/breakers/${encodeURIComponent('a b;rm')}/reset`, {}, bearer(ALICE_TOKEN));
    assert.equal(odd.status, 400);
  });

  it('no secret appears in any log line of the run', () => {
    assert.ok(svc.logs.length > 10);
    for (const line of svc.logs) {
      const text = JSON.stringify(line);
      for (const secret of SECRETS) assert.equal(text.includes(secret), false, `a log line holds a secret: ${text.slice(0, 200)}`);
    }
  });
});

describe('operator API without API tokens', () => {
  it('takes the webhook credential with the operator role, with by from the body, and warns at start', async () => {
    const svc = await startTestService({ env: { MEDIC_WEBHOOK_TOKEN: WEBHOOK_TOKEN } });
    try {
      assert.ok(svc.logs.some((l) => String(l.msg).startsWith('no API tokens')));
      await deliver(`${svc.url}/webhook/alertmanager`, firingDelivery('acc00000000003', 'agent-access-3'), bearer(WEBHOOK_TOKEN));
      const incidents = await getJson(`${svc.url}/api/incidents`, bearer(WEBHOOK_TOKEN));
      const approval = await svc.store.createApproval({ incidentId: incidents.body.items[0].id, strategy: 'restart', plan: {}, requestedAt: Date.now(), expiresAt: Date.now() + 60_000 });
      assert.equal((await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, {}, bearer(WEBHOOK_TOKEN))).status, 400, 'by is required');
      const ok = await postJson(`${svc.url}/api/approvals/${approval.id}/approve`, { by: 'bob' }, bearer(WEBHOOK_TOKEN));
      assert.equal(ok.status, 200);
      await waitFor('the decision audited', async () => (await svc.store.listAudit({ limit: 10 })).items
        .some((e) => e.who === 'webhook-credential' && e.via === 'webhook-credential' && e.status === 200));
    } finally {
      await svc.dispose();
    }
  });
});

describe('API token configuration', () => {
  const load = (yaml: string, env: Record<string, string> = {}) => {
    const dir = tempDir('medic-access-cfg-');
    writeFileSync(join(dir, 'medic.yaml'), yaml);
    return () => loadConfig({ config: join(dir, 'medic.yaml') }, env, dir);
  };
  const refused = (fn: () => unknown, pattern: RegExp, secret: string) => {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, pattern);
      assert.equal(err.message.includes(secret), false, 'the error does not print the secret');
      return true;
    });
  };

  it('refuses short, blank, shared and conflicting tokens without printing them', () => {
    refused(load('api:\n  tokens:\n    - { name: a, role: operator, token: short-secret }\n'), /16 characters/, 'short-secret');
    refused(load('api:\n  tokens:\n    - { name: a, role: admin, token: aaaaaaaaaaaaaaaaaaaa }\n'), /role/, 'aaaaaaaaaaaaaaaaaaaa');
    refused(load(`api:\n  tokens:\n    - { name: a, role: operator, token: ${ALICE_TOKEN} }\n    - { name: b, role: read-only, token: ${ALICE_TOKEN} }\n`), /a and b have the same token/, ALICE_TOKEN);
    refused(load('api:\n  tokens:\n    - { name: a, role: operator, token: aaaaaaaaaaaaaaaaaaaa }\n    - { name: a, role: read-only, token: bbbbbbbbbbbbbbbbbbbb }\n'), /unique/, 'bbbbbbbbbbbbbbbbbbbb');
    refused(load('api: {}\n', { MEDIC_OPERATOR_TOKEN: '  \n' }), /MEDIC_OPERATOR_TOKEN: holds only whitespace/, '\n');
    refused(load(`api:\n  tokens:\n    - { name: a, role: operator, token: ${ALICE_TOKEN}, token_file: x }\n`), /exactly one of token or token_file/, ALICE_TOKEN);
  });
});
