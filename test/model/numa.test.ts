// NUMA hinting (issue 25 item 3): change_prot_numa() makes PTEs PROT_NONE under mmap_lock
// for read and flushes them only at its end; a hinting fault maps the page again or
// migrates it. The migration must flush a PROT_NONE PTE that a CPU may still cache, which
// pte_accessible() tells by mm_tlb_flush_pending() (20841405940e, v3.13).

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, configProblem } from '../../model/config.js';
import { translate } from '../../model/hardware.js';
import { mm_tlb_flush_pending } from '../../model/queries.js';
import { initialState, type State } from '../../model/state.js';
import { X86 } from '../../model/variant.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { describeChanges, describeStep, pteText } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { derived, drain, finalState, kstep, load, store, variant } from '../support.js';

const world = CONFIGS.numa;
const twin = variant('numa-hinting');
const v312 = variant('numa-v3.12-protnone-not-accessible');
const today = derived('numa-hinting-under-ptl', twin, { numaIsolation: 'under-ptl' });
// T0 on CPU 0 and T1 on CPU 2 both run the scan and take hinting faults
const scan = (task: number): Action => ({
  op: 'syscall',
  task,
  call: 'change_prot_numa',
  mm: 0,
  vpages: [0],
});
const hint = (task: number): Action => ({ op: 'migrate_misplaced_folio', task, vpage: 0 });
const pte0 = (s: State) => s.mms[0]!.pte[0]!;
const only = (id: string) => [findInvariant(id)!];

describe('change_prot_numa()', () => {
  it('makes the PTE PROT_NONE and raises mm_tlb_flush_pending() until its flush', () => {
    const s0 = finalState(twin, initialState(world), [store(1, 0, 1), scan(0), kstep(0)]);
    expect(pte0(s0)).toMatchObject({
      kind: 'present',
      frame: 0,
      writable: false,
      protnone: true,
      dirty: true,
    });
    expect(pteText(pte0(s0))).toBe('f0 PROT_NONE D A');
    expect(mm_tlb_flush_pending(s0, 0)).toBe(true);
    // CPU 1 still stores through its entry; CPU 2's walk sees no present PTE and faults
    expect(translate(X86, s0, 1, 0, true).kind).toBe('hit');
    expect(translate(X86, s0, 2, 0, false).kind).toBe('fault');
    const flushed = finalState(twin, s0, [kstep(0)]);
    expect(flushed.cpus[1]!.tlb[0]).toBeNull();
    expect(mm_tlb_flush_pending(flushed, 0)).toBe(false);
    // it returns with the VMA and the promise unchanged: NUMA balancing is not the user's
    const back = finalState(twin, flushed, [kstep(0)]);
    expect(back.tasks[0]!.job).toBe('idle');
    expect(back.mms[0]!.vma[0]).toBe('rw');
    expect(back.ghost.promised[0]![0]).toBe('rw');
  });

  it('holds mmap_lock for read only: a hinting fault runs while it has not flushed', () => {
    const s0 = finalState(twin, initialState(world), [scan(0), kstep(0)]);
    expect(enabled(twin, s0, load(2, 0))).toBe(true);
    expect(enabled(twin, s0, hint(1))).toBe(true);
  });

  it('is modelled for anonymous memory without fork or clear_refs, said in one line', () => {
    const problem = 'numa is modelled for anonymous memory without fork or clear_refs';
    expect(configProblem({ ...world, syscalls: ['numa', 'clear_refs'] })).toBe(problem);
    expect(configProblem({ ...CONFIGS['fork-cow'], syscalls: ['fork', 'numa'] })).toBe(problem);
    expect(configProblem(world)).toBeNull();
  });
});

