// GET /runbooks/:name.md: the runbooks shipped in docs/runbooks, as the dashboards and alerts link to
// them. Only names found in that folder at start are served (a fixed list, never a path from the request).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

export const RUNBOOK_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'runbooks');

export function runbooksRouter(dir = RUNBOOK_DIR): Router {
  const names = new Set(readdirSync(dir).filter((f) => /^[A-Za-z0-9_-]+\.md$/.test(f)));
  const router = express.Router();
  router.get('/runbooks', (req, res) => {
    res.json({ items: [...names].sort().map((n) => `/runbooks/${n}`) });
  });
  router.get('/runbooks/:name', (req, res) => {
    const name = req.params.name;
    if (!names.has(name)) {
      res.status(404).json({ error: `no runbook ${JSON.stringify(name)}; GET /runbooks lists them` });
      return;
    }
    res.type('text/markdown; charset=utf-8').send(readFileSync(join(dir, name), 'utf8'));
  });
  return router;
}
