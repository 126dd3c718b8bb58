import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, redactedConfig } from '../../server/app/config.ts';
import { problemsOf, withFile } from '../helpers/config-files.ts';
import { tempDir } from '../helpers/service.ts';
import { loadInventory } from '../../remediations/inventory.ts';



describe('loadConfig', () => {
  it('runs on embedded defaults with no file and no environment', () => {
    const dir = tempDir('medic-config-');
    const { config, file, sqlitePath, credentials } = loadConfig({}, {}, dir);
    assert.equal(file, undefined);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 9095);
    assert.equal(config.server.body_limit, 1024 * 1024);
    assert.equal(sqlitePath, join(dir, 'data', 'medic.db'));
    assert.deepEqual(credentials, {});
  });

  it('applies defaults < file < environment < flags', () => {
    const { dir, file } = withFile('server:\n  port: 1000\n  host: 127.0.0.2\ndata_dir: /tmp/from-file\n');
    const fromFile = loadConfig({ config: file }, {}, dir);
    assert.equal(fromFile.config.server.port, 1000);
    const fromEnv = loadConfig({ config: file }, { MEDIC_PORT: '2000', MEDIC_DATA_DIR: '/tmp/from-env' }, dir);
    assert.equal(fromEnv.config.server.port, 2000);
    assert.equal(fromEnv.dataDir, '/tmp/from-env');
    assert.equal(fromEnv.config.server.host, '127.0.0.2');
    const fromFlags = loadConfig({ config: file, port: '3000' }, { MEDIC_PORT: '2000' }, dir);
    assert.equal(fromFlags.config.server.port, 3000);
  });

  it('finds the file through MEDIC_CONFIG, and ./medic.yaml when none is named', () => {
    const { dir, file } = withFile('server:\n  port: 1234\n');
    assert.equal(loadConfig({}, { MEDIC_CONFIG: file }, '/').config.server.port, 1234);
    assert.equal(loadConfig({}, {}, dir).config.server.port, 1234);
  });

  it('names the source, the field, the rule and the value seen', () => {
    const { dir, file } = withFile('server:\n  port: 70000\n');
    const [problem] = problemsOf(() => loadConfig({ config: file }, {}, dir));
    assert.match(problem!, new RegExp(`^${file}: server\\.port .*65535.*, but was 70000$`));
    const empty = tempDir('medic-config-');
    const [fromEnv] = problemsOf(() => loadConfig({}, { MEDIC_PORT: 'eighty' }, empty));
    assert.match(fromEnv!, /^MEDIC_PORT: server\.port .*number.*, but was "eighty"$/);
    const [fromFlag] = problemsOf(() => loadConfig({ logLevel: 'loud' }, {}, empty));
    assert.match(fromFlag!, /^--log-level: log\.level .*, but was "loud"$/);
  });

  it('reports every problem at once, including unknown settings', () => {
    const { dir, file } = withFile('server:\n  prot: 1\n  shutdown_timeout: soon\nworkers:\n  concurrency: 0\n');
    const problems = problemsOf(() => loadConfig({ config: file }, {}, dir));
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('server.prot is not a known setting')));
    assert.ok(problems.some((p) => /server\.shutdown_timeout must be a duration .*but was "soon"/.test(p)));
    assert.ok(problems.some((p) => /workers\.concurrency .*1.*but was 0/.test(p)));
  });

  it('parses durations and sizes as operators write them', () => {
    const { dir, file } = withFile('server:\n  body_limit: 512KiB\n  shutdown_timeout: 1m30s\nworkers:\n  poll_interval: 250ms\n');
    const { config } = loadConfig({ config: file }, {}, dir);
    assert.equal(config.server.body_limit, 512 * 1024);
    assert.equal(config.server.shutdown_timeout, 90_000);
    assert.equal(config.workers.poll_interval, 250);
  });

  it('reads the webhook token from a file, and refuses an unreadable one', () => {
    const { dir } = withFile('');
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const ok = loadConfig({}, { MEDIC_WEBHOOK_TOKEN_FILE: join(dir, 'token') }, dir);
    assert.equal(ok.credentials.bearerToken, 'file-token');
    const [problem] = problemsOf(() => loadConfig({}, { MEDIC_WEBHOOK_TOKEN_FILE: join(dir, 'missing') }, dir));
    assert.match(problem!, /webhook\.bearer_token_file: cannot read .*missing \(ENOENT\)/);
  });

  it('lets the environment token replace a token file set in medic.yaml', () => {
    const { dir, file } = withFile('webhook:\n  bearer_token_file: /nonexistent\n');
    const { credentials } = loadConfig({ config: file }, { MEDIC_WEBHOOK_TOKEN: 'env-token' }, dir);
    assert.equal(credentials.bearerToken, 'env-token');
  });

  it('refuses a token and a token file in the same file', () => {
    const { dir, file } = withFile('webhook:\n  bearer_token: a\n  bearer_token_file: b\n');
    const [problem] = problemsOf(() => loadConfig({ config: file }, {}, dir));
    assert.match(problem!, /webhook set bearer_token or bearer_token_file, not both/);
  });

  it('refuses YAML that is not a mapping, and a missing file that was named', () => {
    const { dir, file } = withFile('- just\n- a list\n');
    assert.match(problemsOf(() => loadConfig({ config: file }, {}, dir))[0]!, /top level must be a mapping/);
    assert.match(problemsOf(() => loadConfig({ config: join(dir, 'nope.yaml') }, {}, dir))[0]!, /cannot read the configuration file \(ENOENT\)/);
    const broken = withFile('server: [\n');
    assert.match(problemsOf(() => loadConfig({ config: broken.file }, {}, broken.dir))[0]!, /not valid YAML/);
  });

  it('redacts secrets when printing the configuration', () => {
    const { dir } = withFile('');
    const { config } = loadConfig({}, { MEDIC_WEBHOOK_TOKEN: 'hunter2' }, dir);
    assert.doesNotMatch(JSON.stringify(redactedConfig(config)), /hunter2/);
  });
});