describe('the hinting fault', () => {
  const protnone = finalState(twin, initialState(world), [scan(0), kstep(0), kstep(0), kstep(0)]);

  it('maps the page again, writable for an exclusive folio, without a flush (do_numa_page())', () => {
    expect(describeStep(twin, protnone, load(2, 0))).toContain('#PF do_numa_page');
    const s = finalState(twin, protnone, [load(2, 0)]);
    expect(pte0(s)).toEqual({ kind: 'present', frame: 0, writable: true, dirty: false, accessed: true });
    expect(s.cost).toEqual(protnone.cost);
    // the access re-executes and walks the restored PTE
    expect(finalState(twin, s, [store(2, 0, 1)]).frames[0]!.data).toBe(1);
  });

  it('maps it read-only in a read-only VMA', () => {
    const ro = { ...protnone, mms: [{ ...protnone.mms[0]!, vma: ['ro' as const] }] };
    expect(finalState(twin, ro, [load(2, 0)]).mms[0]!.pte[0]).toMatchObject({ writable: false });
  });

  it('migrates the folio from the faulting CPU, only where that CPU would fault', () => {
    // CPU 2 has no entry: its task migrates, a batch of one
    const s = finalState(today, protnone, [hint(1)]);
    expect(s.tasks[1]!.job).toBe('migrate');
    expect(s.tasks[1]!.folios).toEqual([{ mm: 0, vpage: 0, src: 0, dst: 1 }]);
    expect(describeStep(twin, protnone, hint(1))).toBe('#PF do_numa_page(p0): migrate_misplaced_folio');
    const done = drain(twin, finalState(twin, protnone, [hint(1)]), 1);
    expect(pte0(done)).toEqual({ kind: 'present', frame: 1, writable: false, dirty: false, accessed: false });
    // not on a PTE that is not PROT_NONE, nor from a CPU whose TLB still holds the page
    expect(enabled(twin, initialState(world), hint(1))).toBe(false);
    const cached = finalState(twin, initialState(world), [load(0, 0), scan(1), kstep(1)]);
    expect(enabled(twin, cached, hint(0))).toBe(false);
    expect(enabled(twin, cached, hint(1))).toBe(false); // T1 is in the scan
  });

  it('ends with mprotect(), whose pte_modify() drops PROT_NONE', () => {
    const mp = { ...world, syscalls: ['numa' as const, 'mprotect' as const] };
    const s0 = finalState(twin, initialState(mp), [scan(0), kstep(0), kstep(0), kstep(0)]);
    const ro: Action = { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] };
    const s = finalState(twin, s0, [ro, kstep(0)]);
    expect(pte0(s)).toMatchObject({ kind: 'present', writable: false });
    expect(pte0(s)).not.toHaveProperty('protnone');
  });
});

describe('the isolation, after the PTL before v6.11 (ee86814b0562) and under it since', () => {
  const protnone = finalState(twin, initialState(world), [scan(0), kstep(0), kstep(0), kstep(0)]);

  it('takes a reference under the PTL and isolates in a step of its own (numaIsolation after-unlock)', () => {
    const s = finalState(twin, protnone, [hint(1)]);
    expect(s.tasks[1]!.folios).toEqual([{ mm: 0, vpage: 0, src: 0, dst: -1, unisolated: true }]);
    expect(s.frames[0]!.refcount).toBe(2);
    // the race report says what the fault holds
    expect(describeChanges(protnone, s)).toContain('T1 holds a reference to f0, not isolated yet');
    expect(describeStep(twin, s, kstep(1))).toBe('numamigrate_isolate_folio(p0)');
    // not isolated yet: another CPU's hinting fault maps the page again meanwhile, and the
    // isolation goes ahead on the folio the fault holds, whatever its PTE is now
    const restored = finalState(twin, s, [load(1, 0)]);
    expect(pte0(restored)).toMatchObject({ kind: 'present', frame: 0, writable: true });
    expect(pte0(restored)).not.toHaveProperty('protnone');
    const isolated = finalState(twin, restored, [kstep(1)]);
    expect(isolated.tasks[1]!.folios).toEqual([{ mm: 0, vpage: 0, src: 0, dst: 1 }]);
    expect(describeChanges(restored, isolated)).toContain('T1 isolated f0');
    expect(isolated.frames[0]!.refcount).toBe(2);
    expect(pte0(drain(twin, isolated, 1))).toMatchObject({ kind: 'present', frame: 1 });
  });

  it('fails where another hinting fault has migrated the folio, and drops its reference', () => {
    const both = finalState(twin, protnone, [hint(1), hint(0)]);
    const moved = drain(twin, both, 0);
    expect(pte0(moved)).toMatchObject({ kind: 'present', frame: 1 });
    // src is off the LRU, held only by the first fault's reference
    expect(moved.frames[0]).toMatchObject({ refcount: 1 });
    const s = finalState(twin, moved, [kstep(1)]);
    expect(s.tasks[1]!.job).toBe('idle');
    expect(describeChanges(moved, s)).toContain('T1 could not isolate f0: reference dropped');
    expect(s.frames[0]!.owner.kind).toBe('free');
  });

  it("today's kernel isolates before the PTL is dropped: the batch starts at its unmap", () => {
    const s = finalState(today, protnone, [hint(1)]);
    expect(s.tasks[1]!.folios[0]).not.toHaveProperty('unisolated');
    expect(describeStep(today, s, kstep(1))).toBe('try_to_migrate_one(p0)');
  });
});

