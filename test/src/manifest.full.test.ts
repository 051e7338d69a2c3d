// `shootdown manifest` on rows that take seconds each: --check of one protocol in every
// world it has rows in, and --update --world adding a row. (Every row of
// expected/manifest.json is recomputed by `npm run manifest`, which CI runs after both
// tiers; the explorer's own-world rows also by engines-agree.full.test.ts.)

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatManifest, isOwnRow, parseManifest, rowOf, rowOptions } from '../../src/check/manifest.js';
import { recordedManifest, runCliLines, variant } from '../support.js';

const manifest = recordedManifest();

const run = runCliLines;

describe('shootdown manifest, the slower cases', () => {
  it('--check of one protocol recomputes its rows, in other worlds too: exit 0, one line', async () => {
    const rows = manifest.rows.filter((r) => r.protocol === 'sync').length;
    expect(rows).toBeGreaterThan(2);
    const r = await run(['manifest', '--check', '--protocol', 'sync', '--jobs', '1']);
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      `expected/manifest.json: ${rows} rows, every one as recorded and as its protocol expects`,
    ]);
    expect(r.code).toBe(0);
  });

  it('--update --world adds a row of the protocol in that world, and --check then recomputes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-manifest-'));
    const file = join(dir, 'm.json');
    const sync = manifest.rows.filter(
      (r) => r.protocol === 'migrate-batched-wrong-copy-before-flush' && isOwnRow(r),
    );
    writeFileSync(file, formatManifest({ ...manifest, rows: sync }));
    const added = await run([
      'manifest',
      '--file',
      file,
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--update',
      '--world',
      'tiny-lifo',
      '--symmetry',
      '--max-states',
      '5000',
    ]);
    expect(added.err).toEqual([]);
    expect(added.out).toEqual([`wrote ${file}: 3 rows`]);
    const rows = parseManifest(readFileSync(file, 'utf8')).rows;
    const row = rows.find((r) => !isOwnRow(r))!;
    expect([row.world, row.symmetry, row.maxStates]).toEqual(['tiny-lifo', true, 5000]);
    // its own rows are as recorded; the new one is its own expectation
    expect(rows.filter(isOwnRow)).toEqual(sync);
    expect(Object.values(row.invariants).some((c) => c.verdict === 'violated')).toBe(true);
    const checked = await run([
      'manifest',
      '--file',
      file,
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--jobs',
      '1',
    ]);
    expect(checked.out).toEqual([`${file}: 3 rows, every one as recorded and as its protocol expects`]);
    expect(checked.code).toBe(0);
  });

  // .ci/run runs the main job (`npm run check`) on a few protocols only, since the manifest
  // step after it recomputes every protocol's random row: the same campaign, count for count.
  it.each([
    ['sync', 'holds everywhere'],
    ['batch-copy', 'violated at a run'],
    ['numa-v3.12-protnone-not-accessible', 'runs of its own'],
  ])('`check --protocol %s` runs the campaign of its random row (%s)', async (id) => {
    const r = await run(['check', '--protocol', id, '--json', '--reports', 'none']);
    expect(r.code).toBe(0);
    const document = JSON.parse(r.out.join('\n')) as { protocols: Parameters<typeof rowOf>[0][] };
    const recorded = manifest.rows.find((x) => x.protocol === id && x.engine === 'random')!;
    expect(rowOf(document.protocols[0]!, rowOptions(variant(id), 'random'))).toEqual(recorded);
  });
});
