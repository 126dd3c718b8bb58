// deploy/Dockerfile: its stages, install, copies, user and health check, checked statically everywhere;
// the image itself built and run only where a Docker daemon answers (not on the development machines,
// which have the client and no daemon), as the acceptance asks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPO } from '../../deploy/generate.ts';
import { dockerfileProblems, dockerImageCheck } from '../../deploy/image-check.ts';

describe('deploy/Dockerfile', () => {
  it('builds in stages, installs with npm ci --omit=dev, copies what the service imports, runs as non-root with a health check', () => {
    assert.deepEqual(dockerfileProblems(REPO), []);
  });

  it('builds and runs `medic version` (only where a Docker daemon and the base images are reachable)', async (t) => {
    const verdict = dockerImageCheck(REPO);
    if (verdict.skipped) return t.skip(verdict.skipped);
    assert.equal(verdict.error, undefined, verdict.error);
  });
});
