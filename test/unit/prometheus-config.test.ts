// The prometheus section for Prometheus-compatible APIs (Mimir, Thanos, VictoriaMetrics): tenant,
// bearer or basic credentials (inline, from a file or from the environment), TLS files, batch size;
// each mistake named by setting and rule, and no secret ever in an error or the redacted config.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, redactedConfig } from '../../server/app/config.ts';
import { problemsOf, withFile as withConfigFile } from '../helpers/config-files.ts';
import { tempDir } from '../helpers/service.ts';

const SECRET = 's3cret-prometheus-token';

const withFile = (yaml: string) => withConfigFile(yaml, 'medic-prom-config-');


describe('prometheus settings for a Prometheus-compatible API', () => {
  it('reads the tenant, a token file relative to medic.yaml, TLS files and the batch size', () => {
    const { dir, file } = withFile(`prometheus:\n  url: https://mimir.example:8080/prometheus\n  tenant: team-a\n  bearer_token_file: token\n  tls: { ca_file: ca.pem }\n  batch_size: 250\n`);
    writeFileSync(join(dir, 'token'), `${SECRET}\n`);
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const loaded = loadConfig({ config: file }, {}, dir);
    assert.deepEqual(loaded.prometheus, {
      url: 'https://mimir.example:8080/prometheus', tenant: 'team-a', bearerToken: SECRET,
      tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', cert: undefined, key: undefined, insecureSkipVerify: false },
    });
    assert.equal(loaded.config.prometheus.batch_size, 250);
    assert.equal(loadConfig({}, {}, tempDir('medic-prom-config-')).config.prometheus.batch_size, 500, 'a safe default');
  });

  it('takes the token and tenant from the environment, the token trimmed and replacing the file', () => {
    const { dir, file } = withFile('prometheus:\n  url: http://thanos:9090\n  bearer_token_file: missing-file\n');
    const loaded = loadConfig({ config: file }, { MEDIC_PROMETHEUS_BEARER_TOKEN: `${SECRET}\n`, MEDIC_PROMETHEUS_TENANT: 'tenant-1' }, dir);
    assert.equal(loaded.prometheus?.bearerToken, SECRET);
    assert.equal(loaded.prometheus?.tenant, 'tenant-1');
  });

  it('reads basic auth with a password file', () => {
    const { dir, file } = withFile('prometheus:\n  url: http://vm:8428\n  basic_auth: { username: medic, password_file: pw }\n');
    writeFileSync(join(dir, 'pw'), SECRET);
    assert.deepEqual(loadConfig({ config: file }, {}, dir).prometheus?.basicAuth, { username: 'medic', password: SECRET });
  });

  it('refuses two credentials, half a client certificate and a bad tenant, naming each, printing no secret', () => {
    const { dir, file } = withFile(`prometheus:\n  url: https://p:9090\n  bearer_token: ${SECRET}\n  bearer_token_file: t\n  basic_auth: { username: u, password: ${SECRET}, password_file: pw }\n  tenant: "a b"\n  tls: { cert_file: c.pem }\n  batch_size: 0\n`);
    const problems = problemsOf(() => loadConfig({ config: file }, {}, dir));
    const text = problems.join('\n');
    assert.match(text, /prometheus\.basic_auth needs exactly one of password or password_file/);
    assert.match(text, /prometheus\.tls needs both cert_file and key_file/);
    assert.match(text, /prometheus\.tenant must be 1-150 letters, digits/);
    assert.match(text, /prometheus\.batch_size must be >= 1, but was 0/);
    assert.ok(!text.includes(SECRET), text);
  });

  it('refuses a bearer token beside basic auth, and says which files it cannot read', () => {
    const { dir, file } = withFile(`prometheus:\n  url: http://p:9090\n  bearer_token: ${SECRET}\n  basic_auth: { username: u, password: x }\n`);
    const both = problemsOf(() => loadConfig({ config: file }, {}, dir)).join('\n');
    assert.match(both, /prometheus set a bearer token or basic_auth, not both/);
    assert.ok(!both.includes(SECRET));
    const missing = withFile('prometheus:\n  url: https://p:9090\n  bearer_token_file: nope\n  tls: { ca_file: no-ca.pem }\n');
    const text = problemsOf(() => loadConfig({ config: missing.file }, {}, missing.dir)).join('\n');
    assert.match(text, /prometheus\.bearer_token_file: cannot read .*nope \(ENOENT\)/);
    assert.match(text, /prometheus\.tls\.ca_file: cannot read .*no-ca\.pem \(ENOENT\)/);
  });

  it('keeps secrets out of the redacted configuration, a password in the URL included', () => {
    const { dir, file } = withFile(`prometheus:\n  url: http://user:${SECRET}@p:9090\n  tenant: t\n  basic_auth: { username: u, password: ${SECRET} }\n`);
    const shown = JSON.stringify(redactedConfig(loadConfig({ config: file }, {}, dir).config));
    assert.ok(!shown.includes(SECRET), shown);
    assert.match(shown, /"tenant":"t"/);
  });
});
