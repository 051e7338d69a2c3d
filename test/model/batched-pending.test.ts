// The window inside flush_tlb_batched_pending(): where a policy models it, the flush and
// the reset of mm->tlb_flush_batched are two steps under one PTL, reclaim under another
// PTL may defer a flush between them, and only pending/flushed generations keep that flush.

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState, type State } from '../../model/state.js';
import { currentStep, ptlHolder } from '../../model/task.js';
import { finalState, kstep, shrink, store, variant } from '../support.js';

const world = initialState(CONFIGS['syscalls-two-ptls']);
const flag = variant('reclaim-batched-dirty-batched-flag-race');
const generations = variant('reclaim-batched-dirty-batched-generations');
const atomic = variant('reclaim-batched-dirty');
const mprotectRo: Action = { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 0, vpages: [0, 1] };

/**
 * Reclaim has deferred p0's flush; mprotect() has flushed for it and not yet reset the flag;
 * CPU 0 then caches p1 dirty and reclaim defers p1's flush inside that window.
 */
const raced = (v: typeof flag): State =>
  finalState(v, world, [shrink(0, 0, [0, 1]), kstep(0), mprotectRo, kstep(1), store(0, 1, 1), kstep(0)]);

describe('the steps of a system call', () => {
  it('put flush_tlb_batched_pending() before each PTE change only where the window is modelled', () => {
    const steps = (v: typeof flag) => {
      let s = next(v, world, mprotectRo);
      const names: string[] = [];
      while (s.tasks[1]!.job !== 'idle') {
        names.push(currentStep(v.policy, s.tasks[1]!)!);
        s = next(v, s, kstep(1));
      }
      return names;
    };
    expect(steps(flag)).toEqual([
      'flush_tlb_batched_pending',
      'change_pte_range',
      'flush_tlb_batched_pending',
      'change_pte_range',
      'flush_tlb_range',
      'syscall_return',
    ]);
    expect(steps(generations)).toEqual(steps(flag));
    expect(steps(atomic)).toEqual([
      'change_pte_range',
      'change_pte_range',
      'flush_tlb_range',
      'syscall_return',
    ]);
  });
});

describe('the PTL across the window', () => {
  // T1 has run flush_tlb_batched_pending(p0) and holds p0's PTL until change_pte_range(p0)
  const inside = finalState(flag, world, [store(0, 0, 1), shrink(0, 0, [0, 1]), mprotectRo, kstep(1)]);

  it('is held by the system call for the page it is changing, and only that page', () => {
    expect(ptlHolder(inside, flag.policy, 0, 0)).toBe(1);
    expect(ptlHolder(inside, flag.policy, 0, 1)).toBe(-1);
    // no other task holds a PTL between its steps
    expect(ptlHolder(inside, atomic.policy, 0, 0)).toBe(-1);
  });

  it('keeps reclaim off that page but not off the page under the other PTL', () => {
    expect(currentStep(flag.policy, inside.tasks[0]!)).toBe('try_to_unmap_one');
    expect(enabled(flag, inside, kstep(0))).toBe(false);
    // once T1 has changed p0 and moved to p1's flush it holds p1's PTL instead
    const later = next(flag, inside, kstep(1));
    expect(ptlHolder(later, flag.policy, 0, 0)).toBe(-1);
    expect(enabled(flag, later, kstep(0))).toBe(true);
  });

  it('makes a fault on that page wait, while a TLB hit needs no lock', () => {
    // CPU 0 caches p0 writable: its store hits the TLB
    expect(tlbLookup(inside, 0, 0, 0)).not.toBeNull();
    expect(enabled(flag, inside, store(0, 0, 1))).toBe(true);
    // MADV_DONTNEED empties p0; inside a second one's window on p0 (madvise holds mmap_lock
    // only for read, so faults go on), a touch of p0 faults (do_anonymous_page() takes the
    // PTL) and waits; without the window it does not
    const dontneed: Action = { op: 'syscall', task: 1, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    const emptied = (v: typeof flag): State => {
      let s = next(v, world, dontneed);
      while (s.tasks[1]!.job !== 'idle') s = next(v, s, kstep(1));
      return next(v, s, dontneed);
    };
    // before the flush step takes the PTL the touch goes ahead
    expect(enabled(flag, emptied(flag), { op: 'load', cpu: 1, vpage: 0 })).toBe(true);
    const inWindow = next(flag, emptied(flag), kstep(1));
    expect(ptlHolder(inWindow, flag.policy, 0, 0)).toBe(1);
    expect(enabled(flag, inWindow, { op: 'load', cpu: 1, vpage: 0 })).toBe(false);
    expect(enabled(atomic, emptied(atomic), { op: 'load', cpu: 1, vpage: 0 })).toBe(true);
  });
});

describe('the reset after a deferral inside the window', () => {
  it('a bool is reset anyway, and the next caller skips the flush reclaim still owes', () => {
    const s = raced(flag);
    expect(s.tasks[1]!.batched_clear).toBe(2);
    const reset = next(flag, s, kstep(1)); // change_pte_range(p0): the reset
    expect(reset.mms[0]!.tlb_flush_batched).toBe(false);
    const p1 = next(flag, reset, kstep(1)); // flush_tlb_batched_pending(p1): nothing to do
    expect(p1.cost.ipis).toBe(reset.cost.ipis);
    expect(tlbLookup(p1, 0, 0, 1)).not.toBeNull();
  });

  it('generations leave it set, and the next caller flushes the stale entry', () => {
    const s = raced(generations);
    const reset = next(generations, s, kstep(1));
    expect(reset.mms[0]!.tlb_flush_batched).toBe(true);
    expect(reset.tasks[1]!.batched_clear).toBeUndefined();
    const p1 = next(generations, reset, kstep(1));
    expect(p1.cost.ipis).toBeGreaterThan(reset.cost.ipis);
    expect(tlbLookup(p1, 0, 0, 1)).toBeNull();
  });

  it('without a deferral in between, both reset the flag', () => {
    for (const v of [flag, generations]) {
      const s = finalState(v, world, [shrink(0, 0, [0, 1]), kstep(0), mprotectRo, kstep(1), kstep(1)]);
      expect(s.mms[0]!.tlb_flush_batched, v.id).toBe(false);
    }
  });
});
