// The shipped anomaly models on the real stack (Debian's Prometheus and Alertmanager, the simulated
// fleet, `medic serve`): a healthy fleet stays under the models' alarm budget for 30 minutes (counted in
// alarm episodes, as they page), then every
// fault kind that changes the agent metrics scores above its model's threshold no later than one
// scoring round after its alert fires, with the anomaly type and explanation of that metric.
// The fleet loop's readings are read from Medic's /metrics each second (the loop scores every 2 s); a
// model's reading interval is its sampling step (5 s for the shipped models), which the budget counts in.
// MEDIC_E2E_HEALTHY_MINUTES shortens the healthy phase for a local run; the suite runs it at 30.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from '../helpers/service.ts';
import { injectAndFollow, waitForHealthyFleet, type FaultCase } from '../../sim/stack/follow-faults.ts';
import { promQuery } from '../../sim/stack/daemons.ts';
import { AUTH, startRealStack, type RealStack } from '../../sim/stack/real-stack.ts';
import { binomialTail } from '../../training/evaluation-gate.ts';

const AGENTS = 22;
const HEALTHY_MINUTES = Number(process.env.MEDIC_E2E_HEALTHY_MINUTES ?? 30);
/** The fleet loop's interval in the stack (sim/stack/medic-config.ts), and the poll's own slack. */
const ROUND_MS = 2000 + 1000;

// Every fault kind that changes the contract metrics (crash and hang stop the scrape; a bad config shows
// only in readiness), each on its own agent, with the type its metric maps to where that is unambiguous.
const CASES: (FaultCase & { type?: string; feature?: RegExp })[] = [
  { kind: 'latency', agent: 'bigagi-1', strategy: 'scale', type: 'latency_degradation', feature: /^latency_p99_s:/ },
  { kind: 'errors', agent: 'langchain-1', rate: 0.7, strategy: 'circuit_break', type: 'error_burst', feature: /^error_rate:/ },
  { kind: 'errors', agent: 'semgrep-1', rate: 0.3, strategy: 'restart', type: 'error_burst', feature: /^error_rate:/ },
  { kind: 'queue', agent: 'babyagi-1', strategy: 'scale', type: 'resource_exhaustion' },
  { kind: 'memory-leak', agent: 'metagpt-1', strategy: 'repair', type: 'resource_exhaustion' },
  { kind: 'cpu', agent: 'opendevin-1', strategy: 'repair', type: 'resource_exhaustion' },
  { kind: 'dependency', agent: 'aider-1', forMs: 15_000, strategy: 'circuit_break' },
  { kind: 'bad-version', agent: 'crewai-2', strategy: 'rollback', type: 'error_burst', feature: /^error_rate:/ },
];

interface Reading { score: number; type: string }

/** The fleet loop's latest readings, and each agent type's threshold, from Medic's exposition. */
async function readings(stack: RealStack): Promise<{ scores: Map<string, Reading & { agentType: string }>; thresholds: Map<string, number> }> {
  const text = await (await fetch(`${stack.medic.url}/metrics`)).text();
  const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
  const scores = new Map([...text.matchAll(/^medic_anomaly_score\{([^}]*)\} (\S+)$/gm)].map((m) => [label(m[1]!, 'agent'), { score: Number(m[2]), type: label(m[1]!, 'anomaly_type'), agentType: label(m[1]!, 'agent_type') }]));
  const thresholds = new Map([...text.matchAll(/^medic_anomaly_threshold\{([^}]*)\} (\S+)$/gm)].map((m) => [label(m[1]!, 'agent_type'), Number(m[2])]));
  return { scores, thresholds };
}

