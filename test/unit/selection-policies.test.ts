// Selection rules, tier policies, the breaker's transition table and the fleet guards, table-driven.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../lib/yaml-config.ts';
import { IllegalBreakerTransition, transition, type BreakerState } from '../../remediations/decide/circuit-breaker.ts';
import { recycleFirst } from '../../remediations/decide/ladder.ts';
import { recentDeploy } from '../../remediations/decide/recent-deploy.ts';
import { STRATEGIES } from '../../remediations/strategies/index.ts';
import { blastRadius, detectStorm } from '../../remediations/decide/guards.ts';
import { loadInventory } from '../../remediations/inventory.ts';
import { defaultPolicies, loadPolicies, modeFor, tierFor } from '../../remediations/decide/policies.ts';
import { defaultRules, errorRateFromAnnotations, loadRules, select, type IncidentFacts } from '../../remediations/decide/selection.ts';
import { tempDir } from '../helpers/service.ts';

const facts = (alertname: string, over: Partial<IncidentFacts> = {}): IncidentFacts => ({ alertname, severity: 'critical', labels: {}, annotations: {}, ...over });

function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

function file(name: string, text: string): string {
  const path = join(tempDir('medic-rem-'), name);
  writeFileSync(path, text);
  return path;
}

describe('default selection rules (the design)', () => {
  const rules = defaultRules();
  const cases: [string, IncidentFacts, string, string[]][] = [
    ['high response time → scale', facts('AgentHighLatency'), 'high-latency', ['scale', 'restart']],
    ['error rate > 0.5 → circuit_break', facts('AgentHighErrorRate', { errorRate: 0.62 }), 'severe-error-rate', ['circuit_break', 'rollback', 'restart']],
    ['error rate exactly 0.5 → restart', facts('AgentHighErrorRate', { errorRate: 0.5 }), 'error-rate', ['restart', 'rollback']],
    ['lower error rate → restart', facts('AgentHighErrorRate', { errorRate: 0.4 }), 'error-rate', ['restart', 'rollback']],
    ['unknown error rate → restart', facts('AgentHighErrorRate'), 'error-rate', ['restart', 'rollback']],
    ['resource exhaustion → repair', facts('AgentMemoryHigh'), 'resource-exhaustion', ['repair', 'restart']],
    ['OOM → repair', facts('AgentOOMKilled'), 'resource-exhaustion', ['repair', 'restart']],
    ['not ready (bad config) → repair', facts('AgentNotReady'), 'not-ready', ['repair', 'restart']],
    ['bad version → rollback', facts('AgentBadVersion'), 'bad-version', ['rollback', 'restart']],
    ['dependency down → circuit_break, then reroute', facts('AgentDependencyDown'), 'dependency-down', ['circuit_break', 'reroute']],
    ['a known error signature → runtime_patch, whatever the alert', facts('AgentHighLatency', { errorSignature: 'timeout' }), 'known-error-signature', ['runtime_patch', 'restart']],
    ['the model says resource exhaustion → repair', facts('AgentAnomalous', { anomalyType: 'resource_exhaustion' }), 'anomaly-resource-exhaustion', ['repair', 'restart']],
    ['the model says latency → scale', facts('AgentAnomalous', { anomalyType: 'latency_degradation' }), 'anomaly-latency', ['scale', 'restart']],
    ['the model says error burst → restart', facts('AgentAnomalous', { anomalyType: 'error_burst' }), 'anomaly-error-burst', ['restart', 'rollback']],
    ['the model says traffic → scale', facts('AgentAnomalous', { anomalyType: 'traffic_anomaly' }), 'anomaly-traffic', ['scale']],
    ['the model says dependency → circuit breaker', facts('AgentAnomalous', { anomalyType: 'dependency_failure' }), 'anomaly-dependency', ['circuit_break', 'reroute']],
    ['a down agent restarts whatever the model says', facts('AgentDown', { anomalyType: 'resource_exhaustion' }), 'agent-down', ['restart']],
    ['a predicted memory exhaustion → repair (memory trend), before it fails', facts('AgentFailurePredicted', { anomalyType: 'resource_exhaustion' }), 'predicted-resource-exhaustion', ['repair']],
    ['predicted latency → scale', facts('AgentFailurePredicted', { anomalyType: 'latency_degradation' }), 'predicted-latency', ['scale']],
    ['predicted error burst → restart', facts('AgentFailurePredicted', { anomalyType: 'error_burst' }), 'predicted-error-burst', ['restart']],
    ['predicted dependency failure → circuit breaker', facts('AgentFailurePredicted', { anomalyType: 'dependency_failure' }), 'predicted-dependency', ['circuit_break']],
    ['a prediction nothing explains → otherwise', facts('AgentFailurePredicted'), 'otherwise', ['restart']],
    ['an unknown type from the model → otherwise', facts('AgentAnomalous', { anomalyType: 'unknown' }), 'otherwise', ['restart']],
    ['otherwise → restart', facts('SomethingElse'), 'otherwise', ['restart']],
    ['errors soon after a deploy → rollback first', facts('AgentHighErrorRate', { errorRate: 0.3, recentDeploy: { version: '1.5.0', beforeIncidentS: 40 } }), 'trouble-after-deploy', ['rollback', 'restart']],
    ['even severe errors after a deploy → rollback first', facts('AgentHighErrorRate', { errorRate: 0.9, recentDeploy: { version: '1.5.0', beforeIncidentS: 40 } }), 'trouble-after-deploy', ['rollback', 'restart']],
    ['latency soon after a deploy → rollback first', facts('AgentHighLatency', { recentDeploy: { version: '1.5.0', beforeIncidentS: 600 } }), 'trouble-after-deploy', ['rollback', 'restart']],
    ['a deploy longer ago than 30m → the ordinary rule', facts('AgentHighErrorRate', { errorRate: 0.3, recentDeploy: { version: '1.5.0', beforeIncidentS: 1801 } }), 'error-rate', ['restart', 'rollback']],
    ['a down agent restarts even after a deploy', facts('AgentDown', { recentDeploy: { version: '1.5.0', beforeIncidentS: 5 } }), 'agent-down', ['restart']],
  ];
  for (const [what, f, rule, ladder] of cases) {
    it(what, () => {
      const s = select(rules, f);
      assert.equal(s?.rule, rule);
      assert.deepEqual(s?.ladder, ladder);
    });
  }

  it('explains why a rule matched', () => {
    assert.equal(select(rules, facts('AgentHighErrorRate', { errorRate: 0.62 }))!.because, 'alertname is AgentHighErrorRate, error rate 0.62 is > 0.5');
  });

  it('explains a deploy-aware match', () => {
    assert.equal(select(rules, facts('AgentNotReady', { recentDeploy: { version: '1.5.0', beforeIncidentS: 42.4 } }))!.because,
      'alertname is AgentNotReady, version 1.5.0 (not known good) was deployed 42s before the incident');
  });

  it('sees a recent deploy only of a running version not known good, before the incident, with a good one to return to', () => {
    const at = Date.parse('2026-11-29T10:00:00Z');
    const good = { version: '1.4.2', known_good: true, deployed_at: '2026-11-20T00:00:00Z' };
    const fresh = { version: '1.5.0', known_good: false, deployed_at: '2026-11-29T09:59:20Z' };
    assert.deepEqual(recentDeploy({ version: '1.5.0', history: [good, fresh] }, at), { version: '1.5.0', beforeIncidentS: 40 });
    assert.equal(recentDeploy({ version: '1.5.0', history: [good, { ...fresh, known_good: true }] }, at), undefined, 'vouched for');
    assert.equal(recentDeploy({ version: '1.5.0', history: [fresh] }, at), undefined, 'nothing to roll back to');
    assert.equal(recentDeploy({ version: '1.5.0', history: [good, { ...fresh, deployed_at: '2026-11-29T10:00:05Z' }] }, at), undefined, 'deployed after the incident began');
    assert.equal(recentDeploy({ version: '1.5.0', history: [good, { version: '1.5.0', known_good: false }] }, at), undefined, 'no deploy time');
    assert.equal(recentDeploy({ version: '1.5.0', history: [good, { ...fresh, deployed_at: 'yesterday' }] }, at), undefined, 'unreadable deploy time');
    assert.equal(recentDeploy(undefined, at), undefined);
  });

  it('reads the measured error rate from the alert (error_rate, else value), in 0..1 only', () => {
    assert.equal(errorRateFromAnnotations({ error_rate: '0.7' }), 0.7);
    assert.equal(errorRateFromAnnotations({ summary: 'x', value: '0.62' }), 0.62);
    assert.equal(errorRateFromAnnotations({ value: '62' }), undefined);
  });

  it('aggressive_recycling puts restart ahead of tuning, and leaves other ladders alone', () => {
    assert.deepEqual(recycleFirst(['repair', 'restart'], STRATEGIES), ['restart', 'repair']);
    assert.deepEqual(recycleFirst(['runtime_patch', 'restart'], STRATEGIES), ['restart', 'runtime_patch']);
    assert.deepEqual(recycleFirst(['scale', 'restart'], STRATEGIES), ['scale', 'restart']);
  });
});

