import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState, type Pte, type State, type TlbEntry } from '../../model/state.js';
import { flushTlbMulti } from '../../model/tlbflush.js';
import { NO_DIRTY_TRAP, X86 } from '../../model/variant.js';
import { variant, withPte, withTlb } from '../support.js';

const sync = variant('sync');
const noTrap = variant('reclaim-batched-wrong-no-dirty-trap');

const tiny = () => initialState(CONFIGS.tiny);
const small = () => initialState(CONFIGS.small);

/**
 * Tiny after reclaim cleared the PTE of page 0 and freed its frame: the page lives only
 * in swap (holding `swapValue`), and frame 0 is free.
 */
const swappedOut = (swapValue: number): State =>
  produce(tiny(), (d) => {
    d.mms[0]!.pte[0] = { kind: 'none' };
    d.mms[0]!.swap[0] = swapValue;
    d.frames[0] = { owner: { kind: 'free' }, data: 0, refcount: 0, dirty: false, migrc: false };
    d.freeList.unshift(0);
  });

const pte0 = (s: State): Pte => s.mms[0]!.pte[0]!;

describe('user load', () => {
  it('through a TLB hit reads the cached frame even after the PTE moved', () => {
    let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: false });
    s = withPte(s, 0, 0, { kind: 'present', frame: 1, writable: true, dirty: false, accessed: false });
    expect(accessOutcome(X86, s, 1, 0, false)).toEqual({ kind: 'hit', frame: 0 });
    const after = next(sync, s, { op: 'load', cpu: 1, vpage: 0 });
    // No walk: the entry still names frame 0, and the PTE's accessed bit is untouched.
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: false });
    expect(pte0(after)).toEqual(pte0(s));
  });

  it('through a TLB hit still reads when the PTE is none (a stale entry)', () => {
    let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: false, dirty: false });
    s = withPte(s, 0, 0, { kind: 'none' });
    expect(accessOutcome(X86, s, 1, 0, false)).toEqual({ kind: 'hit', frame: 0 });
    expect(enabled(sync, s, { op: 'load', cpu: 1, vpage: 0 })).toBe(true);
  });

  it('on a TLB miss walks the page table, fills the TLB from the PTE and sets A', () => {
    const s = withPte(tiny(), 0, 0, {
      kind: 'present',
      frame: 0,
      writable: false,
      dirty: true,
      accessed: false,
    });
    expect(accessOutcome(X86, s, 1, 0, false)).toEqual({ kind: 'walk', frame: 0 });
    const after = next(sync, s, { op: 'load', cpu: 1, vpage: 0 });
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: false, dirty: true });
    expect(pte0(after)).toEqual({ kind: 'present', frame: 0, writable: false, dirty: true, accessed: true });
    // Only the CPU that walked caches the translation.
    expect(tlbLookup(after, 0, 0, 0)).toBeNull();
  });

  it('on a TLB miss caches a clean writable PTE as writable and clean', () => {
    const after = next(sync, tiny(), { op: 'load', cpu: 0, vpage: 0 });
    expect(tlbLookup(after, 0, 0, 0)).toEqual({ frame: 0, writable: true, dirty: false });
    expect(pte0(after)).toMatchObject({ accessed: true, dirty: false });
  });
});

