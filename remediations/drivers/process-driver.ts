// The `process` driver: local child processes that Medic starts, stops and restarts, handing the
// agent's working state over through its state file. Everything but the process lifecycle goes to the
// agent's admin API through the http driver. The command comes from the inventory, never from a label.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DriverError, type ActionResult, type Agent, type Driver, type Health } from '../types.ts';
import { ONE_TOKEN, oneToken, targetOf, TokenFields, type DriverDefinition } from './driver-definition.ts';
import { createHttpDriver, HttpUrl } from './http-driver.ts';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

interface ProcessTarget {
  readonly kind: 'process';
  readonly command: string[];
  readonly cwd: string;
  readonly base_url: string;
  readonly token: string;
  readonly state_file: string;
  readonly env: Record<string, string>;
  readonly [field: string]: unknown;
}

const ProcessBlock = z.strictObject({
  ...TokenFields,
  command: z.array(z.string().min(1)).min(1),
  cwd: z.string().default('.'),
  base_url: HttpUrl,
  state_file: z.string().min(1),
  env: z.record(z.string(), z.string()).default({}),
}).refine(oneToken, ONE_TOKEN);

export interface ProcessDriver extends Driver {
  /** Starts an agent's process if Medic does not run it yet (at boot, or after it died). */
  ensureStarted(agent: Agent): Promise<number>;
  /** Stops every process this driver started (Medic's own shutdown). */
  stopAll(): Promise<void>;
}

export function createProcessDriver(options: { http: Driver; startTimeoutMs: number }): ProcessDriver {
  const children = new Map<string, ChildProcess>();

  const processOf = (agent: Agent) => targetOf<ProcessTarget>(agent, ['process'], 'a process');

  const alive = (child: ChildProcess | undefined): boolean => !!child && child.exitCode === null && child.signalCode === null;

  async function start(agent: Agent): Promise<number> {
    const t = processOf(agent);
    const [cmd, ...args] = t.command;
    const child = spawn(cmd!, args, {
      cwd: t.cwd,
      env: { ...process.env, ...t.env, AGENT_TOKEN: t.token, AGENT_STATE_FILE: t.state_file },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.set(agent.id, child);
    const failed = once(child, 'exit').then(([code]) => {
      throw new DriverError(`agent ${agent.id} exited with ${String(code)} while starting`, true);
    });
    // Started means: answering its health endpoint (the command may be slow to load).
    const deadline = Date.now() + options.startTimeoutMs;
    const up = (async () => {
      while (Date.now() < deadline) {
        const h = await options.http.health(agent, deadlineSignal(1000));
        if (h.pid === child.pid) return child.pid!;
        await sleep(50);
      }
      throw new DriverError(`agent ${agent.id} did not answer within ${options.startTimeoutMs} ms of starting`, true);
    })();
    return Promise.race([up, failed]);
  }

  async function stop(agent: Agent, child: ChildProcess, graceMs: number): Promise<void> {
    if (!alive(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
    children.delete(agent.id);
  }

  return {
    name: 'process',
    supports: options.http.supports,
    async health(agent, signal): Promise<Health> {
      const child = children.get(agent.id);
      const h = await options.http.health(agent, signal);
      if (child && !alive(child)) return { healthy: false, reason: `process exited (${String(child.exitCode ?? child.signalCode)})` };
      return h;
    },
    async perform(agent, request, signal): Promise<ActionResult> {
      if (request.action !== 'restart') return options.http.perform(agent, request, signal);
      const t = processOf(agent);
      const child = children.get(agent.id);
      const pidBefore = alive(child) ? child!.pid : undefined;
      // The state to hand over: what the caller saved, else what the agent says now, else its file.
      const state = request.state ?? (alive(child) ? await options.http.perform(agent, { action: 'save_state' }, signal).then((r) => r.data.state, () => undefined) : undefined);
      if (state !== undefined) {
        mkdirSync(dirname(t.state_file), { recursive: true });
        writeFileSync(`${t.state_file}.tmp`, JSON.stringify(state));
        renameSync(`${t.state_file}.tmp`, t.state_file);
      }
      if (alive(child)) await stop(agent, child!, request.gracefulTimeoutS * 1000);
      if (signal.aborted) throw new DriverError('aborted before the new process started', true);
      const pidAfter = await start(agent);
      return { data: { pid_before: pidBefore ?? null, pid_after: pidAfter, state_handed_over: state !== undefined } };
    },
    ensureStarted: async (agent) => {
      const child = children.get(agent.id);
      return alive(child) ? child!.pid! : start(agent);
    },
    async stopAll() {
      await Promise.all([...children.entries()].map(([id, child]) => stop({ id } as Agent, child, 5000)));
    },
  };
}

export const processDriver: DriverDefinition<z.output<typeof ProcessBlock>> = {
  name: 'process',
  targetSchema: ProcessBlock,
  target: (b, ctx) => ({
    kind: 'process', command: b.command, cwd: ctx.resolvePath(b.cwd), base_url: b.base_url, token: ctx.readToken(ctx.where, b),
    state_file: ctx.resolvePath(b.state_file), env: b.env,
  }),
  create: (s) => createProcessDriver({ http: createHttpDriver({ timeoutMs: s.httpTimeoutMs }), startTimeoutMs: s.processStartTimeoutMs }),
};
