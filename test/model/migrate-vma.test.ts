// migrate_vma before 60bae7370896: a migration whose deferred flush is its own, unseen by
// flush_tlb_batched_pending(), so madvise(MADV_DONTNEED) returns while a CPU still caches
// the page. The race of the fix's commit message, step by step, and its fixed twin.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState } from '../../model/state.js';
import { jobPolicyProblem } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, migrate, store, variant } from '../support.js';

const world = initialState(CONFIGS['tiny-zap']);
const buggy = variant('migrate-vma-v5.19-flush-after-unlock');
const fixed = variant('migrate-vma');
const batched = variant('migrate-batched');
const dontneed: Action = { op: 'syscall', task: 1, call: 'madvise_dontneed', mm: 0, vpages: [0] };

// CPU 1 caches p0 writable; T0 (CPU 0) replaces the PTE with a migration entry.
const collected = [store(1, 0, 1), migrate(0, 0, [0]), kstep(0)];

describe('migrate_vma_collect_pmd() before 60bae7370896', () => {
  it('owes a flush that mm->tlb_flush_batched does not announce', () => {
    const s = finalState(buggy, world, collected);
    expect(s.tasks[0]!.tlb_ubc.flush_required).toBe(true);
    expect(s.mms[0]!.tlb_flush_batched).toBe(false);
    expect(tlbLookup(s, 1, 0, 0)).not.toBeNull();
    // migrate_pages() defers through tlb_ubc and says so
    expect(finalState(batched, initialState(CONFIGS.syscalls), collected).mms[0]!.tlb_flush_batched).toBe(
      true,
    );
  });

  it('lets madvise(MADV_DONTNEED) return with the discarded page still cached on CPU 1', () => {
    const race = [...collected, dontneed, kstep(1), kstep(1), kstep(1)];
    const returned = finalState(buggy, world, race);
    expect(returned.tasks[1]!.job).toBe('idle');
    expect(returned.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(tlbLookup(returned, 1, 0, 0)).not.toBeNull();
    // the page now reads zero, but CPU 1 would still load the 1 it stored
    const invariants = [findInvariant('loadsSeeLastStore')!];
    const r = replay(buggy, CONFIGS['tiny-zap'], race, { invariants });
    expect(r.violation?.invariant.id).toBe('loadsSeeLastStore');
    expect(r.violation?.atStep).toBe(race.length);
  });

  it('lets munmap() return while CPU 1 can still store to the unmapped page', () => {
    const race = [...collected, { ...dontneed, call: 'munmap' } as Action, kstep(1), kstep(1), kstep(1)];
    expect(finalState(buggy, world, race).tasks[1]!.job).toBe('idle');
    const invariants = [findInvariant('noAccessAfterRevoke')!];
    const r = replay(buggy, CONFIGS['tiny-zap'], [...race, store(1, 0, 1)], { invariants });
    expect(r.violation?.invariant.id).toBe('noAccessAfterRevoke');
    expect(r.violation?.atStep).toBe(race.length + 1);
  });

  it('is closed by flushing under the PTL: the same steps leave no entry behind', () => {
    const race = [...collected, dontneed, kstep(1), kstep(1), kstep(1)];
    const returned = finalState(fixed, world, race);
    expect(returned.tasks[1]!.job).toBe('idle');
    expect(tlbLookup(returned, 1, 0, 0)).toBeNull();
    const r = replay(fixed, CONFIGS['tiny-zap'], [...race, store(1, 0, 1)]);
    expect(r.disabledAt).toBeNull();
    expect(r.violation).toBeNull();
  });
});

describe('setsTlbFlushBatched', () => {
  it('must be true or false where a file sets it', () => {
    const job = { batchFlush: true, deferDirty: true, program: [{ once: 'try_to_unmap_flush' }] };
    expect(jobPolicyProblem({ ...job, setsTlbFlushBatched: 'no' })).toMatch(/setsTlbFlushBatched/);
    expect(jobPolicyProblem({ ...job, setsTlbFlushBatched: false })).toBeNull();
    expect(jobPolicyProblem(job)).toBeNull();
  });
});
