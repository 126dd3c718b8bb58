// Connections are capped in total and per client address before any request is read: 20,000 idle
// sockets from one client exhausted the file descriptors (deliveries and model reloads failed) before
// authentication could refuse anything. A refused connection is closed at once, counted, and logged at
// most once per interval with what to check.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../lib/logger.ts';
import { logThrottle } from '../../lib/log-throttle.ts';

export interface ConnectionLimits {
  maxConnections: number;
  perClient: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits, o: { log: Logger; refused: (reason: 'total' | 'per_client') => void; logEveryMs?: number }): void {
  const throttles = { total: logThrottle(o.logEveryMs ?? 10_000), per_client: logThrottle(o.logEveryMs ?? 10_000) };
  const refuse = (reason: 'total' | 'per_client', client: string) => {
    o.refused(reason);
    const why = reason === 'total'
      ? `${limits.maxConnections} connections are open (server.max_connections)`
      : `${client} already holds ${limits.perClient} connections (server.max_connections_per_client)`;
    throttles[reason]((suppressedSinceLast) => o.log.warn(
      { client, reason, suppressedSinceLast },
      `connection refused: ${why}; look for a client that opens connections without closing them, or raise the limit`,
    ));
  };

  server.maxConnections = limits.maxConnections;
  // Node closes connections past maxConnections itself and says so with 'drop'.
  server.on('drop', (data?: { remoteAddress?: string }) => refuse('total', data?.remoteAddress ?? 'unknown'));

  const byClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    const open = byClient.get(client) ?? 0;
    if (open >= limits.perClient) {
      socket.destroy();
      refuse('per_client', client);
      return;
    }
    byClient.set(client, open + 1);
    socket.once('close', () => {
      const left = (byClient.get(client) ?? 1) - 1;
      if (left <= 0) byClient.delete(client);
      else byClient.set(client, left);
    });
  });
}
