// The stack's two clocks: compressed for the tests, shipped for measuring MTTR as an operator would see it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { compressPolicies } from '../../sim/stack/medic-config.ts';
import { REPO } from '../../sim/stack/medic-process.ts';
import { timingSettings } from '../../sim/stack/stack-timing.ts';

describe('stack timing', () => {
  it('compresses by default: every second, rules and Medic shortened', () => {
    assert.deepEqual(timingSettings(), { scrapeInterval: '1s', scrapeTimeout: '800ms', evaluationInterval: '1s', groupWait: '1s', groupInterval: '2s', compress: true });
  });

  it('in shipped timing takes the shipped Alertmanager route\'s grouping and leaves the rules and policies as shipped', () => {
    const route = (parse(readFileSync(join(REPO, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as { route: { group_wait: string; group_interval: string } }).route;
    const s = timingSettings('shipped');
    assert.equal(s.groupWait, route.group_wait);
    assert.equal(s.groupInterval, route.group_interval);
    assert.equal(s.scrapeInterval, '15s');
    assert.equal(s.compress, false);

    const shipped = () => ({ tiers: { default: { verify_timeout: '2m', circuit_break_duration: '5m' } }, guards: { max_concurrent: 5 } });
    const kept = parse(compressPolicies(shipped(), false)) as ReturnType<typeof shipped>;
    assert.deepEqual(kept.tiers, shipped().tiers, 'tiers as shipped');
    assert.equal(kept.guards.max_concurrent, 40, 'the guards opened, as in compressed time');
    const compressed = parse(compressPolicies(shipped())) as ReturnType<typeof shipped>;
    assert.equal(compressed.tiers.default.verify_timeout, '8s');
    const guarded = parse(compressPolicies(shipped(), true, 'shipped')) as ReturnType<typeof shipped>;
    assert.deepEqual(guarded.guards, shipped().guards, 'the guards as shipped when asked');
  });
});
