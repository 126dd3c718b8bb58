// The operator console in a real browser (Debian's chromium driven by playwright-core) against a running
// Medic with real agents: log in, an incident appears live after a delivery, approve one and see the
// action run, deny another and see it escalate, pause and see the next incident held, filter by time
// range; a read-only user sees no control. MEDIC_SCREENSHOTS=docs writes the screenshots into
// docs/console/ (npm run screenshots); otherwise into a temporary folder, checked all the same.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { startAgentServer, type AgentServer } from '../../sim/agent-server.ts';
import { firingDelivery } from '../helpers/fixtures.ts';
import { deliver, postJson, startTestService, tempDir, type TestService } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';

const CHROMIUM = '/usr/bin/chromium';
const AGENT_TOKEN = 'agent-token';
const WEBHOOK_TOKEN = 'webhook-secret-console-71c2';
const ALICE = 'alice-operator-token-5be81f0c';
const VIEWER = 'viewer-readonly-token-0d94a7';
/** A time as a datetime-local input takes it (the browser and this process share the time zone). */
const local = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T${d.toTimeString().slice(0, 8)}`;
const SHOTS = process.env.MEDIC_SCREENSHOTS === 'docs' ? fileURLToPath(new URL('../../docs/console/', import.meta.url)) : tempDir('medic-console-shots-');

describe('the operator console in a browser', () => {
  let agents: AgentServer[];
  let medic: TestService;
  let browser: Browser;
  let page: Page;
  const incidentOf = new Map<string, number>();

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`);
    agents = await Promise.all(['con-a1', 'con-a2', 'con-a3'].map((id) => startAgentServer({ id, token: AGENT_TOKEN, restartMs: 20 })));
    const dir = tempDir('medic-console-');
    writeFileSync(join(dir, 'agent-token'), `${AGENT_TOKEN}\n`);
    writeFileSync(join(dir, 'inventory.yaml'), stringify({
      agents: agents.map((a, i) => ({ id: `con-a${i + 1}`, type: 'autogpt', driver: 'http', http: { base_url: a.adminUrl, token_file: 'agent-token' } })),
    }));
    writeFileSync(join(dir, 'policies.yaml'), stringify({
      tiers: { default: { mode: 'approve', verify_timeout: '5s' } },
      guards: { blast_radius: { fleet_percent: 100, per_type_percent: 100 }, approval_timeout: '30m' },
    }));
    writeFileSync(join(dir, 'medic.yaml'), stringify({
      remediation: { inventory: 'inventory.yaml', policies: 'policies.yaml', recheck_interval: '100ms', verify_interval: '20ms' },
      workers: { poll_interval: '100ms' },
      api: { tokens: [{ name: 'alice', role: 'operator', token: ALICE }, { name: 'viewer', role: 'read-only', token: VIEWER }] },
    }));
    medic = await startTestService({ dataDir: dir, flags: { config: join(dir, 'medic.yaml') }, env: { MEDIC_WEBHOOK_TOKEN: WEBHOOK_TOKEN } });
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      // No sandbox as root; no background networking: this machine has only loopback.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.setDefaultTimeout(15_000);
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await medic?.dispose();
    await Promise.all((agents ?? []).map((a) => a.stop()));
  });

  /** A firing alert for one agent, starting now, whose fault a restart fixes. */
  const fire = async (agent: string, n: number) => {
    agents[Number(agent.slice(-1)) - 1]!.injectFault({ kind: 'errors', fixedBy: ['restart'], unhealthy: true });
    const r = await deliver(`${medic.url}/webhook/alertmanager`, firingDelivery(`c0501e000000000${n}`, agent, 'critical', new Date().toISOString()),
      { authorization: `Bearer ${WEBHOOK_TOKEN}` }, { authorization: `Bearer ${ALICE}` });
    assert.equal(r.status, 200);
    incidentOf.set(agent, r.recorded.created[0]!);
    return r.recorded.created[0]!;
  };
  /** Every form control on the page has a name a screen reader reads (a label or aria-label). */
  const assertLabelled = async (p: Page, where: string) => {
    const bare = await p.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.name || el.outerHTML.slice(0, 60))`) as string[];
    assert.deepEqual(bare, [], `unlabelled controls on ${where}`);
  };
  const shot = async (name: string) => {
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    assert.deepEqual([...readFileSync(path).subarray(1, 4)], [...Buffer.from('PNG')], `${path} is a PNG`);
  };

  it('logs in with an operator token, and a wrong token is refused', async () => {
    await page.goto(`${medic.url}/console`);
    await page.getByLabel('API token').fill('not-a-token-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That token is not accepted.' }).waitFor();
    await page.getByLabel('API token').fill(ALICE);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('alice (operator)').waitFor();
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    await page.getByText('● live').waitFor();
  });

  it('shows an incident as soon as a delivery arrives, without a reload', async () => {
    const table = page.getByRole('table', { name: 'Incidents' });
    assert.equal(await table.getByText('con-a1').count(), 0);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await fire('con-a1', 1);
    await table.getByRole('cell', { name: 'con-a1' }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the same page: no reload');
    await page.locator('#approvals-count').filter({ hasText: '1' }).waitFor();
  });

  it('approves the waiting incident with a comment and sees the action run and verified', async () => {
    await page.getByRole('navigation').getByRole('link', { name: /Approvals/ }).click();
    const card = page.locator('[data-approval]').filter({ hasText: 'con-a1' });
    await card.waitFor();
    assert.match(await card.locator('.countdown').innerText(), /min .* left/);
    await card.getByLabel(/Comment on approval/).fill('checked the dashboard');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('table', { name: 'Decided approvals' }).getByText('checked the dashboard').waitFor();

    await page.goto(`${medic.url}/console/#/incidents/${incidentOf.get('con-a1')}`);
    const story = page.getByRole('list', { name: 'Incident story' });
    await story.getByText('Verified healthy').waitFor();
    await story.getByText('Approval approved').waitFor();
    await story.getByText('by alice: checked the dashboard').waitFor();
    const actions = page.getByRole('table', { name: 'Actions' });
    await actions.getByText('succeeded').waitFor();
    assert.match(await page.locator('#decisions').innerText(), /restart via http \(approve\): succeeded/);
    assert.doesNotMatch(await page.locator('#ttr').innerText(), /not recovered/);
    assert.equal(agents[0]!.state.restarts, 1, 'the agent was restarted once');
    await shot('incident');
  });

  it('denies another and sees it escalate without acting', async () => {
    await page.goto(`${medic.url}/console/#/approvals`);
    await fire('con-a2', 2);
    const card = page.locator('[data-approval]').filter({ hasText: 'con-a2' });
    await card.waitFor();
    await shot('approvals');
    await card.getByLabel(/Comment on approval/).fill('maintenance window');
    await card.getByRole('button', { name: 'Deny' }).click();
    await card.waitFor({ state: 'detached' });

    await page.goto(`${medic.url}/console/#/incidents/${incidentOf.get('con-a2')}`);
    const actions = page.getByRole('table', { name: 'Actions' });
    await actions.getByText('escalated', { exact: true }).waitFor();
    await actions.getByText('rejected', { exact: true }).waitFor();
    assert.match(await page.locator('#decisions').innerText(), /alice rejected .*maintenance window/);
    assert.equal(agents[1]!.state.restarts, 0, 'nothing acted');
    assert.ok(medic.logs.some((l) => l.reason === 'rejected'), 'the escalation was sent (logged without Alertmanager)');
  });

  it('uses the kill switch and sees the next incident held', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Controls' }).click();
    await page.getByLabel('Why (recorded)').fill('bad rule rollout');
    await page.getByRole('button', { name: 'Pause all automatic actions' }).click();
    await page.locator('#paused-banner').filter({ hasText: 'PAUSED (by alice' }).waitFor();
    await page.getByRole('button', { name: 'Resume automatic actions' }).waitFor();

    await sleep(1_100); // the time-range filter below cuts between whole seconds
    const id = await fire('con-a3', 3);
    await page.goto(`${medic.url}/console/#/incidents/${id}`);
    await page.getByRole('list', { name: 'Incident story' }).getByText(/guard: paused/).waitFor();
    assert.equal(agents[2]!.state.restarts, 0, 'held: nothing acted');
    assert.deepEqual((await medic.store.listApprovals()).filter((a) => a.incidentId === id), [], 'nobody is asked while paused');
  });

  it('filters the table by time range', async () => {
    const seen = new Date((await medic.store.getIncident(incidentOf.get('con-a3')!))!.incident.firstSeenAt);
    const from = new Date(Math.floor(seen.getTime() / 1000) * 1000);
    await page.getByRole('navigation').getByRole('link', { name: 'Incidents' }).click();
    const table = page.getByRole('table', { name: 'Incidents' });
    await table.getByRole('cell', { name: 'con-a1' }).waitFor();
    await page.getByLabel('First seen from').fill(local(from));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/since=/);
    await waitFor('only the third incident', async () => (await table.getByRole('row').count()) === 2);
    assert.equal(await table.getByRole('cell', { name: 'con-a3' }).count(), 1);
    assert.equal(await table.getByRole('cell', { name: 'con-a1' }).count(), 0);
    await page.getByLabel('to', { exact: true }).fill(local(new Date(from.getTime() - 1000)));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No incidents match.').waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Tier').selectOption('default');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/tier=default/);
    await waitFor('all three in the default tier', async () => (await table.getByRole('row').count()) === 4);
    await page.getByLabel('Strategy tried').selectOption('scale');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No incidents match.').waitFor();
  });

  it('replays the recorded alerts through a changed policy and names the incidents that would differ', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Replay' }).click();
    const policies = page.getByLabel('Candidate policies (policies.yaml)');
    await waitFor('the policies in force', async () => (await policies.inputValue()).includes('mode: approve'));
    await policies.fill((await policies.inputValue()).replace('mode: approve', 'mode: auto'));
    await page.getByLabel('Incidents first seen from').fill(local(new Date(Date.now() - 3_600_000)));
    await page.getByLabel('to', { exact: true }).fill(local(new Date(Date.now() + 60_000)));
    await page.getByRole('button', { name: 'Run the replay' }).click();
    const differences = page.getByRole('table', { name: 'Differences' });
    await differences.waitFor();
    assert.match(await page.locator('#replay-summary').innerText(), /3 incidents first seen .*: 2 incidents would have a different outcome/);
    // Approved and acted: the same in auto mode. Denied, and held by the kill switch: auto would have acted.
    assert.equal(await differences.getByRole('link', { name: `#${incidentOf.get('con-a1')}`, exact: true }).count(), 0);
    for (const agent of ['con-a2', 'con-a3']) await differences.getByRole('link', { name: `#${incidentOf.get(agent)}`, exact: true }).waitFor();
    await differences.getByText('an operator rejected it; escalated: rejected').waitFor();
    assert.ok((await differences.getByText('acted: restart').count()) >= 2);
    await shot('replay');
    for (const view of ['incidents', 'approvals', 'fleet', 'controls', 'replay']) {
      await page.goto(`${medic.url}/console/#/${view}`);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await assertLabelled(page, view);
    }
    // Keyboard only: the skip link first, then the navigation.
    await page.goto(`${medic.url}/console/#/incidents`);
    await page.reload();
    await page.getByRole('table', { name: 'Incidents' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/approvals$/);
    assert.equal(agents.reduce((n, a) => n + a.state.restarts, 0), 1, 'the replay acted on nothing');
  });

  it('a read-only user sees everything and no control; the API refuses them', async () => {
    const viewer = await browser.newPage();
    try {
      await viewer.goto(`${medic.url}/console/`);
      await viewer.getByLabel('API token').fill(VIEWER);
      await viewer.getByRole('button', { name: 'Log in' }).click();
      await viewer.getByText('viewer (read-only)').waitFor();
      await viewer.getByRole('table', { name: 'Incidents' }).getByRole('cell', { name: 'con-a3' }).waitFor();

      await viewer.goto(`${medic.url}/console/#/controls`);
      await viewer.locator('#pause-state').filter({ hasText: 'PAUSED' }).waitFor();
      await viewer.getByRole('table', { name: 'Tier modes' }).waitFor();
      assert.equal(await viewer.getByRole('button').filter({ hasText: /Pause|Resume|Set|Revert/ }).count(), 0, 'no control shown');
      assert.equal(await viewer.getByRole('combobox').count(), 0, 'no mode switch shown');

      await viewer.goto(`${medic.url}/console/#/replay`);
      await viewer.getByText('Running a replay takes the operator role').waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Run the replay' }).count(), 0);

      // A pending approval, shown without its buttons.
      const { items } = await medic.store.listIncidents({ agent: 'con-a3' }, { limit: 1 });
      await medic.store.createApproval({ incidentId: items[0]!.id, strategy: 'restart', plan: { summary: 'restart con-a3' }, requestedAt: Date.now(), expiresAt: Date.now() + 600_000 });
      await viewer.goto(`${medic.url}/console/#/approvals`);
      await viewer.getByText('Waiting for approval: restart con-a3').waitFor();
      await viewer.getByText('Your token is read-only').waitFor();
      assert.equal(await viewer.getByRole('button', { name: /Approve|Deny/ }).count(), 0);

      // The page hides the controls; the API refuses them whatever a page does.
      // A string, not a function: tsx's transform would add a helper the page does not have.
      const statuses = await viewer.evaluate(`(async () => {
        const auth = { authorization: 'Bearer ' + sessionStorage.getItem('medic-console-token'), 'content-type': 'application/json' };
        const send = (path, method, body) => fetch(path, { method, headers: auth, body }).then((r) => r.status);
        return [await send('/api/controls/pause', 'POST', '{}'), await send('/api/approvals/1/reject', 'POST', '{}'),
          await send('/api/controls/resume', 'POST', '{}'), await send('/api/controls/tiers/default/mode', 'PUT', '{"mode":"auto"}'),
          await send('/api/approvals/1/approve', 'POST', '{}'), await send('/api/changes/1/revert', 'POST', '{}'),
          await send('/api/replays', 'POST', JSON.stringify({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }))];
      })()`);
      assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403, 403]);
    } finally {
      await viewer.close();
    }
    assert.ok(await medic.store.actionsPaused(), 'still paused');
    assert.equal((await postJson(`${medic.url}/api/controls/resume`, {}, { authorization: `Bearer ${ALICE}` })).status, 200);
  });

  it('without API tokens, asks who decides and records that name with each decision', async () => {
    const open = await startTestService({ env: { MEDIC_WEBHOOK_TOKEN: WEBHOOK_TOKEN } });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${open.url}/console/`);
      await tab.getByLabel('API token').fill(WEBHOOK_TOKEN);
      await tab.getByRole('button', { name: 'Log in' }).click();
      await tab.getByRole('heading', { name: 'Who is deciding?' }).waitFor();
      await tab.getByLabel('Your name').fill('bob@example');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.getByText('webhook-credential (operator)').waitFor();
      await tab.goto(`${open.url}/console/#/controls`);
      await tab.getByRole('button', { name: 'Pause all automatic actions' }).click();
      await tab.locator('#pause-state').filter({ hasText: 'by bob@example' }).waitFor();
      assert.equal((await open.store.actionsPaused())?.by, 'bob@example');
    } finally {
      await tab.close();
      await open.dispose();
    }
  });

  it('on a Medic with no credentials at all (loopback defaults), asks for no token, only who decides', async () => {
    const open = await startTestService();
    const tab = await browser.newPage();
    try {
      await tab.goto(`${open.url}/console/`);
      await tab.getByRole('heading', { name: 'Who is deciding?' }).waitFor();
      assert.equal(await tab.getByLabel('API token').count(), 0);
      await tab.getByLabel('Your name').fill('carol@example');
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.getByText('anonymous (operator)').waitFor();
      await tab.getByText('● live').waitFor();
    } finally {
      await tab.close();
      await open.dispose();
    }
  });
});
