// What a driver is to the registry: its name, the schema of its block in an inventory entry, how that
// block becomes a target, and how the driver is made. Adding a driver is one file exporting one
// DriverDefinition, one test, and one line in drivers/index.ts: the inventory schema, the start-up
// checks and the engine take it from there.
import { z } from 'zod';
import { DriverError, type Agent, type Driver, type DriverTarget } from '../types.ts';

/** What building a target may need: the entry's place (for messages), paths and secrets. */
export interface TargetContext {
  /** Where the entry stands, e.g. `agents[3].http`, for messages. */
  where: string;
  /** A path from the inventory, made absolute against the inventory's folder. */
  resolvePath(path: string): string;
  /** A token given inline or in a file; a file that cannot be read is reported with every other problem. */
  readToken(where: string, secret: { token?: string; token_file?: string }): string;
}

/** Settings every driver is made with (medic.yaml `remediation.*`). */
export interface DriverSettings {
  httpTimeoutMs: number;
  processStartTimeoutMs: number;
  /** A kubeconfig file; without one, in-cluster configuration or ~/.kube/config. */
  kubeconfig?: string;
}

export interface DriverDefinition<Block = unknown> {
  readonly name: string;
  /** The schema of the entry's `<name>:` block; absent when the driver needs none (dry-run). */
  readonly targetSchema?: z.ZodType<Block>;
  /** The checked block → the target the driver acts on. */
  target(block: Block, ctx: TargetContext): DriverTarget;
  create(settings: DriverSettings): Driver;
}

/** An admin token, inline or in a file: exactly one of the two. */
export const TokenFields = { token: z.string().min(1).optional(), token_file: z.string().min(1).optional() };
export const oneToken = (s: { token?: string; token_file?: string }) => (s.token === undefined) !== (s.token_file === undefined);
export const ONE_TOKEN = { message: 'needs exactly one of token or token_file' } as const;

/** The agent's target when it is of one of `kinds`; another kind is a terminal error (the inventory is wrong, not the agent). */
export function targetOf<T extends DriverTarget>(agent: Agent, kinds: readonly string[], what: string): T {
  if (!kinds.includes(agent.target.kind)) throw new DriverError(`agent ${agent.id} has a ${agent.target.kind} target, not ${what}`, false);
  return agent.target as T;
}
