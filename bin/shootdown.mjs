#!/usr/bin/env node
// Runs the TypeScript sources directly (and lets --variant-file load TypeScript) via tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
