// Every seeded bug is caught, by every invariant it is expected to break, with a short
// counterexample that replays; every invariant catches at least one seeded bug.

import { describe, expect, it } from 'vitest';
import { worldConfig } from '../../model/config.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { runRandom } from '../../src/engine/random.js';
import { replay } from '../../src/engine/trace.js';

const SEED = 1;
const RUNS = 3000;
const seeded = VARIANTS.filter((v) => v.violates.length > 0);

/**
 * Shortest counterexample lengths, as the exhaustive explorer finds them in each variant's
 * world (`small` ones the same on `tiny`), each at most 16. A changed number is a signal to
 * investigate (the model changed), not one to update. The random engine's minimised
 * counterexamples must be no shorter, and at most 20.
 */
const SHORTEST: Record<string, Record<string, number>> = {
  'migrate-batched-wrong-copy-before-flush': { noLostWrite: 7, loadsSeeLastStore: 7 },
  'migrate-batched-wrong-remap-before-flush': {
    noStaleWritableTlbAfterRemap: 5,
    noLostWrite: 6,
    loadsSeeLastStore: 6,
  },
  'reclaim-batched-wrong-free-before-flush': {
    noAccessToFreedFrame: 4,
    loadsSeeLastStore: 5,
    noLostWrite: 7,
  },
  'reclaim-batched-dirty-wrong-no-flush-dirty': {
    noLostWrite: 7,
    loadsSeeLastStore: 7,
    dirtyNeverDroppedClean: 7,
  },
  'reclaim-batched-wrong-no-dirty-trap': {
    dirtyBitWriteThroughTrap: 4,
    dirtyNeverDroppedClean: 6,
    noLostWrite: 6,
    loadsSeeLastStore: 6,
  },
  'reclaim-batched-dirty-v4.12-no-batched-pending': {
    noAccessAfterRevoke: 7,
    loadsSeeLastStore: 7,
    noLostWrite: 8,
  },
  // after MADV_DONTNEED returns, CPU 0 still reads the zapped page through its entry
  'reclaim-batched-dirty-batched-flag-race': {
    noAccessAfterRevoke: 11,
    loadsSeeLastStore: 11,
    noLostWrite: 12,
  },
  'migrate-vma-v5.19-flush-after-unlock': {
    noAccessAfterRevoke: 8,
    loadsSeeLastStore: 7,
    noLostWrite: 8,
  },
  'reclaim-batched-dirty-arm64-v6.6-dsb-batched-pending': {
    noAccessAfterRevoke: 7,
    loadsSeeLastStore: 7,
    noLostWrite: 8,
  },
  migrc: {
    noStaleWritableTlbAfterRemap: 9,
    loadsSeeLastStore: 13,
    noLostWrite: 15,
    noLeakedFrame: 14,
  },
  'migrc-wrong-free-src-early': { noAccessToFreedFrame: 12, loadsSeeLastStore: 13 },
  'migrc-wrong-defer-writable': { noStaleWritableTlbAfterRemap: 7, noLostWrite: 8, loadsSeeLastStore: 8 },
  'migrc-wrong-no-wp-fault-flush': { loadsSeeLastStore: 13 },
  'migrc-wrong-fork-write-protect': {
    noStaleWritableTlbAfterRemap: 9,
    noLostWrite: 10,
    loadsSeeLastStore: 10,
  },
  'migrc-wrong-no-direct-write-flush': { loadsSeeLastStore: 15 },
  // migrc-shared-file: mm 1's writable mapping, flushed at once, goes uncounted; mm 0's
  // read-only one is deferred to the request, and mm 1 stores into dst with no fault
  'migrc-v3-local-writable-unseen': { loadsSeeLastStore: 9 },
  // migrc-gen-wrap: one generation past the wrap, arch_migrc_adj() skips CPU 0, and the
  // flush on the write fault frees src under its entry
  'migrc-v3-gen-wrap': { noAccessToFreedFrame: 11, loadsSeeLastStore: 12 },
  // migrc-move-fail: munmap() zaps the migration entry, the move fails, and src keeps
  // migrc's reference with nothing left to drop it
  'migrc-v3-move-fail-leak': { noLeakedFrame: 12 },
  'batch-copy': { noLostWrite: 10, loadsSeeLastStore: 10, dirtyNeverDroppedClean: 10 },
  // CVE-2025-37964 (tiny-pcid): the older order opens a window before LOADED_MM_SWITCHING
  // is written, one step sooner to reach than the one after it
  'x86-pcid-v6.14-switching-window': { noAccessToFreedFrame: 8, noAccessAfterRevoke: 12 },
  'x86-pcid-v6.15-rc5-switching-skipped': { noAccessToFreedFrame: 7, noAccessAfterRevoke: 10 },
  'x86-pcid-stable-switching-after-tlb-gen': { noAccessToFreedFrame: 8, noAccessAfterRevoke: 12 },
  // pcid-reclaim: the lazy CPU returns and reads the freed frame, then the page's new contents elsewhere
  'reclaim-batched-dirty-pcid-wrong-no-tlb-gen-bump': { noAccessToFreedFrame: 5, loadsSeeLastStore: 6 },
  'reclaim-batched-dirty-pcid-tip-2022-tlb-gen-zero': { noAccessToFreedFrame: 5, loadsSeeLastStore: 6 },
  // tiny-fork-cow: CPU 0's store through the entry fork() has not flushed lands in the
  // folio CPU 1's fault has already copied
  'fork-cow-v6.4-fault-during-fork': { noLostWrite: 6, loadsSeeLastStore: 6 },
  // the installed copy leaves CPU 0 reading the child's folio, then missing CPU 1's store
  'fork-cow-wrong-no-cow-flush': { noAccessToFreedFrame: 7, loadsSeeLastStore: 8 },
  // fork-cow-three-cpus: CPU 2 stores through the new PTE before the flush reaches CPU 0
  'fork-cow-v2.6.18-set-before-flush': { loadsSeeLastStore: 8 },
  // tiny-shared-file: the flusher cleans the folio while CPU 0 still caches it writable and
  // dirty, CPU 0 stores through the entry, reclaim drops the folio; mapped and read again
  // two steps later
  'shared-file-wrong-no-mkclean-flush': {
    noLostWrite: 8,
    loadsSeeLastStore: 10,
    dirtyNeverDroppedClean: 8,
    // mprotect(PROT_READ) finds the PTE read-only already and flushes nothing
    noAccessAfterRevoke: 7,
  },
  // tiny-private-file: write(2) changes the file between wp_page_copy()'s copy and its
  // install, and CPU 1 reads the file through its unflushed entry, not the copy; or, once
  // written back, the page cache drops the folio under that entry
  'private-file-wrong-no-cow-flush': { loadsSeeLastStore: 4, noAccessToFreedFrame: 7 },
  'shared-file-v6.1-rmap-before-flush': { noLostWrite: 9, loadsSeeLastStore: 11, dirtyNeverDroppedClean: 9 },
  // and a hole punched by one thread defers the flush of a PTE another thread's mprotect() finds gone
  'shared-file-v3.14-flush-after-unlock': {
    noLostWrite: 8,
    loadsSeeLastStore: 10,
    dirtyNeverDroppedClean: 8,
    noAccessAfterRevoke: 8,
  },
};

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
    for (const id of variant.violates.filter((i) => !variant.explorerOnly?.includes(i))) {
      it(`${variant.id} is caught by ${id} (random engine)`, () => {
        const invariant = findInvariant(id)!;
        const config = worldConfig(variant.world, 'random');
        const runs = Math.max(RUNS, variant.randomRuns ?? 0);
        const r = runRandom(variant, config, [invariant], { runs, seed: SEED });
        expect(r.failure, 'no counterexample found').not.toBeNull();
        const f = r.failure!;
        expect(f.invariant.id).toBe(id);
        // fast-check's shrinker and the minimiser do not always reach the shortest
        expect(f.actions.length).toBeLessThanOrEqual(20);
        expect(f.actions.length).toBeGreaterThanOrEqual(SHORTEST[variant.id]![id]!);
        // It replays exactly, with no action skipped, and breaks at its last step.
        const again = replay(variant, config, f.actions, { invariants: [invariant] });
        expect(again.disabledAt).toBeNull();
        expect(again.violation?.invariant.id).toBe(id);
        expect(again.violation?.atStep).toBe(f.actions.length);
      });
    }
});

describe('shortest counterexamples (exhaustive engine)', () => {
  for (const variant of seeded)
    for (const id of variant.violates)
      it(`${variant.id} breaks ${id} in ${SHORTEST[variant.id]![id]} steps at the fewest`, () => {
        const config = worldConfig(variant.world, 'exhaustive');
        const r = explore(variant, config, { invariants: [findInvariant(id)!] });
        expect(r.violation?.invariant.id).toBe(id);
        expect(r.violation?.actions.length).toBe(SHORTEST[variant.id]![id]);
        expect(r.violation?.replay.violation?.atStep).toBe(SHORTEST[variant.id]![id]);
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
