/**
 * The one command-line helper of every `medic` command: a command is a declarative spec (name, summary,
 * usage text, node:util parseArgs options, positional names, subcommands), and `runCommand` does the rest
 * the same way everywhere:
 *   - `--help` / `-h` on any command or group prints its help on stdout, exit 0 (groups list their
 *     subcommands, generated from the specs, so a listing cannot forget one);
 *   - an unknown option or subcommand exits 2 naming it and the nearest known one
 *     ("unknown option --prometheus-ulr: did you mean --prometheus-url?");
 *   - exit codes: EXIT.ok 0 done; EXIT.failed 1 failed while running (a thrown Error, message printed);
 *     EXIT.usage 2 the command line needs fixing (a thrown UsageError, or a parse problem).
 *
 * How a command uses it:
 *
 *   export const modelsShow = defineCommand({
 *     name: 'show',                                    // the word typed after its parent
 *     summary: "Print a version's model card",         // one line, for its parent's listing
 *     usage: `Usage: medic models show TYPE [VERSION] [--registry DIR]\n...`,  // shown by --help
 *     options: { registry: { type: 'string' } },       // parseArgs options; --help/-h are added
 *     args: ['TYPE', '[VERSION]'],                     // positionals: [X] optional, X... repeats
 *     run({ values, positionals, command }) {          // values typed from `options`
 *       if (bad) throw new UsageError(`--registry must be a directory, but was ${values.registry}`);
 *       return EXIT.ok;
 *     },
 *   });
 *   export const modelsCommand = defineCommand({ name: 'models', summary: '...', subcommands: [modelsList, modelsShow] });
 *   // in the dispatcher, or standalone:  process.exitCode = await runCommand(modelsCommand, argv, ['medic']);
 *
 * A spec with `load` instead of `run` is loaded on demand (serving never pays for training or the
 * simulator); its stub's name, summary, args and subcommand stubs still appear in the listings.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { nearest } from './nearest.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A problem with the command line: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

/** The values parseArgs returns for `options`, typed: string options as string | undefined, and so on. */
export type OptionValues<O extends OptionSpecs> = Parsed<O>['values'];

export interface Invocation<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
  /** The command as typed so far, e.g. 'medic models show': the prefix of its messages. */
  command: string;
}

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** The help body; should start with a 'Usage:' line. Groups without one get a generated line. */
  usage?: string;
  options?: O;
  /**
   * Positional names as the help shows them: 'TYPE' required, '[VERSION]' optional, 'FILE...' any number.
   * On a `load` stub they are for the listings only, and `args` given (even []) lists the stub as a
   * command of its own besides its subcommands (`medic sim` runs the fleet; `medic models` only groups).
   */
  args?: readonly string[];
  subcommands?: readonly CommandSpec[];
  run?: (invocation: Invocation<O>) => number | Promise<number>;
  /** Loads the full spec of this stub (same name); it runs with the stub's parents. */
  load?: () => Promise<CommandSpec>;
}

