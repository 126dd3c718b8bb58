// GET /runbooks/:name serves the shipped runbooks the dashboards and alerts link to, and nothing else
// (in process, through supertest).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { RUNBOOK_DIR, runbooksRouter } from '../../server/api/runbooks.ts';

const app = express().use(runbooksRouter());

describe('runbooks route', () => {
  it('serves every runbook of docs/runbooks as markdown, and lists them', async () => {
    const files = readdirSync(RUNBOOK_DIR).filter((f) => f.endsWith('.md'));
    assert.ok(files.includes('AgentDown.md'));
    const res = await request(app).get('/runbooks/AgentDown.md').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/markdown/);
    assert.match(res.text, /AgentDown/);
    const list = await request(app).get('/runbooks').expect(200);
    assert.equal(list.body.items.length, files.length);
  });

  it('answers 404 for anything else, a path included', async () => {
    for (const path of ['/runbooks/Nope.md', '/runbooks/..%2F..%2Fpackage.json', '/runbooks/%2Fetc%2Fpasswd', '/runbooks/AgentDown.md.bak']) {
      const res = await request(app).get(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.text, /"name"\s*:\s*"medic"|root:/);
    }
  });
});
