// arm64's batched flush: broadcast TLBIs at unmap time and a DSB on the issuing CPU, so the
// same window as x86 with no IPIs; and the v6.6 flush_tlb_batched_pending() that was only a
// DSB, which cannot complete a reclaim's TLBIs issued on another CPU (4b634918384c).

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState, type State } from '../../model/state.js';
import { ARM64, policyProblem, type Variant, X86 } from '../../model/variant.js';
import { finalState, kstep, load, shrink, store, variant } from '../support.js';

/** Steps `task` until it is idle. */
function finish(v: Variant, s: State, task: number): State {
  let t = s;
  while (enabled(v, t, kstep(task))) t = next(v, t, kstep(task));
  return t;
}

const x86 = variant('reclaim-batched-dirty');
const arm64 = variant('reclaim-batched-dirty-arm64');
const dsbOnly = variant('reclaim-batched-dirty-arm64-v6.6-dsb-batched-pending');
const world = initialState(CONFIGS['tiny-syscalls']);
const mprotect: Action = { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 0, vpages: [0] };

describe('arm64 batched flush', () => {
  it('reclaims with the same steps and flushes as x86 but sends no IPI', () => {
    // CPU 1 caches page 0; kswapd on CPU 0 reclaims it with the flush deferred.
    const actions = [load(1, 0), shrink(0, 0, [0])];
    const a = finish(x86, finalState(x86, world, actions), 0);
    const b = finish(arm64, finalState(arm64, world, actions), 0);
    expect(a.tasks[0]!.job).toBe('idle');
    expect({ ...b, cost: null }).toEqual({ ...a, cost: null });
    expect(a.cost.ipis).toBeGreaterThan(0);
    expect(b.cost.ipis).toBe(0);
    expect(b.cost.fullFlushes).toBe(a.cost.fullFlushes);
  });

  it('try_to_unmap_flush_dirty() of a dirty page is a DSB too: still no IPI', () => {
    // CPU 1 dirties page 0; kswapd reclaims it, flushing in try_to_unmap_flush_dirty()
    const actions = [store(1, 0, 1), shrink(0, 0, [0])];
    const a = finish(x86, finalState(x86, world, actions), 0);
    const b = finish(arm64, finalState(arm64, world, actions), 0);
    expect({ ...b, cost: null }).toEqual({ ...a, cost: null });
    expect(a.cost.ipis).toBeGreaterThan(0);
    expect(b.cost).toEqual({ ...a.cost, ipis: 0 });
  });

  it('the arch is data that policyProblem checks', () => {
    expect(policyProblem({ ...arm64.policy })).toBeNull();
    expect(policyProblem({ ...arm64.policy, arch: { ...ARM64, tlbi: 'smoke' } })).toMatch(/tlbi/);
    expect(policyProblem({ ...arm64.policy, arch: { ...X86, batchedPendingDsbOnly: true } })).toMatch(
      /needs tlbi 'broadcast'/,
    );
  });
});

describe('the context switch on arm64', () => {
  it('completes the TLBIs a kernel task on this CPU issued before the thread runs (dsb in __switch_to())', () => {
    // Both CPUs cache page 0; kswapd on CPU 0 clears its PTE with the TLBIs in flight.
    const two = initialState(CONFIGS.syscalls);
    const start = [load(0, 0), load(1, 0), shrink(0, 0, [0]), kstep(0)];
    const s = finalState(arm64, two, start);
    expect(tlbLookup(s, 0, 0, 0)).not.toBeNull();
    expect(tlbLookup(s, 1, 0, 0)).not.toBeNull();
    // a load of page 1 on CPU 0 comes after the switch from kswapd: its TLBIs complete
    expect(enabled(arm64, s, load(0, 1))).toBe(true);
    const after = next(arm64, s, load(0, 1));
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(after.cost).toEqual(s.cost);
    // on x86 nothing completes until the IPIs of try_to_unmap_flush()
    const x = finalState(x86, two, [...start, load(0, 1)]);
    expect(tlbLookup(x, 1, 0, 0)).not.toBeNull();
  });
});

describe('flush_tlb_batched_pending() on arm64', () => {
  // CPU 1 caches page 0; kswapd on CPU 0 clears the PTE and defers the TLBI's completion;
  // CPU 1's thread calls mprotect(PROT_READ) on the page: change_pte_range() runs on CPU 1.
  const race = [load(1, 0), shrink(0, 0, [0]), kstep(0), mprotect, kstep(1)];

  it('flushes the whole mm after 4b634918384c: the stale entry is gone before mprotect returns', () => {
    const s = finalState(arm64, world, race);
    expect(s.mms[0]!.tlb_flush_batched).toBe(false);
    expect(tlbLookup(s, 1, 0, 0)).toBeNull();
  });

  it('as a DSB on CPU 1 (v6.6) clears tlb_flush_batched but cannot complete CPU 0’s TLBI', () => {
    const s = finalState(dsbOnly, world, race);
    expect(s.mms[0]!.tlb_flush_batched).toBe(false);
    expect(tlbLookup(s, 1, 0, 0)).not.toBeNull();
    // and mprotect returns with the entry still usable: a store would go through
    const returned = finish(dsbOnly, s, 1);
    expect(returned.tasks[1]!.job).toBe('idle');
    expect(returned.ghost.promised[0]![0]).toBe('ro');
    expect(tlbLookup(returned, 1, 0, 0)).toMatchObject({ writable: true });
  });

  it('as a DSB on the reclaiming CPU itself it does complete that CPU’s TLBIs', () => {
    // The same race with the roles swapped: CPU 0 caches the page and its own thread
    // calls mprotect while kswapd on CPU 0 has the flush deferred.
    const local: Action = { ...mprotect, task: 1 };
    const s0 = initialState({ ...CONFIGS['tiny-syscalls'], name: 'same-cpu', taskCpus: [0, 0] });
    const s = finalState(dsbOnly, s0, [load(1, 0), shrink(0, 0, [0]), kstep(0), local, kstep(1)]);
    expect(tlbLookup(s, 1, 0, 0)).toBeNull();
  });
});
