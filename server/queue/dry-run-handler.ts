// The handler of `workers.handler: dry-run`: it decides nothing and touches no target, but records in
// the audit trail what would have been healed. For trying the webhook, the inbox and the queue (load
// tests, a first deployment) without the engine; remediation.dry_run is the way to run the engine
// without acting.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../lib/clock.ts';
import type { WorkHandler } from './worker-pool.ts';

export function dryRunHandler(clock: Clock, delayMs: number): WorkHandler {
  return async ({ item, incident }, { signal }) => {
    const startedAt = clock.now();
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    const reason = `dry-run: no remediation engine is configured; would heal ${incident.alertname || 'the alert'} on ${item.target}`;
    return {
      attempt: {
        incidentId: incident.id,
        workItemId: item.id,
        target: item.target,
        strategy: 'none',
        driver: 'dry-run',
        mode: 'dry-run',
        outcome: 'would_heal',
        reason,
        startedAt,
        finishedAt: clock.now(),
        details: { alertname: incident.alertname, severity: incident.severity, attempt: item.attempts },
      },
    };
  };
}
