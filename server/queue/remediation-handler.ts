// The worker handler that runs the remediation engine, and the bridge from its events to metrics.
import type { EngineObserver, RemediationEngine } from '../../remediations/engine.ts';
import type { MedicMetrics } from '../observability/metrics.ts';
import type { WorkHandler } from './worker-pool.ts';

export function engineHandler(engine: RemediationEngine): WorkHandler {
  return async ({ item, incident }, { signal, log }) => {
    const result = await engine.heal(incident, item.id, signal, log);
    if (result.kind === 'defer') return { defer: { afterMs: result.afterMs, note: result.note } };
    return {};
  };
}

export function metricsObserver(m: MedicMetrics): EngineObserver {
  return {
    remediation(strategy, result, durationS) {
      m.remediations.inc({ strategy, result });
      if (result === 'succeeded' || result === 'failed' || result === 'verify_failed') m.remediationDuration.observe({ strategy }, durationS);
    },
    recovered: (seconds) => m.timeToRecovery.observe(seconds),
    escalated: (reason) => m.escalations.inc({ reason }),
    guardBlocked: (guard) => m.guardBlocks.inc({ guard }),
    // The gauge reads the breakers from the store at scrape time; nothing to keep here.
    breaker: () => undefined,
  };
}
