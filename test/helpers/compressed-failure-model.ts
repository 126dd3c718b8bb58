// A failure model for the real stack's compressed time: simulated fleet histories at a 2 s step (the
// stack scrapes every second), degrading faults ramping over 1 to 2.5 minutes instead of 6 to 20, a
// fault every ~10 minutes per agent, outages of 30 s; trained and promoted into `registry` through the
// same pipeline as `medic train failure` (training/train-failure.ts). Seeded: the same model every run.
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory } from '../../sim/fleet-history.ts';
import { BACKTEST_DEFAULTS } from '../../training/evaluation/failure-backtest.ts';
import { trainFailure, type TrainFailureOutcome } from '../../training/train-failure.ts';

export const COMPRESSED_STEP_SECONDS = 2;
/** Rows ahead a failure is foreseen: 40 s of compressed time. */
export const COMPRESSED_HORIZON = 20;

export async function trainCompressedFailureModel(registry: string, log?: (line: string) => void): Promise<TrainFailureOutcome> {
  const histories = simulateFleetHistory({
    ...FLEET_HISTORY_DEFAULTS, agents: 8, hours: 4, stepSeconds: COMPRESSED_STEP_SECONDS, seed: 5,
    faultsPerDay: 144, rampMinutes: [1, 2.5], outageMs: 30_000,
  });
  return trainFailure(histories, [...FLEET_HISTORY_COLUMNS], {
    ...BACKTEST_DEFAULTS, horizon: COMPRESSED_HORIZON, epochs: 15, patience: 4,
    targetPrecision: 0.9, minRecall: 0.5, maxWindows: 30_000, backend: 'wasm',
    registry, agentType: 'default', source: 'simulated fleet in the real stack\'s compressed time', stepSeconds: COMPRESSED_STEP_SECONDS,
    // Prometheus' rate() over two steps, as the simulated rows average their counters (rateRows 2).
    rateWindow: `${COMPRESSED_STEP_SECONDS * FLEET_HISTORY_DEFAULTS.rateRows}s`, promote: true, ...(log ? { log } : {}),
  });
}
