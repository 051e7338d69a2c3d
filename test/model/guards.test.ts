// The guards of the actions a user thread starts: which system calls, mmap() calls, kernel
// writes and batches are enabled, and what a fault does when the free list is empty.
// Each case is one condition of `enabled`; the world is `syscalls` (T1 on CPU 1 makes the
// calls) unless a case needs another.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { initialState, type State, type Syscall } from '../../model/state.js';
import { finalState, kstep, migrate, migrcHoldsSource, store, variant } from '../support.js';

const v = variant('reclaim-batched-dirty');
const world = initialState(CONFIGS.syscalls);
const call = (task: number, c: Syscall, vpages: number[], mm = 0): Action => ({
  op: 'syscall',
  task,
  call: c,
  mm,
  vpages,
});
/** Run task 1's call to its return. */
const done = (s: State, a: Action): State => {
  let out = next(v, s, a);
  while (out.tasks[1]!.job !== 'idle') out = next(v, out, kstep(1));
  return out;
};

describe('a system call', () => {
  it('needs a task that exists and is idle', () => {
    expect(enabled(v, world, call(1, 'munmap', [0]))).toBe(true);
    expect(enabled(v, world, call(7, 'munmap', [0]))).toBe(false);
    const busy = next(v, world, call(1, 'madvise_dontneed', [0]));
    expect(enabled(v, busy, call(1, 'madvise_dontneed', [1]))).toBe(false);
  });

  it('needs an mm that exists and a non-empty range without repeats', () => {
    expect(enabled(v, world, call(1, 'munmap', [0], 3))).toBe(false);
    expect(enabled(v, world, call(1, 'munmap', []))).toBe(false);
    expect(enabled(v, world, call(1, 'munmap', [0, 0]))).toBe(false);
    expect(enabled(v, world, call(1, 'munmap', [0, 1]))).toBe(true);
    expect(enabled(v, world, call(1, 'munmap', [0, 2]))).toBe(false);
  });

  it('is made in the mm the caller’s CPU runs', () => {
    const twoMms = initialState(
      defineConfig({ ...CONFIGS['two-mms'], name: 'two-mms-calls', taskCpus: [0, 1], syscalls: ['munmap'] }),
    );
    expect(enabled(v, twoMms, call(1, 'munmap', [0], 1))).toBe(true);
    expect(enabled(v, twoMms, call(1, 'munmap', [0], 0))).toBe(false);
  });

  it('waits for mmap_lock held for write, but two readers share it', () => {
    const writer = next(v, world, call(1, 'mprotect_ro', [1]));
    expect(enabled(v, writer, call(0, 'madvise_dontneed', [0]))).toBe(false);
    const reader = next(v, world, call(1, 'madvise_dontneed', [1]));
    expect(enabled(v, reader, call(0, 'madvise_dontneed', [0]))).toBe(true);
    expect(enabled(v, reader, call(0, 'munmap', [0]))).toBe(false);
  });

  it('mprotect(PROT_READ) needs every page writable, mprotect(PROT_READ|PROT_WRITE) every page read-only', () => {
    const ro = done(world, call(1, 'mprotect_ro', [0]));
    expect(ro.mms[0]!.vma).toEqual(['ro', 'rw']);
    expect(enabled(v, ro, call(1, 'mprotect_ro', [1]))).toBe(true);
    expect(enabled(v, ro, call(1, 'mprotect_ro', [0, 1]))).toBe(false);
    expect(enabled(v, ro, call(1, 'mprotect_ro', [0]))).toBe(false);
    expect(enabled(v, ro, call(1, 'mprotect_rw', [0]))).toBe(true);
    expect(enabled(v, ro, call(1, 'mprotect_rw', [0, 1]))).toBe(false);
    expect(enabled(v, ro, call(1, 'mprotect_rw', [1]))).toBe(false);
  });

  it('needs a mapped range, except fork(), which copies whatever is mapped', () => {
    const gone = done(world, call(1, 'munmap', [0]));
    expect(gone.mms[0]!.vma).toEqual(['none', 'rw']);
    expect(enabled(v, gone, call(1, 'munmap', [1]))).toBe(true);
    expect(enabled(v, gone, call(1, 'munmap', [0, 1]))).toBe(false);
    expect(enabled(v, gone, call(1, 'madvise_dontneed', [0]))).toBe(false);
    expect(enabled(v, gone, call(1, 'fork', [0, 1]))).toBe(true);
  });
});

