// Reclaim's refault window (issue 25): shrink_folio_list() takes each folio out of the swap
// cache and unlocks it before the batch's try_to_unmap_flush(). A fault in between reads
// the page into a new folio while another CPU still caches the old one.

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { residentFrame } from '../../model/queries.js';
import { initialState } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { TARGETS } from '../../properties/targets.js';
import { replay } from '../../src/engine/trace.js';
import { derived, finalState, kstep, load, shrink, store, variant } from '../support.js';

const kernel = variant('reclaim-batched-dirty-refault-window');
const twin = variant('reclaim-batched-dirty');
const tiny = CONFIGS.tiny;

// CPU 0 caches p0, kswapd (T0, on CPU 0) unmaps it and defers the flush, the folio leaves
// the swap cache, CPU 1 faults the page back into a new frame and stores to it.
const refault: readonly Action[] = [
  load(0, 0),
  shrink(0, 0, [0]),
  kstep(0), // try_to_unmap_one
  kstep(0), // __remove_mapping
  load(1, 0), // #PF: do_swap_page() into a new frame
  store(1, 0, 1),
];

describe("reclaim's refault window", () => {
  it('is a step of the kernel order: try_to_unmap_one, then __remove_mapping before the flush', () => {
    const s = finalState(kernel, initialState(tiny), refault.slice(0, 3));
    expect(currentStep(kernel.policy, s.tasks[0]!)).toBe('__remove_mapping');
    const after = finalState(kernel, s, [kstep(0)]);
    expect(after.frames[0]!.owner).toEqual({ kind: 'unmapped' });
    expect(after.tasks[0]!.tlb_ubc.flush_required).toBe(true);
    expect(currentStep(kernel.policy, after.tasks[0]!)).toBe('try_to_unmap_flush');
  });

  it('a load through the old entry misses a store made to the refaulted page (no dirty-bit assist involved)', () => {
    const r = replay(kernel, tiny, refault, { invariants: [findInvariant('loadsSeeLastStore')!] });
    expect(r.disabledAt).toBeNull();
    expect(r.violation?.atStep).toBe(refault.length);
    expect(r.violation?.witness.message).toBe(
      'a load by CPU 0 from page 0 would return 0 through its TLB entry to frame 0, but the last store wrote 1',
    );
    // CPU 1 wrote through a walk to its own, new frame: nothing went through a stale entry
    const last = r.trace.steps.at(-1)!.state;
    expect(tlbLookup(last, 1, 0, 0)?.frame).not.toBe(0);
    expect(TARGETS.find((t) => t.id === 'refaultWhileFlushDeferred')!.hit(last, undefined)).toBe(false);
    const refaulted = replay(kernel, tiny, refault.slice(0, 5), { invariants: [] }).trace.steps;
    const target = TARGETS.find((t) => t.id === 'refaultWhileFlushDeferred')!;
    expect(target.hit(refaulted[4]!.state, { pre: refaulted[3]!.state, action: refault[4]! })).toBe(true);
  });

  it('in the twin the fault waits on the folio lock until the free, after the flush, and every invariant holds', () => {
    const s = finalState(twin, initialState(tiny), refault.slice(0, 3));
    expect(accessOutcome(twin.policy.arch, s, 1, 0, false)).toEqual({ kind: 'wait', on: 'folio_lock' });
    expect(enabled(twin, s, load(1, 0))).toBe(false);
    // the same schedule, each access taken once it can run
    const r = replay(twin, tiny, [...refault, kstep(0), kstep(0), ...refault.slice(4)], {
      invariants: INVARIANTS,
      skipDisabled: true,
    });
    expect(r.violation).toBeNull();
    expect(r.trace.steps.map((x) => x.action.op)).toEqual([
      'load',
      'shrink_folio_list',
      'kernelStep',
      'kernelStep',
      'kernelStep',
      'load',
      'store',
    ]);
  });

  it('a folio someone else still holds a reference to stays in the swap cache (folio_ref_freeze() fails)', () => {
    const s = finalState(kernel, initialState(tiny), refault.slice(0, 3));
    const held = { ...s, frames: s.frames.map((f, i) => (i === 0 ? { ...f, refcount: 2 } : f)) };
    const after = finalState(kernel, held, [kstep(0)]);
    expect(residentFrame(after, 0, 0)).toBe(0);
    expect(accessOutcome(kernel.policy.arch, after, 1, 0, false)).toEqual({ kind: 'wait', on: 'folio_lock' });
  });

  it('a clean lazily freed folio is discarded at try_to_unmap_one() where the program has the window, else at the free', () => {
    const world = CONFIGS['tiny-madvise-free'];
    const freeCall: Action = { op: 'syscall', task: 1, call: 'madvise_free', mm: 0, vpages: [0] };
    const setup: Action[] = [
      store(0, 0, 1),
      freeCall,
      kstep(1),
      kstep(1),
      kstep(1),
      shrink(0, 0, [0]),
      kstep(0),
    ];
    const open = finalState(kernel, initialState(world), setup);
    expect(open.ghost.memory[0]![0]).toBe(0);
    expect(open.frames[0]!.owner).toEqual({ kind: 'unmapped' });
    expect(accessOutcome(kernel.policy.arch, open, 1, 0, false)).toMatchObject({
      kind: 'fault',
      handler: 'do_swap_page',
    });
    const closed = finalState(twin, initialState(world), setup);
    expect(closed.ghost.lazy[0]![0]).toBe(true);
    expect(residentFrame(closed, 0, 0)).toBe(0);
  });

  it('the lost store needs the dirty-bit assist to reach the cached frame: arm64 has only the stale read', () => {
    const arm64 = derived('reclaim-refault-arm64', variant('reclaim-batched-dirty-arm64'), {
      reclaim: { ...kernel.policy.reclaim! },
    });
    const r = replay(arm64, tiny, refault, { invariants: [findInvariant('loadsSeeLastStore')!] });
    expect(r.violation?.atStep).toBe(refault.length);
    // x86: a store through CPU 0's clean writable entry re-walks to the new PTE and, as the
    // model reads the SDM, lands in the old frame
    const assisted = [load(0, 0), shrink(0, 0, [0]), kstep(0), kstep(0), load(1, 0), store(0, 0, 1)];
    const lost = [findInvariant('noLostWrite')!];
    expect(replay(kernel, tiny, assisted, { invariants: lost }).violation?.atStep).toBe(6);
    // arm64 (hardware DBM): the same store does not land in the old frame
    const r64 = replay(arm64, tiny, assisted, { invariants: lost });
    expect([r64.disabledAt, r64.violation]).toEqual([null, null]);
  });
});
