import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseByteSize, parseDurationMs } from '../../lib/units.ts';

describe('parseDurationMs', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0], ['250ms', 250], ['10s', 10_000], ['1m30s', 90_000], ['2h', 7_200_000], ['1.5s', 1500],
    ['', undefined], ['10', undefined], ['10 s', undefined], ['s', undefined], ['5y', undefined], ['-1s', undefined],
  ];
  for (const [text, ms] of cases) it(`reads ${JSON.stringify(text)} as ${ms}`, () => assert.equal(parseDurationMs(text), ms));
});

describe('parseByteSize', () => {
  const cases: [string, number | undefined][] = [
    ['2048', 2048], ['1MiB', 1024 * 1024], ['512kib', 512 * 1024], ['1mb', 1_000_000], ['1 KiB', 1024],
    ['lots', undefined], ['1xb', undefined], ['-5', undefined],
  ];
  for (const [text, bytes] of cases) it(`reads ${JSON.stringify(text)} as ${bytes}`, () => assert.equal(parseByteSize(text), bytes));
});
