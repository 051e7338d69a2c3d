import { existsSync, readFileSync } from 'node:fs';

// src/ in a clone, dist/src/ in an installed package: the package's own package.json is one
// or two folders up.
const manifest = [
  new URL('../package.json', import.meta.url),
  new URL('../../package.json', import.meta.url),
].find((url) => existsSync(url));

/** The package version, as trace files and verdict documents record it. */
export const VERSION: string =
  manifest === undefined ? 'unknown' : JSON.parse(readFileSync(manifest, 'utf8')).version;
