// mmap(MAP_FIXED) over a live range: the old mapping is zapped and flushed, fresh memory
// takes its place, and all of it happens under mmap_lock, so no thread faults meanwhile.
// fork(): the parent's PTEs write-protected under mmap_lock, one flush at the end.

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { mm_tlb_flush_pending } from '../../model/queries.js';
import { initialState, type State } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import { findInvariant } from '../../properties/invariants.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, load, migrate, migrcHoldsSource, shrink, store, variant } from '../support.js';

const config = CONFIGS['migrc-mmap-fixed'];
const v = variant('reclaim-batched-dirty');
const mapFixed: Action = { op: 'syscall', task: 1, call: 'mmap_fixed', mm: 0, vpages: [0] };
const munmap: Action = { op: 'syscall', task: 1, call: 'munmap', mm: 0, vpages: [0] };

/** Both CPUs cache p0, which CPU 0 has written 1 to. */
const warmed = (): State => finalState(v, initialState(config), [store(0, 0, 1), load(1, 0)]);

describe('mmap(MAP_FIXED) over a live page', () => {
  it('runs zap_pte_range, tlb_finish_mmu and the return, and leaves fresh zeroed memory', () => {
    let s = next(v, warmed(), mapFixed);
    expect(s.mms[0]!.vma[0]).toBe('rw');
    const steps: string[] = [];
    while (s.tasks[1]!.job !== 'idle') {
      steps.push(currentStep(v.policy, s.tasks[1]!)!);
      s = next(v, s, kstep(1));
    }
    expect(steps).toEqual(['zap_pte_range', 'tlb_finish_mmu', 'syscall_return']);
    // the old frame is freed only after every CPU's entry for the page is flushed
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(tlbLookup(s, 1, 0, 0)).toBeNull();
    expect(s.frames[0]!.owner.kind).toBe('free');
    expect(s.ghost.memory[0]![0]).toBe(0);
    expect(s.ghost.promised[0]![0]).toBe('rw');
    // the first touch faults in a zero page
    const after = next(v, s, load(0, 0));
    const pte = after.mms[0]!.pte[0]!;
    expect(pte.kind).toBe('present');
    expect(after.frames[pte.kind === 'present' ? pte.frame : -1]!.data).toBe(0);
  });

  it('needs a live range (over an unmapped one it is plain mmap), and holds mmap_lock while it runs', () => {
    let gone = next(v, warmed(), munmap);
    while (gone.tasks[1]!.job !== 'idle') gone = next(v, gone, kstep(1));
    expect(enabled(v, gone, mapFixed)).toBe(false);
    const inFlight = finalState(v, warmed(), [mapFixed, kstep(1)]);
    // the PTE is gone and the VMA is the new one, but a fault waits for mmap_lock
    expect(inFlight.mms[0]!.pte[0]!.kind).toBe('none');
    expect(enabled(v, inFlight, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 })).toBe(true);
    const evicted = next(v, inFlight, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 });
    expect(enabled(v, evicted, load(1, 0))).toBe(false);
  });

  it('is one more way into the v4.12 race: a flush reclaim deferred outlives the call', () => {
    const race: Action[] = [
      store(0, 0, 1),
      shrink(0, 0, [0]),
      kstep(0),
      mapFixed,
      kstep(1),
      kstep(1),
      kstep(1),
    ];
    const loads = [findInvariant('loadsSeeLastStore')!];
    const old = replay(variant('reclaim-batched-dirty-v4.12-no-batched-pending'), config, race, {
      invariants: loads,
    });
    expect(old.violation?.atStep).toBe(7);
    expect(old.violation?.witness.message).toMatch(/would return 1 through its TLB entry to frame 0/);
    // with flush_tlb_batched_pending() in zap_pte_range() (3ea277194daa) it holds
    const fixed = replay(v, config, race, { invariants: loads });
    expect(fixed.disabledAt).toBeNull();
    expect(fixed.violation).toBeNull();
  });
});

describe('fork()', () => {
  const forkConfig = CONFIGS['migrc-fork'];
  const fork: Action = { op: 'syscall', task: 1, call: 'fork', mm: 0, vpages: [0] };
  const fixed = variant('migrc-fixed');
  /** CPU 0 caches p0 writable and dirty; T1 forks and has write-protected p0, not yet flushed. */
  const midFork = (x = fixed): State =>
    finalState(x, initialState(forkConfig), [store(0, 0, 1), fork, kstep(1)]);

  it('write-protects the parent PTE, flushes every CPU of the mm at the end, and keeps the VMA writable', () => {
    let s = midFork();
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false });
    expect(tlbLookup(s, 0, 0, 0)).toMatchObject({ writable: true, dirty: true });
    expect(currentStep(fixed.policy, s.tasks[1]!)).toBe('flush_tlb_mm');
    s = next(fixed, s, kstep(1));
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(s.cost.ipis).toBe(1);
    s = next(fixed, s, kstep(1));
    expect(s.tasks[1]!.job).toBe('idle');
    expect(s.mms[0]!.vma[0]).toBe('rw');
    // the parent's next store faults and, the child gone, reuses the page
    const after = next(fixed, s, store(0, 0, 2));
    expect(after.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true });
  });

  it('raises mm_tlb_flush_pending() only where forkFlushPending says dup_mmap() does', () => {
    const s = midFork();
    expect(mm_tlb_flush_pending(s, 0)).toBe(false);
    expect(mm_tlb_flush_pending(s, 0, true)).toBe(true);
  });

  it('is the window migrc must not defer in: with forkFlushPending the folio is flushed, without it not', () => {
    const migrateIt = [migrate(0, 0, [0]), kstep(0), kstep(0)]; // try_to_migrate_one, migrc_mark_folios
    const marked = (x: typeof fixed) => finalState(x, midFork(x), migrateIt).frames[0]!.migrc;
    expect(marked(fixed)).toBe(false);
    expect(marked(variant('migrc-wrong-fork-write-protect'))).toBe(true);
  });
});