describe('user store', () => {
  it('on a TLB miss to a writable PTE walks, sets A and D, caches a dirty entry and writes', () => {
    const s = tiny();
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'walk', frame: 0 });
    const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 2 });
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
    expect(pte0(after)).toEqual({ kind: 'present', frame: 0, writable: true, dirty: true, accessed: true });
    expect(after.frames[0]!.data).toBe(2);
    expect(after.ghost.memory[0]![0]).toBe(2);
  });

  it('through a writable dirty hit writes the cached frame with no PTE change', () => {
    let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: true });
    // The PTE now names another frame and is clean: a walk would be visible.
    s = withPte(s, 0, 0, { kind: 'present', frame: 1, writable: true, dirty: false, accessed: false });
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'hit', frame: 0 });
    const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 });
    expect(pte0(after)).toEqual(pte0(s));
    expect(after.frames[0]!.data).toBe(1);
    expect(after.frames[1]!.data).toBe(0);
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
  });

  it('through a writable dirty hit writes even when the PTE is none (why try_to_unmap_flush_dirty exists)', () => {
    let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: true });
    s = withPte(s, 0, 0, { kind: 'none' });
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'hit', frame: 0 });
    const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 2 });
    expect(after.frames[0]!.data).toBe(2);
    expect(pte0(after)).toEqual({ kind: 'none' });
  });

  it('through a writable clean hit with a present writable PTE sets D in the PTE and the TLB (setDirty)', () => {
    const s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: false });
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'setDirty', frame: 0 });
    expect(accessOutcome(NO_DIRTY_TRAP, s, 1, 0, true)).toEqual({ kind: 'setDirty', frame: 0 });
    const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 2 });
    expect(pte0(after)).toEqual({ kind: 'present', frame: 0, writable: true, dirty: true, accessed: true });
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
    expect(after.frames[0]!.data).toBe(2);
  });

  describe('through a writable clean hit whose PTE is none (the dirty-bit write-through trap)', () => {
    it('on x86 waits on folio_lock while the folio is still in the swap cache, and writes nothing', () => {
      let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: false });
      s = withPte(s, 0, 0, { kind: 'none' }); // frame 0 still belongs to the page
      expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'wait', on: 'folio_lock' });
      expect(enabled(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 })).toBe(false);
    });

    it('on x86 faults into do_swap_page once the frame is freed, drops the entry and writes nothing', () => {
      const s = withTlb(swappedOut(2), 1, 0, 0, { frame: 0, writable: true, dirty: false });
      expect(accessOutcome(X86, s, 1, 0, true)).toEqual({
        kind: 'fault',
        handler: 'do_swap_page',
        dropTlb: true,
        frame: 0,
      });
      const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 });
      expect(tlbLookup(after, 1, 0, 0)).toBeNull();
      // The store did not happen: frame 0 holds the swap copy, the abstract memory is unchanged.
      expect(after.frames[0]!.data).toBe(2);
      expect(after.ghost.memory[0]![0]).toBe(0);
    });

    it('without the trap (NO_DIRTY_TRAP) writes the stale frame and marks only the TLB entry dirty (noTrapWrite)', () => {
      let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: true, dirty: false });
      s = withPte(s, 0, 0, { kind: 'none' });
      expect(noTrap.policy.arch.dirtyBitTrap).toBe(false);
      expect(accessOutcome(NO_DIRTY_TRAP, s, 1, 0, true)).toEqual({ kind: 'noTrapWrite', frame: 0 });
      const after = next(noTrap, s, { op: 'store', cpu: 1, vpage: 0, value: 2 });
      expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
      expect(after.frames[0]!.data).toBe(2);
      expect(pte0(after)).toEqual({ kind: 'none' });
      // Nothing records the write for reclaim: the folio stays clean.
      expect(after.frames[0]!.dirty).toBe(false);
    });
  });

  it('through a read-only hit is a do_wp_page fault that drops the entry and makes the PTE writable', () => {
    const ro: Pte = { kind: 'present', frame: 0, writable: false, dirty: false, accessed: true };
    let s = withTlb(tiny(), 1, 0, 0, { frame: 0, writable: false, dirty: false });
    s = withPte(s, 0, 0, ro);
    const fault = { kind: 'fault', handler: 'do_wp_page', dropTlb: true, frame: 0 };
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual(fault);
    // A read-only entry faults on every arch; only clean writable entries differ.
    expect(accessOutcome(NO_DIRTY_TRAP, s, 1, 0, true)).toEqual(fault);
    const after = next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 });
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(pte0(after)).toEqual({ kind: 'present', frame: 0, writable: true, dirty: true, accessed: true });
    expect(after.frames[0]!.data).toBe(0); // the store re-executes later
    // The retried store walks the now writable PTE and lands.
    const retried = next(sync, after, { op: 'store', cpu: 1, vpage: 0, value: 1 });
    expect(retried.frames[0]!.data).toBe(1);
  });

  it('on a TLB miss to a read-only present PTE is a do_wp_page fault without a TLB drop', () => {
    const s = withPte(tiny(), 0, 0, {
      kind: 'present',
      frame: 0,
      writable: false,
      dirty: false,
      accessed: false,
    });
    expect(accessOutcome(X86, s, 0, 0, true)).toEqual({
      kind: 'fault',
      handler: 'do_wp_page',
      dropTlb: false,
      frame: 0,
    });
    const after = next(sync, s, { op: 'store', cpu: 0, vpage: 0, value: 1 });
    expect(pte0(after)).toMatchObject({ kind: 'present', writable: true });
    expect(tlbLookup(after, 0, 0, 0)).toBeNull();
    expect(after.frames[0]!.data).toBe(0);
  });
});

