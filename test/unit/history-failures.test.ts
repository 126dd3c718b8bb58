// Failures read from a Prometheus history and Medic's remediations (training/history-failures.ts), and
// the thinning of healthy windows that keeps a fleet's nightly fit bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.ts';
import { historyFailures, thinNegatives } from '../../training/history-failures.ts';

// Contract order: latency_p99_s, error_rate, request_rate, queue_depth, memory_utilisation, cpu, dependency_up.
const ok = [0.2, 0.01, 10, 1, 0.4, 0.3, 1];
const gap = ok.map(() => NaN);
const row = (latency: number, errors: number) => [latency, errors, ...ok.slice(2)];

describe('failures in a Prometheus history', () => {
  const ts = (n: number) => Array.from({ length: n }, (_, i) => 1000 + 15 * i);

  it('labels SLO breaches and a scrape gap inside the agent\'s life, not the rows before it existed or after it left', () => {
    const rows = [gap, gap, ok, row(2.5, 0), ok, row(0.1, 0.3), gap, gap, ok, gap];
    assert.deepEqual(Array.from(historyFailures({ timestamps: ts(rows.length), rows }, [], 15)), [0, 0, 0, 1, 0, 1, 1, 1, 0, 0]);
  });

  it('counts exactly the SLO, not its edge', () => {
    const rows = [row(2, 0.2), row(2.0001, 0), row(0, 0.2001)];
    assert.deepEqual(Array.from(historyFailures({ timestamps: ts(3), rows }, [], 15)), [0, 1, 1]);
  });

  it('marks the row in which Medic acted as a failure (one it prevented), ignoring actions outside the range', () => {
    const rows = Array.from({ length: 6 }, () => ok);
    assert.deepEqual(Array.from(historyFailures({ timestamps: ts(6), rows }, [1000 + 15 * 3 + 7, 900, 1000 + 15 * 6], 15)), [0, 0, 0, 1, 0, 0]);
  });
});

describe('thinning healthy windows', () => {
  it('keeps every failure window and left-out row, and thins negatives to the cap', () => {
    const labels = Int8Array.from({ length: 10_000 }, (_, i) => (i % 100 === 0 ? 1 : i % 100 === 1 ? -1 : 0));
    const thinned = thinNegatives(labels, 2_000, seededRandom(3));
    const count = (a: Int8Array, v: number) => a.filter((x) => x === v).length;
    assert.equal(count(thinned, 1), 100);
    assert.equal(count(thinned, -1) - count(labels, -1) + count(thinned, 0), count(labels, 0));
    assert.ok(Math.abs(count(thinned, 0) + 100 - 2_000) < 150, `kept ${count(thinned, 0)} negatives`);
    thinned.forEach((l, i) => { if (labels[i] !== 0) assert.equal(l, labels[i]); });
  });

  it('leaves labels under the cap untouched and is the same for the same seed', () => {
    const labels = Int8Array.from([0, 1, 0, -1, 0]);
    assert.equal(thinNegatives(labels, 10, seededRandom(1)), labels);
    const big = Int8Array.from({ length: 1000 }, (_, i) => (i % 10 ? 0 : 1));
    assert.deepEqual(thinNegatives(big, 300, seededRandom(5)), thinNegatives(big, 300, seededRandom(5)));
  });
});
