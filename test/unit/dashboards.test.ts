// The dashboards' structure: what Grafana needs to load them and what makes them usable (ids, refIds,
// grid, units, the provisioned datasource), and the committed JSON being what grafana/src builds. The
// JSON is typed by the foundation SDK's Dashboard (tsc checks the builders), so a committed file that
// equals the build conforms to the SDK's schema.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DASHBOARD_DIR, staleDashboards } from '../../grafana/src/build-dashboards.ts';
import { DASHBOARDS } from '../../grafana/src/dashboard-list.ts';
import { dashboardQueries, substitute } from '../../grafana/src/dashboard-queries.ts';
import { DATASOURCE_UID } from '../../grafana/src/panels.ts';
import { selectors } from '../../grafana/src/promql-selectors.ts';
import { REPO } from '../../sim/stack/medic-process.ts';

type Loose = Record<string, any>;
const committed = DASHBOARDS.map((d) => ({ file: d.file, json: JSON.parse(readFileSync(join(DASHBOARD_DIR, d.file), 'utf8')) as Loose }));
const VALUES = { datasource: DATASOURCE_UID, agent_type: '.*', tier: '.*', agent: '.*', medic_url: 'http://localhost:9095', __rate_interval: '1m', __range: '1h', __interval: '15s' };

describe('dashboards', () => {
  it('are committed as grafana/src builds them, and a stale file is caught', () => {
    assert.deepEqual(staleDashboards(), [], 'run npm run build:dashboards and commit grafana/dashboards');
    const dir = mkdtempSync(join(tmpdir(), 'medic-dash-'));
    try {
      cpSync(DASHBOARD_DIR, dir, { recursive: true });
      const first = DASHBOARDS[0]!.file;
      writeFileSync(join(dir, first), readFileSync(join(dir, first), 'utf8').replace('"title"', '"title" '));
      assert.deepEqual(staleDashboards(dir), [first]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('have unique uids and titles, unique panel ids, and valid grid positions', () => {
    assert.equal(new Set(committed.map((d) => d.json.uid)).size, committed.length);
    assert.equal(new Set(committed.map((d) => d.json.title)).size, committed.length);
    for (const { file, json } of committed) {
      assert.match(json.uid, /^[a-z0-9-]{1,40}$/, `${file}: uid`);
      assert.ok(json.tags.includes('medic'), `${file}: tagged medic (the dashboards' links list them by tag)`);
      const ids = json.panels.map((p: Loose) => p.id);
      assert.ok(ids.every((id: unknown) => Number.isInteger(id) && (id as number) > 0), `${file}: every panel has an id`);
      assert.equal(new Set(ids).size, ids.length, `${file}: panel ids are unique`);
      for (const p of json.panels) {
        const g = p.gridPos;
        assert.ok(g.w >= 1 && g.w <= 24 && g.x >= 0 && g.x + g.w <= 24 && g.h >= 1 && g.y >= 0, `${file}: panel ${p.id} "${p.title}" grid ${JSON.stringify(g)}`);
      }
      assert.equal(JSON.stringify(json).includes('__inputs'), false, `${file}: no __inputs (provisioning does not fill them)`);
    }
  });

  it('put every panel and target on the datasource variable, with a refId, an expression and a unit', () => {
    for (const { file, json } of committed) {
      for (const p of json.panels.filter((x: Loose) => x.type !== 'row')) {
        const at = `${file}: panel ${p.id} "${p.title}"`;
        assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${at}: datasource`);
        assert.ok(p.fieldConfig?.defaults?.unit, `${at}: unit`);
        assert.ok(p.description, `${at}: description`);
        assert.ok(p.targets?.length > 0, `${at}: targets`);
        const refIds = p.targets.map((t: Loose) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${at}: refIds unique`);
        for (const t of p.targets) {
          assert.match(t.refId ?? '', /^[A-Z]$/, `${at}: refId`);
          assert.ok(typeof t.expr === 'string' && t.expr.trim(), `${at}: expression`);
          assert.deepEqual(t.datasource, p.datasource, `${at} ${t.refId}: target datasource`);
        }
      }
      for (const a of json.annotations.list ?? []) assert.deepEqual(a.datasource, { type: 'prometheus', uid: '${datasource}' });
      const ds = json.templating.list.find((v: Loose) => v.type === 'datasource');
      assert.equal(ds?.name, 'datasource', `${file}: a datasource variable`);
      assert.equal(ds.current.value, DATASOURCE_UID, `${file}: the datasource variable defaults to the provisioned uid`);
    }
  });

  it('default to the datasource uid the provisioning file creates, and are found by the provider', () => {
    const ds = parse(readFileSync(join(REPO, 'grafana/provisioning/datasources/medic.yml'), 'utf8')) as Loose;
    assert.equal(ds.datasources[0].uid, DATASOURCE_UID);
    assert.equal(ds.datasources[0].type, 'prometheus');
    const provider = parse(readFileSync(join(REPO, 'grafana/provisioning/dashboards/medic.yml'), 'utf8')) as Loose;
    assert.equal(provider.providers[0].type, 'file');
    assert.ok(provider.providers[0].options.path);
  });

  it('use only the variables they define (and Grafana\'s interval variables), rates over $__rate_interval', () => {
    for (const { file, json } of committed) {
      const defined = new Set(json.templating.list.map((v: Loose) => v.name));
      for (const q of dashboardQueries(json as never)) {
        for (const m of q.expr.matchAll(/\$\{?(\w+)/g)) {
          assert.ok(defined.has(m[1]) || m[1]!.startsWith('__'), `${file} ${q.where}: $${m[1]} is not a variable of the dashboard`);
        }
        assert.doesNotThrow(() => substitute(q.expr, VALUES));
        for (const rate of q.expr.matchAll(/\b(i?rate)\([^[]*\[([^\]]+)\]/g)) {
          assert.equal(rate[2], '$__rate_interval', `${file} ${q.where}: ${rate[1]} over $__rate_interval`);
        }
      }
    }
  });
});

describe('PromQL selectors', () => {
  it('name the metrics and the labels of their matchers, not functions, aggregations or grouping labels', () => {
    assert.deepEqual(selectors('histogram_quantile(0.5, sum by (le, strategy) (increase(medic_x_bucket{tier=~"$tier"}[1h])))'),
      [{ metric: 'medic_x_bucket', labels: ['tier'] }]);
    assert.deepEqual(selectors('count(up{agent_type=~"a", tier!="b"} == 0) or vector(0)'), [{ metric: 'up', labels: ['agent_type', 'tier'] }]);
    assert.deepEqual(selectors('a / on (agent) group_left (tier) b{c="d"} offset 5m'), [{ metric: 'a', labels: [] }, { metric: 'b', labels: ['c'] }]);
    assert.deepEqual(selectors('{__name__="up", job="x"}'), [{ metric: 'up', labels: ['job'] }]);
    assert.deepEqual(selectors('sum without (instance) (rate(x_total{s="a}b"}[5m]))'), [{ metric: 'x_total', labels: ['s'] }]);
  });
});
