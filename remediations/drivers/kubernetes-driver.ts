// The `kubernetes` driver: a Deployment, acted on with exactly the requests kubectl makes.
//   restart  = kubectl rollout restart  (strategic merge patch of the pod template's restartedAt)
//   scale    = kubectl scale            (merge patch of the scale subresource)
//   rollback = kubectl rollout undo     (JSON patch of the template from the previous ReplicaSet)
//   repair   = patch container resources; reroute = label pods out of the Service (medic.io/serving)
// Kept thin: the client library is loaded on first use, so servers without Kubernetes never pay for it.
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { DriverError, type ActionName, type ActionRequest, type ActionResult, type Agent, type Driver, type Health } from '../types.ts';
import { targetOf, type DriverDefinition } from './driver-definition.ts';

interface KubernetesTarget {
  readonly kind: 'kubernetes';
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
  readonly service?: string;
  readonly [field: string]: unknown;
}

const KubernetesBlock = z.strictObject({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  container: z.string().min(1),
  service: z.string().min(1).optional(),
});

export const SERVING_LABEL = 'medic.io/serving';
const REVISION = 'deployment.kubernetes.io/revision';
// Annotations kubectl rollout undo does not copy from the ReplicaSet back to the Deployment.
const UNDO_SKIPPED_ANNOTATIONS = new Set([
  REVISION, 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas', 'kubectl.kubernetes.io/last-applied-configuration',
]);

const SUPPORTED: ReadonlySet<ActionName> = new Set<ActionName>([
  'restart', 'get_replicas', 'set_replicas', 'get_version', 'rollback', 'get_config', 'patch_config', 'get_traffic', 'set_traffic',
]);

type K8s = typeof import('@kubernetes/client-node');
type Json = Record<string, any>;

export interface KubernetesDriverOptions {
  /** Builds the client configuration (in-cluster, a kubeconfig file, or a test server). */
  kubeConfig: (k8s: K8s) => KubeConfig;
  timeoutMs: number;
  now?: () => number;
}

