// The id that ties a request's log lines and answer together: the caller's X-Request-Id when it is
// safe to echo and log (no spaces, slashes or control characters), else a new UUID.
import { randomUUID } from 'node:crypto';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
