// Simulated fleet histories for the failure model (sim/fleet-history.ts) and the degrading faults they
// are made of (sim/fleet-model.ts, rampMs): in the metric contract, seeded, and failing the way the
// alert rules would say, after the degradation that foretells it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_COLUMNS } from '../../models/signal-queries.ts';
import { createFleetModel } from '../../sim/fleet-model.ts';
import { FLEET_HISTORY_COLUMNS, FLEET_HISTORY_DEFAULTS, simulateFleetHistory } from '../../sim/fleet-history.ts';

const ports = { open: async () => undefined, close: async () => undefined, drop: () => undefined };

describe('degrading faults', () => {
  it('a ramped memory leak climbs to the limit over its ramp, then the agent is OOM-killed', () => {
    let now = 0;
    const model = createFleetModel({ agents: 1, basePort: 1, token: 't', clock: { now: () => now } }, ports);
    const id = model.all()[0]!.id;
    model.inject({ agent: id, kind: 'memory-leak', rampMs: 600_000 });
    const utilisation = () => { const s = model.get(id)!.sim.state.summary; return s.memory_bytes / s.memory_limit_bytes; };
    const seen: number[] = [];
    for (let t = 0; t < 9; t++) {
      now += 60_000;
      model.tick(60);
      seen.push(utilisation());
      assert.equal(model.get(id)!.mode, 'up', `still up at minute ${t + 1}`);
    }
    assert.ok(seen.every((u, i) => i === 0 || u > seen[i - 1]!), `climbs: ${seen.map((u) => u.toFixed(2))}`);
    now += 60_000;
    model.tick(60);
    assert.equal(model.get(id)!.mode, 'crashed');
    assert.throws(() => model.inject({ agent: id, kind: 'crash', rampMs: 1000 }), /a ramp applies to memory-leak, latency, errors, queue/);
  });
});

describe('simulated fleet history', () => {
  const o = { ...FLEET_HISTORY_DEFAULTS, agents: 4, hours: 12 };
  const histories = simulateFleetHistory(o);

  it('writes the agent metric contract, one row per step, the same for the same seed', () => {
    assert.deepEqual([...FLEET_HISTORY_COLUMNS], [...CONTRACT_COLUMNS]);
    assert.equal(histories.length, 4);
    for (const h of histories) {
      assert.equal(h.rows.length, (12 * 3600) / o.stepSeconds);
      assert.ok(h.rows.every((r) => r.length === FLEET_HISTORY_COLUMNS.length));
    }
    assert.deepEqual(simulateFleetHistory(o).map((h) => h.faults), histories.map((h) => h.faults));
    assert.notDeepEqual(simulateFleetHistory({ ...o, seed: 2 }).map((h) => h.faults), histories.map((h) => h.faults));
  });

  it('fails after each degrading fault has built up, and recovers once restarted', () => {
    let degrading = 0;
    for (const h of histories) {
      for (const f of h.faults) {
        const start = [...h.failing.keys()].find((t) => t >= f.injectedRow && h.failing[t] === 1);
        assert.ok(start !== undefined, `${h.agent}: ${f.kind} at row ${f.injectedRow} leads to a failure`);
        if (f.rampMs) {
          degrading++;
          assert.ok(start - f.injectedRow >= 2, `${h.agent}: ${f.kind} degrades for ${start - f.injectedRow} rows before failing`);
        }
        const end = [...h.failing.keys()].find((t) => t > start && h.failing[t] === 0);
        assert.ok(end === undefined || (end - start) * o.stepSeconds * 1000 <= o.outageMs + 2 * o.stepSeconds * 1000, `${h.agent}: restarted after the outage`);
      }
      // Down rows have no samples, as in Prometheus.
      for (let t = 0; t < h.rows.length; t++) if (Number.isNaN(h.rows[t]![0]!)) assert.equal(h.failing[t], 1);
    }
    assert.ok(degrading >= 6, `${degrading} degrading faults`);
  });
});
