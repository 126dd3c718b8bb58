// Listening on the configured address, with the two mistakes people make named in words.
import { createServer, type RequestListener, type Server } from 'node:http';
import { ConfigError } from './config.ts';

export function listen(app: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ConfigError([`${host}:${port} is already in use: stop what listens there, or choose another --port`]));
      else if (err.code === 'EADDRNOTAVAIL') reject(new ConfigError([`${host} is not an address of this machine: choose another --host`]));
      else reject(err);
    });
    server.listen(port, host);
  });
}
