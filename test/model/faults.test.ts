// The page-fault path of a user access (accessOutcome, faultOutcome): the VMA decides
// SIGSEGV, mmap_lock held for write makes the fault wait, and an empty free list waits for
// memory only if migrc holds none it could free on demand.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { initialState, type Prot, type State } from '../../model/state.js';
import { X86 } from '../../model/variant.js';
import { finalState, load, present, store, variant, withPte } from '../support.js';

const sync = variant('sync');

/** `base` with page 0 only in swap (holding 1), its frame 0 free again. */
const swappedOut = (base: State): State =>
  produce(base, (d) => {
    d.mms[0]!.pte[0] = { kind: 'none' };
    d.mms[0]!.swap[0] = 1;
    d.frames[0] = { owner: { kind: 'free' }, data: 0, refcount: 0, dirty: false, migrc: false };
    d.freeList.unshift(0);
  });

const withVma = (s: State, vma: Prot): State =>
  produce(s, (d) => {
    d.mms[0]!.vma[0] = vma;
  });

const swapIn = { kind: 'fault', handler: 'do_swap_page', dropTlb: false, frame: 0 } as const;

describe('the VMA', () => {
  const out = swappedOut(initialState(CONFIGS.tiny));

  it('with no access: a load or a store that faults is SIGSEGV, and not a step', () => {
    const none = withVma(out, 'none');
    expect(accessOutcome(X86, none, 0, 0, false)).toEqual({ kind: 'segv' });
    expect(accessOutcome(X86, none, 0, 0, true)).toEqual({ kind: 'segv' });
    expect(enabled(sync, none, load(0, 0))).toBe(false);
    expect(enabled(sync, none, store(0, 0, 1))).toBe(false);
  });

  it('read-only: a store that faults is SIGSEGV, a load swaps the page in', () => {
    const ro = withVma(out, 'ro');
    expect(accessOutcome(X86, ro, 0, 0, true)).toEqual({ kind: 'segv' });
    expect(accessOutcome(X86, ro, 0, 0, false)).toEqual(swapIn);
    // a write-protected present PTE under a read-only VMA is no do_wp_page fault either
    const wp = withVma(withPte(initialState(CONFIGS.tiny), 0, 0, present(0, false)), 'ro');
    expect(accessOutcome(X86, wp, 0, 0, true)).toEqual({ kind: 'segv' });
  });

  it('read-write: both fault the page in', () => {
    expect(accessOutcome(X86, out, 0, 0, false)).toEqual(swapIn);
    expect(accessOutcome(X86, out, 0, 0, true)).toEqual(swapIn);
  });
});

describe('mmap_lock', () => {
  // tiny-syscalls: task 1 on CPU 1 makes the calls; CPU 0 faults on the swapped-out page.
  const out = swappedOut(initialState(CONFIGS['tiny-syscalls']));
  const during = (call: 'munmap' | 'madvise_dontneed'): State =>
    finalState(sync, out, [{ op: 'syscall', task: 1, call, mm: 0, vpages: [0] } as Action]);

  it('held for write by munmap() before v4.20: the fault waits for it (before the VMA is even read)', () => {
    const s = during('munmap');
    expect(s.tasks[1]!.job).toBe('munmap');
    expect(accessOutcome(X86, s, 0, 0, false, { munmapZapLock: 'write' })).toEqual({
      kind: 'wait',
      on: 'mmap_lock',
    });
    // since dd2283f2605e munmap() zaps under the read lock, and the fault finds no VMA
    expect(accessOutcome(X86, s, 0, 0, false)).toEqual({ kind: 'segv' });
    expect(enabled(sync, s, load(0, 0))).toBe(false);
  });

  it('held for read by madvise(MADV_DONTNEED): the fault goes ahead', () => {
    const s = during('madvise_dontneed');
    expect(s.tasks[1]!.job).toBe('madvise_dontneed');
    expect(accessOutcome(X86, s, 0, 0, false)).toEqual(swapIn);
  });
});

describe('an empty free list', () => {
  const full = (migrcHeld: boolean): State =>
    produce(swappedOut(initialState(CONFIGS.tiny)), (d) => {
      for (const f of d.freeList) d.frames[f]!.owner = { kind: 'file', file: 0, index: f };
      d.freeList = [];
      if (!migrcHeld) return;
      // frame 1 a source migrc keeps: its one reference is migrc's
      d.frames[1] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: true };
      d.migrc.reqs = [{ cpumask: 0b01, gen: 0, srcs: [1] }];
    });

  it('makes the fault wait for memory when migrc holds nothing', () => {
    expect(accessOutcome(X86, full(false), 1, 0, false)).toEqual({ kind: 'wait', on: 'out of memory' });
  });

  it('lets it go ahead when migrc holds a source it can free on demand (no frame named yet)', () => {
    expect(accessOutcome(X86, full(true), 1, 0, false)).toEqual({ ...swapIn, frame: -1 });
  });

  it('but not when that source has a second reference, so the flush would not free it', () => {
    const leaked = produce(full(true), (d) => {
      d.frames[1]!.refcount = 2;
    });
    expect(accessOutcome(X86, leaked, 1, 0, false)).toEqual({ kind: 'wait', on: 'out of memory' });
  });
});
