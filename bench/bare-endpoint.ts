// The baselines for bench:webhook: an endpoint that only parses the JSON body and answers 200. By
// default with Express (the baseline); with --http on plain node:http, what no web framework
// costs at all (Medic's webhook runs ahead of its Express app, server/ingest/webhook.ts).
import { createServer, type Server } from 'node:http';
import express from 'express';

const plain = process.argv.includes('--http');
let server: Server;
const listening = (): void => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'bare endpoint listening', port: typeof address === 'object' && address ? address.port : 0 }));
};
if (plain) {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = JSON.stringify({ status: 'ok' });
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
  }).listen(0, '127.0.0.1', listening);
} else {
  const app = express();
  app.post('/webhook/alertmanager', express.json({ limit: '1mb' }), (req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  server = app.listen(0, '127.0.0.1', listening);
}
process.on('SIGTERM', () => server.close(() => process.exit(0)));
