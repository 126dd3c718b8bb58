#!/usr/bin/env node
// The `medic` command. Sources are TypeScript run through tsx, so a fresh clone works right after
// `npm install` with no build step; tsx compiles each module once per process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
