// Prometheus rules and the Alertmanager configuration, checked by their own tools: promtool check rules,
// promtool test rules (every alert tested firing and not firing), amtool check-config, and a runbook
// for every alert.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO } from '../../sim/stack/medic-process.ts';

const run = promisify(execFile);
const rulesDir = join(REPO, 'rules');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.rules.yml')).map((f) => join(rulesDir, f));
const testFiles = readdirSync(join(rulesDir, 'tests')).filter((f) => f.endsWith('.test.yml')).map((f) => join(rulesDir, 'tests', f));

interface RuleGroup { rules: { alert?: string; record?: string; annotations?: Record<string, string>; labels?: Record<string, string>; for?: string }[] }
const alerts = ruleFiles.flatMap((f) => ((parse(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups).flatMap((g) => g.rules.filter((r) => r.alert)));

async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: REPO });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') assert.fail(`${cmd} is not installed: apt-get install prometheus prometheus-alertmanager (.ci/run does)`);
    assert.fail(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const out = await tool('promtool', ['check', 'rules', ...ruleFiles]);
    assert.match(out, /SUCCESS/);
  });

  it('pass their promtool unit tests', async () => {
    const out = await tool('promtool', ['test', 'rules', ...testFiles]);
    assert.doesNotMatch(out, /FAILED/);
  });

  it('have a test where each alert fires and one where it does not', () => {
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const f of testFiles) {
      const doc = parse(readFileSync(f, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) (a.exp_alerts?.length ? fires : quiet).add(a.alertname);
      }
    }
    const names = alerts.map((a) => a.alert!);
    assert.ok(names.length >= 15, `found ${names.length} alerts`);
    assert.deepEqual(names.filter((n) => !fires.has(n)), [], 'alerts never tested firing');
    assert.deepEqual(names.filter((n) => !quiet.has(n)), [], 'alerts never tested not firing');
  });

  it('follow the conventions: for, severity, summary, description, and a runbook that exists', () => {
    for (const a of alerts) {
      assert.ok(a.for, `${a.alert} has no for`);
      assert.ok(['critical', 'warning', 'info'].includes(a.labels?.severity ?? ''), `${a.alert} severity`);
      assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert} summary/description`);
      assert.ok(existsSync(join(REPO, a.annotations!.runbook_url!)), `${a.alert} runbook ${a.annotations?.runbook_url}`);
    }
  });

  it('name recording rules level:metric:operations', () => {
    const records = ruleFiles.flatMap((f) => ((parse(readFileSync(f, 'utf8')) as { groups: RuleGroup[] }).groups).flatMap((g) => g.rules.filter((r) => r.record)));
    for (const r of records) assert.match(r.record!, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, r.record);
  });
});

describe('Alertmanager configuration', () => {
  it('passes amtool check-config', async () => {
    const out = await tool('amtool', ['check-config', join(REPO, 'deploy/alertmanager/alertmanager.yml')]);
    assert.match(out, /SUCCESS/);
  });
});
