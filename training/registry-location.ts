// Where the model registry is: --registry, else MEDIC_MODEL_REGISTRY, else the registry shipped in the
// repository (models/registry), resolved from this file so it does not depend on the working directory.
import { resolve } from 'node:path';
import { SHIPPED_REGISTRY } from '../models/registry.ts';

export { SHIPPED_REGISTRY };

export function registryDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag || env.MEDIC_MODEL_REGISTRY || SHIPPED_REGISTRY);
}
