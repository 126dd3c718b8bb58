// When the failure models go into service. TensorFlow.js starts (about half a second, and memory) only
// once the registry holds a failure model: at start-up when it already does, otherwise at the first
// reload interval after one appears, as when the nightly retraining promotes the first failure model
// of a fleet that had none: no restart of Medic is needed for it to serve.
import { initBackend, type BackendInfo } from '../../models/failure/tf-backend.ts';
import { listTypes } from '../../models/registry.ts';
import type { Logger } from '../../lib/logger.ts';
import type { ModelService } from './model-service.ts';

export interface FailureModelsStart {
  /** The TensorFlow.js backend, once started. */
  backend(): BackendInfo | undefined;
  stop(): void;
}

export async function startFailureModels(registry: string, models: ModelService, reloadIntervalMs: number, log: Logger): Promise<FailureModelsStart> {
  let backend: BackendInfo | undefined;
  let watcher: NodeJS.Timeout | undefined;
  let failed = false;
  const begin = async (): Promise<void> => {
    try {
      backend = await initBackend();
    } catch (err) {
      failed = true;
      log.error({ err: (err as Error).message }, 'TensorFlow.js did not start: no failure predictions');
      return;
    }
    log.info({ backend: backend.name, matmulPatch: backend.matmulPatch ?? null, passedOver: backend.skipped }, `failure models run on TensorFlow.js ${backend.name}`);
    models.start(reloadIntervalMs);
  };
  if (listTypes(registry, 'failure').length) await begin();
  else {
    let starting = false;
    watcher = setInterval(() => {
      if (starting || !listTypes(registry, 'failure').length) return;
      starting = true;
      clearInterval(watcher);
      log.info({ registry }, 'a failure model appeared in the registry: starting failure prediction');
      void begin();
    }, reloadIntervalMs);
    watcher.unref();
  }
  return {
    backend: () => (failed ? undefined : backend),
    stop: () => {
      clearInterval(watcher);
      models.stop();
    },
  };
}
