// x86 with PCID and lazy TLB (model/switch.ts): the steps of switch_mm_irqs_off(), the
// per-CPU tlb_gen lag, should_flush_tlb() and flush_tlb_func(), and what they change in
// the guards, the flushes of the system calls and reclaim, the encoding and the reports.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, configProblem, defineConfig } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { set_tlb_ubc_flush_pending, try_to_unmap_flush } from '../../model/rmap.js';
import { type Cpu, initialState, type State } from '../../model/state.js';
import { flush_tlb_func, inc_mm_tlb_gen, should_flush_tlb } from '../../model/switch.js';
import { flushTlbMulti } from '../../model/tlbflush.js';
import { policyProblem, X86 } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { findTarget } from '../../properties/targets.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeChanges, describeStep } from '../../src/codec/format.js';
import {
  finalState,
  freeFrame,
  kstep,
  load,
  ownFrame,
  run,
  store,
  variant,
  withFrameData,
  withPte,
  withTlb,
} from '../support.js';

const pcid = variant('x86-pcid');
const rc5 = variant('x86-pcid-v6.15-rc5-switching-skipped');
const stable = variant('x86-pcid-stable-switching-after-tlb-gen');
const world = () => initialState(CONFIGS['tiny-pcid']);
/** tiny-pcid with two pages per mm, so a flush of pages differs from a flush of the ASID. */
const twoPages = defineConfig({ ...CONFIGS['tiny-pcid'], name: 'two-pages', pages: 2, frames: 5, batch: 2 });

const switchMm = (cpu: number, mm: number): Action => ({ op: 'switch_mm', cpu, mm });
const loaded = (cpu: number): Action => ({ op: 'set_loaded_mm', cpu });
const cr3 = (cpu: number): Action => ({ op: 'load_new_mm_cr3', cpu });
const lazy = (cpu: number): Action => ({ op: 'enter_lazy_tlb', cpu });
const munmap = (vpages: number[]): Action => ({ op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages });
const entry0 = { frame: 0, writable: true, dirty: false };
const lagOf = (s: State, cpu: number, mm: number) => s.cpus[cpu]!.tlb_gen_lag![mm];

