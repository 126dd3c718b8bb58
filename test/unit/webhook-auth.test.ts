import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthCheck, isLoopbackHost } from '../../server/ingest/webhook-auth.ts';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('createAuthCheck', () => {
  it('lets everything through when no credentials are configured', () => {
    assert.deepEqual(createAuthCheck({})(undefined), { ok: true });
  });

  const check = createAuthCheck({ bearerToken: 's3cret-token', basic: { username: 'am', password: 'pw' } });
  const cases: [string, string | undefined, boolean][] = [
    ['the right bearer token', 'Bearer s3cret-token', true],
    ['a lower-case scheme', 'bearer s3cret-token', true],
    ['the right basic credentials', basic('am', 'pw'), true],
    ['no header', undefined, false],
    ['a wrong token', 'Bearer s3cret-tokeN', false],
    ['a token prefix', 'Bearer s3cret', false],
    ['an empty token', 'Bearer ', false],
    ['wrong basic credentials', basic('am', 'nope'), false],
    ['another scheme', 'Digest abc', false],
  ];
  for (const [what, header, ok] of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${what}`, () => assert.equal(check(header).ok, ok));
  }

  it('says which schemes it expects', () => {
    const r = createAuthCheck({ bearerToken: 't' })(undefined);
    assert.ok(!r.ok && /expected Bearer/.test(r.reason));
  });
});

describe('isLoopbackHost', () => {
  for (const [host, loopback] of [['127.0.0.1', true], ['127.1.2.3', true], ['localhost', true], ['::1', true], ['[::1]', true], ['0.0.0.0', false], ['::', false], ['10.0.0.1', false]] as const) {
    it(`${host} is ${loopback ? '' : 'not '}loopback`, () => assert.equal(isLoopbackHost(host), loopback));
  }
});
