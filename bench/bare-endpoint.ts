// The baseline for bench:webhook: an Express endpoint that only parses the JSON body and answers 200.
import express from 'express';

const app = express();
app.post('/webhook/alertmanager', express.json({ limit: '1mb' }), (req, res) => {
  res.status(200).json({ status: 'ok' });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'bare endpoint listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
