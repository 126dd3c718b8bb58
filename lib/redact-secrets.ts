// Values that error messages and logs may print, with every secret taken out. A setting is a secret by
// its name (password, token, secret, …), wherever it sits; its *_file sibling names a path and is kept.
// The shape stays (which keys were given, and of what type) because that is what an operator must fix.

const SECRET_KEY = /(^|_)(password|passwd|token|secret|api_?key|credentials?|private_?key|authorization)$/i;

export const isSecretKey = (key: PropertyKey): boolean => typeof key === 'string' && SECRET_KEY.test(key);

/** What stands in for a secret: its type, never its content or length. */
export const REDACTED = (value: unknown): string => `<${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}, redacted>`;

/** A copy of `value` in which every secret-named key's value is replaced by its redaction. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED(v) : redactSecrets(v, depth + 1);
  return out;
}

/** `value` as an error message prints it: JSON, secrets redacted; a value that is a secret itself is redacted whole. */
export function describeValue(value: unknown, key?: PropertyKey): string {
  if (value === undefined) return 'missing';
  if (key !== undefined && isSecretKey(key)) return REDACTED(value);
  return JSON.stringify(redactSecrets(value));
}

// user:password@ in a URL (a database URL from MEDIC_DATABASE_URL, say): the password goes, the rest stays.
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):[^/?#@\s]*@/i;

/** A URL as messages may print it: any password it carries replaced by ***. */
export const redactUrlPassword = (text: string): string => text.replace(URL_PASSWORD, '$1:***@');
