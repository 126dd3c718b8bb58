// Every expression the dashboards run, with its variables substituted as Grafana would, passes
// promtool's PromQL parser (each becomes a recording rule of a scratch file for `promtool check rules`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { DASHBOARDS } from '../../grafana/src/dashboard-list.ts';
import { dashboardQueries, substitute, type DashboardQuery } from '../../grafana/src/dashboard-queries.ts';

const run = promisify(execFile);
// One value per variable, as a person picks them: a type, a tier and an agent (the regex form Grafana
// sends for a multi-value variable), and the interval variables Grafana computes.
const VALUES = { datasource: 'medic-prometheus', agent_type: '(metagpt|crewai)', tier: 'standard', agent: 'metagpt-1', medic_url: 'http://localhost:9095', __rate_interval: '1m', __range: '6h', __interval: '15s' };

async function checkRules(queries: { expr: string }[]): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'medic-dash-promql-'));
  try {
    const file = join(dir, 'dashboards.rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules: queries.map((q, i) => ({ record: `dashboard:query:${i}`, expr: q.expr })) }] }));
    try {
      const { stdout, stderr } = await run('promtool', ['check', 'rules', file]);
      return { ok: true, output: stdout + stderr };
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') assert.fail('promtool is not installed: apt-get install prometheus (.ci/run does)');
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dashboard queries', () => {
  const queries: (DashboardQuery & { substituted: string })[] = DASHBOARDS.flatMap((d) => dashboardQueries(d.build()))
    .map((q) => ({ ...q, substituted: substitute(q.expr, VALUES) }));

  it('pass promtool\'s PromQL parser with their variables substituted', async () => {
    assert.ok(queries.length >= 50, `${queries.length} queries`);
    const { ok, output } = await checkRules(queries.map((q) => ({ expr: q.substituted })));
    // On failure, promtool names the rule; the rule's index names the panel.
    assert.ok(ok, `${output}\n${queries.map((q, i) => `dashboard:query:${i} = ${q.dashboard} ${q.where}`).join('\n')}`);
    assert.match(output, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  it('would be caught by the same check when broken', async () => {
    const { ok, output } = await checkRules([{ expr: 'sum by (le (rate(medic_x_bucket[1m]))' }]);
    assert.equal(ok, false);
    assert.match(output, /parse error|unexpected/i);
  });
});
