// The worker handler that runs the remediation engine, and the bridge from its events to metrics.
import { GUARD_NAMES } from '../../remediations/decide/guards.ts';
import { ESCALATION_REASONS, RECOVERY_PHASES } from '../../remediations/engine-ports.ts';
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
  // The engine's closed label sets start at zero, so rates and absent() work from the first scrape. A
  // histogram too: a series born with its first observation reads as no increase to Prometheus's
  // increase() (it has no earlier zero), so the first held incident or recovery would vanish from panels.
  for (const reason of ESCALATION_REASONS) m.escalations.inc({ reason }, 0);
  for (const guard of [...GUARD_NAMES, 'cooldown', 'attempt_limit', 'mode']) m.guardBlocks.inc({ guard }, 0);
  for (const guard of [...GUARD_NAMES, 'mode']) m.guardWait.zero({ guard });
  for (const phase of RECOVERY_PHASES) m.recoveryPhases.zero({ phase });
  return {
    remediation(strategy, result, durationS) {
      m.remediations.inc({ strategy, result });
      if (result === 'succeeded' || result === 'failed' || result === 'verify_failed') m.remediationDuration.observe({ strategy }, durationS);
    },
    // A series born at its first observation reads as no increase to increase(): it exists at zero from the
    // action's start (a scrape or more before verification ends), so the first recovery of each kind counts.
    acting: (r) => m.timeToRecovery.zero({ strategy: r.strategy, tier: r.tier, fault: r.fault }),
    recovered(r) {
      m.timeToRecovery.observe({ strategy: r.strategy, tier: r.tier, fault: r.fault }, r.seconds);
      for (const [phase, seconds] of Object.entries(r.phases)) m.recoveryPhases.observe({ phase }, seconds);
    },
    escalated: (reason) => m.escalations.inc({ reason }),
    guardBlocked: (guard) => m.guardBlocks.inc({ guard }),
    guardWaited: (guard, seconds) => m.guardWait.observe({ guard }, seconds),
    // The gauge reads the breakers from the store at scrape time; nothing to keep here.
    breaker: () => undefined,
  };
}
