// mm/rmap.c's pieces one by one, on states built for each case: what try_to_unmap_one()
// leaves alone, where a deferred flush is kept, when try_to_unmap_flush_dirty() and
// flush_tlb_batched_pending() flush, and arm64's DSBs, which complete only the TLBIs of
// tasks on the CPU that issues them, and only on the CPUs those TLBIs went to.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import {
  afterSwitchDsb,
  batchedPendingFlush,
  batchedPendingReset,
  flush_tlb_batched_pending,
  localTlbisPending,
  set_tlb_ubc_flush_pending,
  switchToDsb,
  try_to_unmap_flush_dirty,
  unmapOne,
} from '../../model/rmap.js';
import { emptyTlbUbc, initialState, type State } from '../../model/state.js';
import type { MigrcPolicy } from '../../model/variant.js';
import { ARM64, type JobPolicy, X86 } from '../../model/variant.js';
import { clean, present, readOnly, variant, withFlushPending, withPte, withTlb } from '../support.js';

const recipe = (s: State, f: (d: Draft<State>) => void): State => produce(s, f);
const tiny = initialState(CONFIGS.tiny);
const deferring: JobPolicy = {
  batchFlush: true,
  deferDirty: true,
  program: [{ once: 'try_to_unmap_flush' }],
};
const migrc: MigrcPolicy = variant('migrc').policy.migrc!;
// CPU 1 caches p0; task 0 (on CPU 0) has deferred the flush for CPUs 0 and 1
const cached = withTlb(withFlushPending(tiny, 0, 0b11), 1, 0, 0, clean(0));

describe('try_to_unmap_one()', () => {
  const folio = { mm: 0, vpage: 0, src: 0, dst: -1 };

  it('leaves a PTE it no longer finds src behind untouched: zapped, or mapping another frame', () => {
    const zapped = withPte(tiny, 0, 0, { kind: 'none' });
    expect(
      recipe(zapped, (d) => void unmapOne(d, { job: deferring, arch: X86, migrc: null }, 0, folio, 'none')),
    ).toEqual(zapped);
    // a migration entry for src is not a mapping try_to_unmap() walks to (isolation keeps a
    // second batch off the folio; this is the walk's own rule)
    const entry = withPte(tiny, 0, 0, { kind: 'migration', frame: 0, writable: true, dirty: false });
    expect(
      recipe(entry, (d) => void unmapOne(d, { job: deferring, arch: X86, migrc: null }, 0, folio, 'none')),
    ).toEqual(entry);
    const other = withPte(tiny, 0, 0, present(2));
    expect(
      recipe(
        other,
        (d) => void unmapOne(d, { job: deferring, arch: X86, migrc: null }, 0, folio, 'migration'),
      ),
    ).toEqual(other);
  });

  it('keeps a folio lazily freed and written since swap-backed; a clean one stays lazy', () => {
    const lazy = recipe(tiny, (d) => {
      d.frames[0]!.lazyfree = true;
    });
    const dirty = withPte(lazy, 0, 0, present(0, true, true));
    expect(
      recipe(dirty, (d) => void unmapOne(d, { job: deferring, arch: X86, migrc: null }, 0, folio, 'none'))
        .frames[0]!.lazyfree,
    ).toBeUndefined();
    const cleanPte = withPte(lazy, 0, 0, present(0, true, false));
    expect(
      recipe(cleanPte, (d) => void unmapOne(d, { job: deferring, arch: X86, migrc: null }, 0, folio, 'none'))
        .frames[0]!.lazyfree,
    ).toBe(true);
  });

  describe('under migrc, the deferred flush goes apart (tlb_ubc_nowr) only for a migration of a read-only PTE', () => {
    const ro = withPte(tiny, 0, 0, present(0, false));
    const rw = withPte(tiny, 0, 0, present(0, true));
    const where = (s: State, leave: 'none' | 'migration') => {
      const t = recipe(s, (d) => void unmapOne(d, { job: deferring, arch: X86, migrc }, 0, folio, leave))
        .tasks[0]!;
      return { ubc: t.tlb_ubc.flush_required, nowr: t.tlb_ubc_nowr.flush_required };
    };

    it('a migration of a read-only PTE', () =>
      expect(where(ro, 'migration')).toEqual({ ubc: false, nowr: true }));
    it('not reclaim, even of a read-only PTE', () =>
      expect(where(ro, 'none')).toEqual({ ubc: true, nowr: false }));
    it('not a writable PTE (migrc_cond2)', () =>
      expect(where(rw, 'migration')).toEqual({ ubc: true, nowr: false }));
  });
});

