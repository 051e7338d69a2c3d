// x86's store buffer for the PCID switch's stores (Config.tso, model/store-buffer.ts):
// what another CPU reads of a CPU's loaded_mm and is_lazy, what drains the buffer, and the
// race it lets the model find: CVE-2025-40174, fixed by 83b0177a6c48.

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, configProblem } from '../../model/config.js';
import { initialState, type State } from '../../model/state.js';
import { seenTlbState } from '../../model/store-buffer.js';
import { should_flush_tlb } from '../../model/switch.js';
import { policyProblem, X86 } from '../../model/variant.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeChanges, describeStep } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, load, run, variant } from '../support.js';

const buggy = variant('x86-pcid-v6.15-no-switch-barrier');
const fixed = variant('x86-pcid');
const tso = CONFIGS['tiny-pcid-tso'];
const world = () => initialState(tso);

const switchMm = (cpu: number, mm: number): Action => ({ op: 'switch_mm', cpu, mm });
const loaded = (cpu: number): Action => ({ op: 'set_loaded_mm', cpu });
const lazy = (cpu: number): Action => ({ op: 'enter_lazy_tlb', cpu });
const drainOne = (cpu: number): Action => ({ op: 'drain_store_buffer', cpu });
const munmap: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] };

// CPU 0 caches p0 of mm 0, runs mm 1 and comes back to mm 0, still in its mm_cpumask, so
// cpumask_set_cpu() does not run; meanwhile CPU 1 unmaps p0 and flushes.
const race: readonly Action[] = [
  load(0, 0),
  munmap,
  kstep(0), // zap_pte_range
  switchMm(0, 1),
  loaded(0),
  switchMm(0, 0), // LOADED_MM_SWITCHING buffered, tlb_gen read
  kstep(0), // tlb_finish_mmu: bumps tlb_gen, reads loaded_mm
  kstep(0), // returns
  loaded(0),
  load(0, 0),
];

describe('a store buffer (Config.tso)', () => {
  it('is a config option of worlds with PCID, and only they carry the field', () => {
    expect(configProblem({ ...CONFIGS['tiny-pcid'], tso: true })).toBeNull();
    expect(configProblem({ ...CONFIGS.tiny, tso: true })).toMatch(/needs pcid/);
    expect(configProblem({ ...tso, tso: 'yes' as unknown as boolean })).toMatch(/tso must be/);
    expect(world().cpus.map((c) => c.sb)).toEqual([[], []]);
    expect(initialState(CONFIGS['tiny-pcid']).cpus[0]!.sb).toBeUndefined();
    expect(policyProblem({ ...fixed.policy, arch: { ...X86, switchMmBarrier: 1 } })).toMatch(
      'switchMmBarrier',
    );
  });

  it('hides the LOADED_MM_SWITCHING store from other CPUs until it drains, when no barrier follows it', () => {
    const away = finalState(buggy, world(), [switchMm(0, 1), loaded(0)]);
    const s = finalState(buggy, away, [switchMm(0, 0)]);
    expect(s.cpus[0]!.switching).toBe(true);
    expect(seenTlbState(s, 0)).toEqual({ lazy: false, loadedMm: 1 });
    // a flush of mm 0 skips CPU 0, which has already read tlb_gen
    expect(should_flush_tlb(s, buggy.policy.arch, 0, 0)).toBe(false);
    expect(enabled(buggy, s, drainOne(0))).toBe(true);
    expect(describeStep(buggy, s, drainOne(0))).toContain(
      'store buffer drains: loaded_mm = LOADED_MM_SWITCHING',
    );
    const drained = finalState(buggy, s, [drainOne(0)]);
    expect(seenTlbState(drained, 0).loadedMm).toBeUndefined();
    expect(should_flush_tlb(drained, buggy.policy.arch, 0, 0)).toBe(true);
    expect(enabled(buggy, drained, drainOne(0))).toBe(false);
    expect(describeChanges(away, s)).toContain('others still read loaded_mm0: mm 1 (store buffer)');
  });

  it('drains at the barrier: smp_mb() since 83b0177a6c48, or the locked cpumask_set_cpu() of a CPU joining mm_cpumask', () => {
    const away = finalState(fixed, world(), [switchMm(0, 1), loaded(0)]);
    expect(seenTlbState(finalState(fixed, away, [switchMm(0, 0)]), 0).loadedMm).toBeUndefined();
    // CPU 0 has never run mm 1: it joins mm_cpumask(mm 1) with a locked instruction
    expect(world().mms[1]!.mm_cpumask & 1).toBe(0);
    expect(seenTlbState(finalState(buggy, world(), [switchMm(0, 1)]), 0).loadedMm).toBeUndefined();
  });

  it('drains at the rq lock of the next switch and at the CR3 write, and keeps the last store of a switch', () => {
    const s = finalState(buggy, world(), [switchMm(0, 1), loaded(0)]);
    // loaded_mm = next may wait: others read LOADED_MM_SWITCHING, which gets the IPI
    expect(s.cpus[0]!.sb).toEqual([{ kind: 'loaded_mm' }]);
    expect(seenTlbState(s, 0).loadedMm).toBeUndefined();
    const l = finalState(buggy, s, [lazy(0)]);
    expect(l.cpus[0]!.sb).toEqual([{ kind: 'is_lazy', was: false }]);
    expect(seenTlbState(l, 0)).toEqual({ lazy: false, loadedMm: 1 });
    // leaving lazy mode for the mm it kept: is_lazy = false, then smp_mb()
    expect(finalState(buggy, l, [switchMm(0, 1)]).cpus[0]!.sb).toEqual([]);
    // the older order: the CR3 write right after LOADED_MM_SWITCHING drains it
    const stable = variant('x86-pcid-stable-switching-after-tlb-gen');
    const old = finalState(stable, world(), [switchMm(0, 1), { op: 'load_new_mm_cr3', cpu: 0 }]);
    expect(old.cpus[0]!.sb).toEqual([]);
  });

  it('is encoded: states that differ only in what is buffered differ in bytes, and decode back', () => {
    const s = finalState(buggy, world(), [switchMm(0, 1), loaded(0), switchMm(0, 0)]);
    const states = [s, finalState(buggy, s, [drainOne(0)]), finalState(buggy, world(), [lazy(0)])];
    const layout = layoutOf(tso);
    const bytes = states.map((x) => {
      const out = new Uint8Array(layout.size);
      encode(layout, x, out);
      expect(decode(layout, out)).toEqual({ ...x, cost: { ipis: 0, fullFlushes: 0, pageFlushes: 0 } });
      return out.join(',');
    });
    expect(new Set(bytes).size).toBe(states.length);
  });
});