// Finding 2 of the hardening issue: a secret given the wrong way was echoed whole by `config check`.
describe('configuration errors never print a secret', () => {
  const printed = (fn: () => unknown) => problemsOf(fn).join('\n');

  it('names a password given beside password_file without printing it', () => {
    const { dir, file } = withFile('webhook:\n  basic_auth: { username: am, password: LeakMe1, password_file: /x }\n');
    const text = printed(() => loadConfig({ config: file }, {}, dir));
    assert.match(text, /webhook\.basic_auth needs exactly one of password or password_file/);
    assert.match(text, /"password":"<string, redacted>"/);
    assert.match(text, /"password_file":"\/x"/, 'the file path, not a secret, is still shown');
    assert.doesNotMatch(text, /LeakMe1/);
  });

  it('names a bearer token given beside its file without printing it', () => {
    const { dir, file } = withFile('webhook:\n  bearer_token: LeakMe2\n  bearer_token_file: /x\n');
    assert.doesNotMatch(printed(() => loadConfig({ config: file }, {}, dir)), /LeakMe2/);
  });

  it('names a number where a secret string belongs by its type only', () => {
    const { dir, file } = withFile('webhook:\n  bearer_token: 98765432\n');
    const text = printed(() => loadConfig({ config: file }, {}, dir));
    assert.match(text, /webhook\.bearer_token must be a string, but was <number, redacted>/);
    assert.doesNotMatch(text, /98765432/);
  });

  it('names an inventory token given beside token_file without printing it', () => {
    const { file } = withFile('agents:\n  - id: a1\n    type: crewai\n    driver: http\n    http: { base_url: "http://127.0.0.1:1", token: LeakMe3, token_file: /x }\n');
    const text = printed(() => loadInventory(file));
    assert.match(text, /token/);
    assert.doesNotMatch(text, /LeakMe3/);
  });
});

