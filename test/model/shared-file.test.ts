// A file mapped MAP_SHARED (Config.sharedFile): the page cache the mms share, write-notify
// faults, write(2), the flusher's folio_mkclean(), reclaim of clean unmapped pages, and
// zap_pte_range()'s force_flush with and without delay_rmap; and what the guards, the
// invariants, the encoding, the symmetry reduction and the reports make of them.

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, type Config, configProblem } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { fileValue, inIMmap, mapsFolio, pageCacheFrame } from '../../model/queries.js';
import { initialState, MAPPED_FILE, type State } from '../../model/state.js';
import { policyProblem } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { findTarget } from '../../properties/targets.js';
import { copyState, decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeStep, frameText } from '../../src/codec/format.js';
import { canonicalPermutation, relabel } from '../../src/engine/symmetry.js';
import { derived, drain, finalState, kstep, ksteps, load, run, store, variant } from '../support.js';

const fixed = variant('shared-file');
const v61 = variant('shared-file-v6.1-rmap-before-flush');
const v314 = variant('shared-file-v3.14-flush-after-unlock');
const noFlush = variant('shared-file-wrong-no-mkclean-flush');
const tiny: Config = CONFIGS['tiny-shared-file'];
const world: Config = CONFIGS['shared-file'];
const s0 = initialState(tiny);
const w0 = initialState(world);

const munmap: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] };
const writeback = (index: number): Action => ({ op: 'writeback', index });
const drop = (index: number): Action => ({ op: 'remove_mapping', index });
/** CPU 0 dirties the page (a write fault, then the store) and caches it writable and dirty. */
const dirtied: readonly Action[] = [store(0, 0, 1), store(0, 0, 1)];
const noLostWrite = findInvariant('noLostWrite')!;
const dropped = findInvariant('dirtyNeverDroppedClean')!;
const freed = findInvariant('noAccessToFreedFrame')!;

describe('a sharedFile world', () => {
  it('starts with one page-cache folio per page, mapped read-only by every mm, and the file on disk', () => {
    expect(w0.disk).toEqual([0, 0]);
    expect(w0.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b11 });
    // the page cache's reference and one per mm
    expect(w0.frames[1]!.refcount).toBe(3);
    expect(w0.frames[2]!.owner.kind).toBe('free');
    expect(w0.freeList).toEqual([2]);
    for (const mm of [0, 1])
      expect(w0.mms[mm]!.pte[1]).toEqual({
        kind: 'present',
        frame: 1,
        writable: false,
        dirty: false,
        accessed: false,
      });
    expect(initialState(CONFIGS.tiny).disk).toBeUndefined();
  });

  it('is checked as a config: a boolean, not with a fork child, PCID, fork() or MADV_FREE', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, sharedFile: 'yes' as unknown as boolean })).toBe(
      'sharedFile must be true or false',
    );
    expect(configProblem({ ...world, pcid: true })).toBe('sharedFile is not modelled with forkChild or pcid');
    expect(configProblem({ ...world, syscalls: ['munmap', 'fork'] })).toMatch(
      /^sharedFile worlds have no fork/,
    );
    expect(configProblem({ ...world, syscalls: ['madvise_free'] })).toMatch(
      /^sharedFile worlds have no fork/,
    );
    // one frame per page of the file, however many mms map it
    expect(configProblem({ ...world, frames: 2 })).toBeNull();
    expect(configProblem({ ...world, frames: 1 })).toMatch(
      /^frames must be a whole number from the pages mapped at the start \(2\)/,
    );
  });

  it('takes zapDirtyShared as one of three orders and mkcleanFlush as a boolean', () => {
    expect(policyProblem({ ...fixed.policy, zapDirtyShared: 'later' })).toBe(
      'policy.zapDirtyShared: "later" is not one of flush-then-rmap, rmap-then-flush, after-unlock',
    );
    expect(policyProblem({ ...fixed.policy, mkcleanFlush: 1 })).toBe(
      'policy.mkcleanFlush: expected boolean, got 1',
    );
    expect(policyProblem(v61.policy)).toBeNull();
    expect(fixed.policy.zapDirtyShared).toBeUndefined();
    expect(v61.policy.zapDirtyShared).toBe('rmap-then-flush');
    expect(v314.policy.zapDirtyShared).toBe('after-unlock');
    expect(noFlush.policy.mkcleanFlush).toBe(false);
  });
});