describe('rules.yaml validation', () => {
  it('refuses an unknown strategy, naming the file, path and value', () => {
    const [p] = configProblems(() => loadRules(file('rules.yaml', 'rules:\n  - name: x\n    ladder: [restart, reboot]\n')));
    assert.match(p!, /rules\.yaml: rules\[0\]\.ladder\[1\] must be one of "restart", .*, but was "reboot"/);
  });

  it('refuses a deployed_within that is not a positive duration', () => {
    const [p] = configProblems(() => loadRules(file('rules.yaml', 'rules:\n  - name: x\n    match: { deployed_within: soon }\n    ladder: [rollback]\n')));
    assert.match(p!, /rules\[0\]\.match\.deployed_within must be a positive duration such as 30m or 2h, not "soon"/);
  });

  it('refuses a bad regular expression and an unknown match key', () => {
    const problems = configProblems(() => loadRules(file('rules.yaml', 'rules:\n  - name: x\n    match: { labels: { agent: "/(/" }, colour: red }\n    ladder: [restart]\n')));
    assert.ok(problems.some((p) => /rules\[0\]\.match\.labels\.agent is not a valid regular expression/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /rules\[0\]\.match\.colour is not a known setting/.test(p)), problems.join('\n'));
  });

  it('matches labels exactly or by /regex/', () => {
    const rules = loadRules(file('rules.yaml', 'rules:\n  - name: canaries\n    match: { labels: { agent: "/canary-.*/" } }\n    ladder: [rollback]\n  - name: rest\n    ladder: [restart]\n'));
    assert.equal(select(rules, facts('X', { labels: { agent: 'canary-3' } }))!.rule, 'canaries');
    assert.equal(select(rules, facts('X', { labels: { agent: 'prod-3' } }))!.rule, 'rest');
  });
});

