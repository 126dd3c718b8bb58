// `medic models list | head -1`: when the reader closes the pipe, the next write fails with EPIPE. That
// is the reader saying it has seen enough, not a failure of the command, so it ends quietly with exit 0
// instead of an uncaught 'error' event and a stack trace.

/** Installed once, by the entry point (bin/medic.js), before any command writes. */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      // Any other write error is a real one: rethrow it as if no listener were installed.
      throw err;
    });
  }
}