describe('faults on a shared file page', () => {
  it('a store to the read-only page takes a write fault that dirties the folio and maps it writable', () => {
    expect(accessOutcome(fixed.policy.arch, s0, 0, 0, true)).toMatchObject({
      kind: 'fault',
      handler: 'do_wp_page',
    });
    const s = finalState(fixed, s0, dirtied);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true, dirty: true });
    expect(s.frames[0]).toMatchObject({ data: 1, dirty: true });
    expect(tlbLookup(s, 0, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
  });

  it('a store in one mm is the last store to that page in every mm, and what the other mm loads', () => {
    const s = finalState(fixed, w0, [store(2, 1, 2), store(2, 1, 2)]);
    expect(s.ghost.memory.map((row) => row[1])).toEqual([2, 2]);
    expect(s.ghost.memory.map((row) => row[0])).toEqual([0, 0]);
    const after = next(fixed, s, load(0, 1));
    expect(tlbLookup(after, 0, 0, 1)?.frame).toBe(1);
    expect(findInvariant('loadsSeeLastStore')!.check(after)).toBeNull();
  });

  it('after munmap() and mmap() a read maps the cached folio read-only; after reclaim it reads the disk into a free frame', () => {
    const unmapped = finalState(fixed, s0, [munmap, ...ksteps(0, 5)]);
    expect(unmapped.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(unmapped.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0 });
    const mapped = next(fixed, unmapped, { op: 'mmap', mm: 0, vpages: [0] });
    const reread = next(fixed, mapped, load(0, 0));
    expect(reread.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false, dirty: false });
    expect(reread.frames[0]!.refcount).toBe(2);
    // evicted: the fault reads the disk into the frame the allocator hands out
    const gone = finalState(fixed, unmapped, [drop(0), { op: 'mmap', mm: 0, vpages: [0] }]);
    expect(gone.frames[0]!.owner.kind).toBe('free');
    expect(accessOutcome(fixed.policy.arch, gone, 0, 0, true)).toMatchObject({
      kind: 'fault',
      handler: 'filemap_fault',
      frame: 0,
    });
    // with the frame handed to someone else, the fault waits for memory
    const full = next(fixed, gone, { op: 'reuseFrame', frame: 0 });
    expect(accessOutcome(fixed.policy.arch, full, 0, 0, false)).toEqual({
      kind: 'wait',
      on: 'out of memory',
    });
    expect(enabled(fixed, full, load(0, 0))).toBe(false);
    const written = next(fixed, gone, store(0, 0, 2));
    expect(written.frames[0]).toMatchObject({ refcount: 2, dirty: true, data: 0 });
    expect(written.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true, dirty: true });
  });

  it('a refault finds the dirty folio still cached, or reads what the flusher wrote to disk, and maps it in the rmap', () => {
    const unmap = [munmap, ...ksteps(0, 6)] as const;
    const remap: Action = { op: 'mmap', mm: 0, vpages: [0] };
    const cached = finalState(fixed, s0, [...dirtied, ...unmap, remap, load(0, 0)]);
    expect(cached.frames[0]).toMatchObject({ data: 1, dirty: true, refcount: 2 });
    expect(cached.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 1 });
    // (written back, the PTE is clean: no force_flush step)
    const reread = finalState(fixed, s0, [
      ...dirtied,
      writeback(0),
      ...unmap.slice(0, 6),
      drop(0),
      remap,
      load(0, 0),
    ]);
    expect(reread.disk).toEqual([1]);
    expect(reread.frames[0]).toMatchObject({ data: 1, dirty: false, refcount: 2 });
    expect(reread.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 1 });
    expect(findInvariant('loadsSeeLastStore')!.check(reread)).toBeNull();
  });

  it('mmap() of the file keeps what the file holds, where anonymous mmap() would zero it', () => {
    const s = finalState(fixed, s0, [...dirtied, munmap, ...ksteps(0, 6)]);
    expect(s.ghost.promised[0]![0]).toBe('none');
    const mapped = next(fixed, s, { op: 'mmap', mm: 0, vpages: [0] });
    expect(mapped.ghost.memory[0]![0]).toBe(1);
    expect(describeStep(fixed, s, { op: 'mmap', mm: 0, vpages: [0] })).toBe('mmap(p0, MAP_SHARED, fd)');
  });
});

