// npm run bench:mttr: mean time to recovery per fault kind on the full 131-agent fleet, against the
// pipeline's floor. A measurement, not a test. By default time is compressed as in the end-to-end suite
// (scrape and evaluation 1 s, `for` shortened 15x); `--timing shipped` runs the same faults under the
// shipped rules', Alertmanager route's and policies' own timings (sim/stack/stack-timing.ts).
// Two floors: the pipeline alone (scrape + evaluation + the alert's `for` + group_wait + the action's own
// time), and the same counted from when the alert's condition first held (so a leak's own climb to its
// threshold, or a rate window filling, is not charged to Medic).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { parseDurationMs } from '../lib/units.ts';
import { compressRules } from '../sim/stack/daemons.ts';
import { REPO } from '../sim/stack/medic-process.ts';
import { AGENT_TYPES } from '../sim/agent-types.ts';
import type { FaultKind } from '../sim/fault-kinds.ts';
import { injectAndFollow, PRESCRIBED, waitForHealthyFleet, type FaultCase, type Timeline } from '../sim/stack/follow-faults.ts';
import { startRealStack } from '../sim/stack/real-stack.ts';
import { STACK_TIMINGS, timingSettings, type StackTiming } from '../sim/stack/stack-timing.ts';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '131' }, rounds: { type: 'string', default: '3' }, timing: { type: 'string', default: 'compressed' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log([
    'Usage: npm run bench:mttr -- [--agents 131] [--rounds 3] [--timing compressed|shipped]',
    '  --timing compressed  scrape and evaluation 1 s, the rules\' `for` shortened 15x, group_wait 1 s (default; ~3 min a round)',
    '  --timing shipped     15 s scrapes and evaluation, the rules, route and policies as shipped (~10 min a round)',
    'Needs Debian prometheus and prometheus-alertmanager on the PATH.',
  ].join('\n'));
  process.exit(0);
}
if (!(STACK_TIMINGS as readonly string[]).includes(values.timing)) {
  console.error(`bench:mttr: --timing must be one of ${STACK_TIMINGS.join(', ')}; got ${JSON.stringify(values.timing)}`);
  process.exit(2);
}
const TIMING = values.timing as StackTiming;
const settings = timingSettings(TIMING);
const seconds = (d: string) => (parseDurationMs(d) ?? 0) / 1000;
const AGENTS = Number(values.agents);
const ROUNDS = Number(values.rounds);

// The faults of the end-to-end suite; each round takes fresh agents of the same types.
const KINDS: { kind: FaultKind; type: string; rate?: number; forMs?: number; alertFor: number }[] = [
  { kind: 'crash', type: 'autogpt', alertFor: 3 },
  { kind: 'hang', type: 'crewai', alertFor: 3 },
  { kind: 'latency', type: 'bigagi', alertFor: 4 },
  { kind: 'errors', type: 'langchain', rate: 0.7, alertFor: 4 },
  { kind: 'errors', type: 'semgrep', rate: 0.3, alertFor: 4 },
  { kind: 'queue', type: 'babyagi', alertFor: 4 },
  { kind: 'memory-leak', type: 'metagpt', alertFor: 4 },
  { kind: 'cpu', type: 'opendevin', alertFor: 6 },
  // A dependency outage of 15 s compressed; 15x that in shipped timing, or it ends before its alert's `for`.
  { kind: 'dependency', type: 'aider', forMs: 15_000, alertFor: 3 },
  { kind: 'bad-config', type: 'autogpt', alertFor: 4 },
  { kind: 'bad-version', type: 'crewai', alertFor: 4 },
];
// The floor counts the `for` of the alert that actually brought the incident (as the run's timing sets it).
const FOR_S = new Map<string, number>();
for (const f of readdirSync(join(REPO, 'rules')).filter((n) => n.endsWith('.rules.yml'))) {
  const text = readFileSync(join(REPO, 'rules', f), 'utf8');
  const doc = parse(settings.compress ? compressRules(text) : text) as { groups: { rules: { alert?: string; for?: string }[] }[] };
  for (const r of doc.groups.flatMap((g) => g.rules)) if (r.alert) FOR_S.set(r.alert, (parseDurationMs(r.for ?? '0s') ?? 0) / 1000);
}
const SCRAPE_S = seconds(settings.scrapeInterval);
const EVAL_S = seconds(settings.evaluationInterval);
const GROUP_WAIT_S = seconds(settings.groupWait);
// Long enough for the slowest alert's `for` (5 min shipped) plus its windows filling, and a ladder's climb.
const ROUND_LIMIT_MS = settings.compress ? 180_000 : 900_000;

