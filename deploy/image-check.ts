// What test/unit/deploy-manifests.test.ts needs to judge deploy/Dockerfile: its stages, the folders the
// service imports (which the image must copy), and a real build where one can run. A build needs a Docker
// daemon and the base images (present, or a registry to pull them from); where either is missing the
// check says so and is skipped, after seconds, never hanging on a registry it cannot reach.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface DockerStage {
  /** The `AS` name, if any. */
  name?: string;
  /** The base image, with ARG defaults substituted. */
  image: string;
  /** The stage's instructions after FROM, continuation lines joined, comments dropped. */
  lines: string[];
}

export function dockerfileStages(text: string): DockerStage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const arg = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg && stages.length === 0) args.set(arg[1]!, arg[2]!);
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => args.get((a ?? b)!) ?? '');
      stages.push({ image, lines: [], ...(from[2] ? { name: from[2] } : {}) });
    } else if (stages.length) stages.at(-1)!.lines.push(line);
  }
  return stages;
}

/** Top-level folders of the sources bin/medic.js reaches through relative imports (static and dynamic). */
export function runtimeFolders(root: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.(?:ts|js))'/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (statSync(target, { throwIfNoEntry: false })?.isFile()) visit(target);
    }
  };
  visit(join(root, 'bin', 'medic.js'));
  return [...new Set([...seen].map((f) => relative(root, f).split('/')[0]!))].sort();
}

/**
 * What deploy/Dockerfile gets wrong, as sentences; none when it is multi-stage, its node_modules come from
 * `npm ci --omit=dev` (in the final stage or the stage it copies them from), it copies every folder the
 * service imports, runs bin/medic.js as a non-root user, and has a HEALTHCHECK on /healthz.
 */
export function dockerfileProblems(root: string): string[] {
  const stages = dockerfileStages(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8'));
  const problems: string[] = [];
  const final = stages.at(-1);
  if (stages.length < 2 || !final) return ['not multi-stage: the runtime image would carry the build tools'];
  const user = final.lines.filter((l) => /^USER\s/i.test(l)).at(-1)?.split(/\s+/)[1];
  if (!user || /^(0|root)(:|$)/.test(user)) problems.push(`the final stage runs as ${user ?? 'root (no USER)'}`);
  if (!/\/healthz/.test(final.lines.find((l) => /^HEALTHCHECK\s/i.test(l)) ?? '')) problems.push('no HEALTHCHECK on /healthz');
  if (!/"bin\/medic\.js"/.test(final.lines.find((l) => /^ENTRYPOINT\s/i.test(l)) ?? '')) problems.push('the ENTRYPOINT is not bin/medic.js');
  const from = final.lines.map((l) => /^COPY\s+--from=(\S+)\s+\S*node_modules\s/i.exec(l)?.[1]).find(Boolean);
  const installer = from ? stages.find((s) => s.name === from) : final;
  if (!installer?.lines.some((l) => /^RUN\s.*\bnpm ci\b.*--omit=dev/.test(l))) problems.push(`node_modules is not what npm ci --omit=dev installs (stage ${from ?? 'final'})`);
  const copied = final.lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1));
  for (const f of [...runtimeFolders(root), 'docs/runbooks', 'package.json', 'package-lock.json']) {
    if (!copied.includes(f)) problems.push(`the image lacks ${f}, which the service needs`);
  }
  // .dockerignore must not drop what is copied: its last plain pattern covering a path decides.
  const ignore = existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.includes('*')) : [];
  for (const f of copied) {
    const last = ignore.filter((p) => f === p.replace(/^!/, '') || f.startsWith(`${p.replace(/^!/, '')}/`)).at(-1);
    if (last && !last.startsWith('!')) problems.push(`.dockerignore leaves ${f} out of the build context (${last})`);
  }
  return problems;
}

export interface ImageVerdict {
  /** Why the build could not be tried here; the test is skipped with this. */
  skipped?: string;
  /** What went wrong when it was tried. */
  error?: string;
}

const TAG = 'medic:deploy-manifests-test';

function run(args: string[], timeoutMs: number, cwd?: string) {
  return spawnSync('docker', args, { timeout: timeoutMs, encoding: 'utf8', ...(cwd ? { cwd } : {}) });
}

/** Builds the image from deploy/Dockerfile and runs `medic version` in it, read-only, as its own user. */
export function dockerImageCheck(root: string): ImageVerdict {
  const info = run(['info', '--format', '{{.ServerVersion}}'], 5_000);
  if (info.error || info.status !== 0) {
    return { skipped: `no Docker daemon answers here (docker info: ${(info.error?.message ?? info.stderr).trim().split('\n').at(-1)}); the image is built only where docker build can run` };
  }
  for (const { image } of dockerfileStages(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8'))) {
    if (run(['image', 'inspect', image], 10_000).status === 0) continue;
    // Bounded: without a registry (loopback-only machines) a pull fails or stalls, and the check skips.
    const pull = run(['pull', image], 120_000);
    if (pull.error || pull.status !== 0) return { skipped: `the base image ${image} is not present and cannot be pulled here: ${(pull.error?.message ?? pull.stderr).trim().split('\n').at(-1)}` };
  }
  const build = run(['build', '-f', 'deploy/Dockerfile', '-t', TAG, '.'], 15 * 60_000, root);
  if (build.error || build.status !== 0) return { error: `docker build failed: ${(build.error?.message ?? build.stderr).slice(-2000)}` };
  const version = run(['run', '--rm', '--read-only', '--tmpfs', '/tmp', TAG, 'version'], 60_000);
  const expected = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (version.status !== 0 || version.stdout.trim() !== expected) return { error: `medic version in the image: exit ${version.status}, ${version.stdout}${version.stderr}` };
  return {};
}
