// npm run demo: the whole stack on this machine for a newcomer. The full 131-agent fleet, Debian's
// Prometheus and Alertmanager, Medic; a scripted scenario of faults in three waves; a live view of
// incidents, decisions and recoveries; an MTTR table at the end. Stops by itself, or with --keep leaves
// the stack running for a person to look into what happened, until Ctrl-C.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { injectAndFollow, waitForHealthyFleet, type Attempt, type FaultCase, type Timeline } from '../sim/stack/follow-faults.ts';
import { startRealStack, WEBHOOK_TOKEN } from '../sim/stack/real-stack.ts';

const HELP = `Usage: npm run demo -- [--agents 131] [--keep]
Runs the whole stack with a scripted scenario of faults, then prints an MTTR table.

  --agents N  simulated agents (default 131)
  --keep      leave the stack running at the end and print where to look (the console, Medic's API,
              Prometheus, Alertmanager), until Ctrl-C`;
const { values } = parseArgs({ options: { agents: { type: 'string', default: '131' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(HELP);
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
const summary: { c: FaultCase; tl: Timeline; acted: string }[] = [];
// What Medic did for a fault, in order: each strategy that acted since the injection, and how it ended
// (the scenario names the strategy the design prescribes; a ladder may climb through others first).
const actedFor = (c: FaultCase, tl: Timeline, attempts: Attempt[]) =>
  attempts
    .filter((a) => a.target === c.agent && Date.parse(a.startedAt) >= tl.injected && ['succeeded', 'failed', 'verify_failed', 'in_progress'].includes(a.outcome))
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
    .map((a) => (a.outcome === 'succeeded' ? a.strategy : `${a.strategy} (${a.outcome})`))
    .join(' -> ') || '-';
try {
  console.log(`Waiting for Prometheus to scrape the fleet (Prometheus ${stack.prometheus.url}, Alertmanager ${stack.alertmanager.url}, Medic ${stack.medic.url})...`);
  await waitForHealthyFleet(stack, AGENTS);
  for (const wave of WAVES) {
    const { timelines, attempts } = await injectAndFollow(stack, wave.cases, 120_000, (tls, attempts, firing) => render(wave.title, wave.cases, tls, attempts, firing));
    for (const c of wave.cases) summary.push({ c, tl: timelines.get(c.agent)!, acted: actedFor(c, timelines.get(c.agent)!, attempts) });
  }
} catch (err) {
  await stack.stop();
  throw err;
}
if (!values.keep) await stack.stop();

console.log('\nMTTR table (seconds from injection; time is compressed: scrape and rule evaluation every second)');
console.log('fault                      expected        detected  acted  verified  recovered  Medic acted with');
for (const { c, tl, acted } of summary) {
  console.log(`${`${c.kind}${c.rate ? ` ${c.rate}` : ''}`.padEnd(26)} ${c.strategy.padEnd(15)} ${sec(tl.firing, tl)}    ${sec(tl.acted, tl)}   ${sec(tl.verified, tl)}    ${sec(tl.recovered, tl)}      ${acted}`);
}
const mttr = summary.filter((s) => s.tl.recovered).map((s) => (s.tl.recovered! - s.tl.injected) / 1000);
console.log(`\nmean time to recovery: ${(mttr.reduce((a, b) => a + b, 0) / Math.max(1, mttr.length)).toFixed(1)} s over ${mttr.length} of ${summary.length} faults`);

if (values.keep) {
  const auth = `-H 'Authorization: Bearer ${WEBHOOK_TOKEN}'`;
  console.log(`
The stack is still running (Ctrl-C stops it):
  Console        ${stack.medic.url}/console/  (log in with the token ${WEBHOOK_TOKEN}, then give your name)
  Medic          ${stack.medic.url}
    curl ${auth} ${stack.medic.url}/api/incidents
    curl ${auth} ${stack.medic.url}/api/remediations
    curl ${auth} ${stack.medic.url}/api/fleet
    curl ${stack.medic.url}/metrics
  Prometheus     ${stack.prometheus.url}  (alerts: ${stack.prometheus.url}/alerts)
  Alertmanager   ${stack.alertmanager.url}
(the demo's Medic has no API tokens: its webhook token opens the API, with the operator role)`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  console.log('stopping the stack (Medic finishes its in-flight work first)...');
  await stack.stop();
  console.log('stopped.');
}