describe('set_tlb_ubc_flush_pending()', () => {
  const twoMms = initialState(
    defineConfig({ ...CONFIGS['two-mms'], name: 'two-mms-two-tasks', taskCpus: [0, 1] }),
  );
  /** Task 1 is between the flush and the reset of flush_tlb_batched_pending() for `mm`. */
  const inWindow = (mm: number) =>
    recipe(twoMms, (d) => {
      d.tasks[1]!.job = 'mprotect_ro';
      d.tasks[1]!.folios = [{ mm, vpage: 0, src: -1, dst: -1 }];
      d.tasks[1]!.batched_clear = 1;
    });

  it('invalidates a window open on the same mm, not one on another mm', () => {
    const defer = (s: State) => recipe(s, (d) => set_tlb_ubc_flush_pending(d, 0, 0, false, false, true, X86));
    expect(defer(inWindow(0)).tasks[1]!.batched_clear).toBe(2);
    expect(defer(inWindow(1)).tasks[1]!.batched_clear).toBe(1);
  });

  it('announces the flush in mm->tlb_flush_batched only when asked to', () => {
    const marked = recipe(tiny, (d) => set_tlb_ubc_flush_pending(d, 0, 0, false, false, true, X86));
    const unmarked = recipe(tiny, (d) => set_tlb_ubc_flush_pending(d, 0, 0, false, false, false, X86));
    expect(marked.mms[0]!.tlb_flush_batched).toBe(true);
    expect(unmarked.mms[0]!.tlb_flush_batched).toBe(false);
    expect(unmarked.tasks[0]!.tlb_ubc).toEqual(marked.tasks[0]!.tlb_ubc);
  });
});

describe('try_to_unmap_flush_dirty()', () => {
  it('does not flush when no deferred entry may be writable', () => {
    const after = recipe(cached, (d) => try_to_unmap_flush_dirty(d, X86, 0));
    expect(tlbLookup(after, 1, 0, 0)).toEqual(clean(0));
    expect(after.tasks[0]!.tlb_ubc.flush_required).toBe(true);
  });

  it('flushes every CPU in the batch when one may be', () => {
    const writable = recipe(cached, (d) => {
      d.tasks[0]!.tlb_ubc = { ...d.tasks[0]!.tlb_ubc, writable: true };
    });
    const after = recipe(writable, (d) => try_to_unmap_flush_dirty(d, X86, 0));
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(after.tasks[0]!.tlb_ubc).toEqual(emptyTlbUbc);
  });
});

