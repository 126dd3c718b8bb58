// `medic replay`: what a candidate policy and rule set would have done with a recorded period
// (server/replay/policy-replay.ts), beside what was done. Reads the store; acts on nothing.
import { existsSync } from 'node:fs';
import { parseInstant } from '../lib/parse-instant.ts';
import { defaultPolicies, loadPolicies } from '../remediations/decide/policies.ts';
import { defaultRules, loadRules } from '../remediations/decide/selection.ts';
import { loadInventory } from '../remediations/inventory.ts';
import { replayPolicies } from '../server/replay/policy-replay.ts';
import { replayText } from '../server/replay/replay-text.ts';
import { SqliteStore } from '../server/store/sqlite/sqlite-store.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';
import { asUsageError, CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, loadConfigFromFlags } from './config-flags.ts';

const OPTIONS = {
  ...CONFIG_OPTIONS,
  from: { type: 'string', default: 'now-30d' },
  to: { type: 'string', default: 'now' },
  policies: { type: 'string' },
  rules: { type: 'string' },
  json: { type: 'boolean' },
  'max-differences': { type: 'string', default: '50' },
} as const;

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'What-if: replay recorded alerts through candidate policies and rules, without acting',
  usage: `Usage: medic replay [--from TIME] [--to TIME] [--policies FILE] [--rules FILE] [options]

Runs the alerts Medic recorded in a period through candidate tier policies and selection rules, against
the observations recorded with each decision, in compressed time and without acting on anything; then
reports, per tier and strategy, the actions that would be taken, guard holds, cooldowns passed over and
escalations beside what was recorded, and every incident whose outcome would differ. The store is only
read: it may run beside 'medic serve'.

  --from TIME            incidents first seen from (default now-30d): now-7d, 2026-11-01, RFC 3339, Unix s
  --to TIME              to (default now)
  --policies FILE        candidate policies.yaml (default: the configured one, or the shipped defaults)
  --rules FILE           candidate rules.yaml (default: the configured one, or the shipped defaults)
  --json                 print the whole report as JSON
  --max-differences N    differing incidents listed in text (default 50)

Where the record cannot tell (a strategy never tried on an incident), the replay takes the action as
healing; actions take no time, so the disruption budget sees only breakers between phases. Approvals are
answered as the record answered them; without an answer the incident is reported as waiting.

The store, and the inventory the incidents were handled with:
${CONFIG_OPTIONS_HELP}`,
  options: OPTIONS,
  run: async ({ values }) => {
    const loaded = loadConfigFromFlags(values);
    const now = Date.now();
    const instant = (name: 'from' | 'to') => {
      const s = parseInstant(values[name], now);
      if (s === undefined) throw new UsageError(`--${name}: ${JSON.stringify(values[name])} is not a time (now, now-7d, 2026-11-01, RFC 3339 or Unix seconds)`);
      return s * 1000;
    };
    const from = instant('from');
    const to = instant('to');
    if (from >= to) throw new UsageError(`--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()})`);
    const max = Number(values['max-differences']);
    if (!Number.isInteger(max) || max < 0) throw new UsageError(`--max-differences: must be a whole number, but was ${JSON.stringify(values['max-differences'])}`);
    if (!existsSync(loaded.sqlitePath)) throw new UsageError(`no store at ${loaded.sqlitePath}: give the --data-dir (or --config) 'medic serve' runs with`);
    if (!loaded.files.inventory) throw new UsageError('the replay needs the inventory the incidents were handled with: --inventory FILE (or remediation.inventory in medic.yaml)');
    let candidate;
    try {
      candidate = {
        agents: loadInventory(loaded.files.inventory).all(),
        policies: values.policies ? loadPolicies(values.policies) : loaded.files.policies ? loadPolicies(loaded.files.policies) : defaultPolicies(),
        rules: values.rules ? loadRules(values.rules) : loaded.files.rules ? loadRules(loaded.files.rules) : defaultRules(),
      };
    } catch (err) {
      throw asUsageError(err);
    }
    const source = SqliteStore.open({ path: loaded.sqlitePath, synchronous: 'normal', busyTimeoutMs: loaded.config.store.sqlite.busy_timeout });
    try {
      const report = await replayPolicies({
        source, from, to, ...candidate,
        onProgress: (phase, done, total) => {
          if (!values.json && process.stderr.isTTY) process.stderr.write(`\r${phase} ${done}/${total}   `);
        },
      });
      if (!values.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      console.log(values.json ? JSON.stringify(report, null, 2) : replayText(report, max));
      return EXIT.ok;
    } finally {
      await source.close();
    }
  },
});