describe('migration entries', () => {
  const migrating = withPte(tiny(), 0, 0, { kind: 'migration', frame: 0, writable: true, dirty: false });

  it('a load or store on a migration entry waits in migration_entry_wait', () => {
    expect(accessOutcome(X86, migrating, 1, 0, false)).toEqual({ kind: 'wait', on: 'migration_entry_wait' });
    expect(accessOutcome(X86, migrating, 1, 0, true)).toEqual({ kind: 'wait', on: 'migration_entry_wait' });
    expect(enabled(sync, migrating, { op: 'load', cpu: 1, vpage: 0 })).toBe(false);
    expect(enabled(sync, migrating, { op: 'store', cpu: 1, vpage: 0, value: 1 })).toBe(false);
  });

  it('a store through a clean writable entry on x86 also waits once try_to_migrate_one ran', () => {
    let s = next(sync, tiny(), { op: 'load', cpu: 1, vpage: 0 });
    s = next(sync, s, { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] });
    s = next(sync, s, { op: 'kernelStep', task: 0 }); // try_to_migrate_one, flushed at once in sync
    expect(pte0(s)).toMatchObject({ kind: 'migration', frame: 0 });
    expect(accessOutcome(X86, s, 1, 0, true)).toEqual({ kind: 'wait', on: 'migration_entry_wait' });
    expect(enabled(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 })).toBe(false);
    expect(() => next(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 1 })).toThrow();
  });
});

describe('do_swap_page', () => {
  it('on a none PTE with no resident frame allocates the lowest free frame, fills it from swap and maps it', () => {
    // Frame 0 goes to another user, so the lowest free frame is 1.
    const s = next(sync, swappedOut(2), { op: 'reuseFrame', frame: 0 });
    expect(accessOutcome(X86, s, 1, 0, false)).toEqual({
      kind: 'fault',
      handler: 'do_swap_page',
      dropTlb: false,
      frame: 1,
    });
    const after = next(sync, s, { op: 'load', cpu: 1, vpage: 0 });
    expect(after.frames[1]).toEqual({
      owner: { kind: 'anon', mm: 0, vpage: 0 },
      data: 2,
      refcount: 1,
      dirty: false,
      migrc: false,
    });
    expect(pte0(after)).toEqual({ kind: 'present', frame: 1, writable: true, dirty: false, accessed: true });
    expect(after.frames[2]!.owner.kind).toBe('free');
    expect(after.frames[0]!.owner.kind).toBe('file');
    // The fault does not fill the TLB; the retried load walks.
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
  });

  it('on a store also only faults in: the value is written by the retried store', () => {
    const s = swappedOut(2);
    const after = next(sync, s, { op: 'store', cpu: 0, vpage: 0, value: 1 });
    expect(pte0(after)).toMatchObject({ kind: 'present', frame: 0 });
    expect(after.frames[0]!.data).toBe(2);
    expect(after.ghost.memory[0]![0]).toBe(0);
  });

  it("waits with 'out of memory' when no frame is free", () => {
    let s = swappedOut(2);
    for (const frame of [0, 1, 2]) s = next(sync, s, { op: 'reuseFrame', frame });
    expect(accessOutcome(X86, s, 0, 0, false)).toEqual({ kind: 'wait', on: 'out of memory' });
    expect(accessOutcome(X86, s, 0, 0, true)).toEqual({ kind: 'wait', on: 'out of memory' });
    expect(enabled(sync, s, { op: 'load', cpu: 0, vpage: 0 })).toBe(false);
    expect(enabled(sync, s, { op: 'store', cpu: 1, vpage: 0, value: 2 })).toBe(false);
  });
});