describe('write(2) to the file', () => {
  const write = (value: number): Action => ({ op: 'write', task: 1, vpage: 1, value });

  it('writes the page-cache folio and dirties it, for every mm, with no PTE involved', () => {
    const s = next(fixed, w0, write(2));
    expect(s.frames[1]).toMatchObject({ data: 2, dirty: true });
    expect(s.ghost.memory.map((row) => row[1])).toEqual([2, 2]);
    expect(s.mms[1]!.pte[1]).toEqual(w0.mms[1]!.pte[1]);
    expect(describeStep(fixed, w0, write(2))).toBe('write(fd, p1 := 2): page cache');
  });

  it('reads an evicted page in first, and waits when no frame is free', () => {
    const evicted = finalState(fixed, s0, [munmap, ...ksteps(0, 5), drop(0)]);
    const tinyWrite: Action = { op: 'write', task: 0, vpage: 0, value: 2 };
    // tiny-shared-file has no write(2) among its calls, but the guard is the model's
    expect(enabled(fixed, evicted, tinyWrite)).toBe(true);
    const s = next(fixed, evicted, tinyWrite);
    expect(pageCacheFrame(s, 0)).toBe(0);
    expect(s.frames[0]).toMatchObject({ data: 2, dirty: true, refcount: 1 });
    const taken = { ...evicted, freeList: [] };
    expect(enabled(fixed, taken, tinyWrite)).toBe(false);
  });
});

describe('the flusher: folio_clear_dirty_for_io()', () => {
  const cached = finalState(fixed, s0, dirtied);

  it('runs only on a dirty folio', () => {
    expect(enabled(fixed, s0, writeback(0))).toBe(false);
    expect(enabled(fixed, cached, writeback(0))).toBe(true);
    expect(enabled(fixed, cached, writeback(3))).toBe(false);
  });

  it('write-protects and cleans every mapping, flushes it, clears PG_dirty and writes the disk', () => {
    const s = next(fixed, cached, writeback(0));
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false, dirty: false });
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(s.frames[0]!.dirty).toBe(false);
    expect(s.disk).toEqual([1]);
    expect(s.cost.ipis - cached.cost.ipis).toBe(2);
    // the next store faults and dirties the folio again
    expect(accessOutcome(fixed.policy.arch, s, 0, 0, true)).toMatchObject({
      kind: 'fault',
      handler: 'do_wp_page',
    });
    expect(describeStep(fixed, cached, writeback(0))).toBe(
      'writeback p0: folio_clear_dirty_for_io (folio_mkclean), write to disk',
    );
  });

  it('without the flush (the seeded bug) leaves the writable entry cached', () => {
    const s = next(noFlush, cached, writeback(0));
    expect(s.mms[0]!.pte[0]).toMatchObject({ writable: false, dirty: false });
    expect(tlbLookup(s, 0, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
    expect(describeStep(noFlush, cached, writeback(0))).toMatch(/no flush/);
  });
});

