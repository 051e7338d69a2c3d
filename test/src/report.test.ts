// The race report's format, pinned on fixed counterexamples (snapshots under
// test/src/__snapshots__), and the parts a reader relies on.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import { checkVariant } from '../../src/check/check.js';
import { formatRaceReport } from '../../src/report/report.js';
import { copyBeforeFlush, reportInput, variant } from '../support.js';

const k = { op: 'kernelStep', task: 0 } as const;
const ESC = String.fromCharCode(27);

function reportOf(variantId: string, invariantId: string, actions: readonly Action[], color = false) {
  return formatRaceReport(reportInput(variant(variantId), invariantId, actions), { color });
}

describe('race report', () => {
  it('reads as the snapshot for copy-before-flush', async () => {
    const text = reportOf('migrate-batched-wrong-copy-before-flush', 'noLostWrite', copyBeforeFlush);
    await expect(text).toMatchFileSnapshot('__snapshots__/copy-before-flush.txt');
  });

  it('on a terminal: the same layout in colour, the failing row red, kernel steps cyan', async () => {
    const colored = reportOf('migrate-batched-wrong-copy-before-flush', 'noLostWrite', copyBeforeFlush, true);
    await expect(colored).toMatchFileSnapshot('__snapshots__/copy-before-flush.ansi.txt');
    // strip the colours and it is the plain report, character for character
    const plain = reportOf('migrate-batched-wrong-copy-before-flush', 'noLostWrite', copyBeforeFlush);
    expect(
      colored
        .split(ESC)
        .map((piece, i) => (i === 0 ? piece : piece.replace(/^\[\d+m/, '')))
        .join(''),
    ).toBe(plain);
    const failing = colored.split('\n').find((l) => l.includes('>>7'))!;
    expect(failing).toContain('\x1b[31m[T0] remove_migration_ptes(p0)\x1b[39m');
    expect(colored).toContain('\x1b[36m[T0] try_to_unmap_flush\x1b[39m');
  });

  it('reads as the snapshot for the missing dirty-bit trap', async () => {
    const text = reportOf('reclaim-batched-wrong-no-dirty-trap', 'dirtyBitWriteThroughTrap', [
      { op: 'load', cpu: 1, vpage: 0 },
      { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
      k,
      { op: 'store', cpu: 1, vpage: 0, value: 1 },
    ]);
    await expect(text).toMatchFileSnapshot('__snapshots__/no-dirty-trap.txt');
  });

  it('puts user steps in their CPU column, kernel steps in their task CPU column, and marks the failing row', () => {
    const lines = reportOf('migrate-batched-wrong-copy-before-flush', 'noLostWrite', copyBeforeFlush).split(
      '\n',
    );
    const rows = lines.filter((l) => /^(>>| {2})\d+ +\|/.test(l));
    expect(rows).toHaveLength(copyBeforeFlush.length);
    const cells = (row: string) => row.split('|').map((c) => c.trim());
    expect(cells(rows[0]!)[1]).toBe('');
    expect(cells(rows[0]!)[2]).toMatch(/^store p0 := 1/);
    expect(cells(rows[2]!)[1]).toBe('[T0] try_to_migrate_one(p0)');
    expect(cells(rows[5]!)[1]).toBe('[T0] try_to_unmap_flush');
    expect(cells(rows[5]!)[3]).toContain('1 IPI');
    expect(rows.filter((r) => r.startsWith('>>'))).toEqual([rows[6]]);
    expect(cells(rows[6]!)[1]).toBe('[T0] remove_migration_ptes(p0)');
  });

  it('ends with a replay line and a test that replays', () => {
    const text = reportOf('migrate-batched-wrong-copy-before-flush', 'noLostWrite', copyBeforeFlush);
    expect(text).toContain(
      'replay:  npx shootdown check --protocol migrate-batched-wrong-copy-before-flush --config small --invariant noLostWrite --seed 1',
    );
    const snippet = text.slice(text.indexOf('[\n') + 1, text.indexOf('  ]);'));
    const actions = Function(`return [${snippet}]`)() as Action[];
    expect(actions).toEqual(copyBeforeFlush);
  });

  it('the replay line reproduces the violation through the engine', () => {
    const r = checkVariant(variant('migrate-batched-wrong-copy-before-flush'), {
      config: CONFIGS.small,
      runs: 2000,
      seed: 1,
      invariants: [findInvariant('noLostWrite')!],
    });
    expect(r.invariants[0]!.verdict).toBe('violated');
  });
});