describe('policies', () => {
  const p = defaultPolicies();

  it('ships the design tiers, each inheriting the default tier', () => {
    const d = p.tiers.get('default')!;
    assert.deepEqual([d.max_restart_attempts, d.restart_cooldown, d.scale_threshold, d.circuit_break_duration], [3, 300_000, 0.8, 60_000]);
    const c = p.tiers.get('critical_agents')!;
    assert.deepEqual([c.max_restart_attempts, c.restart_cooldown, c.preemptive_scaling, c.backup_instances, c.scale_threshold], [5, 180_000, true, 2, 0.8]);
    const l = p.tiers.get('lightweight_agents')!;
    assert.deepEqual([l.max_restart_attempts, l.aggressive_recycling, l.memory_limit_buffer], [2, true, 0.2]);
  });

  it('maps agent types to tiers; the inventory tier wins; unknown types get default', () => {
    assert.equal(tierFor(p, 'crewai').name, 'critical_agents');
    assert.equal(tierFor(p, 'shellgpt').name, 'lightweight_agents');
    assert.equal(tierFor(p, 'langchain').name, 'default');
    assert.equal(tierFor(p, 'crewai', 'lightweight_agents').name, 'lightweight_agents');
  });

  it('takes a per-strategy mode over the tier mode', () => {
    const t = { ...p.tiers.get('default')!, mode: 'auto' as const, strategy_modes: { rollback: 'approve' as const } };
    assert.equal(modeFor(t, 'rollback'), 'approve');
    assert.equal(modeFor(t, 'restart'), 'auto');
  });

  it('decides a preemptive remediation by preemptive_mode, else the tier mode; per-strategy modes still win', () => {
    const t = { ...p.tiers.get('default')!, mode: 'auto' as const, strategy_modes: { rollback: 'approve' as const } };
    assert.equal(modeFor(t, 'repair', true), 'auto', 'unset: the tier mode');
    const cautious = { ...t, preemptive_mode: 'notify' as const };
    assert.equal(modeFor(cautious, 'repair', true), 'notify');
    assert.equal(modeFor(cautious, 'repair', false), 'auto', 'only for predicted failures');
    assert.equal(modeFor(cautious, 'rollback', true), 'approve');
  });

  it('refuses invalid values with the file, path, rule and value', () => {
    const problems = configProblems(() =>
      loadPolicies(file('policies.yaml', 'tiers:\n  default:\n    max_restart_attempts: 0\n    scale_threshold: 1.5\n  x:\n    agent_types: [crewai]\n    mode: yolo\n')),
    );
    assert.ok(problems.some((q) => /policies\.yaml: tiers\.default\.max_restart_attempts must be >= 1, but was 0/.test(q)), problems.join('\n'));
    assert.ok(problems.some((q) => /tiers\.default\.scale_threshold must be <= 1, but was 1\.5/.test(q)), problems.join('\n'));
    assert.ok(problems.some((q) => /tiers\.x\.mode must be one of "auto", "shadow", "approve", "notify", but was "yolo"/.test(q)), problems.join('\n'));
  });

  it('refuses an agent type claimed by two tiers', () => {
    const [q] = configProblems(() => loadPolicies(file('policies.yaml', 'tiers:\n  a:\n    agent_types: [crewai]\n  b:\n    agent_types: [crewai]\n')));
    assert.match(q!, /tiers\.b\.agent_types lists crewai, which tier a lists too/);
  });
});

