// After acting: poll the target until it is healthy and shows what the action promised (a new boot,
// ready replicas, a version, a traffic weight), or until the tier's verify_timeout.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Expectation } from '../strategies/strategy.ts';
import type { Agent, Driver } from '../types.ts';

export interface Verification {
  ok: boolean;
  reason: string;
  checks: number;
  durationMs: number;
}

/** Asks Prometheus; the samples' values, empty when the expression selects nothing. */
export interface PromQuery {
  query(expr: string, signal: AbortSignal): Promise<number[]>;
}

/** How long a target may keep the very failure it had before the action, once the action is seen done. */
export const SAME_FAILURE_GRACE_MS = 2000;

export async function verify(
  driver: Driver,
  agent: Agent,
  expect: Expectation,
  o: { timeoutMs: number; intervalMs: number; signal: AbortSignal; prometheus?: PromQuery },
): Promise<Verification> {
  const started = Date.now();
  let checks = 0;
  let last = 'not checked';
  let sameSince: number | undefined;
  while (!o.signal.aborted) {
    checks++;
    last = await check(driver, agent, expect, o.signal, o.prometheus);
    if (last === '') return { ok: true, reason: describe(expect), checks, durationMs: Date.now() - started };
    // The action visibly happened (a new boot) and the target fails exactly as before: the remedy did
    // not address the cause. Say so now rather than at the timeout, so the ladder moves on sooner.
    if (expect.failingBefore && last === `unhealthy: ${expect.failingBefore}` && (expect.newBootIdThan === undefined || (await newBoot(driver, agent, expect.newBootIdThan, o.signal)))) {
      sameSince ??= Date.now();
      if (Date.now() - sameSince >= SAME_FAILURE_GRACE_MS) {
        return { ok: false, reason: `acted, but the target still fails as before (${expect.failingBefore})`, checks, durationMs: Date.now() - started };
      }
    } else {
      sameSince = undefined;
    }
    if (Date.now() - started + o.intervalMs > o.timeoutMs) break;
    await sleep(o.intervalMs, undefined, { signal: o.signal }).catch(() => undefined);
  }
  return { ok: false, reason: `not verified within ${o.timeoutMs} ms: ${last}`, checks, durationMs: Date.now() - started };
}

async function newBoot(driver: Driver, agent: Agent, before: string, signal: AbortSignal): Promise<boolean> {
  const h = await driver.health(agent, signal);
  return h.bootId !== undefined && h.bootId !== before;
}

/** '' when every expectation holds, else what does not. */
async function check(driver: Driver, agent: Agent, e: Expectation, signal: AbortSignal, prometheus?: PromQuery): Promise<string> {
  const h = await driver.health(agent, signal);
  if (e.healthy !== false && !h.healthy) return `unhealthy: ${h.reason ?? 'no reason given'}`;
  if (e.newBootIdThan && (!h.bootId || h.bootId === e.newBootIdThan)) return 'still the same boot (no restart seen yet)';
  if (e.version && h.version !== e.version) return `version is ${h.version ?? 'unknown'}, expected ${e.version}`;
  try {
    if (e.readyReplicasAtLeast !== undefined) {
      const r = await driver.perform(agent, { action: 'get_replicas' }, signal);
      if (Number(r.data.ready_replicas) < e.readyReplicasAtLeast) return `${String(r.data.ready_replicas)} of ${e.readyReplicasAtLeast} replicas ready`;
    }
    if (e.trafficWeight !== undefined) {
      const t = await driver.perform(agent, { action: 'get_traffic' }, signal);
      if (Number(t.data.weight) !== e.trafficWeight) return `traffic weight is ${String(t.data.weight)}, expected ${e.trafficWeight}`;
    }
    if (e.promql) {
      if (!prometheus) return 'a PromQL check is required but no Prometheus is configured';
      const samples = await prometheus.query(e.promql, signal);
      if (samples.length === 0) return `Prometheus: ${e.promql} selects nothing yet`;
    }
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

function describe(e: Expectation): string {
  const parts = [e.healthy !== false && 'healthy', e.newBootIdThan && 'restarted (new boot id)', e.version && `running ${e.version}`,
    e.readyReplicasAtLeast !== undefined && `${e.readyReplicasAtLeast} replicas ready`, e.trafficWeight !== undefined && `traffic weight ${e.trafficWeight}`,
    e.promql && `Prometheus confirms ${e.promql}`].filter(Boolean);
  return `verified: ${parts.join(', ')}`;
}
