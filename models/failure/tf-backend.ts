// Which TensorFlow.js backend runs the failure model, chosen once per process: @tensorflow/tfjs-node
// where it is installed for real (it downloads libtensorflow when it installs, which fails on machines
// without that network, so it is never a dependency: an operator adds it), else the WebAssembly backend
// (shipped; its matmul patched, wasm-matmul.ts), else plain JavaScript ('cpu'). The log and /api/models
// say which one runs. danfojs-node's npm override installs plain @tensorflow/tfjs under the name
// @tensorflow/tfjs-node, so "it imports" is not proof: only a registered 'tensorflow' backend is.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { patchWasmMatMul } from './wasm-matmul.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why a preferred backend was passed over, one line each (for the start-up log). */
  skipped: string[];
  /** The wasm matmul patch: applied, or why not. */
  matmulPatch?: string;
}

let chosen: Promise<BackendInfo> | undefined;

/** Sets the backend once (later calls return the first answer); `only` forces one (tests, the bench). */
export function initBackend(only?: BackendName): Promise<BackendInfo> {
  if (only) return setBackend([only]);
  chosen ??= setBackend(BACKEND_PREFERENCE);
  return chosen;
}

/** The backend in use, or undefined before initBackend resolved. */
export function currentBackend(): string | undefined {
  return tf.engine().backendName ?? undefined;
}

async function setBackend(order: readonly BackendName[]): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        await import('@tensorflow/tfjs-node' as string);
        if (!tf.findBackend('tensorflow')) throw new Error('@tensorflow/tfjs-node is not installed (only the plain tfjs that danfojs-node aliases under its name)');
      }
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') refused`);
      await tf.ready();
      const info: BackendInfo = { name, skipped };
      if (name === 'wasm') info.matmulPatch = patchWasmMatMul();
      return info;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

export { tf };
