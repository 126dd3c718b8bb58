// The objects a Kustomize tree under deploy/kubernetes/ gives, read without kubectl for the part of
// Kustomize it uses: resources (files and folders), namespace, images, configMapGenerator. Generated
// ConfigMaps keep their plain names (kubectl adds a content hash to them and to every reference, which
// changes no relation between objects). test/unit/deploy-manifests.test.ts checks the manifests through
// this, and compares it with `kubectl kustomize` where kubectl is installed.
import { readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = Record<string, any>;

export interface Manifest {
  /** The file it came from (for generated ConfigMaps, the kustomization.yaml), from `root`. */
  file: string;
  object: Json;
}

export interface KustomizeTree {
  manifests: Manifest[];
  /** Every file the tree reads: resources, generator files and the kustomization.yaml files. */
  files: Set<string>;
}

// Kinds without a namespace that this tree uses; Kustomize leaves their metadata.namespace unset.
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);

/** Parses every YAML document of a file; a syntax error throws with the file and the parser's message. */
export function readYamlDocuments(path: string): Json[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Json | null;
    return value === null ? [] : [value];
  });
}

export function loadKustomization(dir: string, root: string): KustomizeTree {
  const kustomizationFile = join(dir, 'kustomization.yaml');
  const k = readYamlDocuments(kustomizationFile)[0] ?? {};
  const files = new Set([relative(root, kustomizationFile)]);
  const manifests: Manifest[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const sub = loadKustomization(path, root);
      sub.files.forEach((f) => files.add(f));
      manifests.push(...sub.manifests);
    } else {
      files.add(relative(root, path));
      manifests.push(...readYamlDocuments(path).map((object) => ({ file: relative(root, path), object })));
    }
  }
  for (const g of (k.configMapGenerator ?? []) as Json[]) {
    const data: Record<string, string> = {};
    for (const f of (g.files ?? []) as string[]) {
      files.add(relative(root, join(dir, f)));
      data[basename(f)] = readFileSync(join(dir, f), 'utf8');
    }
    for (const literal of (g.literals ?? []) as string[]) {
      const at = literal.indexOf('=');
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    manifests.push({ file: relative(root, kustomizationFile), object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data } });
  }
  // Applied to this level's objects and to those of the folders below it, as Kustomize does.
  for (const m of manifests) {
    if (k.namespace && !CLUSTER_SCOPED.has(m.object.kind)) m.object.metadata = { ...m.object.metadata, namespace: k.namespace };
    for (const image of (k.images ?? []) as Json[]) {
      for (const c of containersOf(m.object)) {
        if (c.image === image.name) c.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
      }
    }
  }
  return { manifests, files };
}

/** The pod template's spec of a Deployment or a CronJob, else undefined. */
export function podSpecOf(object: Json): Json | undefined {
  if (object.kind === 'CronJob') return object.spec?.jobTemplate?.spec?.template?.spec;
  if (object.kind === 'Deployment') return object.spec?.template?.spec;
  return undefined;
}

export function containersOf(object: Json): Json[] {
  const pod = podSpecOf(object);
  return pod ? [...((pod.initContainers ?? []) as Json[]), ...((pod.containers ?? []) as Json[])] : [];
}
