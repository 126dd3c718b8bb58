// The wasm matmul patch (models/failure/wasm-matmul.ts) must compute what the stock kernels compute:
// every transpose combination, batched, fused with bias and activation, and through a gradient.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { patchWasmMatMul } from '../../models/failure/wasm-matmul.ts';

function cases(): { name: string; run: () => tf.Tensor }[] {
  const a = tf.randomUniform([3, 5, 7], -1, 1, 'float32', 1);
  const b = tf.randomUniform([3, 7, 4], -1, 1, 'float32', 2);
  const bias = tf.randomUniform([4], -1, 1, 'float32', 3);
  const out: { name: string; run: () => tf.Tensor }[] = [];
  for (const ta of [false, true]) for (const tb of [false, true]) {
    const x = ta ? tf.transpose(a, [0, 2, 1]) : a;
    const y = tb ? tf.transpose(b, [0, 2, 1]) : b;
    out.push({ name: `matMul ${ta}/${tb}`, run: () => tf.matMul(x, y, ta, tb) });
    out.push({ name: `fused ${ta}/${tb}`, run: () => tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias, activation: 'relu' }) });
  }
  // Backprop asks for transposed operands: d(sum(a·b))/da = 1·bᵀ.
  out.push({ name: 'gradient', run: () => tf.grad((x: tf.Tensor) => tf.matMul(x as tf.Tensor3D, b).sum())(a) });
  return out;
}

describe('wasm matmul patch', () => {
  it('matches the stock wasm kernels on every transpose combination, fused and in a gradient', async () => {
    assert.ok(await tf.setBackend('wasm'));
    const stock = cases().map((c) => ({ name: c.name, values: c.run().arraySync() }));
    assert.equal(patchWasmMatMul(), 'applied');
    assert.equal(patchWasmMatMul(), 'applied', 'idempotent');
    const patched = cases().map((c) => c.run().arraySync());
    stock.forEach((s, i) => {
      const flat = (v: unknown) => (v as number[]).flat(3) as number[];
      const a = flat(s.values);
      const b = flat(patched[i]);
      assert.equal(a.length, b.length, s.name);
      a.forEach((x, k) => assert.ok(Math.abs(x - b[k]!) < 1e-5, `${s.name}[${k}]: ${x} vs ${b[k]}`));
    });
  });
});