describe('a kernel write through the direct map', () => {
  const writeConfig = CONFIGS['migrc-write'];
  const write = (value: number): Action => ({ op: 'write', task: 1, vpage: 0, value });

  it('writes the frame the PTE names, dirties the folio, and needs no user TLB entry', () => {
    const s = finalState(v, initialState(writeConfig), [load(0, 0), write(1)]);
    expect(s.frames[0]).toMatchObject({ data: 1, dirty: true });
    expect(s.ghost.memory[0]![0]).toBe(1);
    expect(tlbLookup(s, 1, 0, 0)).toBeNull();
    // CPU 0's entry still names the same frame, so it reads the new value
    expect(finalState(v, s, [load(0, 0)]).ghost.memory[0]![0]).toBe(1);
  });

  it('waits while a batch holds the folio, and for a page that is not mapped', () => {
    const held = finalState(v, initialState(writeConfig), [shrink(0, 0, [0])]);
    expect(enabled(v, held, write(1))).toBe(false);
    const gone = finalState(v, held, [kstep(0), kstep(0), kstep(0)]);
    expect(gone.tasks[0]!.job).toBe('idle');
    expect(gone.mms[0]!.pte[0]!.kind).toBe('none');
    expect(enabled(v, gone, write(1))).toBe(false);
  });

  it('into a PG_migrc folio flushes what migrc holds first, where directWriteFlush says so', () => {
    const fixed = variant('migrc-fixed');
    const before = finalState(fixed, initialState(writeConfig), migrcHoldsSource);
    expect(before.migrc.reqs).toHaveLength(1);
    expect(tlbLookup(before, 0, 0, 0)?.frame).toBe(0);
    const flushed = next(fixed, before, write(1));
    expect(flushed.migrc.reqs).toHaveLength(0);
    expect(tlbLookup(flushed, 0, 0, 0)).toBeNull();
    const unflushed = next(variant('migrc-wrong-no-direct-write-flush'), before, write(1));
    expect(unflushed.migrc.reqs).toHaveLength(1);
    expect(tlbLookup(unflushed, 0, 0, 0)?.frame).toBe(0);
    expect(unflushed.frames[0]!.data).toBe(0);
  });
});

describe('madvise(MADV_FREE)', () => {
  const freeConfig = CONFIGS['tiny-madvise-free'];
  const madvFree: Action = { op: 'syscall', task: 1, call: 'madvise_free', mm: 0, vpages: [0] };
  /** CPU 0 wrote 1 to p0, then T1's MADV_FREE of p0 has run and returned. */
  const freed = (x = v, config = freeConfig): State =>
    finalState(x, initialState(config), [store(0, 0, 1), madvFree, kstep(1), kstep(1), kstep(1)]);

  it('makes the folio lazily freeable: no swap slot, no PG_dirty, a clean old PTE, flushed', () => {
    const s = freed();
    expect(s.tasks[1]!.job).toBe('idle');
    expect(s.frames[0]).toMatchObject({ data: 1, dirty: false, lazyfree: true });
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, dirty: false, accessed: false });
    expect(s.mms[0]!.swap[0]).toBe(0);
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(s.ghost.lazy[0]![0]).toBe(true);
  });

  it('lets reclaim discard it unwritten: no pageout, and the page reads zeroes from then on', () => {
    let s = finalState(v, freed(), [shrink(0, 0, [0])]);
    const steps: string[] = [];
    while (s.tasks[0]!.job !== 'idle') {
      steps.push(currentStep(v.policy, s.tasks[0]!)!);
      s = next(v, s, kstep(0));
    }
    expect(steps).not.toContain('pageout');
    expect(s.frames[0]!.owner.kind).toBe('free');
    expect(s.frames[0]!.lazyfree).toBeUndefined();
    expect(s.mms[0]!.swap[0]).toBe(0);
    expect(s.ghost).toMatchObject({ memory: [[0]], lazy: [[false]] });
  });

  it('keeps a page written again: the store ends the laziness and reclaim writes it back', () => {
    const twoValues = { ...freeConfig, values: 2 };
    let s = finalState(v, freed(v, twoValues), [store(0, 0, 2)]);
    expect(s.ghost.lazy[0]![0]).toBe(false);
    expect(s.mms[0]!.pte[0]).toMatchObject({ dirty: true });
    s = finalState(v, s, [shrink(0, 0, [0])]);
    while (s.tasks[0]!.job !== 'idle') s = next(v, s, kstep(0));
    expect(s.mms[0]!.swap[0]).toBe(2);
  });

  it('still lets the invariants catch a store lost to a discard (hardware without the dirty-bit trap)', () => {
    const noTrap = variant('reclaim-batched-wrong-no-dirty-trap');
    const twoValues = { ...freeConfig, values: 2 };
    // CPU 0 caches p0 clean after MADV_FREE; reclaim clears the PTE and defers the flush;
    // the store goes through the clean entry without re-walking, and the discard loses it.
    const race: Action[] = [
      store(0, 0, 1),
      madvFree,
      kstep(1),
      kstep(1),
      kstep(1),
      load(0, 0),
      shrink(0, 0, [0]),
      kstep(0),
      store(0, 0, 2),
      kstep(0),
      kstep(0),
    ];
    const r = replay(noTrap, twoValues, race, { invariants: [findInvariant('noLostWrite')!] });
    expect(r.disabledAt).toBeNull();
    expect(r.violation?.invariant.id).toBe('noLostWrite');
    // with the trap the store faults instead, and nothing is lost
    expect(
      replay(v, twoValues, race.slice(0, 8), { invariants: [findInvariant('noLostWrite')!] }).violation,
    ).toBeNull();
  });
});

