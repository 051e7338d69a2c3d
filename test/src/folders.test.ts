// src/ in folders that show the architecture (docs/ARCHITECTURE.md): each folder imports
// only from lower ones, so no engine depends on the CLI or on a report. Entry points (the
// CLI's main, the library's index, worker threads) stand outside the order and nothing
// imports them.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Each folder of src/ and its floor, lowest first; '.' is src/ itself (shared leaves). */
const FLOORS: Record<string, number> = {
  '.': 0, // version, usage-error, progress
  codec: 1, // states as bytes, actions and changes as text
  engine: 2, // random, exhaustive, parallel, symmetry, replay
  report: 3, // race reports, trace files, HTML, SVG
  check: 4, // verdicts against expectations, protocols on worker threads
  cost: 4, // IPIs and flushes per workload
  load: 5, // a user's variant file and its loader
  'studies/migrc': 6, // one protocol's safety report
  cli: 7, // one command line
};
const isEntry = (file: string) => /(^|\/)(index|main|[a-z-]+-worker)\.ts$/.test(file);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** src/-relative files each src/ file imports. */
function graph(): Record<string, string[]> {
  return Object.fromEntries(
    sources('src').map((path) => {
      const file = relative('src', path);
      const targets = [...readFileSync(path, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)]
        .map((m) => normalize(join(dirname(file), `${m[1]}.ts`)))
        .filter((t) => !t.startsWith('..'));
      return [file, targets];
    }),
  );
}

const folderOf = (file: string): string => {
  const dir = dirname(file);
  return FLOORS[dir] === undefined ? dir.split('/')[0]! : dir;
};

function problems(g: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of Object.entries(g))
    for (const target of targets) {
      if (isEntry(target)) out.push(`${file} imports the entry point ${target}`);
      else if (!isEntry(file) && FLOORS[folderOf(target)]! > FLOORS[folderOf(file)]!)
        out.push(`${file} (${folderOf(file)}) imports ${target} (${folderOf(target)})`);
    }
  return out;
}

describe('src/ folders', () => {
  const g = graph();

  it('every file is in a folder with a floor', () => {
    expect(Object.keys(g).filter((f) => FLOORS[folderOf(f)] === undefined)).toEqual([]);
  });

  it('every import goes to the same folder or a lower one, and none to an entry point', () => {
    expect(problems(g)).toEqual([]);
  });

  it('an engine importing the CLI is caught', () => {
    const seeded = { ...g, 'engine/explore.ts': [...g['engine/explore.ts']!, 'cli/output.ts'] };
    expect(problems(seeded)).toEqual(['engine/explore.ts (engine) imports cli/output.ts (cli)']);
  });
});