describe('pte_accessible() in the migration', () => {
  // CPU 1 caches the page writable and dirty; the scan on CPU 0 has made it PROT_NONE and
  // not flushed; CPU 2's hinting fault migrates it
  const scanning = [store(1, 0, 1), scan(0), kstep(0)];
  const racing = finalState(twin, initialState(world), [...scanning, hint(1), kstep(1)]);

  it("flushes the entry change_prot_numa() still owes (today's kernel)", () => {
    const s = finalState(twin, racing, [kstep(1)]);
    expect(pte0(s).kind).toBe('migration');
    expect(s.cpus[1]!.tlb[0]).toBeNull();
  });

  it('does not, before 20841405940e: the store after the copy is lost', () => {
    const s = finalState(v312, racing, [kstep(1)]);
    expect(s.cpus[1]!.tlb[0]).not.toBeNull();
    const lost = finalState(v312, s, [kstep(1), store(1, 0, 2), kstep(1)]);
    expect(lost.frames[0]!.data).toBe(2);
    expect(lost.frames[1]!.data).toBe(1);
    expect(lost.ghost.memory[0]![0]).toBe(2);
  });

  it('flushes nothing once the scan has flushed: no CPU can cache a PROT_NONE PTE then', () => {
    const s0 = finalState(twin, initialState(world), [...scanning, kstep(0), hint(1), kstep(1)]);
    const s = finalState(twin, s0, [kstep(1)]);
    expect(s.cost).toEqual(s0.cost);
  });
});

describe('the catalogue in the numa world', () => {
  it('v3.12 loses a store in 9 steps and leaves a writable entry to src in 8', () => {
    const lost = explore(v312, world, { invariants: only('noLostWrite') });
    expect(lost.violation?.actions.length).toBe(9);
    const stale = explore(v312, world, { invariants: only('noStaleWritableTlbAfterRemap') });
    expect(stale.violation?.actions.length).toBe(8);
    // the isolation after the PTL is one of the steps: under it, one step fewer
    const today = derived('numa-v3.12-under-ptl', v312, { numaIsolation: 'under-ptl' });
    expect(explore(today, world, { invariants: only('noLostWrite') }).violation?.actions.length).toBe(8);
  });

  it("batched migration (v6.4 on) needs pte_accessible()'s pending check as much (its proof: numa.full.test.ts)", () => {
    const never = derived('migrate-batched-protnone-never', variant('migrate-batched'), {
      arch: { ...X86, protnoneAccessible: 'never' },
    });
    expect(explore(never, world, { invariants: only('noLostWrite') }).violation).not.toBeNull();
  });

  it('migrc v3 defers the flush of the PROT_NONE PTE it finds read-only: NUMA balancing alone breaks it', () => {
    const r = explore(variant('migrc'), world, { invariants: INVARIANTS });
    expect(r.violation?.invariant.id).toBe('noStaleWritableTlbAfterRemap');
    expect(r.violation?.actions.length).toBe(10);
  });
});
