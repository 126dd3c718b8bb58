// The explicit registry of drivers. An inventory naming anything else stops the boot (the schema's enum).
import type { Driver } from '../types.ts';
import { createDryRunDriver } from './dry-run-driver.ts';
import { createHttpDriver } from './http-driver.ts';
import { createKubernetesDriver } from './kubernetes-driver.ts';
import { createProcessDriver, type ProcessDriver } from './process-driver.ts';

export interface DriverRegistry {
  get(name: string): Driver | undefined;
  /** The dry-run twin of a driver: reads through it, records writes. */
  dryRun(of: Driver | undefined): Driver;
  process: ProcessDriver;
}

export function createDriverRegistry(options: {
  httpTimeoutMs: number;
  processStartTimeoutMs: number;
  /** A kubeconfig file; without one, in-cluster configuration or ~/.kube/config (KubeConfig.loadFromDefault). */
  kubeconfig?: string;
  extra?: Driver[];
}): DriverRegistry {
  const http = createHttpDriver({ timeoutMs: options.httpTimeoutMs });
  const process = createProcessDriver({ http, startTimeoutMs: options.processStartTimeoutMs });
  const dryRun = createDryRunDriver();
  const kubernetes = createKubernetesDriver({
    timeoutMs: options.httpTimeoutMs,
    kubeConfig: (k8s) => {
      const kc = new k8s.KubeConfig();
      if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
      else kc.loadFromDefault();
      return kc;
    },
  });
  const byName = new Map<string, Driver>([http, process, dryRun, kubernetes, ...(options.extra ?? [])].map((d) => [d.name, d]));
  return {
    get: (name) => byName.get(name),
    dryRun: (of) => (of && of.name !== 'dry-run' ? createDryRunDriver(of) : dryRun),
    process,
  };
}