describe('a world with PCID', () => {
  it('starts every CPU current with every mm; a world without it carries no PCID fields', () => {
    expect(world().cpus.map((c) => c.tlb_gen_lag)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    for (const c of initialState(CONFIGS.tiny).cpus)
      expect(Object.keys(c).sort()).toEqual(['migrc_done', 'mm', 'tlb']);
  });

  it('is a config option of its own, not one with contextSwitches', () => {
    expect(configProblem({ ...CONFIGS['tiny-pcid'], contextSwitches: true })).toMatch(/choose one/);
    expect(configProblem({ ...CONFIGS['tiny-pcid'], pcid: 'yes' as unknown as boolean })).toMatch(
      /pcid must be/,
    );
    expect(configProblem(CONFIGS.pcid)).toBeNull();
  });

  it('checks the two x86 switch fields of a policy', () => {
    for (const field of ['ipiSwitchingCpus', 'switchingBeforeTlbGen'])
      expect(policyProblem({ ...pcid.policy, arch: { ...X86, [field]: 1 } })).toMatch(field);
    expect(policyProblem(rc5.policy)).toBeNull();
  });

  it('offers no switch in a world without PCID', () => {
    const s = initialState(CONFIGS.tiny);
    for (const a of [switchMm(0, 0), lazy(0), loaded(0), cr3(0)]) expect(enabled(pcid, s, a)).toBe(false);
  });
});

describe('switch_mm_irqs_off()', () => {
  it('keeps the entries of an mm whose tlb_gen did not move while the CPU was away', () => {
    const s = finalState(pcid, world(), [load(0, 0), switchMm(0, 1), loaded(0), switchMm(0, 0), loaded(0)]);
    expect(tlbLookup(s, 0, 0, 0)).toEqual({ frame: 0, writable: true, dirty: false });
    expect(s.cost.fullFlushes).toBe(0);
  });

  it('flushes that mm’s ASID, and only it, when its tlb_gen moved while the CPU was away', () => {
    const away = finalState(pcid, world(), [load(0, 0), switchMm(0, 1), loaded(0), load(0, 0)]);
    const behind = produce(away, (d) => inc_mm_tlb_gen(d, 0));
    expect(lagOf(behind, 0, 0)).toBe(1);
    const back = finalState(pcid, behind, [switchMm(0, 0)]);
    expect(tlbLookup(back, 0, 0, 0)).toBeNull();
    expect(tlbLookup(back, 0, 1, 0)).not.toBeNull();
    expect(lagOf(back, 0, 0)).toBe(0);
  });

  it('joins next’s mm_cpumask and marks loaded_mm LOADED_MM_SWITCHING until its last step', () => {
    const [first, last] = run(pcid, world(), [switchMm(0, 1), loaded(0)]);
    expect(first!.post.mms[1]!.mm_cpumask).toBe(0b01);
    expect(first!.post.cpus[0]).toMatchObject({ mm: 1, switching: true });
    expect(first!.post.cpus[0]!.loaded_mm).toBeUndefined();
    expect(last!.post.cpus[0]!.switching).toBeUndefined();
  });

  it('in the older order leaves loaded_mm naming prev until load_new_mm_cr3()', () => {
    const [first, second] = run(stable, world(), [switchMm(0, 1), cr3(0)]);
    expect(first!.post.cpus[0]).toMatchObject({ mm: 1, loaded_mm: 0 });
    expect(first!.post.cpus[0]!.switching).toBeUndefined();
    expect(enabled(stable, first!.post, loaded(0))).toBe(false);
    expect(second!.post.cpus[0]).toMatchObject({ mm: 1, switching: true });
    expect(second!.post.cpus[0]!.loaded_mm).toBeUndefined();
  });

  it('returns from lazy mode in one step, flushing only if the mm’s tlb_gen moved', () => {
    const lazyWithEntry = finalState(pcid, world(), [load(0, 0), lazy(0)]);
    const current = finalState(pcid, lazyWithEntry, [switchMm(0, 0)]);
    expect(current.cpus[0]!.lazy).toBeUndefined();
    expect(current.cpus[0]!.switching).toBeUndefined();
    expect(tlbLookup(current, 0, 0, 0)).not.toBeNull();
    const behind = produce(lazyWithEntry, (d) => inc_mm_tlb_gen(d, 0));
    expect(tlbLookup(finalState(pcid, behind, [switchMm(0, 0)]), 0, 0, 0)).toBeNull();
  });
});

describe('the guards while a CPU switches or runs a kernel thread', () => {
  const switching = () => finalState(pcid, world(), [switchMm(1, 1)]);

  it('run no user access, system call or kernel step on a CPU inside the switch', () => {
    const s = switching();
    expect(enabled(pcid, s, load(1, 0))).toBe(false);
    expect(enabled(pcid, s, store(1, 0, 1))).toBe(false);
    expect(enabled(pcid, s, { op: 'write', task: 0, vpage: 0, value: 1 })).toBe(false);
    const inCall = finalState(pcid, world(), [munmap([0])]);
    // The call holds CPU 1's mm: CPU 1 does not switch until it returns.
    expect(enabled(pcid, inCall, switchMm(1, 1))).toBe(false);
    expect(enabled(pcid, inCall, lazy(1))).toBe(false);
    expect(enabled(pcid, inCall, switchMm(0, 1))).toBe(true);
    expect(enabled(pcid, switching(), munmap([0]))).toBe(false);
  });

  it('hold a kernel step while its CPU is in the older order’s first window', () => {
    const s = finalState(stable, world(), [munmap([0])]);
    const moved = produce(s, (d) => {
      d.cpus[1]!.loaded_mm = 0;
    });
    expect(enabled(stable, s, kstep(0))).toBe(true);
    expect(enabled(stable, moved, kstep(0))).toBe(false);
  });

  it('run no user access on a lazy CPU, and switch it only back or away', () => {
    const s = finalState(pcid, world(), [lazy(0)]);
    expect(enabled(pcid, s, load(0, 0))).toBe(false);
    expect(enabled(pcid, s, lazy(0))).toBe(false);
    expect(enabled(pcid, s, switchMm(0, 0))).toBe(true);
    expect(enabled(pcid, world(), switchMm(0, 0))).toBe(false);
    expect(enabled(pcid, world(), loaded(0))).toBe(false);
    expect(enabled(pcid, world(), cr3(0))).toBe(false);
    expect(enabled(pcid, world(), switchMm(0, 2))).toBe(false);
  });
});

describe('should_flush_tlb()', () => {
  const s = world();
  const at = (edit: (c: Draft<Cpu>) => void) =>
    produce(s, (d) => {
      edit(d.cpus[0]!);
    });

  it('skips a lazy CPU even for a flush of any mm', () => {
    expect(
      should_flush_tlb(
        at((c) => (c.lazy = true)),
        X86,
        0,
        null,
      ),
    ).toBe(false);
    expect(should_flush_tlb(s, X86, 0, null)).toBe(true);
  });

  it('reaches a CPU whose loaded_mm is the mm, and not one whose loaded_mm is another', () => {
    expect(should_flush_tlb(s, X86, 0, 0)).toBe(true);
    expect(should_flush_tlb(s, X86, 0, 1)).toBe(false);
    // CR3 already holds mm 1 but loaded_mm still names mm 0
    const older = at((c) => {
      c.mm = 1;
      c.loaded_mm = 0;
    });
    expect(should_flush_tlb(older, X86, 0, 1)).toBe(false);
    expect(should_flush_tlb(older, X86, 0, 0)).toBe(true);
  });

  it('reaches a switching CPU since fea4e317f9e7, and skipped it before', () => {
    const switching = at((c) => {
      c.mm = 1;
      c.switching = true;
    });
    expect(should_flush_tlb(switching, X86, 0, 1)).toBe(true);
    expect(should_flush_tlb(switching, rc5.policy.arch, 0, 1)).toBe(false);
  });
});

describe('flush_tlb_func() and tlb_gen', () => {
  const two = () =>
    withTlb(withTlb(initialState(twoPages), 0, 0, 0, entry0), 0, 0, 1, { ...entry0, frame: 1 });

  it('does nothing when the CPU is current, or runs another mm, or is lazy', () => {
    const s = two();
    expect(produce(s, (d) => flush_tlb_func(d, 0, 0, [0], X86))).toEqual(s);
    const behind = produce(s, (d) => inc_mm_tlb_gen(d, 0));
    expect(produce(behind, (d) => flush_tlb_func(d, 0, 1, [0], X86))).toEqual(behind);
    const asleep = produce(behind, (d) => {
      d.cpus[0]!.lazy = true;
    });
    expect(produce(asleep, (d) => flush_tlb_func(d, 0, 0, null, X86))).toEqual(asleep);
  });

  it('flushes the pages when one generation behind, the whole ASID when two', () => {
    const one = produce(two(), (d) => inc_mm_tlb_gen(d, 0));
    const paged = produce(one, (d) => flush_tlb_func(d, 0, 0, [0], X86));
    expect(tlbLookup(paged, 0, 0, 0)).toBeNull();
    expect(tlbLookup(paged, 0, 0, 1)).not.toBeNull();
    expect(lagOf(paged, 0, 0)).toBe(0);
    const twice = produce(one, (d) => inc_mm_tlb_gen(d, 0));
    expect(lagOf(twice, 0, 0)).toBe(2);
    const whole = produce(twice, (d) => flush_tlb_func(d, 0, 0, [0], X86));
    expect(tlbLookup(whole, 0, 0, 1)).toBeNull();
    expect(whole.cost.fullFlushes).toBe(1);
  });

  it('a flush of one mm reads mm_cpumask when it is sent, not the mask gathered before', () => {
    const s = withTlb(world(), 0, 0, 0, entry0);
    // gathered when only CPU 1 was known to run the mm; CPU 0 has joined since
    const after = produce(s, (d) =>
      flushTlbMulti(d, X86, {
        from: 1,
        cpumask: 0b10,
        scope: { kind: 'page', mm: 0, vpage: 0 },
        broadcast: false,
      }),
    );
    expect(tlbLookup(after, 0, 0, 0)).toBeNull();
    expect(after.cost.ipis).toBe(1);
  });

  it('with batchFlushTlbGenZero, and only with it, the batched flush flushes nothing', () => {
    const behind = produce(withTlb(world(), 0, 0, 0, entry0), (d) => inc_mm_tlb_gen(d, 0));
    const zero = produce(behind, (d) =>
      flush_tlb_func(d, 0, null, null, { ...X86, batchFlushTlbGenZero: true }),
    );
    expect(zero).toEqual(behind);
    const off = produce(behind, (d) =>
      flush_tlb_func(d, 0, null, null, { ...X86, batchFlushTlbGenZero: false }),
    );
    expect(tlbLookup(off, 0, 0, 0)).toBeNull();
  });

  it('stops the lag at one with one page per mm, where both flushes are the same', () => {
    const s = produce(world(), (d) => {
      inc_mm_tlb_gen(d, 0);
      inc_mm_tlb_gen(d, 0);
    });
    expect(lagOf(s, 0, 0)).toBe(1);
    expect(lagOf(s, 0, 1)).toBe(0);
  });

  it('munmap() of two pages bumps tlb_gen once, and skips a CPU that runs another mm', () => {
    const v = pcid;
    const away = finalState(v, withTlb(initialState(twoPages), 0, 0, 0, entry0), [switchMm(0, 1), loaded(0)]);
    const s = finalState(v, away, [munmap([0, 1]), kstep(0), kstep(0), kstep(0)]);
    expect(s.cost.ipis).toBe(0);
    expect(lagOf(s, 0, 0)).toBe(1);
    expect(lagOf(s, 1, 0)).toBe(0);
    // the entry CPU 0 keeps is flushed when it comes back
    expect(tlbLookup(finalState(v, s, [switchMm(0, 0)]), 0, 0, 0)).toBeNull();
  });

  it('a deferred flush bumps tlb_gen (arch_tlbbatch_add_pending()); the batch flush reaches only non-lazy CPUs', () => {
    const s = produce(finalState(pcid, world(), [lazy(0)]), (d) => {
      d.tasks[0]!.job = 'reclaim';
      set_tlb_ubc_flush_pending(d, 0, 0, false, false, true, X86);
    });
    expect(s.cpus.map((c) => c.tlb_gen_lag![0])).toEqual([1, 1]);
    const flushed = produce(s, (d) => try_to_unmap_flush(d, X86, 0));
    // CPU 1 (the local one) caught up; CPU 0 is lazy: no IPI, it catches up on return
    expect(flushed.cpus.map((c) => c.tlb_gen_lag![0])).toEqual([1, 0]);
    expect(flushed.cost.ipis).toBe(0);
  });
});

describe('the invariants and targets with PCID', () => {
  /** Page 0 of mm 0 unmapped and its frame 0 freed, whatever the TLBs still hold. */
  const freed = (s: State) => freeFrame(withPte(s, 0, 0, { kind: 'none' }), 0);

  it('an entry kept behind the ASID of an mm the CPU does not run is no access yet', () => {
    const away = freed(finalState(pcid, world(), [load(0, 0), switchMm(0, 1), loaded(0)]));
    const inv = findInvariant('noAccessToFreedFrame')!;
    expect(inv.check(away)).toBeNull();
    expect(findTarget('staleEntryInOtherAsid')!.hit(away)).toBe(true);
    // back in that mm without a flush (a tlb_gen that did not move): the entry is usable
    const back = produce(away, (d) => {
      d.cpus[0]!.mm = 0;
    });
    expect(inv.check(back)?.cpu).toBe(0);
  });

  it('a lazy CPU’s stale entry breaks loadsSeeLastStore only once it runs user code', () => {
    const asleep = finalState(pcid, world(), [load(0, 0), lazy(0)]);
    // the page moved to frame 2; frame 0, which CPU 0 still caches, has been rewritten
    const moved = produce(ownFrame(withFrameData(asleep, 0, 1), 2, 0, 0, 0), (d) => {
      d.frames[0]!.owner = { kind: 'unmapped' };
      d.mms[0]!.pte[0] = { kind: 'present', frame: 2, writable: true, dirty: false, accessed: false };
    });
    const inv = findInvariant('loadsSeeLastStore')!;
    expect(inv.check(moved)).toBeNull();
    expect(findTarget('staleEntryWhileLazy')!.hit(moved)).toBe(true);
    const awake = produce(moved, (d) => {
      delete d.cpus[0]!.lazy;
    });
    expect(inv.check(awake)?.cpu).toBe(0);
  });

  it('staleEntryWhileSwitching is hit inside the switch only', () => {
    const inside = freed(finalState(pcid, world(), [load(0, 0), switchMm(0, 1), loaded(0), switchMm(0, 0)]));
    const target = findTarget('staleEntryWhileSwitching')!;
    expect(target.hit(inside)).toBe(true);
    expect(target.hit(produce(inside, (d) => void delete d.cpus[0]!.switching))).toBe(false);
  });
});

describe('encoding and reports', () => {
  it('round-trips lazy, switching, loaded_mm and the lags, and tells them apart', () => {
    const layout = layoutOf(CONFIGS['tiny-pcid']);
    const states = [
      world(),
      finalState(pcid, world(), [lazy(0)]),
      finalState(pcid, world(), [switchMm(0, 1)]),
      finalState(stable, world(), [switchMm(0, 1)]),
      produce(world(), (d) => inc_mm_tlb_gen(d, 1)),
    ];
    const bytes = states.map((s) => {
      const out = new Uint8Array(layout.size);
      encode(layout, s, out);
      expect(decode(layout, out)).toEqual({ ...s, cost: { ipis: 0, fullFlushes: 0, pageFlushes: 0 } });
      return out.join(',');
    });
    expect(new Set(bytes).size).toBe(states.length);
  });

  it('reads the switch as the kernel names it', () => {
    const s = world();
    expect(describeStep(pcid, s, switchMm(0, 1))).toBe('switch_mm_irqs_off(mm 0 -> mm 1)');
    const asleep = finalState(pcid, s, [lazy(0)]);
    expect(describeStep(pcid, asleep, switchMm(0, 0))).toBe('switch_mm_irqs_off(mm 0): leaves lazy mode');
    expect(describeStep(stable, s, cr3(0))).toMatch(/LOADED_MM_SWITCHING; load_new_mm_cr3/);
    const [first, second] = run(stable, s, [switchMm(0, 1), cr3(0)]);
    expect(describeChanges(first!.pre, first!.post)).toEqual(['cr30: mm 1', 'mm_cpumask(mm1) = {0}']);
    expect(describeChanges(second!.pre, second!.post)).toEqual(['loaded_mm0: LOADED_MM_SWITCHING']);
    expect(describeStep(stable, second!.post, loaded(0))).toBe('loaded_mm = mm 1');
    expect(describeChanges(s, asleep)).toEqual(['loaded_mm0: mm 0 (lazy)']);
    expect(
      describeChanges(
        s,
        produce(s, (d) => inc_mm_tlb_gen(d, 0)),
      ),
    ).toEqual(['tlb_gen0 mm0 behind by 1', 'tlb_gen1 mm0 behind by 1']);
  });
});