// Finding 8: a Kubernetes Secret's trailing newline made every delivery 401, silently.
describe('secrets from the environment', () => {
  it('trims a token read from the environment', () => {
    const { config, credentials } = loadConfig({}, { MEDIC_WEBHOOK_TOKEN: 'tok-from-secret\n' }, tempDir('medic-cfg-'));
    assert.equal(credentials.bearerToken, 'tok-from-secret');
    assert.equal(config.webhook.bearer_token, 'tok-from-secret');
  });

  it('refuses a token that is only whitespace rather than run with no credential', () => {
    const text = problemsOf(() => loadConfig({}, { MEDIC_WEBHOOK_TOKEN: ' \n' }, tempDir('medic-cfg-'))).join('\n');
    assert.match(text, /MEDIC_WEBHOOK_TOKEN: holds only whitespace/);
  });
});

describe('redactedConfig', () => {
  it('prints every duration as operators write it, never as bare milliseconds', () => {
    const { config } = loadConfig({}, { MEDIC_LOG_LEVEL: 'info' }, tempDir('medic-cfg-'));
    const printed = redactedConfig(config) as Record<string, Record<string, unknown>>;
    assert.equal(printed.workers!.poll_interval, '1s');
    assert.equal(printed.server!.shutdown_timeout, '10s');
    assert.equal(printed.remediation!.verify_interval, '500ms');
    assert.equal((printed.store!.sqlite as Record<string, unknown>).busy_timeout, '200ms');
    // Counts stay numbers: only Duration settings are formatted.
    assert.equal(printed.workers!.max_attempts, 5);
  });
});

describe('the store setting', () => {
  it('runs on SQLite unless a database URL is given; MEDIC_DATABASE_URL selects PostgreSQL and is printed without its password', () => {
    assert.equal(loadConfig({}, {}, tempDir('medic-cfg-')).config.store.driver, 'sqlite');
    const { config } = loadConfig({}, { MEDIC_DATABASE_URL: 'postgres://medic:pw-9f3k@db.internal:5432/medic\n' }, tempDir('medic-cfg-'));
    assert.equal(config.store.driver, 'postgres');
    assert.equal(config.store.postgres.url, 'postgres://medic:pw-9f3k@db.internal:5432/medic', 'trimmed like every secret from the environment');
    const printed = JSON.stringify(redactedConfig(config));
    assert.doesNotMatch(printed, /pw-9f3k/);
    assert.match(printed, /postgres:\/\/medic:\*\*\*@db\.internal:5432\/medic/);
    assert.match(printed, /"statement_timeout":"5s"/);
  });

  it('keeps SQLite when the file says so, even with a database URL in the environment', () => {
    const { dir, file } = withFile('store:\n  driver: sqlite\n');
    assert.equal(loadConfig({ config: file }, { MEDIC_DATABASE_URL: 'postgres://medic@db/medic' }, dir).config.store.driver, 'sqlite');
  });

  it('refuses driver postgres without a URL, and a URL that is not postgres:// without printing its password', () => {
    assert.match(problemsOf(() => loadConfig({}, { MEDIC_STORE_DRIVER: 'postgres' }, tempDir('medic-cfg-'))).join('\n'), /store\.postgres\.url is required when store\.driver is postgres/);
    const text = problemsOf(() => loadConfig({}, { MEDIC_DATABASE_URL: 'mysql://medic:pw-9f3k@db/medic' }, tempDir('medic-cfg-'))).join('\n');
    assert.match(text, /MEDIC_DATABASE_URL: store\.postgres\.url must be a postgres:\/\/ URL, but was "mysql:\/\/medic:\*\*\*@db\/medic"/);
    assert.doesNotMatch(text, /pw-9f3k/);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    const { dir, file } = withFile('store:\n  postgres:\n    url: postgres://medic@db/medic\n    schema: "medic; drop"\n');
    assert.match(problemsOf(() => loadConfig({ config: file }, {}, dir)).join('\n'), /store\.postgres\.schema must be a lower-case SQL identifier/);
  });
});
