// Reading a webhook body as JSON without Express's body parser, with the same answers: the media type,
// the size limit (declared or streamed), the content encoding and the charset each refused with the
// status body-parser gives them, and what to fix in words. Why by hand: the parser's layers (type-is,
// raw-body, iconv, the router's dispatch) cost a measurable share of a saturated webhook's event loop
// (bench:webhook), and the webhook reads only one kind of body.
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type BodyRefusal = { ok: false; status: 400 | 413 | 415; result: 'invalid' | 'too_large' | 'unsupported_media_type'; message: string };
export type JsonBody = { ok: true; value: unknown } | BodyRefusal;

const JSON_TYPE = /^application\/(?:json|[^/;\s]+\+json)$/;

/** The media type without parameters, lower case; '' when absent. */
export function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** A request has a body when it says so (as type-is's hasBody reads it). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '');
}

/** Why the request's media type is not JSON, or null when it is (application/json, application/*+json). */
export function mediaTypeProblem(req: IncomingMessage): string | null {
  if (hasBody(req) && JSON_TYPE.test(mediaType(req.headers['content-type']))) return null;
  return `Content-Type must be application/json, but was ${req.headers['content-type'] ?? 'none'}`;
}

/**
 * Reads and parses the body. An empty body reads as {} (as body-parser gives it); JSON is parsed
 * non-strictly (any JSON value), so the payload's validation names what is wrong with it.
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<JsonBody> {
  const charset = charsetOf(req.headers['content-type']);
  if (charset !== 'utf-8' && !UTF16.has(charset)) {
    return Promise.resolve(refuse(req, 415, 'unsupported_media_type', `unsupported charset "${charset.toUpperCase()}"`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
  if (encoding === 'identity' && declared !== null && declared > limitBytes) {
    return Promise.resolve(refuse(req, 413, 'too_large', `the body is larger than the limit of ${limitBytes} bytes (server.body_limit)`));
  }
  let stream: Readable = req;
  let decoder: Transform | undefined;
  if (encoding !== 'identity') {
    const make = DECODERS[encoding];
    if (!make) return Promise.resolve(refuse(req, 415, 'unsupported_media_type', `unsupported content encoding "${encoding}"`));
    stream = decoder = req.pipe(make());
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const settle = (r: JsonBody): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limitBytes) {
        // Stop decoding (a compressed body may expand without bound); what is left of the request is
        // discarded as it arrives, within the server's request timeout.
        if (decoder) {
          req.unpipe(decoder);
          decoder.destroy();
          req.resume();
        }
        settle(refuse(req, 413, 'too_large', `the body is larger than the limit of ${limitBytes} bytes (server.body_limit)`));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('error', (err) => settle({ ok: false, status: encoding === 'identity' ? 400 : 415, result: encoding === 'identity' ? 'invalid' : 'unsupported_media_type', message: `the body could not be read: ${err.message}` }));
    req.once('close', () => {
      if (!req.complete) settle({ ok: false, status: 400, result: 'invalid', message: 'the request was aborted before its body ended' });
    });
    stream.once('end', () => {
      if (declared !== null && encoding === 'identity' && length !== declared) {
        return settle({ ok: false, status: 400, result: 'invalid', message: `the body had ${length} bytes, but Content-Length said ${declared}` });
      }
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      let text = charset === 'utf-8' ? buffer.toString('utf8') : new TextDecoder(charset).decode(buffer);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return settle({ ok: true, value: {} });
      try {
        settle({ ok: true, value: JSON.parse(text) as unknown });
      } catch (err) {
        settle({ ok: false, status: 415, result: 'unsupported_media_type', message: `the body is not valid JSON: ${(err as Error).message}` });
      }
    });
  });
}

const UTF16 = new Set(['utf-16', 'utf-16le', 'utf-16be']);

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress,
};

function charsetOf(header: string | undefined): string {
  const m = header ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header) : null;
  return m ? m[1]!.toLowerCase() : 'utf-8';
}

// A refused body is still drained, so that the connection can carry the answer and the next request
// (as body-parser does); a body over the limit is not read further than the limit.
function refuse(req: IncomingMessage, status: BodyRefusal['status'], result: BodyRefusal['result'], message: string): BodyRefusal {
  if (status !== 413) req.resume();
  return { ok: false, status, result, message };
}
