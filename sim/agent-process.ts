// One simulated agent as its own process, for the `process` driver: it takes its working state from
// AGENT_STATE_FILE at start and writes it back there on SIGTERM, so a restart hands the state over.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startAgentServer } from './agent-server.ts';

const { values } = parseArgs({ options: { id: { type: 'string' }, port: { type: 'string' }, 'token-env': { type: 'string', default: 'AGENT_TOKEN' } } });
const token = process.env[values['token-env']!];
if (!values.id || !values.port || !token) {
  console.error('usage: agent-process --id ID --port PORT (token in $AGENT_TOKEN, state file in $AGENT_STATE_FILE)');
  process.exit(2);
}
const stateFile = process.env.AGENT_STATE_FILE;
const working = stateFile && existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>) : undefined;
const agent = await startAgentServer({ id: values.id, token, port: Number(values.port), working });
console.log(JSON.stringify({ msg: 'agent listening', id: values.id, pid: process.pid, url: agent.url }));

process.on('SIGTERM', () => {
  if (stateFile) {
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(agent.state.working));
    renameSync(`${stateFile}.tmp`, stateFile);
  }
  void agent.stop().then(() => process.exit(0));
});
