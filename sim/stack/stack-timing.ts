// How fast the stack's clock runs. `compressed` (the tests' default): scrape and rule evaluation every
// second, the rules' `for` and windows shortened 15x, Alertmanager's group_wait 1 s, Medic's verification
// and breaker timings in seconds. `shipped`: the timings an operator deploys: 15 s scrapes and rule
// evaluation, the rules, Alertmanager's route and Medic's policies as shipped (only the guards opened, as
// in compressed time, so that simultaneous faults do not wait for one another).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './medic-process.ts';

export const STACK_TIMINGS = ['compressed', 'shipped'] as const;
export type StackTiming = (typeof STACK_TIMINGS)[number];

export interface TimingSettings {
  scrapeInterval: string;
  scrapeTimeout: string;
  evaluationInterval: string;
  groupWait: string;
  groupInterval: string;
  /** Whether the rules' `for` and windows, and Medic's verification and breaker timings, are shortened. */
  compress: boolean;
}

export function timingSettings(timing: StackTiming = 'compressed'): TimingSettings {
  if (timing === 'compressed') return { scrapeInterval: '1s', scrapeTimeout: '800ms', evaluationInterval: '1s', groupWait: '1s', groupInterval: '2s', compress: true };
  // The shipped Alertmanager route's grouping, read from the example an operator copies.
  const route = (parse(readFileSync(join(REPO, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as { route: { group_wait?: string; group_interval?: string } }).route;
  return { scrapeInterval: '15s', scrapeTimeout: '10s', evaluationInterval: '15s', groupWait: route.group_wait ?? '30s', groupInterval: route.group_interval ?? '5m', compress: false };
}
