// The simulated fleet, wired: N agents in this one process, each with its own metrics port (what
// Prometheus scrapes, per the agent metric contract) and its admin API behind a supervisor port (what
// Medic acts through, like a node agent would). Faults are injected through the supervisor's API or a
// scenario; each heals only when the right remediation is applied, or by itself where that is realistic.
// The model (fleet-model.ts) decides what happens; this file gives it ports and a ticking timer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../lib/clock.ts';
import { controlApi } from './control-api.ts';
import { exposition } from './exposition.ts';
import type { FaultRequest, ScenarioStep } from './fault-kinds.ts';
import { createFleetModel, type AgentPorts, type FleetStatus, type ModelAgent } from './fleet-model.ts';

export interface FleetOptions {
  agents: number;
  /** Agent i serves /metrics on basePort + i; the supervisor listens on basePort + agents. */
  basePort: number;
  host?: string;
  token: string;
  seed?: number;
  /** Period of the simulated daily load cycle. */
  periodMs?: number;
  tickMs?: number;
  clock?: Clock;
}

export interface FleetAgentInfo {
  id: string;
  type: string;
  tier: string;
  port: number;
}

export interface Fleet {
  controlUrl: string;
  agents(): FleetAgentInfo[];
  inject(f: FaultRequest): void;
  clear(agent: string): void;
  /** Applies a scenario: each fault at its offset from now. Returns a function that cancels the rest. */
  play(steps: ScenarioStep[], onError: (err: Error) => void): () => void;
  status(): FleetStatus[];
  stop(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const host = o.host ?? '127.0.0.1';
  const listening = new Map<string, { server: Server; sockets: Set<Socket> }>();

  function serveMetrics(a: ModelAgent, req: IncomingMessage, res: ServerResponse): void {
    if (a.mode === 'hung') return; // never answers: the scrape times out
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return void res.end('see /metrics\n');
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(exposition(a.sim.state, a));
  }

  const ports: AgentPorts = {
    async open(a) {
      const server = createServer((req, res) => serveMetrics(a, req, res));
      const sockets = new Set<Socket>();
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(a.port, host, () => resolve());
      });
      listening.set(a.id, { server, sockets });
    },
    async close(a) {
      const l = listening.get(a.id);
      listening.delete(a.id);
      if (!l) return;
      for (const s of l.sockets) s.destroy();
      await new Promise<void>((resolve) => l.server.close(() => resolve()));
    },
    drop(a) {
      for (const s of listening.get(a.id)?.sockets ?? []) s.destroy();
    },
  };

  const model = createFleetModel(o, ports);
  for (const a of model.all()) await ports.open(a);
  for (let i = 0; i < 5; i++) model.tick(1); // a few seconds of history before the first scrape
  const tickMs = o.tickMs ?? 1000;
  const timer = setInterval(() => model.tick(tickMs / 1000), tickMs);

  const controlServer = createServer(controlApi(model));
  const controlPort = o.basePort + o.agents;
  await new Promise<void>((resolve, reject) => {
    controlServer.once('error', reject);
    controlServer.listen(controlPort, host, () => resolve());
  });

  return {
    controlUrl: `http://${host}:${controlPort}`,
    agents: () => model.all().map((a) => ({ id: a.id, type: a.type, tier: a.tier, port: a.port })),
    inject: (f) => model.inject(f),
    clear: (agent) => model.clear(agent),
    play(steps, onError) {
      const timers = steps.map((step) => setTimeout(() => {
        try {
          model.inject(step);
        } catch (err) {
          onError(err as Error);
        }
      }, step.atMs));
      return () => timers.forEach(clearTimeout);
    },
    status: () => model.status(),
    async stop() {
      clearInterval(timer);
      await Promise.all(model.all().map((a) => ports.close(a)));
      await new Promise<void>((resolve) => {
        controlServer.close(() => resolve());
        controlServer.closeAllConnections();
      });
    },
  };
}