describe('inventory', () => {
  it('resolves by the agent label only, and never from other labels', () => {
    const dir = tempDir('medic-inv-');
    writeFileSync(join(dir, 'token'), 't0k\n');
    const inv = loadInventory(file('inventory.yaml', `agents:\n  - id: crewai-7\n    type: crewai\n    driver: http\n    http: { base_url: "http://127.0.0.1:9107/admin", token_file: ${join(dir, 'token')} }\n`));
    assert.equal(inv.resolve({ agent: 'crewai-7' })?.target.kind, 'http');
    assert.equal(inv.resolve({ agent: 'crewai-7' })!.target.token, 't0k');
    assert.equal(inv.resolve({ agent: 'crewai-8', instance: 'http://evil.example/' }), undefined);
    assert.equal(inv.resolve({ instance: 'crewai-7' }), undefined);
    assert.equal(inv.countOfType('crewai'), 1);
  });

  it('refuses duplicates, a missing driver section, a non-http URL and an unreadable token', () => {
    const problems = configProblems(() =>
      loadInventory(file('inventory.yaml', [
        'agents:',
        '  - { id: a, type: t, driver: http }',
        '  - { id: a, type: t, driver: dry-run }',
        '  - { id: b, type: t, driver: http, http: { base_url: "file:///etc/passwd", token: x } }',
      ].join('\n'))),
    );
    assert.ok(problems.some((q) => /agents\[0\]\.http is required for driver http/.test(q)), problems.join('\n'));
    assert.ok(problems.some((q) => /agents\[1\]\.id repeats a/.test(q)), problems.join('\n'));
    assert.ok(problems.some((q) => /agents\[2\]\.http\.base_url must be an http\(s\) URL/.test(q)), problems.join('\n'));
    const [missing] = configProblems(() => loadInventory(file('inventory.yaml', 'agents:\n  - { id: a, type: t, driver: http, http: { base_url: "http://x/", token_file: /nope } }\n')));
    assert.match(missing!, /agents\[0\]\.http\.token_file: cannot read \/nope \(ENOENT\)/);
  });
});