describe('flushTlbMulti', () => {
  const quad = defineConfig({
    name: 'quad',
    why: 'Four CPUs and two mms of two pages: enough to tell one flushed slot from its neighbours.',
    cpus: 4,
    cpuMm: [0, 0, 1, 0],
    mms: 2,
    pages: 2,
    frames: 4,
    values: 2,
    taskCpus: [0],
    batch: 1,
    ptesPerTable: 2,
  });
  const entry: TlbEntry = { frame: 0, writable: true, dirty: false };
  /** Every CPU caches every (mm, vpage). */
  const full = (): State =>
    produce(initialState(quad), (d) => {
      for (const cpu of d.cpus)
        for (let slot = 0; slot < cpu.tlb.length; slot++) cpu.tlb[slot] = { ...entry };
    });
  const filled = (s: State, cpu: number) => s.cpus[cpu]!.tlb.filter((e) => e !== null).length;

  it('a full flush sends one IPI per target CPU other than the sender and empties exactly those TLBs', () => {
    const after = produce(full(), (d) =>
      flushTlbMulti(d, X86, { from: 0, cpumask: 0b1011, scope: { kind: 'all' }, broadcast: false }),
    );
    expect(after.cost).toEqual({ ipis: 2, fullFlushes: 3, pageFlushes: 0 });
    expect([0, 1, 2, 3].map((cpu) => filled(after, cpu))).toEqual([0, 0, 4, 0]);
  });

  it('a sender outside the mask flushes nothing locally and IPIs every CPU in the mask', () => {
    const after = produce(full(), (d) =>
      flushTlbMulti(d, X86, { from: 2, cpumask: 0b0011, scope: { kind: 'all' }, broadcast: false }),
    );
    expect(after.cost).toEqual({ ipis: 2, fullFlushes: 2, pageFlushes: 0 });
    expect([0, 1, 2, 3].map((cpu) => filled(after, cpu))).toEqual([0, 0, 4, 4]);
  });

  it('a purely local flush sends no IPI', () => {
    const after = produce(full(), (d) =>
      flushTlbMulti(d, X86, {
        from: 3,
        cpumask: 0b1000,
        scope: { kind: 'page', mm: 0, vpage: 1 },
        broadcast: false,
      }),
    );
    expect(after.cost).toEqual({ ipis: 0, fullFlushes: 0, pageFlushes: 1 });
  });

  it('a page flush clears only the (mm, vpage) slot on the CPUs in the mask', () => {
    const s = full();
    const after = produce(s, (d) =>
      flushTlbMulti(d, X86, {
        from: 1,
        cpumask: 0b0110,
        scope: { kind: 'page', mm: 1, vpage: 0 },
        broadcast: false,
      }),
    );
    expect(after.cost).toEqual({ ipis: 1, fullFlushes: 0, pageFlushes: 2 });
    for (const cpu of [0, 1, 2, 3])
      for (const mm of [0, 1])
        for (const vpage of [0, 1]) {
          const flushed = (cpu === 1 || cpu === 2) && mm === 1 && vpage === 0;
          expect(tlbLookup(after, cpu, mm, vpage), `cpu ${cpu} mm ${mm} vpage ${vpage}`).toEqual(
            flushed ? null : entry,
          );
        }
  });
});

describe('tlbEvict', () => {
  it('is enabled only when the entry exists, and removes just that entry', () => {
    const s = withTlb(small(), 1, 0, 1, { frame: 1, writable: true, dirty: true });
    const evict = (cpu: number, vpage: number): Action => ({ op: 'tlbEvict', cpu, mm: 0, vpage });
    expect(enabled(sync, s, evict(1, 1))).toBe(true);
    expect(enabled(sync, s, evict(1, 0))).toBe(false);
    expect(enabled(sync, s, evict(0, 1))).toBe(false);
    const s2 = withTlb(s, 1, 0, 0, { frame: 0, writable: true, dirty: false });
    const after = next(sync, s2, evict(1, 1));
    expect(tlbLookup(after, 1, 0, 1)).toBeNull();
    expect(tlbLookup(after, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: false });
    expect(enabled(sync, after, evict(1, 1))).toBe(false);
  });
});
