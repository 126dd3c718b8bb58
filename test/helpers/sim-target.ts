// One simulated agent to heal, either in this process (http driver) or as its own child process
// (process driver), behind one interface so a test runs unchanged against both.
import { join } from 'node:path';
import type { Agent } from '../../remediations/types.ts';
import { startAgentServer } from '../../sim/agent-server.ts';
import type { AgentFault, AgentSnapshot } from '../../sim/agent-snapshot.ts';
import { TOKEN } from './engine-harness.ts';
import { REPO } from '../../sim/stack/medic-process.ts';
import { freePort } from '../../sim/stack/ports.ts';
import { tempDir } from '../../sim/stack/temp-dir.ts';

// Tests have long found freePort here; it lives with the stack now.
export { freePort };

export type TargetKind = 'http' | 'process';

export interface SimTarget {
  entry: Agent;
  state(): Promise<AgentSnapshot>;
  patchSummary(fields: Partial<AgentSnapshot['summary']>): Promise<void>;
  injectFault(fault: AgentFault): Promise<void>;
  /** Stops an in-process agent; a child process is stopped by the harness's process driver. */
  stop(): Promise<void>;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

export async function simTarget(kind: TargetKind, id: string, type: string): Promise<SimTarget> {
  if (kind === 'http') {
    const server = await startAgentServer({ id, token: TOKEN, restartMs: 20, replicaReadyMs: 20 });
    return {
      entry: { id, type, tier: '', driver: 'http', target: { kind: 'http', base_url: server.adminUrl, token: TOKEN } },
      state: async () => structuredClone(server.state),
      patchSummary: async (fields) => void Object.assign(server.state.summary, fields),
      injectFault: async (fault) => server.injectFault(fault),
      stop: () => server.stop(),
    };
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  return {
    entry: {
      id, type, tier: '', driver: 'process',
      target: {
        kind: 'process', command: [process.execPath, '--import', 'tsx', join(REPO, 'sim/agent-process.ts'), '--id', id, '--port', String(port)],
        cwd: REPO, base_url: `${base}/admin`, token: TOKEN, state_file: join(tempDir('medic-state-'), `${id}.json`), env: {},
      },
    },
    state: () => call(base, 'GET', '/sim/state'),
    patchSummary: (fields) => call(base, 'PATCH', '/sim/summary', fields),
    injectFault: (fault) => call(base, 'PUT', '/sim/fault', { kind: fault.kind, fixed_by: fault.fixedBy, unhealthy: fault.unhealthy }),
    stop: async () => undefined,
  };
}
