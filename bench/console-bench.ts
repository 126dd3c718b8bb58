// npm run bench:console: the console's reads and the policy replay on a store holding 30 days of history
// for 131 agents (generated through the real engine and store, bench/synthetic-history.ts). Medic runs as
// its own process on that store; this process asks it what the console asks, one request at a time,
// interleaved with /healthz as the machine's own floor measured side by side. Then the replay of the
// whole period through the shipped policies (no difference expected) and through a changed one.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICIES_YAML, defaultPolicies, parsePoliciesYaml } from '../remediations/decide/policies.ts';
import { defaultRules } from '../remediations/decide/selection.ts';
import { replayPolicies } from '../server/replay/policy-replay.ts';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.ts';
import { startMedicProcess } from '../sim/stack/medic-process.ts';
import { tempDir } from '../sim/stack/temp-dir.ts';
import { generateHistory } from './synthetic-history.ts';

const HELP = `Usage: npm run bench:console -- [--agents 131] [--days 30] [--per-day 3] [--requests 300]
  --agents N     agents in the generated fleet (default 131)
  --days D       days of history (default 30)
  --per-day R    incidents per agent per day, on average (default 3)
  --requests N   requests of each kind (default 300)`;
const { values } = parseArgs({ options: { agents: { type: 'string', default: '131' }, days: { type: 'string', default: '30' }, 'per-day': { type: 'string', default: '3' }, requests: { type: 'string', default: '300' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const TOKEN = 'bench-operator-token-7f3a19c0';
const endAt = Date.now();
const shape = { agents: Number(values.agents), days: Number(values.days), perAgentPerDay: Number(values['per-day']), seed: 1, endAt };

const dir = tempDir('medic-console-bench-');
mkdirSync(dir, { recursive: true });
let t = Date.now();
const store = SqliteStore.open({ path: join(dir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 5000 });
const history = await generateHistory(store, shape, { policies: defaultPolicies(), rules: defaultRules() }, (done, total) => {
  if (process.stderr.isTTY) process.stderr.write(`\rgenerating ${done}/${total} alerts   `);
});
const { items: [newest] } = await store.listIncidents({}, { limit: 1 });
await store.close();
console.log(`\ngenerated ${shape.days} days for ${shape.agents} agents: ${newest?.id ?? 0} incidents (${history.heals} engine runs) in ${((Date.now() - t) / 1000).toFixed(1)} s`);

const medic = await startMedicProcess({ env: { MEDIC_DATA_DIR: dir, MEDIC_OPERATOR_TOKEN: TOKEN } }).catch(async (err) => {
  rmSync(dir, { recursive: true, force: true });
  throw err;
});
const auth = { authorization: `Bearer ${TOKEN}` };
const random = (n: number) => Math.floor(Math.random() * n);
const agentIds = history.agents.map((a) => a.id);
const day = (k: number) => new Date(endAt - k * 86_400_000).toISOString();
const kinds: Record<string, () => string[]> = {
  'healthz (floor)': () => ['/healthz'],
  'list: newest 50': () => ['/api/incidents'],
  'list: one agent': () => [`/api/incidents?agent=${agentIds[random(agentIds.length)]}`],
  'list: firing': () => ['/api/incidents?status=firing'],
  'list: one day': () => { const k = 1 + random(shape.days - 1); return [`/api/incidents?since=${day(k)}&until=${day(k - 1)}`]; },
  'list: 500 rows': () => ['/api/incidents?limit=500'],
  'incident page': () => [`/api/incidents/${1 + random(newest!.id)}`, '/api/approvals'],
};
const samples = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
try {
  for (let i = 0; i < Number(values.requests); i++) {
    for (const [kind, paths] of Object.entries(kinds)) {
      const started = performance.now();
      // The console asks for an incident and the approvals together.
      const answers = await Promise.all(paths().map((p) => fetch(`${medic.url}${p}`, { headers: auth }).then(async (r) => ({ status: r.status, body: await r.arrayBuffer() }))));
      samples.get(kind)!.push(performance.now() - started);
      for (const a of answers) if (a.status !== 200) throw new Error(`${kind} answered ${a.status}`);
    }
  }
} finally {
  medic.child.kill('SIGTERM');
  await medic.exited;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const floor = pct(samples.get('healthz (floor)')!, 0.95);
console.log(`\n${'request'.padEnd(20)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  p95 / floor`);
for (const [kind, xs] of samples) {
  console.log(`${kind.padEnd(20)} ${pct(xs, 0.5).toFixed(1).padStart(8)} ${pct(xs, 0.95).toFixed(1).padStart(8)} ${pct(xs, 0.99).toFixed(1).padStart(8)}  ${(pct(xs, 0.95) / floor).toFixed(1).padStart(6)}x`);
}

const source = SqliteStore.open({ path: join(dir, 'medic.db'), synchronous: 'normal', busyTimeoutMs: 5000 });
try {
  const period = { source, from: endAt - shape.days * 86_400_000, to: endAt + 1, agents: history.agents, rules: defaultRules() };
  t = Date.now();
  const same = await replayPolicies({ ...period, policies: defaultPolicies() });
  console.log(`\nreplay through the shipped policies: ${same.incidents} incidents in ${((Date.now() - t) / 1000).toFixed(1)} s, ${same.differences.length} differences`);
  t = Date.now();
  const changed = await replayPolicies({ ...period, policies: parsePoliciesYaml(DEFAULT_POLICIES_YAML.replace('    memory_limit_buffer: 0.2\n', '    memory_limit_buffer: 0.2\n    mode: shadow\n'), 'candidate') });
  console.log(`replay through a changed policy (lightweight_agents in shadow mode): ${changed.incidents} incidents in ${((Date.now() - t) / 1000).toFixed(1)} s, ${changed.differences.length} differences`);
} finally {
  await source.close();
  rmSync(dir, { recursive: true, force: true });
}
