// Free loopback ports for the stack's daemons and fleets, found by trying them. There is a window
// between finding a port and binding it; on a test machine that is an acceptable race.
import { createServer } from 'node:net';

/** A port that was free a moment ago (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first port of a run of `size` free loopback ports (a fleet takes consecutive ports). */
export async function freeBlock(size: number): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = 30_000 + Math.floor(Math.random() * 20_000);
    if ((await Promise.all(Array.from({ length: size }, (_, i) => portFree(base + i)))).every(Boolean)) return base;
  }
  throw new Error(`no block of ${size} free loopback ports found`);
}
