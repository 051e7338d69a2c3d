#!/usr/bin/env node
// Runs the TypeScript sources directly (and lets --variant-file load TypeScript) via tsx.
import { register } from 'tsx/esm/api';

// A reader that stops early (`shootdown check | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of dying with a stack trace on EPIPE.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