describe('CVE-2025-40174: no barrier between the LOADED_MM_SWITCHING store and the tlb_gen read', () => {
  it('lets a flush skip a switching CPU, which then reads a page munmap() revoked', () => {
    const r = replay(buggy, tso, race, { invariants: [findInvariant('noAccessAfterRevoke')!] });
    expect(r.disabledAt).toBeNull();
    expect(r.violation?.atStep).toBe(race.length);
  });

  it('the twin with the barrier runs the same schedule and breaks nothing', () => {
    const r = replay(fixed, tso, race.slice(0, -1), { invariants: INVARIANTS });
    expect([r.disabledAt, r.violation]).toEqual([null, null]);
    // CPU 0 has no entry left for the revoked page: its load faults (SIGSEGV), so it is not taken
    expect(enabled(fixed, r.trace.steps.at(-1)!.state, load(0, 0))).toBe(false);
    // its flush reached CPU 0: the IPI flushed mm 0's ASID there
    const taken = run(fixed, world(), race.slice(0, 7));
    expect(taken.at(-1)!.post.cost.ipis).toBe(1);
  });

  it('needs the store buffer: with every store seen at once the same kernel holds in tiny-pcid', () => {
    const r = explore(buggy, CONFIGS['tiny-pcid'], { invariants: [findInvariant('noAccessAfterRevoke')!] });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
  });

  it('is found by the explorer at its shortest in tiny-pcid-tso', () => {
    const r = explore(buggy, tso, { invariants: [findInvariant('noAccessToFreedFrame')!] });
    expect(r.violation?.actions.length).toBe(7);
    const last: State = replay(buggy, tso, r.violation!.actions, { invariants: [] }).trace.steps.at(
      -1,
    )!.state;
    // when the flush ran, CPU 0's LOADED_MM_SWITCHING store was still in its buffer
    expect(last.cpus[0]!.switching).toBe(true);
    expect(should_flush_tlb(last, buggy.policy.arch, 0, 0)).toBe(false);
  });
});
