// bench:lstm: the failure model's cost, measured side by side in one run (the machine is shared and
// noisy: read the ratios). For each TensorFlow.js backend that starts here (tfjs-node when installed,
// wasm stock and with Medic's matmul patch, plain cpu) and each size (the design's LSTM 128-64-32 and
// the shipped default), training sequences/s and the latency of one inference batch of 131 agents;
// then the same networks in PyTorch (Debian's python3-torch, one thread: bench/lstm_torch.py).
//
//   npm run bench:lstm [-- --sequences 1024 --epochs 2 --repeats 20 --python /usr/bin/python3 --skip-cpu]
import { spawnSync } from 'node:child_process';
import { readlinkSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { DESIGN_ARCHITECTURE, buildNetwork, type Architecture } from '../models/failure/lstm-network.ts';
import { patchWasmMatMul } from '../models/failure/wasm-matmul.ts';
import { BACKTEST_DEFAULTS } from '../training/evaluation/failure-backtest.ts';

const { values } = parseArgs({ options: {
  sequences: { type: 'string', default: '1024' }, epochs: { type: 'string', default: '2' }, repeats: { type: 'string', default: '20' },
  features: { type: 'string', default: '7' }, python: { type: 'string', default: '/usr/bin/python3' }, 'skip-cpu': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} });
if (values.help) {
  console.log('Usage: npm run bench:lstm [-- --sequences N --epochs N --repeats N --features N --python PATH --skip-cpu]');
  process.exit(0);
}
const SEQUENCES = Number(values.sequences), EPOCHS = Number(values.epochs), REPEATS = Number(values.repeats), FEATURES = Number(values.features);
const STEPS = 20, AGENTS = 131, BATCH = 64;
const SIZES: { name: string; a: Architecture }[] = [
  { name: `design ${DESIGN_ARCHITECTURE.units.join('-')}`, a: DESIGN_ARCHITECTURE },
  { name: `shipped ${BACKTEST_DEFAULTS.architecture.units.join('-')}`, a: BACKTEST_DEFAULTS.architecture },
];

interface Row { backend: string; size: string; trainSeqPerS: number; inferP50: number; inferP99: number }

async function measure(backend: string, size: { name: string; a: Architecture }, sequences: number, repeats: number): Promise<Row> {
  const model = buildNetwork(size.a, STEPS, FEATURES, 1);
  const x = tf.randomUniform([sequences, STEPS, FEATURES], 0, 1, 'float32', 1);
  const y = tf.cast(tf.greater(tf.randomUniform([sequences, 1], 0, 1, 'float32', 2), 0.5), 'float32');
  await model.fit(x.slice(0, BATCH * 2), y.slice(0, BATCH * 2), { epochs: 1, batchSize: BATCH, verbose: 0 }); // warm-up
  const perEpoch: number[] = [];
  for (let e = 0; e < EPOCHS; e++) {
    const t = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0, shuffle: true });
    perEpoch.push(sequences / ((performance.now() - t) / 1000));
  }
  const batch = tf.randomUniform([AGENTS, STEPS, FEATURES], 0, 1, 'float32', 3);
  for (let i = 0; i < 3; i++) tf.tidy(() => (model.predict(batch) as tf.Tensor).dataSync());
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    tf.tidy(() => (model.predict(batch) as tf.Tensor).dataSync());
    times.push(performance.now() - t);
  }
  tf.dispose([x, y, batch]);
  model.dispose();
  times.sort((a, b) => a - b);
  perEpoch.sort((a, b) => a - b);
  return { backend, size: size.name, trainSeqPerS: perEpoch[perEpoch.length >> 1]!, inferP50: times[times.length >> 1]!, inferP99: times[Math.min(times.length - 1, Math.ceil(0.99 * times.length) - 1)]! };
}

function torch(size: { name: string; a: Architecture }): Row | string {
  const script = fileURLToPath(new URL('./lstm_torch.py', import.meta.url));
  const r = spawnSync(values.python!, [script, '--units', size.a.units.join(','), '--dense', String(size.a.dense), '--steps', String(STEPS), '--features', String(FEATURES),
    '--train-sequences', String(SEQUENCES), '--batch', String(BATCH), '--epochs', String(EPOCHS), '--infer-batch', String(AGENTS), '--infer-repeats', String(REPEATS), '--threads', '1'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `PyTorch did not run (${values.python}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { backend: `pytorch ${j.torch_version} (1 thread)`, size: size.name, trainSeqPerS: j.train_sequences_per_s, inferP50: j.infer_ms_p50, inferP99: j.infer_ms_p99 };
}

function blas(): string {
  try { return realpathSync(readlinkSync('/etc/alternatives/libblas.so.3-x86_64-linux-gnu')); } catch { return 'unknown'; }
}

const rows: Row[] = [];
const notes: string[] = [];
const log = (r: Row) => { rows.push(r); console.error(`  ${r.backend.padEnd(30)} ${r.size.padEnd(16)} train ${r.trainSeqPerS.toFixed(0)} seq/s, infer ${r.inferP50.toFixed(1)} ms`); };
console.error(`bench:lstm: ${SEQUENCES} sequences of ${STEPS}x${FEATURES}, ${EPOCHS} epochs, batch ${BATCH}; inference: one batch of ${AGENTS} agents, ${REPEATS} repeats`);
try {
  await import('@tensorflow/tfjs-node' as string);
  if (tf.findBackend('tensorflow') && (await tf.setBackend('tensorflow'))) for (const s of SIZES) log(await measure('tfjs-node', s, SEQUENCES, REPEATS));
  else notes.push('tfjs-node: not installed here (optional; its install downloads libtensorflow)');
} catch (e) { notes.push(`tfjs-node: ${(e as Error).message.split('\n')[0]}`); }
await tf.setBackend('wasm');
for (const s of SIZES) log(await measure('wasm (stock kernels)', s, SEQUENCES, REPEATS));
notes.push(`wasm matmul patch: ${patchWasmMatMul()}`);
for (const s of SIZES) log(await measure('wasm (patched matmul)', s, SEQUENCES, REPEATS));
if (!values['skip-cpu']) {
  await tf.setBackend('cpu');
  // Plain JavaScript is ~20x slower: a quarter of the sequences and a few repeats keep the run bounded.
  for (const s of SIZES) log(await measure('cpu (plain JavaScript)', s, Math.max(BATCH * 2, SEQUENCES / 4), 3));
}
for (const s of SIZES) {
  const r = torch(s);
  if (typeof r === 'string') notes.push(r); else log(r);
}
notes.push(`PyTorch's BLAS (libblas.so.3): ${blas()}`);

console.log(`\nbackend                         size              train seq/s   infer 131 p50 (ms)   p99    vs PyTorch: train  infer`);
for (const r of rows) {
  const ref = rows.find((x) => x.backend.startsWith('pytorch') && x.size === r.size);
  const ratio = ref ? `${(ref.trainSeqPerS / r.trainSeqPerS).toFixed(2)}x slower`.padStart(16) + `${(r.inferP50 / ref.inferP50).toFixed(2)}x`.padStart(8) : '';
  console.log(`${r.backend.padEnd(31)} ${r.size.padEnd(17)} ${r.trainSeqPerS.toFixed(0).padStart(11)} ${r.inferP50.toFixed(1).padStart(20)} ${r.inferP99.toFixed(1).padStart(6)} ${ratio}`);
}
for (const n of notes) console.log(`note: ${n}`);