export function createKubernetesDriver(o: KubernetesDriverOptions): Driver {
  let clients: Promise<{ k8s: K8s; apps: InstanceType<K8s['AppsV1Api']>; core: InstanceType<K8s['CoreV1Api']> }> | undefined;
  const connect = () =>
    (clients ??= import('@kubernetes/client-node').then((k8s) => {
      const kc = o.kubeConfig(k8s);
      return { k8s, apps: kc.makeApiClient(k8s.AppsV1Api), core: kc.makeApiClient(k8s.CoreV1Api) };
    }));

  const bounded = async <T>(what: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> => {
    if (signal.aborted) throw new DriverError(`${what}: aborted`, true);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DriverError(`${what}: timed out after ${o.timeoutMs} ms`, true)), o.timeoutMs);
          signal.addEventListener('abort', () => reject(new DriverError(`${what}: aborted`, true)), { once: true });
        }),
      ]);
    } catch (err) {
      if (err instanceof DriverError) throw err;
      const code = Number((err as { code?: unknown }).code);
      // 4xx other than conflicts and throttling will not get better by asking again.
      const retryable = !(code >= 400 && code < 500) || code === 409 || code === 429;
      throw new DriverError(`${what}: ${(err as Error).message}`, retryable, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };

  const deploymentOf = (agent: Agent) => targetOf<KubernetesTarget>(agent, ['kubernetes'], 'a Deployment');

  async function deployment(agent: Agent, signal: AbortSignal): Promise<Json> {
    const t = deploymentOf(agent);
    const { apps } = await connect();
    return (await bounded('read deployment', signal, () => apps.readNamespacedDeployment({ name: t.deployment, namespace: t.namespace }))) as Json;
  }

  function selectorOf(d: Json): string {
    return Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  }

  async function replicaSets(agent: Agent, d: Json, signal: AbortSignal): Promise<Json[]> {
    const t = deploymentOf(agent);
    const { apps } = await connect();
    const list = (await bounded('list replicasets', signal, () =>
      apps.listNamespacedReplicaSet({ namespace: t.namespace, labelSelector: selectorOf(d) }))) as Json;
    return ((list.items ?? []) as Json[])
      .filter((rs) => ((rs.metadata?.ownerReferences ?? []) as Json[]).some((ref) => ref.uid === d.metadata?.uid))
      .sort((a, b) => Number(a.metadata?.annotations?.[REVISION] ?? 0) - Number(b.metadata?.annotations?.[REVISION] ?? 0));
  }

  async function perform(agent: Agent, request: ActionRequest, signal: AbortSignal): Promise<ActionResult> {
    const t = deploymentOf(agent);
    const { k8s, apps, core } = await connect();
    const name = t.deployment;
    const namespace = t.namespace;
    const patch = (what: string, body: unknown, type: string) =>
      bounded(what, signal, () => apps.patchNamespacedDeployment({ name, namespace, body }, k8s.setHeaderOptions('Content-Type', type as never)));
    switch (request.action) {
      case 'restart': {
        // kubectl formats the time as RFC 3339 in seconds.
        const restartedAt = new Date(o.now?.() ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } };
        const d = (await patch('rollout restart', body, k8s.PatchStrategy.StrategicMergePatch)) as Json;
        return { data: { restarted_at: restartedAt, generation: d.metadata?.generation } };
      }
      case 'get_replicas': {
        const d = await deployment(agent, signal);
        return { data: { replicas: d.spec?.replicas ?? 1, ready_replicas: d.status?.readyReplicas ?? 0 } };
      }
      case 'set_replicas': {
        const body = { spec: { replicas: request.replicas } };
        await bounded('scale', signal, () =>
          apps.patchNamespacedDeploymentScale({ name, namespace, body }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
        return { data: { replicas: request.replicas } };
      }
      case 'get_version': {
        const d = await deployment(agent, signal);
        const current = String(d.metadata?.annotations?.[REVISION] ?? '');
        // Kubernetes cannot tell a good revision from a bad one; the ones the rollout has moved past are taken
        // as good, the running one is not vouched for (so trouble soon after its rollout can roll it back).
        const history = (await replicaSets(agent, d, signal)).map((rs) => {
          const version = String(rs.metadata?.annotations?.[REVISION] ?? '');
          const created = rs.metadata?.creationTimestamp;
          return {
            version,
            image: containerOf(rs.spec?.template, t.container)?.image ?? null,
            known_good: version !== current,
            ...(created ? { deployed_at: new Date(created).toISOString() } : {}),
          };
        });
        return { data: { version: current, history } };
      }
      case 'rollback': {
        const d = await deployment(agent, signal);
        const sets = await replicaSets(agent, d, signal);
        const current = String(d.metadata?.annotations?.[REVISION] ?? '');
        const wanted = request.toVersion ?? String(sets.filter((rs) => rs.metadata?.annotations?.[REVISION] !== current).at(-1)?.metadata?.annotations?.[REVISION] ?? '');
        const rs = sets.find((s) => String(s.metadata?.annotations?.[REVISION]) === wanted);
        if (!rs) throw new DriverError(`no ReplicaSet at revision ${wanted || '(previous)'} for deployment ${namespace}/${name}`, false);
        if (d.spec?.paused) throw new DriverError(`deployment ${namespace}/${name} is paused; kubectl refuses to roll back a paused deployment too`, false);
        const template = structuredClone(rs.spec.template) as Json;
        delete template.metadata?.labels?.['pod-template-hash'];
        // As kubectl: the Deployment keeps its own bookkeeping annotations and takes the rest from the ReplicaSet.
        const annotations: Record<string, string> = {};
        for (const [k, v] of Object.entries((d.metadata?.annotations ?? {}) as Record<string, string>)) {
          if (UNDO_SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
        }
        for (const [k, v] of Object.entries((rs.metadata?.annotations ?? {}) as Record<string, string>)) {
          if (!UNDO_SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
        }
        const body = [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: annotations },
        ];
        await patch('rollout undo', body, k8s.PatchStrategy.JsonPatch);
        return { data: { version: wanted } };
      }
      case 'get_config': {
        const d = await deployment(agent, signal);
        const limits = (containerOf(d.spec?.template, t.container)?.resources?.limits ?? {}) as Record<string, string>;
        return { data: { config: { memory_limit_mib: mebibytes(limits.memory), cpu_limit_millicores: millicores(limits.cpu) }, revision: d.metadata?.generation ?? 0 } };
      }
      case 'patch_config': {
        const limits: Record<string, string> = {};
        if (request.patch.memory_limit_mib !== undefined) limits.memory = `${Number(request.patch.memory_limit_mib)}Mi`;
        if (request.patch.cpu_limit_millicores !== undefined) limits.cpu = `${Number(request.patch.cpu_limit_millicores)}m`;
        const unknown = Object.keys(request.patch).filter((k) => k !== 'memory_limit_mib' && k !== 'cpu_limit_millicores');
        if (unknown.length) throw new DriverError(`the kubernetes driver patches resources only, not ${unknown.join(', ')}`, false);
        const body = { spec: { template: { spec: { containers: [{ name: t.container, resources: { limits } }] } } } };
        await patch('patch resources', body, k8s.PatchStrategy.StrategicMergePatch);
        return { data: { config: request.patch } };
      }
      case 'get_traffic':
      case 'set_traffic': {
        const d = await deployment(agent, signal);
        const pods = ((await bounded('list pods', signal, () => core.listNamespacedPod({ namespace, labelSelector: selectorOf(d) }))) as Json).items as Json[];
        if (request.action === 'get_traffic') {
          const serving = pods.filter((p) => p.metadata?.labels?.[SERVING_LABEL] !== 'false').length;
          return { data: { weight: pods.length ? serving / pods.length : 1 } };
        }
        // Out of the Service's endpoints (its selector requires medic.io/serving=true), or back in.
        const value = request.weight > 0 ? 'true' : 'false';
        for (const p of pods) {
          await bounded('label pod', signal, () =>
            core.patchNamespacedPod(
              { name: String(p.metadata?.name), namespace, body: { metadata: { labels: { [SERVING_LABEL]: value } } } },
              k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
            ));
        }
        return { data: { weight: request.weight > 0 ? 1 : 0 } };
      }
      default:
        throw new DriverError(`the kubernetes driver does not support ${request.action}`, false);
    }
  }

  return {
    name: 'kubernetes',
    supports: SUPPORTED,
    async health(agent, signal): Promise<Health> {
      try {
        const d = await deployment(agent, signal);
        const want = Number(d.spec?.replicas ?? 1);
        const ready = Number(d.status?.readyReplicas ?? 0);
        const updated = Number(d.status?.updatedReplicas ?? 0);
        const observed = Number(d.status?.observedGeneration ?? 0) >= Number(d.metadata?.generation ?? 0);
        const healthy = observed && ready >= want && updated >= want;
        return {
          healthy,
          // A rollout restart bumps the generation: it stands in for a boot id.
          bootId: String(d.metadata?.generation ?? ''),
          version: String(d.metadata?.annotations?.[REVISION] ?? ''),
          reason: healthy ? undefined : `${ready}/${want} ready, ${updated}/${want} updated${observed ? '' : ', rollout not yet observed'}`,
        };
      } catch (err) {
        return { healthy: false, reason: (err as Error).message };
      }
    },
    perform,
  };
}

function containerOf(template: Json | undefined, name: string): Json | undefined {
  return ((template?.spec?.containers ?? []) as Json[]).find((c) => c.name === name);
}

function mebibytes(q: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q ?? '');
  if (!m) return undefined;
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 };
  return Math.round(Number(m[1]) * (m[2] ? factor[m[2]]! : 1 / 1048576));
}

function millicores(q: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q ?? '');
  if (!m) return undefined;
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

export const kubernetesDriver: DriverDefinition<z.output<typeof KubernetesBlock>> = {
  name: 'kubernetes',
  targetSchema: KubernetesBlock,
  target: (b) => ({ kind: 'kubernetes', ...b }),
  create: (s) => createKubernetesDriver({
    timeoutMs: s.httpTimeoutMs,
    kubeConfig: (k8s) => {
      const kc = new k8s.KubeConfig();
      if (s.kubeconfig) kc.loadFromFile(s.kubeconfig);
      else kc.loadFromDefault();
      return kc;
    },
  }),
};