describe('zap_pte_range() of a dirty shared PTE', () => {
  const zapped = (v: typeof fixed) => finalState(v, s0, [...dirtied, munmap, kstep(0)]);

  it('v6.2 on: keeps the PTL and the rmap until the force_flush, so the flusher and a fault wait', () => {
    const s = zapped(fixed);
    expect(s.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(s.tasks[0]!.folios[0]!.forceFlush).toBe(true);
    expect(mapsFolio(s.frames[0]!.owner, 0, 0)).toBe(true);
    expect(s.frames[0]!.dirty).toBe(true);
    expect(enabled(fixed, s, writeback(0))).toBe(false);
    expect(describeStep(fixed, s, kstep(0))).toBe('tlb_flush_mmu_tlbonly(p0)');
    const flushed = next(fixed, s, kstep(0));
    expect(tlbLookup(flushed, 0, 0, 0)).toBeNull();
    expect(flushed.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0 });
    expect(flushed.tasks[0]!.folios[0]!.forceFlush).toBeUndefined();
    expect(flushed.tasks[0]!.tlb_ubc.flush_required).toBe(false);
    expect(enabled(fixed, flushed, writeback(0))).toBe(true);
  });

  it('v3.15 to v6.1: removes the rmap before the force_flush, so the flusher does not wait', () => {
    const s = zapped(v61);
    expect(s.tasks[0]!.folios[0]!.forceFlush).toBe(true);
    expect(mapsFolio(s.frames[0]!.owner, 0, 0)).toBe(false);
    expect(enabled(v61, s, writeback(0))).toBe(true);
    // and the store through the entry the flush has yet to reach lands in the cleaned folio
    const cleaned = next(v61, next(v61, s, writeback(0)), store(0, 0, 2));
    expect(cleaned.frames[0]).toMatchObject({ data: 2, dirty: false });
  });

  it('up to v3.14: no force_flush; the flush waits for tlb_finish_mmu()', () => {
    const s = zapped(v314);
    expect(s.tasks[0]!.folios[0]!.forceFlush).toBeUndefined();
    expect(describeStep(v314, s, kstep(0))).toBe('free_pgtables');
    expect(describeStep(v314, finalState(v314, s, [kstep(0), kstep(0)]), kstep(0))).toBe('tlb_finish_mmu');
    expect(enabled(v314, s, writeback(0))).toBe(true);
  });

  it('a clean PTE needs no force_flush in any version: the dirty-bit trap covers its entry', () => {
    const clean = finalState(fixed, s0, [load(0, 0), munmap, kstep(0)]);
    expect(clean.tasks[0]!.folios[0]!.forceFlush).toBeUndefined();
    expect(mapsFolio(clean.frames[0]!.owner, 0, 0)).toBe(false);
  });

  it('a write fault on the page waits for the PTL the zap holds', () => {
    const madvise: Action = { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    const s = finalState(fixed, s0, [...dirtied, madvise, kstep(0)]);
    // the VMA stays, so without the PTL the store would fault the folio back in
    expect(accessOutcome(fixed.policy.arch, s, 1, 0, true).kind).toBe('fault');
    expect(enabled(fixed, s, store(1, 0, 2))).toBe(false);
    expect(enabled(fixed, next(fixed, s, kstep(0)), store(1, 0, 2))).toBe(true);
  });

  it('the PTL it keeps is one page table of one mm: faults elsewhere go on', () => {
    const zap = (config: Config) =>
      finalState(fixed, initialState(config), [
        store(0, 0, 1),
        store(0, 0, 1),
        // (madvise() holds mmap_lock for read only, so faults in mm 0 may run)
        { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] },
        kstep(0),
      ]);
    const oneTable = zap(world);
    expect(oneTable.tasks[0]!.folios[0]!.forceFlush).toBe(true);
    // page 1 of mm 0 shares the page table (ptesPerTable 2): its write fault waits
    expect(enabled(fixed, oneTable, store(0, 1, 2))).toBe(false);
    // mm 1's page 0 is under mm 1's own PTL
    expect(enabled(fixed, oneTable, store(2, 0, 2))).toBe(true);
    const twoTables = zap({ ...world, ptesPerTable: 1 });
    expect(enabled(fixed, twoTables, store(0, 1, 2))).toBe(true);
    // but the flusher, which must visit mm 0's mapping of page 0, waits either way
    expect(enabled(fixed, twoTables, writeback(0))).toBe(false);
  });

  it('madvise(MADV_DONTNEED) leaves the file as it was: the page still reads its contents', () => {
    const madvise: Action = { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    const s = finalState(fixed, s0, [...dirtied, madvise, ...ksteps(0, 4)]);
    expect(s.tasks[0]!.job).toBe('idle');
    expect(s.ghost.memory[0]![0]).toBe(1);
    expect(fileValue(s, 0)).toBe(1);
  });
});

describe('system calls that leave the file alone', () => {
  it('mmap(MAP_FIXED) over the file maps the file again: the page keeps its contents', () => {
    const fixedMap: Action = { op: 'syscall', task: 0, call: 'mmap_fixed', mm: 0, vpages: [0] };
    const s = finalState(fixed, s0, [...dirtied, fixedMap, ...ksteps(0, 4), load(0, 0)]);
    expect(s.tasks[0]!.job).toBe('idle');
    expect(s.ghost.memory[0]![0]).toBe(1);
    expect(findInvariant('loadsSeeLastStore')!.check(s)).toBeNull();
  });

  it('the return of madvise(MADV_DONTNEED) takes the last store from the ghost, not from the page', () => {
    const madvise: Action = { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    const before = finalState(fixed, s0, [...dirtied, madvise, ...ksteps(0, 3)]);
    // a lost store, planted: the page holds 2 where the last store wrote 1
    const planted: State = {
      ...before,
      frames: before.frames.map((f, i) => (i === 0 ? { ...f, data: 2 } : f)),
    };
    const returned = next(fixed, planted, kstep(0));
    expect(returned.tasks[0]!.job).toBe('idle');
    expect(returned.ghost.memory[0]![0]).toBe(1);
    expect(noLostWrite.check(returned)).not.toBeNull();
  });
});

describe('fallocate(PUNCH_HOLE) of a page', () => {
  const punch = (task: number, vpage: number, mm = 0): Action => ({
    op: 'syscall',
    task,
    call: 'punch_hole',
    mm,
    vpages: [vpage],
  });

  it('zaps the page in every mm, drops the folio, frees the block: the page reads zero', () => {
    const started = finalState(fixed, s0, [...dirtied, punch(0, 0)]);
    expect(started.tasks[0]!.folios).toEqual([{ mm: 0, vpage: 0, src: -1, dst: -1 }]);
    // while it runs: a fault on the page, write(2) and a second punch wait; a store
    // through the cached entry may land (it races with the call); mprotect() needs no file lock
    const zapped = next(fixed, started, kstep(0));
    expect(zapped.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(accessOutcome(fixed.policy.arch, zapped, 1, 0, false)).toEqual({
      kind: 'wait',
      on: 'invalidate_lock',
    });
    expect(enabled(fixed, started, { op: 'write', task: 1, vpage: 0, value: 2 })).toBe(false);
    expect(enabled(fixed, started, punch(1, 0))).toBe(false);
    expect(enabled(fixed, started, { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 0, vpages: [0] })).toBe(
      true,
    );
    const steps = run(fixed, started, [...ksteps(0, 5)]);
    const truncated = steps[3]!;
    expect(describeStep(fixed, truncated.pre, kstep(0))).toBe('truncate_inode_folio');
    expect(truncated.post.frames[0]!.owner.kind).toBe('free');
    expect(truncated.post.disk).toEqual([0]);
    // discarding the dirty page is the call's purpose, not a lost write
    expect(dropped.check(truncated.post, truncated)).toBeNull();
    expect(noLostWrite.check(truncated.post)).toBeNull();
    const done = steps.at(-1)!.post;
    expect(done.tasks[0]!.job).toBe('idle');
    expect(done.ghost.memory[0]![0]).toBe(0);
    expect(done.ghost.promised[0]![0]).toBe('rw');
    const reread = next(fixed, done, load(0, 0));
    expect(reread.frames[0]).toMatchObject({ data: 0, refcount: 2 });
    expect(findInvariant('loadsSeeLastStore')!.check(reread)).toBeNull();
    expect(describeStep(fixed, s0, punch(0, 0))).toBe('fallocate(fd, PUNCH_HOLE, p0)');
  });

  it('a munmap() of two pages unlinks after a walk of either page', () => {
    const both: Action = { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0, 1] };
    const s = finalState(fixed, w0, [both, kstep(1), kstep(1), punch(0, 1), kstep(1)]);
    expect(describeStep(fixed, s, kstep(1))).toBe('unlink_file_vma');
    const queued = next(fixed, s, kstep(1)); // RWSEM_WAIT_TIMEOUT: the handoff
    expect(enabled(fixed, queued, kstep(1))).toBe(false);
    const walked = finalState(fixed, queued, [...ksteps(0, 3)]);
    expect(describeStep(fixed, walked, kstep(0))).toBe('truncate_inode_folio');
    expect(enabled(fixed, walked, kstep(1))).toBe(true);
  });

  it('promises nothing for an mm whose VMA it did not find: that page is munmap()’s to flush', () => {
    // CPU 0 caches the page; munmap() from CPU 1 zaps it and unlinks the VMA; a hole punched
    // from CPU 0 finds no VMA and returns; CPU 0 loads through its entry before munmap()
    // has flushed, racing with the munmap() (the gather still holds the folio)
    const unmapByCpu1: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] };
    const steps = run(fixed, s0, [
      load(0, 0),
      unmapByCpu1,
      ...ksteps(0, 3),
      punch(1, 0),
      ...ksteps(1, 3),
      load(0, 0),
    ]);
    const last = steps.at(-1)!;
    expect(last.pre.tasks[1]!.job).toBe('idle');
    expect(last.pre.ghost.promised[0]![0]).toBe('rw');
    expect(findInvariant('noAccessAfterRevoke')!.check(last.post, last)).toBeNull();
    expect(freed.check(last.post)).toBeNull();
  });

  describe('i_mmap_rwsem: a munmap() queued to unlink against walks of i_mmap', () => {
    const zapped = finalState(fixed, w0, [
      { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] },
      ...ksteps(1, 2),
    ]);
    const walking = next(fixed, zapped, punch(0, 0));

    it('a walk may start ahead of the queued writer, which then times out and sets RWSEM_FLAG_HANDOFF', () => {
      expect(describeStep(fixed, zapped, kstep(1))).toBe('unlink_file_vma');
      expect(enabled(fixed, zapped, punch(0, 0))).toBe(true);
      expect(enabled(fixed, walking, kstep(1))).toBe(true);
      const queued = next(fixed, walking, kstep(1));
      expect(queued.tasks[1]!.handoff).toBe(true);
      expect(queued.tasks[1]!.pc).toEqual(walking.tasks[1]!.pc);
      expect(enabled(fixed, queued, kstep(1))).toBe(false);
      // after the walk no new one of the page starts until the writer has unlinked; another page's may
      // (the punch's steps to its return: a zap of each mm, its flush, the truncation)
      const walked = drain(fixed, queued, 0);
      expect(walked.tasks[0]!.job).toBe('idle');
      expect(enabled(fixed, walked, punch(0, 0))).toBe(false);
      expect(enabled(fixed, walked, punch(0, 1))).toBe(true);
      const unlinked = next(fixed, walked, kstep(1));
      expect(unlinked.tasks[1]!.handoff).toBeUndefined();
      expect(describeStep(fixed, unlinked, kstep(1))).toBe('tlb_finish_mmu');
      expect(enabled(fixed, unlinked, punch(0, 0))).toBe(true);
    });

    it('without the handoff (a seeded liveness bug) the writer only waits, and walk after walk may overtake it', () => {
      const noHandoff = derived('shared-file-wrong-no-rwsem-handoff', fixed, { rwsemHandoff: false });
      expect(enabled(noHandoff, walking, kstep(1))).toBe(false);
      const walked = drain(noHandoff, walking, 0);
      expect(walked.tasks[0]!.job).toBe('idle');
      expect(walked.tasks[1]!.pc).toEqual(walking.tasks[1]!.pc);
      expect(enabled(noHandoff, walked, punch(0, 0))).toBe(true);
      expect(enabled(noHandoff, next(noHandoff, walked, punch(0, 0)), kstep(1))).toBe(false);
      expect(policyProblem({ ...fixed.policy, rwsemHandoff: 'no' })).toBe(
        'policy.rwsemHandoff: expected boolean, got "no"',
      );
    });
  });

  it('takes no mmap_lock: it starts while mprotect() or munmap() of the caller’s mm holds it for write', () => {
    const mprotect: Action = { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] };
    const locked = next(fixed, s0, mprotect);
    expect(enabled(fixed, locked, { op: 'syscall', task: 1, call: 'mprotect_rw', mm: 0, vpages: [0] })).toBe(
      false,
    );
    expect(enabled(fixed, locked, punch(1, 0))).toBe(true);
    const v412 = variant('shared-file-v4.12-nested-flush-miss');
    expect(enabled(v412, finalState(v412, s0, [munmap, kstep(0)]), punch(1, 0))).toBe(true);
  });

  it('is for a sharedFile world only, one page at a time, with a batch per mm', () => {
    expect(enabled(fixed, initialState(CONFIGS.tiny), punch(0, 0))).toBe(false);
    expect(enabled(fixed, s0, { op: 'syscall', task: 0, call: 'punch_hole', mm: 0, vpages: [0, 0] })).toBe(
      false,
    );
    expect(configProblem({ ...CONFIGS['tiny-syscalls'], syscalls: ['punch_hole'] })).toBe(
      'punch_hole needs a sharedFile world',
    );
    expect(configProblem({ ...world, batch: 1 })).toBe(
      'punch_hole zaps the page in every mm: batch must be at least mms (2)',
    );
  });

  it("a zap that finds the page already cleared by another's flushes the whole mm before returning (mm_tlb_flush_nested)", () => {
    // CPU 2 (mm 1) caches page 0 read-only; mm 1's munmap() clears its PTE and owes the
    // flush; the hole punched from mm 0 then finds mm 1's VMA still in i_mmap (the unlink
    // waits for the walk) and its PTE already none
    const s = finalState(fixed, w0, [
      load(2, 0),
      { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] },
      kstep(1),
      punch(0, 0),
      kstep(0),
      kstep(0),
      kstep(1),
      kstep(1), // queued behind the walk: RWSEM_FLAG_HANDOFF
    ]);
    expect(s.tasks[1]!.tlb_ubc.flush_required).toBe(true);
    expect(describeStep(fixed, s, kstep(1))).toBe('unlink_file_vma');
    expect(enabled(fixed, s, kstep(1))).toBe(false);
    expect(tlbLookup(s, 2, 1, 0)).not.toBeNull();
    expect(describeStep(fixed, s, kstep(0))).toBe('tlb_finish_mmu');
    const finished = next(fixed, s, kstep(0));
    expect(tlbLookup(finished, 2, 1, 0)).toBeNull();
    expect(finished.cost.fullFlushes - s.cost.fullFlushes).toBe(1);
    // the walk is over: munmap() may unlink its VMA now
    expect(enabled(fixed, finished, kstep(1))).toBe(true);
  });

  it('skips an mm whose munmap() has unlinked the VMA from i_mmap: no zap, no nested flush of it', () => {
    const unlinked = finalState(fixed, w0, [
      load(2, 0),
      { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] },
      ...ksteps(1, 3),
    ]);
    expect(inIMmap(unlinked, 1, 0)).toBe(false);
    expect(inIMmap(unlinked, 0, 0)).toBe(true);
    const steps = run(fixed, unlinked, [punch(0, 0), kstep(0), kstep(0)]);
    expect(steps.slice(1).map((x) => describeStep(fixed, x.pre, x.action))).toEqual([
      'zap_pte_range(p0)',
      'tlb_finish_mmu',
    ]);
    // the entry CPU 2 caches is munmap()'s to flush, and the folio its gather's to free
    expect(tlbLookup(steps.at(-1)!.post, 2, 1, 0)).not.toBeNull();
    expect(steps.at(-1)!.post.frames[0]!.refcount).toBeGreaterThan(1);
  });
});

