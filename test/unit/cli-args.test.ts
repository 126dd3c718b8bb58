// The command-line helper every `medic` command goes through: help, unknown words, exit codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandPaths, defineCommand, EXIT, helpText, runCommand, UsageError, type CommandSpec, type Io } from '../../cli/args.ts';
import { editDistance, nearest } from '../../cli/nearest.ts';

interface Run {
  code: number;
  out: string;
  err: string;
  calls: { values: Record<string, unknown>; positionals: string[]; command: string }[];
}

/** A small tree shaped like medic's: a root with a leaf, a group of leaves, and a lazily loaded group. */
function tree(behaviour: () => number = () => EXIT.ok): { root: CommandSpec; calls: Run['calls'] } {
  const calls: Run['calls'] = [];
  const record = (invocation: Run['calls'][number]) => {
    calls.push(invocation);
    return behaviour();
  };
  const serve = defineCommand({
    name: 'serve', summary: 'Run the service', usage: 'Usage: medic serve [options]',
    options: { 'prometheus-url': { type: 'string' }, insecure: { type: 'boolean' } },
    run: ({ values, positionals, command }) => record({ values: { ...values }, positionals, command }),
  });
  const show = defineCommand({
    name: 'show', summary: 'Print a card', usage: 'Usage: medic models show TYPE [VERSION]',
    options: { registry: { type: 'string' } }, args: ['TYPE', '[VERSION]'],
    run: ({ values, positionals, command }) => record({ values: { ...values }, positionals, command }),
  });
  const list = defineCommand({ name: 'list', summary: 'List models', usage: 'Usage: medic models list', run: () => record({ values: {}, positionals: [], command: 'list' }) });
  const models = defineCommand({ name: 'models', summary: 'The registry', subcommands: [list, show] });
  const lazy: CommandSpec = { name: 'train', summary: 'Train', subcommands: [{ name: 'anomaly', summary: 'Train once' }], load: async () => defineCommand({ name: 'train', summary: 'Train', subcommands: [{ ...list, name: 'anomaly' }] }) };
  const sim: CommandSpec = { name: 'sim', summary: 'Simulate', args: [], subcommands: [{ name: 'status', summary: 'Status' }], load: async () => defineCommand({ name: 'sim', summary: 'Simulate', options: { out: { type: 'string' } }, subcommands: [], run: ({ values, positionals, command }) => record({ values: { ...values }, positionals, command }) }) };
  return { root: defineCommand({ name: 'medic', summary: 'medic', usage: 'Usage: medic <command>', subcommands: [serve, models, lazy, sim] }), calls };
}

async function run(argv: string[], behaviour?: () => number): Promise<Run> {
  const { root, calls } = tree(behaviour);
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) };
  const code = await runCommand(root, argv, [], io);
  return { code, out, err, calls };
}