describe('mmap()', () => {
  const mmap = (vpages: number[], mm = 0): Action => ({ op: 'mmap', mm, vpages });
  const gone = done(world, call(1, 'munmap', [0]));

  it('maps only a range munmap() has finished with, all of it unmapped', () => {
    expect(enabled(v, world, mmap([0]))).toBe(false);
    expect(enabled(v, gone, mmap([0]))).toBe(true);
    expect(enabled(v, gone, mmap([0, 1]))).toBe(false);
    expect(enabled(v, gone, mmap([]))).toBe(false);
    expect(enabled(v, gone, mmap([0], 4))).toBe(false);
    expect(next(v, gone, mmap([0])).mms[0]!.vma).toEqual(['rw', 'rw']);
  });

  it('not while munmap() still holds mmap_lock for write, nor before it has returned', () => {
    let inside = next(v, world, call(1, 'munmap', [0, 1]));
    inside = next(v, inside, kstep(1));
    expect(inside.tasks[1]!.job).toBe('munmap');
    expect(enabled(v, inside, mmap([0]))).toBe(false);
    // a VMA gone but not yet reported gone to the user is not free to map either
    const unreturned = produce(gone, (d) => {
      d.ghost.promised[0]![0] = 'rw';
    });
    expect(enabled(v, unreturned, mmap([0]))).toBe(false);
    // nor while any other writer holds mmap_lock
    const writer = next(v, gone, call(1, 'mprotect_ro', [1]));
    expect(enabled(v, writer, mmap([0]))).toBe(false);
    // nor a reader: mmap() takes it for write and waits for madvise() to drop it
    const reader = next(v, gone, call(1, 'madvise_dontneed', [1]));
    expect(enabled(v, reader, mmap([0]))).toBe(false);
    expect(enabled(v, done(gone, call(1, 'madvise_dontneed', [1])), mmap([0]))).toBe(true);
  });
});

describe('the PTL a system call holds across flush_tlb_batched_pending()', () => {
  const windowed = variant('reclaim-batched-dirty-batched-flag-race');
  // task 0 is inside madvise(MADV_DONTNEED) of page 1 (mmap_lock for read only), past its
  // flush: it holds the PTL of pages 0 and 1 (syscalls has two PTEs per page-table page);
  // page 0 is read-only, so a store faults
  const readOnly = produce(world, (d) => {
    d.mms[0]!.pte[0] = { kind: 'present', frame: 0, writable: false, dirty: false, accessed: false };
  });
  const held = produce(readOnly, (d) => {
    const t = d.tasks[0]!;
    t.job = 'madvise_dontneed';
    t.folios = [{ mm: 0, vpage: 1, src: -1, dst: -1 }];
    t.pc = { phase: 0, folio: 0, step: 1 };
  });

  it('a fault waits for it (even when the holder is task 0); an access that does not fault does not', () => {
    expect(enabled(windowed, readOnly, store(1, 0, 1))).toBe(true);
    expect(enabled(windowed, held, store(1, 0, 1))).toBe(false);
    expect(enabled(windowed, held, { op: 'load', cpu: 1, vpage: 0 })).toBe(true);
  });

  it('so does a kernel write, whose walk takes the PTL', () => {
    const write: Action = { op: 'write', task: 1, vpage: 0, value: 1 };
    expect(enabled(windowed, readOnly, write)).toBe(true);
    expect(enabled(windowed, held, write)).toBe(false);
  });
});

describe('a kernel write through the direct map', () => {
  const w = variant('migrc');
  const migrcWorld = initialState(CONFIGS['migrc-write']);
  const write = (vpage: number, value: number, task = 1): Action => ({ op: 'write', task, vpage, value });

  it('writes a value from 1 to 255 into a mapped page of an existing, idle task', () => {
    expect(enabled(w, migrcWorld, write(0, 1))).toBe(true);
    expect(enabled(w, migrcWorld, write(0, 255))).toBe(true);
    expect(enabled(w, migrcWorld, write(0, 0))).toBe(false);
    expect(enabled(w, migrcWorld, write(0, 256))).toBe(false);
    expect(enabled(w, migrcWorld, write(5, 1))).toBe(false);
    expect(enabled(w, migrcWorld, write(0, 1, 4))).toBe(false);
    const busy = next(w, migrcWorld, call(1, 'clear_refs', [0]));
    expect(enabled(w, busy, write(0, 1))).toBe(false);
  });

  it('not into a page MADV_DONTNEED is discarding, though its PTE is still there', () => {
    const write0 = write(0, 1, 0);
    expect(enabled(v, world, write0)).toBe(true);
    const discarding = next(v, world, call(1, 'madvise_dontneed', [0]));
    expect(discarding.mms[0]!.pte[0]!.kind).toBe('present');
    expect(enabled(v, discarding, write0)).toBe(false);
  });
});

