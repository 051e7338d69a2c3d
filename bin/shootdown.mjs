#!/usr/bin/env node
// In a clone, runs the TypeScript sources directly through tsx (a development dependency),
// so what runs is what was just edited; an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';

// A reader that stops early (`shootdown check | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of dying with a stack trace on EPIPE.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else cli = await import('../dist/src/cli/main.js');
process.exitCode = await cli.main(process.argv.slice(2));