describe('reclaim of a page-cache folio: __remove_mapping()', () => {
  it('takes only a clean folio that no mm maps and nothing else holds', () => {
    expect(enabled(fixed, s0, drop(0))).toBe(false); // mapped
    const gathered = finalState(fixed, s0, [load(0, 0), munmap, kstep(0)]);
    expect(enabled(fixed, gathered, drop(0))).toBe(false); // the mmu_gather holds it
    const done = finalState(fixed, gathered, [...ksteps(0, 4)]);
    expect(done.tasks[0]!.job).toBe('idle');
    expect(enabled(fixed, done, drop(0))).toBe(true);
    const dirty = finalState(fixed, s0, [...dirtied, munmap, ...ksteps(0, 5)]);
    expect(dirty.frames[0]!.dirty).toBe(true);
    expect(enabled(fixed, dirty, drop(0))).toBe(false);
    const written = next(fixed, dirty, writeback(0));
    const gone = next(fixed, written, drop(0));
    expect(gone.frames[0]!.owner.kind).toBe('free');
    expect(gone.freeList).toEqual([0]);
    expect(fileValue(gone, 0)).toBe(1);
    expect(noLostWrite.check(gone)).toBeNull();
    expect(dropped.check(gone, { pre: written, action: drop(0) })).toBeNull();
  });
});