describe('circuit breaker transitions', () => {
  // Written out by hand, not read from BREAKER_TRANSITIONS: the table under test must not be its own oracle.
  const expected: [BreakerState, BreakerState, string | undefined][] = [
    ['closed', 'closed', undefined],
    ['closed', 'open', 'failure_detected'],
    ['closed', 'half_open', undefined],
    ['open', 'closed', undefined],
    ['open', 'open', 'reopened'],
    ['open', 'half_open', 'open_duration_elapsed'],
    ['half_open', 'closed', 'canary_succeeded'],
    ['half_open', 'open', 'canary_failed'],
    ['half_open', 'half_open', undefined],
  ];
  for (const [from, to, event] of expected) {
    it(`${from} → ${to} is ${event ? `legal (${event})` : 'illegal'}`, () => {
      if (event) assert.deepEqual(transition(from, to, 5), { from, to, event, at: 5 });
      else assert.throws(() => transition(from, to, 5), IllegalBreakerTransition);
    });
  }
});

describe('fleet guards', () => {
  const g = defaultPolicies().guards;

  const radius = (target: string, agentType: string, typeSize: number, fleetSize: number, disrupting: { target: string; agentType: string }[], targetDown = false) =>
    blastRadius(g.blast_radius, { target, agentType, typeSize, fleetSize, disrupting, targetDown });

  it('blast radius: at most per_type_percent of a type disrupted now, at least one', () => {
    const disrupting = Array.from({ length: 6 }, (_, i) => ({ target: `c${i}`, agentType: 'crewai' }));
    assert.equal(radius('c9', 'crewai', 30, 1000, disrupting).ok, false);
    assert.equal(radius('c9', 'crewai', 30, 1000, disrupting.slice(0, 5)).ok, true);
    assert.equal(radius('c5', 'crewai', 30, 1000, disrupting).ok, true, 'the target itself does not count against it');
    assert.equal(radius('s1', 'solo', 1, 1000, []).ok, true);
  });

  it('blast radius: at most fleet_percent of the fleet', () => {
    const disrupting = Array.from({ length: 13 }, (_, i) => ({ target: `x${i}`, agentType: `type${i}` }));
    const r = radius('y', 'other', 10, 131, disrupting);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.guard, 'blast_radius_fleet');
    assert.match(!r.ok ? r.reason : '', /13 of 131 agents are being remediated now; the limit is 13 \(10%, at least 3\)/);
  });

  // Hardening issue: a 12-agent fleet with four independent faults healed one, and held three for 5 min.
  it('blast radius: a small fleet may disrupt min_agents (3) at once, one of each type', () => {
    const disrupting = [{ target: 'a1', agentType: 'autogpt' }, { target: 'b1', agentType: 'bigagi' }];
    assert.equal(radius('c1', 'crewai', 3, 12, disrupting).ok, true, '10% of 12 is 1, but the floor is 3');
    const r = radius('s1', 'semgrep', 3, 12, [...disrupting, { target: 'c1', agentType: 'crewai' }]);
    assert.equal(r.ok, false, 'a fourth that takes capacity waits');
  });

  it('blast radius: restoring an agent that is already down takes no capacity away, and says so', () => {
    const full = Array.from({ length: 13 }, (_, i) => ({ target: `x${i}`, agentType: 'crewai' }));
    const r = radius('down-1', 'crewai', 20, 131, full, true);
    assert.deepEqual(r, { ok: true, takesCapacity: false, note: 'down-1 is already down: restoring it takes no capacity away' });
  });

  it('storm: a share of the fleet (at least min_agents) failing within the window, with its likely causes', () => {
    const failing = (n: number, alertname = 'AgentDependencyDown') => Array.from({ length: n }, (_, i) => ({ target: `a${i}`, alertname }));
    assert.equal(detectStorm(g.storm, 60, failing(17)).storm, false, '30% of 60 is 18');
    const storm = detectStorm(g.storm, 60, [...failing(28), { target: 'a99', alertname: 'AgentDown' }, { target: 'a98', alertname: 'AgentDown' }]);
    assert.deepEqual({ ...storm }, { storm: true, failing: 30, threshold: 18, alertnames: [{ alertname: 'AgentDependencyDown', agents: 28 }, { alertname: 'AgentDown', agents: 2 }] });
    assert.equal(detectStorm(g.storm, 12, failing(4)).storm, false, 'four independent faults on 12 agents are not a storm (min_agents 6)');
    assert.equal(detectStorm(g.storm, 12, failing(6)).storm, true);
  });
});
