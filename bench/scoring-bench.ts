// npm run bench:scoring: what scoring costs at serving time, with the Prometheus query left out:
// one incident's window (features of the newest sample + the forest), and a fleet loop that scores the
// newest sample of every agent (131 and 10,000 agents). A measurement, not a test.
import { parseArgs } from 'node:util';
import { seededRandom } from '../lib/random.ts';
import { AnomalyModel } from '../models/anomaly-model.ts';
import { AGENT_SIGNALS } from '../models/features.ts';

const { values } = parseArgs({ options: { window: { type: 'string', default: '12' }, incidents: { type: 'string', default: '2000' } } });
const WINDOW = Number(values.window);
const columns = AGENT_SIGNALS.map((s) => s.column);
const random = seededRandom(7);
const sample = (t: number) => [0.3 + 0.05 * Math.sin(t / 30) + 0.02 * random(), 0.01 * random(), 20 + 5 * random(), 5 * random(), 0.5 + 0.05 * random(), 0.3 + 0.1 * random(), 1];
const history = Array.from({ length: 5000 }, (_, t) => sample(t));
const model = AnomalyModel.train(history, columns, { window: WINDOW, seed: 1 });
const windowOf = () => Array.from({ length: WINDOW + 1 }, (_, t) => sample(t));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

// One incident: features of the newest sample from its trailing window, then the forest.
const perIncident: number[] = [];
for (let i = 0; i < Number(values.incidents); i++) {
  const w = windowOf();
  const t = process.hrtime.bigint();
  model.scoreLatest(w);
  perIncident.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log(`bench:scoring: window ${WINDOW} samples × ${columns.length} signals, ${columns.length * 6} features, 100 trees`);
console.log(`per incident: p50 ${quantile(perIncident, 0.5).toFixed(3)} ms, p99 ${quantile(perIncident, 0.99).toFixed(3)} ms (target p99 < 10 ms)`);

for (const agents of [131, 10_000]) {
  const windows = Array.from({ length: agents }, windowOf);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (const w of windows) model.scoreLatest(w);
    runs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`fleet loop, ${agents} agents: median ${quantile(runs, 0.5).toFixed(1)} ms over 5 runs (target ${agents === 131 ? '< 100 ms' : '< 2 s'})`);
}