describe('runCommand', () => {
  for (const argv of [['--help'], ['-h'], ['models', '--help'], ['models', 'show', '-h'], ['serve', '--help'], ['train', '--help'], ['train', 'anomaly', '--help']]) {
    it(`answers ${argv.join(' ')} with help on stdout and exit 0, without running anything`, async () => {
      const r = await run(argv);
      assert.equal(r.code, EXIT.ok);
      assert.match(r.out, /^Usage:/m);
      assert.equal(r.err, '');
      assert.equal(r.calls.length, 0);
    });
  }

  it('lists every command below a group, with its positional arguments, in the group help', async () => {
    const r = await run(['--help']);
    for (const row of ['serve', 'models list', 'models show TYPE [VERSION]', 'train anomaly', 'sim', 'sim status']) assert.match(r.out, new RegExp(`^  ${row.replace(/[[\]]/g, '\\$&')}\\s+\\S`, 'm'), row);
    assert.doesNotMatch(r.out, /^  models {2,}\S/m, 'a group without a run of its own shows through its members');
  });

  it('gives help even when the rest of the line is wrong', async () => {
    const r = await run(['serve', '--prot', '1', '--help']);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.out, /Usage: medic serve/);
  });

  it('refuses an unknown option with exit 2, naming it and the nearest known one', async () => {
    const r = await run(['serve', '--prometheus-ulr', 'http://p:9090']);
    assert.equal(r.code, EXIT.usage);
    assert.equal(r.err, "medic serve: unknown option --prometheus-ulr: did you mean --prometheus-url?\nRun 'medic serve --help' for usage.\n");
    assert.equal(r.calls.length, 0);
  });

  it('refuses an unknown subcommand with exit 2 and a suggestion, and guesses nothing for a far word', async () => {
    const near = await run(['models', 'lst']);
    assert.equal(near.code, EXIT.usage);
    assert.match(near.err, /^medic models: unknown subcommand "lst": did you mean list\?\nRun 'medic models --help'/);
    const far = await run(['heal-everything']);
    assert.equal(far.code, EXIT.usage);
    assert.match(far.err, /^medic: unknown command "heal-everything"\nRun 'medic --help' for usage\.\n$/);
  });

  it('refuses a group without its subcommand with exit 2, listing the choices', async () => {
    const r = await run(['models']);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /medic models: missing subcommand: one of list, show/);
  });

  it('checks the number of positional arguments against the declared ones', async () => {
    assert.equal((await run(['models', 'show'])).code, EXIT.usage);
    const many = await run(['models', 'show', 'crewai', 'v0001', 'extra']);
    assert.equal(many.code, EXIT.usage);
    assert.match(many.err, /medic models show: takes TYPE \[VERSION\], but got 3: crewai v0001 extra/);
    const ok = await run(['models', 'show', 'crewai', '--registry', '/r']);
    assert.equal(ok.code, EXIT.ok);
    assert.deepEqual(ok.calls[0], { values: { registry: '/r' }, positionals: ['crewai'], command: 'medic models show' });
  });

  it('refuses an option without its value with exit 2, naming the option', async () => {
    const r = await run(['models', 'show', 'crewai', '--registry']);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.err, /--registry/);
  });

  it('passes typed values to run and returns its exit code', async () => {
    const r = await run(['serve', '--insecure', '--prometheus-url', 'http://p:9090'], () => EXIT.failed);
    assert.equal(r.code, EXIT.failed);
    assert.deepEqual(r.calls[0]!.values, { insecure: true, 'prometheus-url': 'http://p:9090' });
  });

  it('turns a thrown UsageError into exit 2 and any other Error into exit 1, each with its message', async () => {
    const usage = await run(['serve'], () => {
      throw new UsageError('--port must be <= 65535, but was 70000\n--host must not be empty');
    });
    assert.equal(usage.code, EXIT.usage);
    assert.equal(usage.err, "medic serve: --port must be <= 65535, but was 70000\n  --host must not be empty\nRun 'medic serve --help' for usage.\n");
    const failed = await run(['serve'], () => {
      throw new Error('cannot reach the store');
    });
    assert.equal(failed.code, EXIT.failed);
    assert.equal(failed.err, 'medic serve: cannot reach the store\n');
  });

  it('loads a command on demand and runs it under the same name, with the remaining arguments', async () => {
    const sub = await run(['train', 'anomaly']);
    assert.equal(sub.code, EXIT.ok);
    assert.equal(sub.calls.length, 1);
    const self = await run(['sim', '--out', 'dir']);
    assert.deepEqual(self.calls[0], { values: { out: 'dir' }, positionals: [], command: 'medic sim' });
  });

  it('names every command and group below the root', () => {
    assert.deepEqual(commandPaths(tree().root).map((p) => p.join(' ')), ['serve', 'models', 'models list', 'models show', 'train', 'train anomaly', 'sim', 'sim status']);
  });

  it('generates a usage line for a group that has none', () => {
    assert.match(helpText(defineCommand({ name: 'config', summary: 'Check it', subcommands: [] }), ['medic', 'config']), /^Usage: medic config <command>/);
  });
});

describe('nearest', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    assert.equal(editDistance('ulr', 'url'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests the closest candidate, an abbreviated one, or nothing when none is plausible', () => {
    assert.equal(nearest('--prometheus-ulr', ['--promote', '--prometheus-url', '--port']), '--prometheus-url');
    assert.equal(nearest('serv', ['serve', 'sim']), 'serve');
    assert.equal(nearest('--regis', ['--registry', '--json']), '--registry');
    assert.equal(nearest('heal-everything', ['help', 'serve']), undefined);
    assert.equal(nearest('x', ['sim']), undefined);
  });
});