describe('the invariants on a shared file', () => {
  /** The v6.1 race to its end: the store after the writeback is in a clean folio reclaim drops. */
  const race: readonly Action[] = [
    ...dirtied,
    munmap,
    kstep(0),
    writeback(0),
    store(0, 0, 2),
    ...ksteps(0, 5),
    drop(0),
  ];

  it('noLostWrite and dirtyNeverDroppedClean catch the lost store, and hold on the fixed twin', () => {
    const steps = run(v61, s0, race);
    const last = steps.at(-1)!;
    expect(noLostWrite.check(last.post)?.message).toBe(
      "the file's page 0 holds 1 in its disk block, but the last store wrote 2",
    );
    expect(dropped.check(last.post, last)?.message).toBe(
      "the page cache dropped the file's page 0 (frame 0) holding 2 with 1 on disk",
    );
    // before the drop, the page cache still has the store
    expect(noLostWrite.check(last.pre)).toBeNull();
    // and a dirty page the page cache keeps is no loss, however far it is from the disk
    const kept = steps.at(-2)!;
    expect(kept.post.frames[0]!.data).not.toBe(kept.post.disk![0]);
    expect(dropped.check(kept.post, kept)).toBeNull();
    expect(enabled(fixed, finalState(fixed, s0, race.slice(0, 4)), writeback(0))).toBe(false);
  });

  it('noAccessToFreedFrame passes an entry to the file page still cached, and catches one to a freed frame', () => {
    const s = finalState(fixed, s0, dirtied);
    const withOwner = (owner: State['frames'][number]['owner']): State => ({
      ...s,
      frames: s.frames.map((f, i) => (i === 0 ? { ...f, owner } : f)),
    });
    // CPU 0's entry outlives the mapping (no gather holds the folio): the data is still
    // the page's, so only noAccessAfterRevoke may object
    expect(freed.check(withOwner({ kind: 'file', file: MAPPED_FILE, index: 0 }))).toBeNull();
    expect(freed.check(withOwner({ kind: 'free' }))?.message).toBe(
      'CPU 0 caches an entry for page 0 to frame 0, which is now free',
    );
    // another page of the file in that frame is someone else's data
    expect(freed.check(withOwner({ kind: 'file', file: MAPPED_FILE, index: 1 }))?.message).toBe(
      'CPU 0 caches an entry for page 0 to frame 0, which is now a page-cache page',
    );
  });

  it('the targets see the zap of a dirty PTE and a writeback of a page a CPU caches writable', () => {
    const zapped = run(fixed, s0, [...dirtied, munmap, kstep(0)]).at(-1)!;
    expect(findTarget('dirtyFilePteZapped')!.hit(zapped.post, zapped)).toBe(true);
    expect(findTarget('dirtyFilePteZapped')!.hit(s0)).toBe(false);
    const cleaned = run(fixed, s0, [...dirtied, writeback(0)]).at(-1)!;
    expect(findTarget('writebackOfCachedFilePage')!.hit(cleaned.post, cleaned)).toBe(true);
    const cold = run(fixed, s0, [store(0, 0, 1), writeback(0)]).at(-1)!;
    expect(findTarget('writebackOfCachedFilePage')!.hit(cold.post, cold)).toBe(false);
  });
});

