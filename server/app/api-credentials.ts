// The API's credentials, read at start-up: api.tokens from medic.yaml (each token given inline or in a
// file) plus one per role from the environment, for a Kubernetes Secret mounted as variables.
import { readSecretFile } from '../../lib/read-secret.ts';
import { ConfigError } from '../../lib/yaml-config.ts';
import type { MedicConfig } from './config-schema.ts';
import type { ApiCredential } from '../api/api-auth.ts';

// A variable names its credential: the audit says "env-operator approved", and the name cannot clash with
// a person's name in api.tokens unless someone chooses it (then start-up says so).
const ENV_TOKENS = [
  { env: 'MEDIC_OPERATOR_TOKEN', name: 'env-operator', role: 'operator' },
  { env: 'MEDIC_READONLY_TOKEN', name: 'env-read-only', role: 'read-only' },
] as const;

const MIN_LENGTH = 16;

export function readApiCredentials(config: MedicConfig, env: NodeJS.ProcessEnv, baseDir: string): ApiCredential[] {
  const problems: string[] = [];
  const credentials: ApiCredential[] = [];
  config.api.tokens.forEach((t, i) => {
    const setting = `api.tokens[${i}].token_file`;
    const token = t.token ?? (t.token_file ? readSecretFile(setting, t.token_file, baseDir, problems) : undefined);
    if (token === undefined || token === '') return;
    if (token.length < MIN_LENGTH) problems.push(`${setting}: the token in ${t.token_file} is shorter than ${MIN_LENGTH} characters`);
    else credentials.push({ name: t.name, role: t.role, token });
  });
  for (const e of ENV_TOKENS) {
    const given = env[e.env];
    if (given === undefined || given === '') continue;
    // Trimmed as every secret from the environment: a Secret's trailing newline must not lock people out.
    const token = given.trim();
    if (token === '') problems.push(`${e.env}: holds only whitespace; set the token or unset the variable`);
    else if (token.length < MIN_LENGTH) problems.push(`${e.env}: must be at least ${MIN_LENGTH} characters`);
    else if (credentials.some((c) => c.name === e.name)) problems.push(`${e.env}: api.tokens already has a token named ${e.name}`);
    else credentials.push({ name: e.name, role: e.role, token });
  }
  const seen = new Map<string, string>();
  for (const c of credentials) {
    const other = seen.get(c.token);
    // One token for two names would make the audit say the wrong person; the message names, not the token.
    if (other !== undefined) problems.push(`api tokens: ${other} and ${c.name} have the same token; give each its own`);
    seen.set(c.token, c.name);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return credentials;
}
