// The deadline of a call must hold through garbage collections: a call to a server that accepts and never
// answers ends at the deadline, every time (the stock AbortSignal.any + AbortSignal.timeout did not on
// Node 20: see lib/deadline-signal.ts).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deadlineSignal } from '../../lib/deadline-signal.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('deadlineSignal', () => {
  const server = createServer(() => { /* accepted, read, never answered */ });
  after(() => { server.closeAllConnections(); server.close(); });

  async function hangingCall(signal: AbortSignal): Promise<number | 'hung'> {
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const started = Date.now();
    const collect = setInterval(gc, 10);
    let watchdog: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fetch(url, { signal }).then(() => -1, () => Date.now() - started),
        new Promise<'hung'>((r) => { watchdog = setTimeout(() => r('hung'), 3000); }),
      ]);
    } finally {
      clearInterval(collect);
      clearTimeout(watchdog);
    }
  }

  it('ends a call that never answers at its deadline, through forced collections', async () => {
    for (let i = 0; i < 4; i++) {
      const parent = new AbortController();
      const took = await hangingCall(deadlineSignal(200, parent.signal));
      assert.notEqual(took, 'hung', `call ${i} outlived its deadline`);
      assert.ok((took as number) >= 190 && (took as number) < 1500, `call ${i} ended after ${took} ms`);
    }
  });

  it('without a parent, too', async () => {
    const took = await hangingCall(deadlineSignal(200));
    assert.ok(typeof took === 'number' && took >= 190 && took < 1500, `ended after ${took} ms`);
  });

  it('aborts as soon as the parent does, with the parent\'s reason', async () => {
    const parent = new AbortController();
    const signal = deadlineSignal(60_000, parent.signal);
    assert.equal(signal.aborted, false);
    parent.abort(new Error('stopping'));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as Error).message, 'stopping');
  });

  it('says it timed out', async () => {
    const signal = deadlineSignal(20);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'TimeoutError');
    assert.match((signal.reason as DOMException).message, /timed out after 20 ms/);
  });
});