describe('encoding, symmetry and reports', () => {
  const mid = finalState(fixed, s0, [...dirtied, munmap, kstep(0)]);
  const wmid = finalState(fixed, w0, [
    store(2, 1, 2),
    store(2, 1, 2),
    { op: 'write', task: 0, vpage: 0, value: 1 },
  ]);

  it('decode(encode(s)) gives back the file owners, the force_flush mark and the disk', () => {
    for (const [config, s] of [
      [tiny, mid],
      [world, wmid],
      [world, next(fixed, wmid, writeback(1))],
    ] as const) {
      const layout = layoutOf(config);
      const bytes = new Uint8Array(layout.size);
      encode(layout, s, bytes);
      const back = decode(layout, bytes);
      expect({ ...back, cost: s.cost }).toEqual(s);
      expect(copyState(s)).toEqual(s);
    }
    // the disk and the mark are in the bytes: changing either changes the encoding
    const layout = layoutOf(tiny);
    const a = new Uint8Array(layout.size);
    const b = new Uint8Array(layout.size);
    encode(layout, mid, a);
    encode(layout, { ...mid, disk: [1] }, b);
    expect(a).not.toEqual(b);
  });

  it('renumbering frames keeps a mapped file page at its own index', () => {
    const map = canonicalPermutation(wmid);
    const s = relabel(
      wmid,
      map.map((_, i) => (i + 1) % map.length),
    );
    const owner = s.frames[1]!.owner;
    expect(owner).toMatchObject({ kind: 'file', file: MAPPED_FILE, index: 0 });
  });

  it('names a page-cache folio by its page and the mms that map it', () => {
    expect(frameText(w0.frames[0]!)).toBe('file p0 mapped by mm0,mm1 =0');
    expect(frameText(mid.frames[0]!)).toBe('file p0 mapped by mm0 =1 PG_dirty');
    const after = finalState(v61, s0, [...dirtied, munmap, kstep(0)]);
    expect(frameText(after.frames[0]!)).toBe('file p0 (unmapped) =1 PG_dirty');
  });
});

