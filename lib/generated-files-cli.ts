// The command line of a generator whose output is committed (grafana/src/build-dashboards.ts,
// deploy/generate.ts): write the files, or with --check say which ones differ from what the sources give.
export interface GeneratorCli {
  /** The npm script's name, for messages. */
  name: string;
  usage: string;
  /** Files that differ from what the sources give now (relative paths). */
  stale(): string[];
  /** What to tell about stale files, before "run npm run <name> and commit them". */
  staleWhat: (files: string[]) => string;
  upToDate: string;
  /** Writes every file; one line per file written. */
  write(): string[];
}

export function generatorMain(g: GeneratorCli, args: string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(g.usage);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    console.error(`${g.name}: unknown argument ${JSON.stringify(unknown[0])}\n\n${g.usage}`);
    return 2;
  }
  if (args.includes('--check')) {
    const stale = g.stale();
    if (stale.length) {
      console.error(`${g.name}: ${g.staleWhat(stale)}; run npm run ${g.name} and commit them`);
      return 1;
    }
    console.log(`${g.name}: ${g.upToDate}`);
    return 0;
  }
  for (const line of g.write()) console.log(line);
  return 0;
}
