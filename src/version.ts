import { readFileSync } from 'node:fs';

/** The package version, as trace files and verdict documents record it. */
export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