describe('flush_tlb_batched_pending()', () => {
  const announced = recipe(cached, (d) => {
    d.mms[0]!.tlb_flush_batched = true;
  });

  it('flushes nothing when mm->tlb_flush_batched is clear', () => {
    const after = recipe(cached, (d) => flush_tlb_batched_pending(d, X86, 1, 0));
    expect(after).toEqual(cached);
  });

  it('otherwise flushes the whole mm everywhere and clears the flag; on x86 with IPIs', () => {
    const after = recipe(announced, (d) => flush_tlb_batched_pending(d, X86, 1, 0));
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(after.mms[0]!.tlb_flush_batched).toBe(false);
    expect(after.cost.ipis).toBe(1);
    expect(after.cost.fullFlushes).toBe(2);
  });

  it('on arm64 with broadcast TLBIs, no IPIs', () => {
    const after = recipe(announced, (d) => flush_tlb_batched_pending(d, ARM64, 1, 0));
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(after.cost.ipis).toBe(0);
  });

  it('as arm64 v6.6 had it, a DSB: completes the TLBIs of a task on the calling CPU, without IPIs', () => {
    const dsb = { ...ARM64, batchedPendingDsbOnly: true };
    const local = recipe(announced, (d) => batchedPendingFlush(d, dsb, 0, 0));
    expect(tlbLookup(local, 1, 0, 0)).toBeNull();
    expect(local.cost.ipis).toBe(0);
    // called on CPU 1, where no task issued them, it completes nothing
    expect(
      tlbLookup(
        recipe(announced, (d) => batchedPendingFlush(d, dsb, 1, 0)),
        1,
        0,
        0,
      ),
    ).toEqual(clean(0));
  });

  it("with a bool, a caller that found the flag clear does not reset one set since ('flag')", () => {
    const world = initialState(CONFIGS['syscalls-two-ptls']);
    const set = recipe(world, (d) => {
      d.tasks[1]!.job = 'mprotect_ro';
      d.tasks[1]!.folios = [{ mm: 0, vpage: 0, src: -1, dst: -1 }];
      // the first half found it clear (no batched_clear); reclaim deferred since
      d.mms[0]!.tlb_flush_batched = true;
    });
    expect(recipe(set, (d) => batchedPendingReset(d, 'flag', 1, 0)).mms[0]!.tlb_flush_batched).toBe(true);
  });
});

describe("arm64's context-switch DSB", () => {
  // CPUs 0 and 1 run mm 0, CPU 2 mm 1; task 0 on CPU 0 has TLBIs in flight to CPUs 0 and 1
  const world = initialState(
    defineConfig({
      name: 'three-cpus-two-mms',
      why: 'a CPU outside the batch',
      cpus: 3,
      cpuMm: [0, 0, 1],
      mms: 2,
      pages: 1,
      frames: 4,
      values: 1,
      taskCpus: [0, 1],
      batch: 1,
      ptesPerTable: 1,
    }),
  );
  let s = withFlushPending(world, 0, 0b011);
  s = withTlb(withTlb(withTlb(s, 0, 0, 0, clean(0)), 1, 0, 0, readOnly(0)), 2, 1, 0, clean(1));

  it('is due only on a CPU whose own task has TLBIs in flight, and only on arm64', () => {
    expect(localTlbisPending(s, ARM64, 0)).toBe(true);
    expect(localTlbisPending(s, ARM64, 1)).toBe(false);
    expect(localTlbisPending(s, ARM64, 2)).toBe(false);
    expect(localTlbisPending(s, X86, 0)).toBe(false);
  });

  it('completes them on the CPUs they went to and leaves every other TLB as it was', () => {
    for (const after of [afterSwitchDsb(s, ARM64, 0), recipe(s, (d) => switchToDsb(d, 0))]) {
      expect(tlbLookup(after, 0, 0, 0)).toBeNull();
      expect(tlbLookup(after, 1, 0, 0)).toBeNull();
      expect(after.cpus[2]!.tlb).toEqual(s.cpus[2]!.tlb);
      expect(tlbLookup(after, 2, 1, 0)).toEqual(clean(1));
    }
    // what the access sees is a copy: the state itself is unchanged
    expect(tlbLookup(s, 1, 0, 0)).toEqual(readOnly(0));
  });

  it('on a CPU with nothing in flight, the access sees the state as it is', () => {
    expect(afterSwitchDsb(s, ARM64, 2)).toBe(s);
    expect(recipe(s, (d) => switchToDsb(d, 1))).toEqual(s);
  });
});
