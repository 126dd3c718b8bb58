// The console's only way to Medic: the public /api with the user's token. The token stays in this tab's
// sessionStorage (gone when the tab closes), is sent only to this origin, and is never shown.
const KEY = 'medic-console-token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const BY = 'medic-console-by';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(BY);
  },
};

/**
 * Who decides, for a Medic without API tokens (its webhook credential opens /api and cannot name a
 * person, so decisions carry "by"). With API tokens the token names its holder and "by" is not sent.
 */
export const decider = {
  get: () => sessionStorage.getItem(BY),
  set: (name) => sessionStorage.setItem(BY, name),
};

async function call(method, path, body) {
  if (body !== undefined && decider.get()) body = { ...body, by: decider.get() };
  const headers = token.get() ? { authorization: `Bearer ${token.get()}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const problems = Array.isArray(data.problems) ? `: ${data.problems.map((p) => `${p.path} ${p.message}`).join('; ')}` : '';
    throw new ApiError(res.status, `${data.error ?? `${method} ${path} answered ${res.status}`}${problems}`);
  }
  return data;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body = {}) => call('POST', path, body),
  put: (path, body = {}) => call('PUT', path, body),
};

/**
 * Follows GET /api/events: calls onChange(topics) for each change, onState('live' | 'reconnecting' |
 * 'refused') as the stream comes and goes. fetch rather than EventSource: EventSource cannot send the
 * Authorization header. Returns a function that stops following.
 */
export function followEvents(onChange, onState) {
  let stopped = false;
  let controller;
  let delay = 1000;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const auth = token.get() ? { authorization: `Bearer ${token.get()}` } : {};
        const res = await fetch('/api/events', { headers: { ...auth, accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) return onState('refused');
        if (!res.ok || !res.body) throw new Error(`answered ${res.status}`);
        onState('live');
        delay = 1000;
        // Anything may have changed while the stream was away.
        onChange(['incidents', 'remediations', 'approvals', 'controls', 'queue']);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = message.split('\n');
            const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
            const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (event === 'change' && data) onChange(JSON.parse(data).topics);
          }
        }
      } catch (err) {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
