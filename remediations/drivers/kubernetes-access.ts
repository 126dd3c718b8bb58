// Every Kubernetes API request the kubernetes driver (kubernetes-driver.ts) makes, as RBAC sees it:
// API group, resource (with subresource), verb. The deployment's Role (deploy/kubernetes/agents-access/)
// grants exactly these and test/unit/deploy-manifests.test.ts holds both sides to it: it drives every
// action of the driver against a recording API server and maps each request to one of these rows, so a
// new call in the driver without a row here, or a row here no call needs, fails the test.

export interface KubernetesAccess {
  /** '' is the core group (pods), as RBAC writes it. */
  readonly apiGroup: string;
  /** 'deployments/scale' is the scale subresource: RBAC grants it apart from the Deployment itself. */
  readonly resource: string;
  readonly verb: 'get' | 'list' | 'patch';
  /** Which driver actions need it: for the Role's comments and for a reader deciding what to drop. */
  readonly for: string;
}

export const KUBERNETES_DRIVER_ACCESS: readonly KubernetesAccess[] = [
  { apiGroup: 'apps', resource: 'deployments', verb: 'get', for: 'health, get_replicas, get_version, get_config, rollback, get_traffic, set_traffic' },
  { apiGroup: 'apps', resource: 'deployments', verb: 'patch', for: 'restart (rollout restart), rollback (rollout undo), patch_config (resources)' },
  { apiGroup: 'apps', resource: 'deployments/scale', verb: 'patch', for: 'set_replicas (kubectl scale)' },
  { apiGroup: 'apps', resource: 'replicasets', verb: 'list', for: 'get_version, rollback (the revision history)' },
  { apiGroup: '', resource: 'pods', verb: 'list', for: 'get_traffic, set_traffic (the Deployment\'s pods)' },
  { apiGroup: '', resource: 'pods', verb: 'patch', for: 'set_traffic (the medic.io/serving label)' },
];

/**
 * The RBAC access a namespaced API request needs, as the API server's authorizer derives it: the path
 * gives group, resource and subresource; the method and whether a name is given give the verb. Undefined
 * for a request outside a namespace (the driver makes none).
 */
export function accessOfRequest(method: string, path: string): Omit<KubernetesAccess, 'for'> | undefined {
  // /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME[/SUBRESOURCE]], or /api/v1/... for the core group.
  const m = /^\/(?:apis\/([^/]+)\/[^/]+|api\/v1)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path.split('?')[0]!);
  if (!m) return undefined;
  const [, apiGroup = '', resource, name, sub] = m;
  const verbs: Record<string, string> = { GET: name ? 'get' : 'list', PATCH: 'patch', PUT: 'update', POST: 'create', DELETE: name ? 'delete' : 'deletecollection' };
  return { apiGroup, resource: sub ? `${resource}/${sub}` : resource!, verb: (verbs[method] ?? method.toLowerCase()) as KubernetesAccess['verb'] };
}