/** Keeps the option types for `run`, then erases them so specs of different commands fit one table. */
export function defineCommand<O extends OptionSpecs = Record<never, never>>(spec: CommandSpec<O>): CommandSpec {
  return spec as unknown as CommandSpec;
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
const consoleIo: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * Runs `spec` with `argv` (the words after its own name); `parents` are the words before it ('medic').
 * Never throws for a usage problem or a failed run: it prints and returns the exit code.
 */
export async function runCommand(spec: CommandSpec, argv: readonly string[], parents: readonly string[] = [], io: Io = consoleIo): Promise<number> {
  const path = [...parents, spec.name];
  const command = path.join(' ');
  try {
    return await dispatch(spec, argv, path, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${command}: ${err.message.split('\n').join('\n  ')}\nRun '${command} --help' for usage.`);
      return EXIT.usage;
    }
    // The message is for operators; a developer chasing a bug asks for the stack with MEDIC_DEBUG=1.
    io.err(process.env.MEDIC_DEBUG ? `${command}: ${(err as Error).stack ?? String(err)}` : `${command}: ${(err as Error).message}`);
    return EXIT.failed;
  }
}

async function dispatch(spec: CommandSpec, argv: readonly string[], path: string[], io: Io): Promise<number> {
  if (spec.load) return runCommand(await spec.load(), argv, path.slice(0, -1), io);
  const [first, ...rest] = argv;
  const sub = first === undefined ? undefined : spec.subcommands?.find((s) => s.name === first);
  if (sub) return runCommand(sub, rest, path, io);
  const kind = path.length <= 1 ? 'command' : 'subcommand';
  const names = (spec.subcommands ?? []).map((s) => s.name);
  if (first !== undefined && !first.startsWith('-') && names.length && !spec.args?.length) throw unknown(kind, first, names);
  // Help wins over every other problem on the line: `medic serve --prot 1 --help` still helps.
  const beforeTerminator = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  if (beforeTerminator.some((a) => a === '--help' || a === '-h')) {
    io.out(helpText(spec, path));
    return EXIT.ok;
  }
  const options: OptionSpecs = { ...spec.options, help: { type: 'boolean', short: 'h' } };
  rejectUnknownOptions(argv, options);
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { positionals } = parsed;
  if (!spec.run) throw new UsageError(`missing ${kind}: one of ${names.join(', ')}`);
  checkPositionals(spec, positionals);
  return spec.run({ values: parsed.values, positionals, command: path.join(' ') });
}

function unknown(kind: string, word: string, names: string[]): UsageError {
  const guess = nearest(word, names);
  return new UsageError(`unknown ${kind} ${JSON.stringify(word)}${guess ? `: did you mean ${guess}?` : ''}`);
}

/** Done before node's own parse so that the message can name the nearest known option. */
function rejectUnknownOptions(argv: readonly string[], options: OptionSpecs): void {
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  const longs = Object.keys(options).map((o) => `--${o}`);
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in options) continue;
    const guess = nearest(token.rawName, longs);
    throw new UsageError(`unknown option ${token.rawName}${guess ? `: did you mean ${guess}?` : ''}`);
  }
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const args = spec.args ?? [];
  const min = args.filter((a) => !a.startsWith('[') && !a.endsWith('...')).length;
  const max = args.some((a) => a.replace(/]$/, '').endsWith('...')) ? Infinity : args.length;
  if (positionals.length >= min && positionals.length <= max) return;
  const got = positionals.length ? `${positionals.length}: ${positionals.join(' ')}` : 'none';
  throw new UsageError(args.length ? `takes ${args.join(' ')}, but got ${got}` : `takes no arguments, but got ${got}`);
}

/** The help of `spec`: its usage, then every command below it with its one-line summary. */
export function helpText(spec: CommandSpec, path: readonly string[]): string {
  const usage = spec.usage ?? `Usage: ${path.join(' ')} <command> [options]\n\n${spec.summary}`;
  const rows = listing(spec, []);
  if (!rows.length) return usage;
  const width = Math.min(30, Math.max(...rows.map(([left]) => left.length)));
  const lines = rows.map(([left, summary]) => (left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${summary}` : `  ${left.padEnd(width)}  ${summary}`));
  return `${usage}\n\nCommands:\n${lines.join('\n')}\n\nRun '${path.join(' ')} <command> --help' for a command's options.`;
}

/** Every runnable command below `spec`, as [words and args, summary]; groups show through their members. */
export function listing(spec: CommandSpec, prefix: readonly string[]): [string, string][] {
  const rows: [string, string][] = [];
  for (const sub of spec.subcommands ?? []) {
    const words = [...prefix, sub.name];
    if (sub.run || !sub.subcommands?.length || (sub.load && sub.args)) rows.push([[...words, ...(sub.args ?? [])].join(' '), sub.summary]);
    rows.push(...listing(sub, words));
  }
  return rows;
}

/** Every command and group below `spec` as the words that reach it, e.g. ['models', 'show']. */
export function commandPaths(spec: CommandSpec, prefix: readonly string[] = []): string[][] {
  return (spec.subcommands ?? []).flatMap((sub) => [[...prefix, sub.name], ...commandPaths(sub, [...prefix, sub.name])]);
}
