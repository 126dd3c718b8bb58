// The wasm backend's matmul with a transposed operand takes a slow path, and backpropagation through
// every dense and LSTM kernel asks for exactly that (dW = xᵀ·dy, dx = dy·Wᵀ). Transposing explicitly
// first (one cheap Transpose kernel) and calling the stock kernel untransposed trains the design's LSTM
// about 3× faster here (bench:lstm) with the same results (test/unit/wasm-matmul.test.ts compares
// the patched kernel with the stock one). Kernel internals differ between releases, so the patch is
// applied only to the tfjs version it was tested with (package.json pins it).
import * as tf from '@tensorflow/tfjs';

export const PATCHED_TFJS_VERSION = '4.22.0';
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

interface TensorRef { dataId: object; shape: number[]; dtype: string }
interface KernelArgs { inputs: Record<string, TensorRef>; backend: { disposeData(id: object): void }; attrs: Record<string, unknown> }

let applied = false;

/** Re-registers the wasm matmul kernels; returns what was done, for the start-up log. Idempotent. */
export function patchWasmMatMul(): string {
  if (applied) return 'applied';
  if (tf.version_core !== PATCHED_TFJS_VERSION) return `not applied: tfjs-core ${tf.version_core} is not the tested ${PATCHED_TFJS_VERSION}`;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return 'not applied: the wasm backend has no Transpose kernel';
  for (const name of KERNELS) {
    const stock = tf.getKernel(name, 'wasm');
    if (!stock) return `not applied: the wasm backend has no ${name} kernel`;
  }
  for (const name of KERNELS) {
    const stock = tf.getKernel(name, 'wasm')!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...stock, kernelFunc: explicitTranspose(stock.kernelFunc as never, transpose.kernelFunc as never) });
  }
  applied = true;
  return 'applied';
}

type Kernel = (args: KernelArgs) => TensorRef;

function explicitTranspose(stock: Kernel, transpose: Kernel): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    const made: TensorRef[] = [];
    const swapLastTwo = (x: TensorRef): TensorRef => {
      const rank = x.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
      const t = transpose({ inputs: { x }, backend, attrs: { perm } });
      made.push(t);
      return t;
    };
    try {
      const a = attrs.transposeA ? swapLastTwo(inputs.a!) : inputs.a!;
      const b = attrs.transposeB ? swapLastTwo(inputs.b!) : inputs.b!;
      return stock({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of made) backend.disposeData(t.dataId);
    }
  }) as unknown as tf.KernelFunc;
}
