#!/usr/bin/env node
// The `medic` command. Sources are TypeScript run through tsx, so a fresh clone works right after
// `npm install` with no build step; tsx compiles each module once per process.
import { register } from 'tsx/esm/api';

register();
const { exitQuietlyOnClosedPipe } = await import('../cli/closed-pipe.ts');
// Once, before any command writes: `medic models list | head -1` ends quietly, not with a stack trace.
exitQuietlyOnClosedPipe();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
