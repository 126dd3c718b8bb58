// npm run demo: the whole stack on this machine for a newcomer. The full 131-agent fleet, Debian's
// Prometheus and Alertmanager, Medic; a scripted scenario of faults in three waves; a live view of
// incidents, decisions and recoveries; an MTTR table at the end. Stops by itself.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { injectAndFollow, waitForHealthyFleet, type Attempt, type FaultCase, type Timeline } from '../sim/stack/follow-faults.ts';
import { startRealStack } from '../sim/stack/real-stack.ts';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '131' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: npm run demo -- [--agents 131]\nRuns the whole stack with a scripted scenario of faults, then prints an MTTR table.');
  process.exit(0);
}
for (const bin of ['prometheus', 'prometheus-alertmanager']) {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
  } catch {
    console.error(`The demo needs ${bin}. On Debian or Ubuntu:\n  sudo apt-get install prometheus prometheus-alertmanager\n(the services they install need not run: the demo starts its own on free loopback ports).`);
    process.exit(1);
  }
}

const AGENTS = Number(values.agents);
const WAVES: { title: string; cases: FaultCase[] }[] = [
  { title: 'wave 1: a crash, a failing dependency path, a memory leak', cases: [
    { kind: 'crash', agent: 'autogpt-1', strategy: 'restart' },
    { kind: 'errors', agent: 'langchain-1', rate: 0.7, strategy: 'circuit_break' },
    { kind: 'memory-leak', agent: 'metagpt-1', strategy: 'repair' },
  ] },
  { title: 'wave 2: overload and an outage upstream', cases: [
    { kind: 'latency', agent: 'bigagi-1', strategy: 'scale' },
    { kind: 'queue', agent: 'babyagi-1', strategy: 'scale' },
    { kind: 'dependency', agent: 'aider-1', forMs: 15_000, strategy: 'circuit_break' },
    { kind: 'errors', agent: 'semgrep-1', rate: 0.3, strategy: 'restart' },
  ] },
  { title: 'wave 3: a bad deploy, a bad config, a hot loop, a hang', cases: [
    { kind: 'bad-version', agent: 'crewai-2', strategy: 'rollback' },
    { kind: 'bad-config', agent: 'autogpt-2', strategy: 'repair' },
    { kind: 'cpu', agent: 'opendevin-1', strategy: 'repair' },
    { kind: 'hang', agent: 'crewai-1', strategy: 'restart' },
  ] },
];

const tty = process.stdout.isTTY;
const sec = (ms: number | undefined, tl: Timeline) => (ms === undefined ? '    ·' : `${((ms - tl.injected) / 1000).toFixed(1).padStart(5)}`);
let lastPrinted = '';

function render(title: string, cases: FaultCase[], timelines: Map<string, Timeline>, attempts: Attempt[], firing: Set<string>): void {
  const lines = [`Medic demo: ${AGENTS} agents. ${title}`, '', 'fault                      agent          firing received  acted verified recovered  latest decision'];
  for (const c of cases) {
    const tl = timelines.get(c.agent)!;
    const last = attempts.filter((a) => a.target === c.agent && Date.parse(a.startedAt) >= tl.injected).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).at(-1);
    lines.push(`${`${c.kind}${c.rate ? ` ${c.rate}` : ''}`.padEnd(26)} ${c.agent.padEnd(14)} ${sec(tl.firing, tl)}   ${sec(tl.received, tl)}  ${sec(tl.acted, tl)}   ${sec(tl.verified, tl)}    ${sec(tl.recovered, tl)}   ${last ? `${last.strategy}: ${last.outcome}` : '-'}`);
  }
  lines.push('', `alerts firing now: ${[...firing].sort().join(', ') || 'none'}`);
  const text = lines.join('\n');
  if (tty) process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
  else if (text !== lastPrinted) console.log(`${text}\n`);
  lastPrinted = text;
}

console.log(`Starting ${AGENTS} simulated agents, Medic, Alertmanager and Prometheus on loopback...`);
const stack = await startRealStack({ agents: AGENTS, logLevel: 'warn' });
const summary: { c: FaultCase; tl: Timeline }[] = [];
try {
  console.log(`Waiting for Prometheus to scrape the fleet (Prometheus ${stack.prometheus.url}, Alertmanager ${stack.alertmanager.url}, Medic ${stack.medic.url})...`);
  await waitForHealthyFleet(stack, AGENTS);
  for (const wave of WAVES) {
    const { timelines } = await injectAndFollow(stack, wave.cases, 120_000, (tls, attempts, firing) => render(wave.title, wave.cases, tls, attempts, firing));
    for (const c of wave.cases) summary.push({ c, tl: timelines.get(c.agent)! });
  }
} finally {
  await stack.stop();
}

console.log('\nMTTR table (seconds from injection; time is compressed: scrape and rule evaluation every second)');
console.log('fault                      healed by       detected  acted  verified  recovered');
for (const { c, tl } of summary) {
  console.log(`${`${c.kind}${c.rate ? ` ${c.rate}` : ''}`.padEnd(26)} ${c.strategy.padEnd(15)} ${sec(tl.firing, tl)}    ${sec(tl.acted, tl)}   ${sec(tl.verified, tl)}    ${sec(tl.recovered, tl)}`);
}
const mttr = summary.filter((s) => s.tl.recovered).map((s) => (s.tl.recovered! - s.tl.injected) / 1000);
console.log(`\nmean time to recovery: ${(mttr.reduce((a, b) => a + b, 0) / Math.max(1, mttr.length)).toFixed(1)} s over ${mttr.length} of ${summary.length} faults`);
