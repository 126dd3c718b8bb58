// Credentials for the webhook (and the read API): a bearer token and/or HTTP basic auth.
import { createHash, timingSafeEqual } from 'node:crypto';

/** What the webhook and the API accept, read from the configuration at start-up. */
export interface WebhookCredentials {
  bearerToken?: string;
  basic?: { username: string; password: string };
}

export type AuthCheck = { ok: true } | { ok: false; reason: string };

/** A checker for an Authorization header; with no credentials configured, everything passes. */
export function createAuthCheck(credentials: WebhookCredentials): (authorization: string | undefined) => AuthCheck {
  const token = credentials.bearerToken === undefined ? undefined : digest(credentials.bearerToken);
  const basic = credentials.basic === undefined ? undefined : digest(`${credentials.basic.username}:${credentials.basic.password}`);
  if (!token && !basic) return () => ({ ok: true });
  const schemes = [token && 'Bearer', basic && 'Basic'].filter(Boolean).join(' or ');

  return (authorization) => {
    if (!authorization) return { ok: false, reason: `missing Authorization header (expected ${schemes})` };
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && token) {
      return sameSecret(value, token) ? { ok: true } : { ok: false, reason: 'bearer token does not match' };
    }
    if (scheme === 'basic' && basic) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return sameSecret(decoded, basic) ? { ok: true } : { ok: false, reason: 'basic auth credentials do not match' };
    }
    return { ok: false, reason: `unsupported Authorization scheme (expected ${schemes})` };
  };
}

// Comparing fixed-length digests in constant time: neither the secret's content nor its length leaks
// through timing.
function sameSecret(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