describe("tlb_finish_mmu()'s nested flush (mm_tlb_flush_nested(), 99baac21e458)", () => {
  const v412 = variant('shared-file-v4.12-nested-flush-miss');
  const punch: Action = { op: 'syscall', task: 0, call: 'punch_hole', mm: 0, vpages: [0] };
  const unmapByCpu0: Action = { ...munmap, task: 1 };
  // CPU 0 caches the page; munmap() from CPU 0 clears the PTE and owes its flush; the hole
  // punched from CPU 1 finds the VMA still in i_mmap (free_pgtables() waits for its walk)
  // and the PTE already none, gathers nothing and returns. (The other order cannot race:
  // unmap_mapping_range() flushes each VMA under i_mmap_rwsem, which munmap()'s unlink waits for.)
  const race: readonly Action[] = [load(0, 0), unmapByCpu0, kstep(1), punch, ...ksteps(0, 4)];

  it('is a boolean policy, on unless a variant turns it off', () => {
    expect(policyProblem({ ...fixed.policy, nestedFlush: 'yes' })).toBe(
      'policy.nestedFlush: expected boolean, got "yes"',
    );
    expect(fixed.policy.nestedFlush).toBeUndefined();
    expect(v412.policy.nestedFlush).toBe(false);
  });

  it("flushes the whole mm at the punch's end while munmap() still owes its flush, so the returned call holds", () => {
    const s = finalState(fixed, s0, race);
    expect(s.tasks[0]!.job).toBe('idle');
    expect(s.tasks[1]!.tlb_ubc.flush_required).toBe(true);
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
  });

  it('without it the punch returns with the entry cached, and the next load breaks its promise', () => {
    const s = finalState(v412, s0, race);
    expect(tlbLookup(s, 0, 0, 0)).not.toBeNull();
    const revoke = findInvariant('noAccessAfterRevoke')!;
    const steps = run(v412, s0, [...race, load(0, 0)]);
    expect(revoke.check(steps.at(-1)!.post, steps.at(-1))?.message).toBe(
      'CPU 0 loaded from page 0 through a stale TLB entry to frame 0 after unmap_mapping_range() returned',
    );
    // with it, the entry is gone and the load faults on the unmapped page (SIGSEGV)
    expect(enabled(fixed, finalState(fixed, s0, race), load(0, 0))).toBe(false);
  });
});
