// migrc on x86 with PCID (world migrc-pcid): flush_tlb_local(), which migrc hooks to record
// migrc_done, empties only the ASID loaded then, so a CPU that switched away from the mm
// whose flush migrc deferred is skipped by arch_migrc_adj() while its other ASID still
// holds src. tlb_gen, which the deferral bumped, makes the CPU flush that ASID before it
// runs the mm again; without the bump, the CPU comes back to a freed frame.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS, type Config } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { derived, drain, finalState, kstep, load, run, store, variant } from '../support.js';

const world: Config = CONFIGS['migrc-pcid'];
const s0 = initialState(world);
const v3 = variant('migrc');
const fixed = variant('migrc-fixed');
const noBump = derived('migrc-no-tlb-gen-bump', v3, { arch: { ...v3.policy.arch, batchBumpsTlbGen: false } });
const freed = findInvariant('noAccessToFreedFrame')!;
const loads = findInvariant('loadsSeeLastStore')!;

const clearRefs: Action = { op: 'syscall', task: 1, call: 'clear_refs', mm: 0, vpages: [0] };
const switchTo = (mm: number): Action[] => [
  { op: 'switch_mm', cpu: 1, mm },
  { op: 'set_loaded_mm', cpu: 1 },
];
const migrate = (mm: number): Action => ({ op: 'migrate_pages', task: 0, mm, vpages: [0] });

/**
 * CPU 1 write-protects mm 0's page (clear_refs), caches it read-only and switches to mm 1,
 * keeping the entry under mm 0's ASID; CPU 0 migrates the page, and migrc defers the flush
 * to CPU 1 and keeps src (frame 0).
 */
function held(v: typeof v3) {
  const prefix = finalState(v, s0, [
    clearRefs,
    kstep(1),
    kstep(1),
    kstep(1),
    load(1, 0),
    ...switchTo(1),
    migrate(0),
  ]);
  return drain(v, prefix, 0);
}

describe('migrc with PCID', () => {
  it('defers the flush to the CPU that switched away and bumps the mm tlb_gen', () => {
    const s = held(v3);
    expect(s.migrc.reqs).toEqual([{ cpumask: 0b11, gen: 1, srcs: [0] }]);
    expect(tlbLookup(s, 1, 0, 0)).toMatchObject({ frame: 0, writable: false });
    expect(s.cpus[1]!.tlb_gen_lag![0]).toBe(1);
  });

  it('a full flush of mm 1 on CPU 1 (a batch flushing the page mm 1 wrote) records migrc_done, and the entry of mm 0 stays', () => {
    const s = drain(v3, finalState(v3, held(v3), [store(1, 0, 1), migrate(1)]), 0);
    expect(s.cpus[1]!.migrc_done).toBe(s.migrc.gen);
    expect(tlbLookup(s, 1, 0, 0)).toMatchObject({ frame: 0 });
  });

  for (const v of [v3, fixed])
    it(`${v.id}: arch_migrc_adj() skips that CPU and frees src; tlb_gen makes it flush mm 0's ASID before it runs mm 0 again`, () => {
      const recorded = drain(v, finalState(v, held(v), [store(1, 0, 1), migrate(1)]), 0);
      // CPU 0 writes dst: the write fault gives up deferring, and the flush skips CPU 1
      const steps = run(v, recorded, [store(0, 0, 1)]);
      const s = steps[0]!.post;
      expect(s.migrc.reqs).toEqual([]);
      expect(s.frames[0]!.owner.kind).toBe('free');
      expect(s.cost.ipis).toBe(recorded.cost.ipis);
      expect(tlbLookup(s, 1, 0, 0)).toMatchObject({ frame: 0 });
      // not usable while CPU 1 runs mm 1
      expect(freed.check(s)).toBeNull();
      const back = finalState(v, s, switchTo(0));
      expect(tlbLookup(back, 1, 0, 0)).toBeNull();
      expect(freed.check(back)).toBeNull();
      expect(loads.check(finalState(v, back, [load(1, 0)]))).toBeNull();
    });

  it('without the tlb_gen bump in arch_tlbbatch_add_pending(), CPU 1 comes back to mm 0 with an entry to the freed src', () => {
    // migrc's own flush reaches CPU 1, but flush_tlb_func() finds mm 1 current and does nothing
    const s = finalState(noBump, held(noBump), [store(0, 0, 1), ...switchTo(0)]);
    expect(s.frames[0]!.owner.kind).toBe('free');
    expect(freed.check(s)?.message).toBe('CPU 1 caches an entry for page 0 to frame 0, which is now free');
  });
});
