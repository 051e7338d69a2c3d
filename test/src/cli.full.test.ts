// The command line's slower cases (npm run test:full): a variant file's own world searched
// with each engine, and colour decided by the environment of a real process (three
// processes, each loading the sources through tsx). The rest is cli.test.ts.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CheckDocument } from '../../src/check/check.js';
import { runCli } from '../support.js';

describe('shootdown check, the slower cases', () => {
  it('checks a variant in the world its file exports, with either engine or by --config', async () => {
    for (const argv of [
      ['--engine', 'exhaustive'],
      ['--runs', '300'],
      ['--runs', '300', '--config', 'my-three-cpus'],
    ]) {
      const r = await runCli('check', '--variant-file', 'test/fixtures/own-world.ts', ...argv, '--json');
      expect(r.code, argv.join(' ')).toBe(0);
      const doc = JSON.parse(r.out) as CheckDocument;
      expect(doc.protocols.map((p) => [p.protocol, p.config, p.ok])).toEqual([
        ['my-copy-before-flush', 'my-three-cpus', true],
      ]);
    }
  });

  it('colours a race report only when asked: FORCE_COLOR on, NO_COLOR off, a pipe plain', () => {
    const argv = [
      'bin/shootdown.mjs',
      'check',
      '--protocol',
      'reclaim-batched-wrong-no-dirty-trap',
      '--invariant',
      'dirtyBitWriteThroughTrap',
    ];
    const run = (env: Record<string, string>) =>
      spawnSync('node', argv, {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
      }).stdout;
    expect(run({})).not.toContain('\x1b[');
    expect(run({ FORCE_COLOR: '1' })).toContain('\x1b[31m>>');
    expect(run({ FORCE_COLOR: '1', NO_COLOR: '1' })).not.toContain('\x1b[');
  }, 60_000);
});