describe('anomaly models on the real stack', { timeout: (HEALTHY_MINUTES + 12) * 60_000 }, () => {
  let stack: RealStack;

  before(async () => {
    stack = await startRealStack({ agents: AGENTS, seed: 11 });
  });

  after(async () => {
    await stack?.stop();
  });

  it(`keeps a healthy fleet under the alarm budget for ${HEALTHY_MINUTES} minutes`, async (t) => {
    assert.deepEqual(await waitForHealthyFleet(stack, AGENTS), [], 'nothing fires on a healthy fleet');
    const stepMs = 5000;
    const flagged: string[] = [];
    // Alarm episodes: runs of consecutive readings above the threshold on one agent. Readings 5 s apart
    // share most of their scoring window, so one disturbance crosses several in a row; counted one by one
    // they looked like independent alarms (4 readings of one episode failed a run). An episode is what
    // pages (AgentAnomalous with its `for`), and it starts at most once per reading above the threshold,
    // so testing episodes against the per-reading rate is the budget's own test, not a looser one.
    const above = new Map<string, boolean>();
    let episodes = 0;
    let count = 0;
    let budgetRate = 0;
    const models = (await getJson(`${stack.medic.url}/api/models`, AUTH)).body as { models?: { threshold: number; sampling?: { stepSeconds: number } }[] };
    t.diagnostic(`models: ${JSON.stringify(models).slice(0, 300)}`);
    const until = Date.now() + HEALTHY_MINUTES * 60_000;
    while (Date.now() < until) {
      const { scores, thresholds } = await readings(stack);
      for (const [agent, r] of scores) {
        const threshold = thresholds.get(r.agentType);
        if (threshold === undefined) continue;
        count++;
        // The threshold is the score at the budget's per-reading rate: 10^(−10 × threshold).
        budgetRate = Math.max(budgetRate, 10 ** (-10 * threshold));
        const isAbove = r.score > threshold;
        if (isAbove && !above.get(agent)) episodes++;
        above.set(agent, isAbove);
        if (isAbove) flagged.push(`${agent} ${r.score.toFixed(3)} > ${threshold.toFixed(3)} (${r.type}) at ${new Date().toISOString()}`);
      }
      await sleep(stepMs);
    }
    const perAgentDay = (episodes / count) * (86_400_000 / stepMs);
    t.diagnostic(`${count} healthy readings (one per agent every ${stepMs / 1000} s, ${AGENTS} agents, ${HEALTHY_MINUTES} min), ${flagged.length} above the threshold in ${episodes} episodes: ${perAgentDay.toFixed(2)} episodes per agent-day against a budget of 1`);
    for (const f of flagged) t.diagnostic(`  ${f}`);
    // Under the budget: as many alarm episodes as a rate of one per agent-day could plausibly give (binomial, 1%).
    const p = binomialTail(episodes, count, budgetRate);
    assert.ok(p >= 0.01, `${episodes} alarm episodes (${flagged.length} readings) in ${count} healthy readings; P(that many | budget rate ${budgetRate.toPrecision(2)}) = ${p.toPrecision(2)}`);
    const anomalous = await promQuery(stack.prometheus.url, `max_over_time(ALERTS{alertname="AgentAnomalous",alertstate="firing"}[${HEALTHY_MINUTES + 1}m])`);
    assert.ok(anomalous.length <= 1, `AgentAnomalous fired on healthy agents: ${anomalous.map((a) => a.metric.agent).join(', ')}`);
  });

  it('scores every metric-changing fault above its threshold within one scoring round of its alert, naming the metric', async (t) => {
    const firstAbove = new Map<string, { at: number; reading: Reading; top?: string }>();
    const watch = async () => {
      const { scores, thresholds } = await readings(stack);
      for (const c of CASES) {
        const r = scores.get(c.agent);
        const threshold = r && thresholds.get(r.agentType);
        if (r && threshold !== undefined && r.score > threshold && !firstAbove.has(c.agent)) firstAbove.set(c.agent, { at: Date.now(), reading: r });
      }
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await watch().catch(() => undefined);
        await sleep(1000);
      }
    })();
    const { timelines, attempts } = await injectAndFollow(stack, CASES, 180_000);
    polling = false;
    await poller;
    const problems: string[] = [];
    for (const c of CASES) {
      const tl = timelines.get(c.agent)!;
      const seen = firstAbove.get(c.agent);
      const rel = (ms: number | undefined) => (ms === undefined ? 'never' : `${((ms - tl.injected) / 1000).toFixed(1)} s`);
      t.diagnostic(`${c.kind} on ${c.agent}: alert firing ${rel(tl.firing)} (${tl.alertname ?? '?'}), model above threshold ${rel(seen?.at)} as ${seen?.reading.type ?? '-'}`);
      if (tl.firing === undefined) problems.push(`${c.kind} on ${c.agent}: no alert fired`);
      else if (!seen || seen.at > tl.firing + ROUND_MS) problems.push(`${c.kind} on ${c.agent}: above the threshold ${rel(seen?.at)}, more than one round after its alert fired (${rel(tl.firing)})`);
      else if (c.type && seen.reading.type !== c.type) problems.push(`${c.kind} on ${c.agent}: read as ${seen.reading.type}, expected ${c.type}`);
    }
    // The incident each alert opened carries the reading at its arrival, with the explanation.
    for (const c of CASES.filter((x) => x.feature)) {
      const attempt = attempts.find((a) => a.target === c.agent && Date.parse(a.startedAt) >= timelines.get(c.agent)!.injected);
      if (!attempt) continue;
      const incident = (await getJson(`${stack.medic.url}/api/incidents/${attempt.incidentId}`, AUTH)).body;
      const a = incident.anomaly;
      t.diagnostic(`  incident ${attempt.incidentId} (${incident.alertname}) on ${c.agent}: ${a ? `${a.score.toFixed(3)} vs ${a.threshold.toFixed(3)}, ${a.type}, top ${a.contributions.map((x: { feature: string; deviation: number }) => `${x.feature} ${x.deviation.toFixed(1)}σ`).join(', ')}` : 'not scored'}`);
      if (!a?.isAnomaly) problems.push(`${c.kind} on ${c.agent}: the incident's reading is not anomalous`);
      else if (!c.feature!.test(a.contributions[0]?.feature ?? '')) problems.push(`${c.kind} on ${c.agent}: explained by ${a.contributions[0]?.feature}, expected ${c.feature}`);
    }
    assert.deepEqual(problems, []);
  });
});
