// The webhook's body reader gives body-parser's answers without it: each refusal with its status, and
// the bodies it must take (encodings, charsets, a BOM, an empty body), over a real loopback socket.
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { mediaTypeProblem, readJsonBody } from '../../server/ingest/read-json-body.ts';
import { isWebhookDelivery } from '../../server/ingest/webhook.ts';

const LIMIT = 1000;
let server: Server;
let port = 0;

before(async () => {
  server = createServer((req, res) => {
    const wrong = mediaTypeProblem(req);
    if (wrong) {
      req.resume();
      res.end(JSON.stringify({ ok: false, status: 415, message: wrong }));
      return;
    }
    void readJsonBody(req, LIMIT).then((r) => res.end(JSON.stringify(r)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

type Answer = { ok: boolean; value?: unknown; status?: number; message?: string };

function send(body: Buffer | string | (Buffer | string)[], headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(JSON.parse(text) as Answer));
    });
    req.on('error', reject);
    for (const part of Array.isArray(body) ? body : [body]) req.write(part);
    req.end();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('readJsonBody', () => {
  it('parses JSON, any JSON value, with or without a charset, and an empty body as {}', async () => {
    assert.deepEqual(await send('{"a":[1,2]}', JSON_TYPE), { ok: true, value: { a: [1, 2] } });
    assert.deepEqual(await send('"text"', { 'content-type': 'application/json; charset=utf-8' }), { ok: true, value: 'text' });
    assert.deepEqual(await send('{"b":1}', { 'content-type': 'application/vnd.am+json' }), { ok: true, value: { b: 1 } });
    assert.deepEqual(await send('', { ...JSON_TYPE, 'content-length': '0' }), { ok: true, value: {} });
    assert.deepEqual(await send('\uFEFF{"bom":true}', JSON_TYPE), { ok: true, value: { bom: true } });
  });

  it('decodes UTF-16 and the content encodings body-parser inflates', async () => {
    const utf16 = Buffer.from('{"é":"ü"}', 'utf16le');
    assert.deepEqual(await send(utf16, { 'content-type': 'application/json; charset=utf-16le' }), { ok: true, value: { é: 'ü' } });
    for (const [encoding, pack] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      assert.deepEqual(await send(pack(Buffer.from('{"z":1}')), { ...JSON_TYPE, 'content-encoding': encoding }), { ok: true, value: { z: 1 } }, encoding);
    }
  });

  it('refuses what body-parser refused, with its status and what to fix', async () => {
    const bad = await send('{"alerts": [', JSON_TYPE);
    assert.equal(bad.status, 415);
    assert.match(bad.message!, /not valid JSON/);
    const latin = await send('{}', { 'content-type': 'application/json; charset=latin1' });
    assert.equal(latin.status, 415);
    assert.match(latin.message!, /unsupported charset "LATIN1"/);
    const zip = await send('{}', { ...JSON_TYPE, 'content-encoding': 'compress' });
    assert.equal(zip.status, 415);
    assert.match(zip.message!, /unsupported content encoding "compress"/);
    const text = await send('{}', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.match(text.message!, /Content-Type must be application\/json, but was text\/plain/);
  });

  it('answers 413 for a body over the limit, declared or streamed, plain or compressed', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(LIMIT) });
    const declared = await send(big, JSON_TYPE);
    assert.equal(declared.status, 413);
    assert.match(declared.message!, /larger than the limit of 1000 bytes \(server\.body_limit\)/);
    // Chunked: no Content-Length, so the limit is found while reading.
    const streamed = await send([big.slice(0, 600), big.slice(600)], { ...JSON_TYPE, 'transfer-encoding': 'chunked' });
    assert.equal(streamed.status, 413);
    // A small gzip that expands past the limit.
    const bomb = await send(gzipSync(Buffer.from(JSON.stringify({ pad: ' '.repeat(100 * LIMIT) }))), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    assert.equal(bomb.status, 413);
  });
});

describe('isWebhookDelivery', () => {
  const req = (method: string, url: string) => ({ method, url }) as IncomingMessage;
  it('matches the path as Express did: any case, one trailing slash, a query', () => {
    for (const url of ['/webhook/alertmanager', '/Webhook/AlertManager', '/webhook/alertmanager/', '/webhook/alertmanager?x=1']) {
      assert.equal(isWebhookDelivery(req('POST', url)), true, url);
    }
    for (const [method, url] of [['GET', '/webhook/alertmanager'], ['POST', '/webhook/alertmanager2'], ['POST', '/webhook/alertmanager//'], ['POST', '/api/webhook/alertmanager']] as const) {
      assert.equal(isWebhookDelivery(req(method, url)), false, `${method} ${url}`);
    }
  });
});
