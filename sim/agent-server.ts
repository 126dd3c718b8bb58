// One simulated agent on its own loopback port. The remediation tests heal these for real; the
// `process` driver's agent (agent-process.ts) is one of these in a child process.
import { createServer, type Server } from 'node:http';
import type { AgentFault, AgentSnapshot } from './agent-snapshot.ts';
import { createAgent, type SimAgentOptions } from './sim-agent.ts';

export interface AgentServerOptions extends SimAgentOptions {
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
}

export interface AgentServer {
  url: string;
  /** The admin base URL, as an inventory names it. */
  adminUrl: string;
  state: AgentSnapshot;
  /** The most recent admin calls received (up to MAX_CALLS), in order, for tests to check what Medic did. */
  calls: string[];
  injectFault(fault: AgentFault): void;
  stop(): Promise<void>;
}

export async function startAgentServer(o: AgentServerOptions): Promise<AgentServer> {
  const agent = createAgent(o);
  const server: Server = createServer(agent.app);
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${o.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    adminUrl: `${url}/admin`,
    state: agent.state,
    calls: agent.calls,
    injectFault: (fault) => agent.injectFault(fault),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