const perType = Math.ceil(AGENTS / AGENT_TYPES.length);
const needed = new Map<string, number>();
for (const k of KINDS) needed.set(k.type, (needed.get(k.type) ?? 0) + ROUNDS);
for (const [type, n] of needed) if (n > perType) throw new Error(`${ROUNDS} rounds need ${n} ${type} agents; the fleet has ${perType}: use fewer rounds or more agents`);

console.log(`bench:mttr: ${AGENTS} agents, ${ROUNDS} rounds of ${KINDS.length} faults, ${TIMING} timing (scrape ${settings.scrapeInterval}, evaluation ${settings.evaluationInterval}, group_wait ${settings.groupWait}); starting Prometheus, Alertmanager, Medic and the fleet...`);
const stack = await startRealStack({ agents: AGENTS, logLevel: 'warn', timing: TIMING });
const results: { key: string; tl: Timeline; alertFor: number }[] = [];
try {
  const noisy = await waitForHealthyFleet(stack, AGENTS);
  if (noisy.length) console.log(`warning: alerts firing on the healthy fleet: ${noisy.join(', ')}`);
  const used = new Map<string, number>();
  for (let round = 1; round <= ROUNDS; round++) {
    const cases: (FaultCase & { alertFor: number; key: string })[] = KINDS.map((k) => {
      const n = (used.get(k.type) ?? 0) + 1;
      used.set(k.type, n);
      return { kind: k.kind, agent: `${k.type}-${n}`, rate: k.rate, forMs: k.forMs && !settings.compress ? k.forMs * 15 : k.forMs, strategy: PRESCRIBED[k.kind] === 'circuit_break' && k.rate !== undefined && k.rate <= 0.5 ? 'restart' : PRESCRIBED[k.kind], alertFor: k.alertFor, key: `${k.kind}${k.rate ? ` ${k.rate}` : ''}` };
    });
    const { timelines, healed } = await injectAndFollow(stack, cases, ROUND_LIMIT_MS);
    console.log(`round ${round}: ${healed ? 'every fault healed' : `NOT every fault healed within ${ROUND_LIMIT_MS / 60_000} minutes`}`);
    for (const c of cases) results.push({ key: `${c.key} → ${c.strategy}`, tl: timelines.get(c.agent)!, alertFor: c.alertFor });
  }
} finally {
  await stack.stop();
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN;
};
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1).padStart(6) : '     -');
console.log('\nMTTR in seconds from injection to verified recovery (median, p95 over rounds); resolved = the alert cleared in Prometheus');
console.log('floor = scrape + evaluation + for + group_wait + action; condition = when the alert condition first held');
console.log('fault → strategy                    n  verified    p95  resolved   floor  ratio  condition  floor+cond  ratio  alert');
for (const key of [...new Set(results.map((r) => r.key))]) {
  const rs = results.filter((r) => r.key === key);
  const verified = rs.filter((r) => r.tl.verified).map((r) => (r.tl.verified! - r.tl.injected) / 1000);
  const resolved = rs.filter((r) => r.tl.recovered).map((r) => (r.tl.recovered! - r.tl.injected) / 1000);
  const action = rs.filter((r) => r.tl.verified && r.tl.acted).map((r) => (r.tl.verified! - r.tl.acted!) / 1000);
  const condition = quantile(rs.filter((r) => r.tl.pending).map((r) => (r.tl.pending! - r.tl.injected) / 1000), 0.5);
  const alertFor = quantile(rs.map((r) => (r.tl.alertname ? FOR_S.get(r.tl.alertname) : undefined) ?? r.alertFor), 0.5);
  const alerts = [...new Set(rs.map((r) => r.tl.alertname ?? '?'))].join('/');
  const floor = SCRAPE_S + EVAL_S + alertFor + GROUP_WAIT_S + quantile(action, 0.5);
  const floorFromCondition = condition + alertFor + EVAL_S + GROUP_WAIT_S + quantile(action, 0.5);
  const med = quantile(verified, 0.5);
  console.log(`${key.padEnd(34)} ${String(verified.length).padStart(2)}  ${f(med)} ${f(quantile(verified, 0.95))}  ${f(quantile(resolved, 0.5))}  ${f(floor)} ${f(med / floor)}x ${f(condition)}     ${f(floorFromCondition)} ${f(med / floorFromCondition)}x  ${alerts} (for ${alertFor}s)`);
}
