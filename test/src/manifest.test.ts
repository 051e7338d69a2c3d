// The manifest of expected results (expected/manifest.json): one row per protocol and
// engine, each agreeing with what the protocol declares, and recomputed exactly for the
// cheap rows here (the full tier recomputes the explorer's own-world rows,
// engines-agree.full.test.ts, and `npm run manifest`, which CI runs, every row; the
// command's slower cases are in manifest.full.test.ts).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { checkVariant } from '../../src/check/check.js';
import {
  expectationProblems,
  formatManifest,
  isOwnRow,
  type Manifest,
  manifestDifferences,
  rowKey,
  rowOf,
  rowOptions,
} from '../../src/check/manifest.js';
import { ownRows, recordedManifest, runCliLines, variant } from '../support.js';

const manifest = recordedManifest();

const run = runCliLines;

describe('the recorded manifest', () => {
  it('has one own-world row per protocol and engine, and none for a protocol that is gone', () => {
    const keys = ownRows()
      .map((r) => `${r.protocol} ${r.engine}`)
      .sort();
    expect(keys).toEqual(VARIANTS.flatMap((v) => [`${v.id} exhaustive`, `${v.id} random`]).sort());
  });

  it('its other rows are the explorer’s, each in a named world', () => {
    const others = manifest.rows.filter((r) => !isOwnRow(r));
    expect(others.length).toBeGreaterThan(0);
    for (const r of others) {
      expect(r.engine, rowKey(r)).toBe('exhaustive');
      expect(Object.keys(CONFIGS), rowKey(r)).toContain(r.world);
      expect(VARIANTS.map((v) => v.id)).toContain(r.protocol);
    }
  });

  it('agrees with every protocol’s expectations, for both engines', () => {
    expect(expectationProblems(manifest)).toEqual([]);
  });

  it('is committed as formatManifest writes it: a row per line, sorted', () => {
    const text = readFileSync('expected/manifest.json', 'utf8');
    expect(formatManifest(manifest)).toBe(text);
    expect(text.split('\n')).toHaveLength(manifest.rows.length + 7);
  });

  it('a violation the protocol does not declare is named', () => {
    const row = ownRows().find((r) => r.protocol === 'sync' && r.engine === 'exhaustive')!;
    const seeded: Manifest = {
      ...manifest,
      rows: [{ ...row, invariants: { ...row.invariants, noLostWrite: { verdict: 'violated', length: 9 } } }],
    };
    expect(expectationProblems(seeded)).toEqual([
      'sync (exhaustive, tiny) noLostWrite: violated, but the protocol expects holds',
    ]);
  });
});

describe('recomputed', () => {
  // both engines on two protocols whose rows are cheap: a correct one and a seeded bug
  for (const id of ['sync', 'migrate-batched-wrong-copy-before-flush'])
    for (const engine of ['random', 'exhaustive'] as const)
      it(`${id} (${engine}) is as recorded`, () => {
        const recorded = ownRows().find((r) => r.protocol === id && r.engine === engine)!;
        const options = rowOptions(variant(id), engine, recorded.maxStates);
        const row = rowOf(checkVariant(variant(id), options), options);
        expect(manifestDifferences({ ...manifest, rows: [recorded] }, { ...manifest, rows: [row] })).toEqual(
          [],
        );
      });

  it('a changed count, a missing row and an extra one are each named', () => {
    const [a, b] = manifest.rows;
    const changed = {
      ...a!,
      invariants: { ...a!.invariants, noLostWrite: { verdict: 'holds' as const, runs: 1 } },
    };
    expect(manifestDifferences({ ...manifest, rows: [a!, b!] }, { ...manifest, rows: [changed] })).toEqual([
      expect.stringMatching(
        new RegExp(`^${a!.protocol} \\(${a!.engine}, ${a!.world}\\) noLostWrite: .* recorded, .* now$`),
      ),
      `${rowKey(b!)}: recorded, not computed`,
    ]);
  });
});

describe('shootdown manifest', () => {
  it('refuses a manifest with a malformed row in one line, naming the row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-manifest-'));
    const file = join(dir, 'm.json');
    const rows = [{ ...manifest.rows[0]!, invariants: { noLostWrite: { verdict: 'violated' } } }];
    writeFileSync(file, JSON.stringify({ ...manifest, rows }));
    const r = await run(['manifest', '--file', file]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `shootdown: ${file}: rows[0].invariants.noLostWrite.length: expected number, got nothing`,
    ]);
  });

  it('--world is for --update, and names a world it knows', async () => {
    const both = await run(['manifest', '--check', '--update']);
    expect([both.code, both.err]).toEqual([2, ['shootdown: --check and --update: give one']]);
    const alone = await run(['manifest', '--world', 'tiny']);
    expect([alone.code, alone.err]).toEqual([
      2,
      ['shootdown: --world, --symmetry and --max-states add rows: use them with --update'],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-manifest-'));
    const file = join(dir, 'm.json');
    writeFileSync(file, formatManifest(manifest));
    const unknown = await run([
      'manifest',
      '--file',
      file,
      '--update',
      '--protocol',
      'sync',
      '--world',
      'tiny-lfo',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toHaveLength(1);
    expect(unknown.err[0]).toMatch(
      /^shootdown: unknown world 'tiny-lfo' \(one of .*\) \(did you mean 'tiny-lifo'\?\)$/,
    );
    expect(readFileSync(file, 'utf8')).toBe(formatManifest(manifest));
  });

  it('--skip-own-explorer leaves each protocol’s own explorer row out of the check (not of --update)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-manifest-'));
    const file = join(dir, 'm.json');
    const [random, explorer] = (['random', 'exhaustive'] as const).map(
      (engine) => ownRows().find((r) => r.protocol === 'sync' && r.engine === engine)!,
    );
    // the explorer row is wrong: the check that skips it does not see it; the full one does
    const wrong = {
      ...explorer!,
      invariants: { ...explorer!.invariants, noLostWrite: { verdict: 'holds' as const, states: 1 } },
    };
    writeFileSync(file, formatManifest({ ...manifest, rows: [random!, wrong] }));
    const skipping = await run(['manifest', '--file', file, '--protocol', 'sync', '--skip-own-explorer']);
    expect([skipping.code, skipping.out.at(-1)]).toEqual([
      0,
      `${file}: 1 rows (each protocol’s own explorer row left out), every one as recorded and as its protocol expects`,
    ]);
    const update = await run(['manifest', '--file', file, '--update', '--skip-own-explorer']);
    expect([update.code, update.err]).toEqual([
      2,
      ['shootdown: --skip-own-explorer checks fewer rows: not with --update, which rewrites them all'],
    ]);
    expect(readFileSync(file, 'utf8')).toBe(formatManifest({ ...manifest, rows: [random!, wrong] }));
  });

  it('refuses a manifest with two rows for one protocol, engine and world', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-manifest-'));
    const file = join(dir, 'm.json');
    const rows = [manifest.rows[0]!, manifest.rows[0]!];
    writeFileSync(file, JSON.stringify({ ...manifest, rows }));
    const r = await run(['manifest', '--file', file]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`shootdown: ${file}: rows[1]: a second row for ${rowKey(rows[0]!)}`]);
  });

  it('refuses a file that is not a manifest in one line', async () => {
    const r = await run(['manifest', '--file', 'package.json']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['shootdown: package.json: not a shootdown-manifest of version 1']);
  });
});