describe('migration and faults under migrc', () => {
  const m = variant('migrc');
  // migrc holds p0's source for CPU 0; p0 is mapped to its dst, and one frame is free
  const held = finalState(m, initialState(CONFIGS['tiny-migrc']), migrcHoldsSource);
  /** `s` with every free frame handed to another user. */
  const noneFree = (s: State): State =>
    finalState(
      m,
      s,
      s.freeList.map((frame): Action => ({ op: 'reuseFrame', frame })),
    );
  /** `s` with p0 paged out and its frame reused, and no TLB entry left for it. */
  const pagedOut = (s: State): State =>
    produce(s, (d) => {
      const dst = (d.mms[0]!.pte[0] as { frame: number }).frame;
      d.mms[0]!.pte[0] = { kind: 'none' };
      d.frames[dst]!.owner = { kind: 'file', file: 0, index: dst };
      for (const c of d.cpus) c.tlb.fill(null);
    });
  // The same holding, with frame 0 as the one free frame and frame 2 the source migrc holds:
  // frame 0 is a frame like any other, not a sign that none is free.
  const zeroFree = produce(held, (d) => {
    const src = d.migrc.reqs[0]!.srcs[0]!;
    const spare = d.freeList[0]!;
    [d.frames[src], d.frames[spare]] = [d.frames[spare]!, d.frames[src]!];
    d.migrc.reqs[0]!.srcs[0] = spare;
    d.freeList = [src];
  });

  it('counts the frames migrc holds as free, and frees them to start', () => {
    // p0's dst, its source migrc holds, and the last free frame handed to another user
    const full = noneFree(held);
    expect(full.freeList).toEqual([]);
    expect(held.migrc.reqs).toHaveLength(1);
    expect(enabled(m, full, migrate(0, 0, [0]))).toBe(true);
    const started = next(m, full, migrate(0, 0, [0]));
    expect(started.migrc.reqs).toEqual([]);
    expect(started.tasks[0]!.folios[0]!.dst).toBe(held.migrc.reqs[0]!.srcs[0]);
    // without migrc the same full world cannot start a migration
    const none = produce(full, (d) => {
      d.migrc.reqs = [];
    });
    expect(enabled(m, none, migrate(0, 0, [0]))).toBe(false);
  });

  it('a fault with no free frame takes one back from migrc', () => {
    const src = held.migrc.reqs[0]!.srcs[0]!;
    // every free frame taken: the swap-in must come from what migrc holds
    const out = pagedOut(noneFree(held));
    expect(out.freeList).toEqual([]);
    const after = next(m, out, store(1, 0, 1));
    expect(after.migrc.reqs).toEqual([]);
    expect(after.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: src });
  });

  it('a migration started with a frame free leaves the held source alone', () => {
    expect(held.freeList.length).toBeGreaterThan(0);
    const started = next(m, held, migrate(0, 0, [0]));
    expect(started.migrc.reqs).toEqual(held.migrc.reqs);
    expect(started.tasks[0]!.mreq).not.toBeNull();
  });

  it('so does a fault with a frame free', () => {
    const after = next(m, pagedOut(held), store(1, 0, 1));
    expect(after.migrc.reqs).toEqual(held.migrc.reqs);
    expect(after.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: held.freeList[0] });
  });

  it('reclaim builds no request', () => {
    expect(next(m, held, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] }).tasks[0]!.mreq).toBeNull();
  });

  it('a migration that can have frame 0 leaves the held source alone', () => {
    expect(zeroFree.freeList).toEqual([0]);
    const started = next(m, zeroFree, migrate(0, 0, [0]));
    expect(started.migrc.reqs).toEqual(zeroFree.migrc.reqs);
    expect(started.tasks[0]!.folios[0]!.dst).toBe(0);
  });

  it('so does a fault that can have frame 0', () => {
    const after = next(m, pagedOut(zeroFree), store(1, 0, 1));
    expect(after.migrc.reqs).toEqual(zeroFree.migrc.reqs);
    expect(after.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
  });
});

describe('other guards', () => {
  it('a context switch on a CPU that exists', () => {
    expect(enabled(v, world, { op: 'flush_tlb_local', cpu: 1 })).toBe(true);
    expect(enabled(v, world, { op: 'flush_tlb_local', cpu: 2 })).toBe(false);
  });

  it('no reclaim in a protocol that only migrates', () => {
    const vma = variant('migrate-vma');
    expect(enabled(vma, world, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] })).toBe(false);
    expect(enabled(vma, world, migrate(0, 0, [0]))).toBe(true);
  });

  it('a copy fails only for a task that exists', () => {
    expect(enabled(variant('batch-copy'), world, { op: 'copyFails', task: 9 })).toBe(false);
  });

  it('next() refuses an access the VMA forbids', () => {
    const forbidden = produce(world, (d) => {
      d.mms[0]!.vma[0] = 'none';
      d.mms[0]!.pte[0] = { kind: 'none' };
    });
    expect(enabled(v, forbidden, store(0, 0, 1))).toBe(false);
    expect(() => next(v, forbidden, store(0, 0, 1))).toThrow(/disabled access/);
  });
});