describe('munmap() zaps under the read lock it downgraded to (dd2283f2605e, v4.20)', () => {
  // syscalls: two pages of mm 0 under one PTL; the thread on CPU 1 unmaps p0
  const world = initialState(CONFIGS.syscalls);
  const before = variant('reclaim-batched-dirty-v4.12-no-batched-pending');
  const unmapP0: Action = { op: 'syscall', task: 1, call: 'munmap', mm: 0, vpages: [0] };
  /** p1 discarded (MADV_DONTNEED, to the end), then munmap(p0) started. */
  const zapping = (x = v) => {
    let s = next(x, world, { op: 'syscall', task: 1, call: 'madvise_dontneed', mm: 0, vpages: [1] });
    while (s.tasks[1]!.job !== 'idle') s = next(x, s, kstep(1));
    return next(x, s, unmapP0);
  };

  it('lets a fault on another page run meanwhile; before v4.20 it waited for munmap() to return', () => {
    expect(zapping().mms[0]!.vma[0]).toBe('none');
    // CPU 0 faults p1 in again: today the fault runs under the read lock too
    expect(enabled(v, zapping(), load(0, 1))).toBe(true);
    expect(before.policy.munmapZapLock).toBe('write');
    expect(enabled(before, zapping(before), load(0, 1))).toBe(false);
    // once its PTE is zapped, a fault on the page unmapped finds no VMA (SIGSEGV)
    const zapped = next(v, zapping(), kstep(1));
    expect(zapped.mms[0]!.pte[0]!.kind).toBe('none');
    expect(accessOutcome(v.policy.arch, zapped, 0, 0, false, v.policy)).toEqual({ kind: 'segv' });
    expect(accessOutcome(before.policy.arch, zapped, 0, 0, false, before.policy)).toEqual({
      kind: 'wait',
      on: 'mmap_lock',
    });
  });

  it('still excludes every writer, lets readers in, and starts only once no one holds the lock', () => {
    // two-zaps with two pages and mprotect(): threads on CPUs 0 and 1 (tasks 0 and 1) both call
    const base = CONFIGS['two-zaps'];
    const two = initialState(
      defineConfig({
        ...base,
        name: 'two-zaps-2p',
        pages: 2,
        frames: base.frames + 1,
        syscalls: ['madvise', 'munmap', 'mprotect'],
      }),
    );
    const call = (task: number, c: 'munmap' | 'madvise_dontneed' | 'mprotect_ro', vpage: number): Action => ({
      op: 'syscall',
      task,
      call: c,
      mm: 0,
      vpages: [vpage],
    });
    const unmapping = next(v, two, call(1, 'munmap', 0));
    // task 0 may discard p1 (a reader), not write-protect it (a writer), meanwhile
    expect(enabled(v, unmapping, call(0, 'madvise_dontneed', 1))).toBe(true);
    expect(enabled(v, unmapping, call(0, 'mprotect_ro', 1))).toBe(false);
    expect(enabled(before, unmapping, call(0, 'madvise_dontneed', 1))).toBe(false);
    // munmap() takes the lock for write to start: not while a MADV_DONTNEED holds it for read
    const advising = next(v, two, call(0, 'madvise_dontneed', 1));
    expect(enabled(v, advising, call(1, 'munmap', 0))).toBe(false);
    let done = advising;
    while (done.tasks[0]!.job !== 'idle') done = next(v, done, kstep(0));
    expect(enabled(v, done, call(1, 'munmap', 0))).toBe(true);
  });
});
