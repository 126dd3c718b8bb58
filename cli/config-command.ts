// `medic config check` (the configuration as `serve` would load it, checked and printed with secrets
// redacted) and `medic config defaults` (the shipped policies and rules, to copy and edit).
import { loadInventory } from '../remediations/inventory.ts';
import { DEFAULT_POLICIES_YAML, loadPolicies } from '../remediations/decide/policies.ts';
import { DEFAULT_RULES_YAML, loadRules } from '../remediations/decide/selection.ts';
import { redactedConfig } from '../server/app/config.ts';
import { defineCommand, EXIT, UsageError } from './args.ts';
import { asUsageError, CONFIG_OPTIONS, CONFIG_OPTIONS_HELP, loadConfigFromFlags } from './config-flags.ts';

export const configCheckCommand = defineCommand({
  name: 'check',
  summary: 'Validate the configuration (and its inventory, policies, rules) and print it',
  usage: `Usage: medic config check [options]

Loads the configuration exactly as 'medic serve' would, reports every problem, and prints the effective
settings with secrets redacted. Exit code 0 when valid, 2 otherwise.

Options:
${CONFIG_OPTIONS_HELP}`,
  options: CONFIG_OPTIONS,
  run: ({ values }) => {
    const loaded = loadConfigFromFlags(values);
    let agents = 0;
    try {
      // The remediation files are part of the configuration: check them as serve would.
      agents = loaded.files.inventory ? loadInventory(loaded.files.inventory).all().length : 0;
      if (loaded.files.policies) loadPolicies(loaded.files.policies);
      if (loaded.files.rules) loadRules(loaded.files.rules);
    } catch (err) {
      throw asUsageError(err);
    }
    console.log(`configuration is valid (${loaded.file ?? 'no file: defaults and environment'}; ${agents} agents in the inventory)`);
    console.log(JSON.stringify(redactedConfig(loaded.config), null, 2));
    return EXIT.ok;
  },
});

export const configDefaultsCommand = defineCommand({
  name: 'defaults',
  summary: 'Print the shipped tier policies and selection rules, to copy and edit',
  usage: `Usage: medic config defaults [policies|rules]

Prints the shipped policies.yaml and rules.yaml (both, or the one named).
  -h, --help   show this help`,
  args: ['[policies|rules]'],
  run: ({ positionals: [which] }) => {
    if (which !== undefined && which !== 'policies' && which !== 'rules') throw new UsageError(`takes policies or rules, but got ${JSON.stringify(which)}`);
    if (which !== 'rules') console.log(`# policies.yaml\n${DEFAULT_POLICIES_YAML}`);
    if (which !== 'policies') console.log(`# rules.yaml\n${DEFAULT_RULES_YAML}`);
    return EXIT.ok;
  },
});

export const configCommand = defineCommand({
  name: 'config',
  summary: 'Check the configuration, print the shipped defaults',
  subcommands: [configCheckCommand, configDefaultsCommand],
});
