// Every seeded bug is caught, by every invariant it is expected to break, with a short
// counterexample that replays; every invariant catches at least one seeded bug. (The few
// the random engine needs more than 4,000 runs for are in seeded-bugs-rare.full.test.ts.)

import { describe, expect, it } from 'vitest';
import { worldConfig } from '../../model/config.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { replay } from '../../src/engine/trace.js';
import { ownRows } from '../support.js';
import { caughtByRandom, rare } from './seeded-bug-case.js';

const seeded = VARIANTS.filter((v) => v.violates.length > 0);

/**
 * Shortest counterexample lengths, as the exhaustive explorer finds them in each variant's
 * world: the explorer rows of expected/manifest.json (`shootdown manifest`), each at most
 * 16. A changed number is a signal to investigate (the model changed), not one to update.
 * The random engine's minimised counterexamples must be no shorter, and at most 20.
 */
const SHORTEST: Record<string, Record<string, number>> = Object.fromEntries(
  ownRows()
    .filter((r) => r.engine === 'exhaustive')
    .map((r) => [
      r.protocol,
      Object.fromEntries(
        Object.entries(r.invariants).flatMap(([id, c]) => (c.verdict === 'violated' ? [[id, c.length]] : [])),
      ),
    ])
    .filter(([, lengths]) => Object.keys(lengths as object).length > 0),
);

describe('seeded bugs', () => {
  it('each has a fixed twin that holds everything it breaks', () => {
    for (const v of seeded) expect(findVariant(v.fixedBy ?? '')?.violates, v.id).toEqual([]);
  });

  it('every shortest counterexample is at most 16 steps', () => {
    for (const lengths of Object.values(SHORTEST))
      for (const n of Object.values(lengths)) expect(n).toBeLessThanOrEqual(16);
  });

  it('there are the seeded and historical bugs with pinned lengths', () => {
    expect(seeded.map((v) => v.id).sort()).toEqual(Object.keys(SHORTEST).sort());
  });

  it('every invariant is expected to catch at least one seeded bug', () => {
    for (const inv of INVARIANTS)
      expect(
        seeded.some((v) => v.violates.includes(inv.id)),
        inv.id,
      ).toBe(true);
  });

  for (const variant of seeded)
    for (const id of variant.violates.filter((i) => !variant.explorerOnly?.includes(i) && !rare(variant, i)))
      it(`${variant.id} is caught by ${id} (random engine)`, () => {
        caughtByRandom(variant, id);
      });
});

describe('pinned shortest counterexamples, one per invariant', () => {
  const k = { op: 'kernelStep', task: 0 } as const;
  const cases = [
    {
      variant: 'migrate-batched-wrong-remap-before-flush',
      invariant: 'noStaleWritableTlbAfterRemap',
      actions: [
        { op: 'load', cpu: 0, vpage: 0 },
        { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
        k,
        k,
        k,
      ],
    },
    {
      variant: 'reclaim-batched-wrong-no-dirty-trap',
      invariant: 'dirtyBitWriteThroughTrap',
      actions: [
        { op: 'load', cpu: 1, vpage: 0 },
        { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
        k,
        { op: 'store', cpu: 1, vpage: 0, value: 1 },
      ],
    },
    {
      variant: 'migrate-batched-wrong-copy-before-flush',
      invariant: 'noLostWrite',
      actions: [
        { op: 'store', cpu: 1, vpage: 0, value: 1 },
        { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
        k,
        k,
        { op: 'store', cpu: 1, vpage: 0, value: 2 },
        k,
        k,
      ],
    },
    {
      variant: 'migrate-batched-wrong-copy-before-flush',
      invariant: 'loadsSeeLastStore',
      actions: [
        { op: 'store', cpu: 1, vpage: 0, value: 1 },
        { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
        k,
        k,
        { op: 'store', cpu: 1, vpage: 0, value: 2 },
        k,
        k,
      ],
    },
    {
      variant: 'reclaim-batched-wrong-free-before-flush',
      invariant: 'noAccessToFreedFrame',
      actions: [
        { op: 'load', cpu: 1, vpage: 0 },
        { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
        k,
        k,
      ],
    },
    {
      variant: 'reclaim-batched-dirty-wrong-no-flush-dirty',
      invariant: 'dirtyNeverDroppedClean',
      actions: [
        { op: 'store', cpu: 1, vpage: 0, value: 1 },
        { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
        k,
        k,
        { op: 'store', cpu: 1, vpage: 0, value: 2 },
        k,
        k,
      ],
    },
    {
      // 3ea277194daa's race: mprotect() finds the PTE reclaim cleared and returns with
      // CPU 0 still caching a writable entry.
      variant: 'reclaim-batched-dirty-v4.12-no-batched-pending',
      invariant: 'noAccessAfterRevoke',
      actions: [
        { op: 'store', cpu: 0, vpage: 0, value: 1 },
        { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
        k,
        { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 0, vpages: [0] },
        { op: 'kernelStep', task: 1 },
        { op: 'kernelStep', task: 1 },
        { op: 'store', cpu: 0, vpage: 0, value: 1 },
      ],
    },
    {
      // migrc v3: a write fault unpends dst before migrc_expand_req(), which then no longer
      // sees the marked pair; src keeps its extra reference and joins no request.
      variant: 'migrc',
      invariant: 'noLeakedFrame',
      actions: [
        { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
        { op: 'syscall', task: 1, call: 'clear_refs', mm: 0, vpages: [0] },
        { op: 'kernelStep', task: 1 },
        k,
        k,
        k,
        k,
        k,
        { op: 'kernelStep', task: 1 },
        { op: 'kernelStep', task: 1 },
        { op: 'store', cpu: 0, vpage: 0, value: 1 },
        k,
        k,
        k,
      ],
    },
  ] as const;

  for (const c of cases)
    it(`${c.variant} breaks ${c.invariant} in ${c.actions.length} steps`, () => {
      const variant = findVariant(c.variant)!;
      const config = worldConfig(variant.world, 'exhaustive');
      const r = replay(variant, config, c.actions, { invariants: [findInvariant(c.invariant)!] });
      expect(r.disabledAt).toBeNull();
      expect(r.violation?.invariant.id).toBe(c.invariant);
      expect(r.violation?.atStep).toBe(c.actions.length);
      // and the correct twin survives the same schedule
      const twin = findVariant(variant.fixedBy!)!;
      const safe = replay(twin, config, c.actions, { invariants: INVARIANTS, skipDisabled: true });
      expect(safe.violation).toBeNull();
    });

  it('covers every invariant', () => {
    expect(new Set(cases.map((c) => c.invariant))).toEqual(new Set(INVARIANTS.map((i) => i.id)));
  });
});
