// GUP pins (issue 25 item 3): pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) holds a folio for
// a device that writes it with no TLB and no fault. Migration and reclaim must leave such a
// folio where it is (folio_try_share_anon_rmap_pte(), 6c287605fd56, v5.19; the refcount
// check before it), and a pin on a page migrc holds the source of must not let the device
// write the destination while a CPU still reads the source.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { enabled } from '../../model/actions.js';
import { CONFIGS, configProblem } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { initialState, type State } from '../../model/state.js';
import { pinnedFrame } from '../../model/syscalls.js';
import { findInvariant } from '../../properties/invariants.js';
import { describeStep, frameText } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { derived, drain, finalState, kstep, load, migrate, shrink, store, variant } from '../support.js';

const world = CONFIGS.pin;
const twin = variant('pin');
const bug = variant('pin-wrong-migrate-pinned');
const call = (c: 'pin_user_pages' | 'unpin_user_pages'): Action => ({
  op: 'syscall',
  task: 1,
  call: c,
  mm: 0,
  vpages: [0],
});
const dma = (frame: number, value: number): Action => ({ op: 'dma_write', frame, value });
const pinned = (v = twin) => finalState(v, initialState(world), [call('pin_user_pages'), kstep(1), kstep(1)]);
const only = (id: string) => [findInvariant(id)!];

describe('pin_user_pages() and the device', () => {
  it('pins the folio with a reference of its own, and unpins it', () => {
    const s = pinned();
    expect(s.frames[0]).toMatchObject({ refcount: 2, pinned: { mm: 0, vpage: 0 } });
    expect(frameText(s.frames[0]!)).toBe('p0 =0 pinned for p0');
    expect(pinnedFrame(s, 0, 0)).toBe(0);
    expect(enabled(twin, s, call('pin_user_pages'))).toBe(false);
    const out = finalState(twin, s, [call('unpin_user_pages'), kstep(1), kstep(1)]);
    expect(out.frames[0]!.refcount).toBe(1);
    expect(out.frames[0]!.pinned).toBeUndefined();
    expect(enabled(twin, initialState(world), call('unpin_user_pages'))).toBe(false);
  });

  it('lets the device write the folio as a store to the page, with no TLB and no fault', () => {
    const s0 = pinned();
    expect(enabled(twin, initialState(world), dma(0, 1))).toBe(false);
    expect(describeStep(twin, s0, dma(0, 2))).toBe('device DMA writes f0 := 2 (pinned p0)');
    const s = finalState(twin, s0, [load(0, 0), dma(0, 2)]);
    expect(s.frames[0]).toMatchObject({ data: 2, dirty: true });
    expect(s.ghost.memory[0]![0]).toBe(2);
    expect(s.cpus[0]!.tlb[0]).not.toBeNull();
  });

  it('write-faults a read-only PTE first (FOLL_WRITE), and pins nothing in a read-only VMA', () => {
    const s0 = initialState(world);
    const ro: State = {
      ...s0,
      mms: [
        {
          ...s0.mms[0]!,
          pte: [{ kind: 'present', frame: 0, writable: false, dirty: false, accessed: false }],
        },
      ],
    };
    // the fault and the pin take the PTL apart (faultin_page(), then the retry)
    const faulted = finalState(twin, ro, [call('pin_user_pages'), kstep(1)]);
    expect(faulted.mms[0]!.pte[0]).toMatchObject({ writable: true, dirty: true });
    expect(faulted.frames[0]!.pinned).toBeUndefined();
    expect(faulted.tasks[1]!.job).toBe('pin_user_pages');
    expect(finalState(twin, faulted, [kstep(1)]).frames[0]!.pinned).toEqual({ mm: 0, vpage: 0 });
    // between them a migration may unmap the folio: the retry finds a migration entry and
    // pins nothing (the model does not wait for the migration to end, as the kernel would)
    const moved = finalState(twin, faulted, [migrate(0, 0, [0]), kstep(0), kstep(1)]);
    expect(moved.mms[0]!.pte[0]!.kind).toBe('migration');
    expect(moved.frames.some((f) => f.pinned !== undefined)).toBe(false);
    const roVma: State = { ...ro, mms: [{ ...ro.mms[0]!, vma: ['ro'] }] };
    expect(finalState(twin, roVma, [call('pin_user_pages'), kstep(1)]).frames[0]!.pinned).toBeUndefined();
  });

  it('is modelled without calls that unmap, move or share the page, said in one line', () => {
    expect(configProblem({ ...world, syscalls: ['pin', 'munmap'] })).toBe(
      'pin is modelled for anonymous memory without munmap, madvise, madvise_free, mmap_fixed, mremap, fork, numa, punch_hole',
    );
    expect(configProblem(world)).toBeNull();
    // the device may write any frame a pin may hold, every value
    expect(allActions(twin, world).filter((a) => a.op === 'dma_write')).toHaveLength(
      world.frames * world.values,
    );
  });
});

describe('migration and reclaim of a pinned folio', () => {
  it('gives the folio up in the unmap, leaving the PTE (6c287605fd56)', () => {
    const s = drain(twin, finalState(twin, pinned(), [migrate(0, 0, [0])]), 0);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    // dst went back to the allocator, src keeps the page's and the pin's references
    expect(s.frames[1]!.owner.kind).toBe('free');
    expect(s.frames[0]!.refcount).toBe(2);
    const r = drain(twin, finalState(twin, pinned(), [shrink(0, 0, [0])]), 0);
    expect(r.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    expect(r.frames[0]!.refcount).toBe(2);
  });

  it('before v5.19, unmaps it and fails the move on the refcount, then maps src again', () => {
    const old = derived('pin-refcount', twin, { pinnedMigration: 'refcount' });
    const s0 = finalState(old, pinned(old), [migrate(0, 0, [0]), kstep(0)]);
    expect(s0.mms[0]!.pte[0]!.kind).toBe('migration');
    const s = drain(old, s0, 0);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    expect(s.frames[1]!.owner.kind).toBe('free');
    expect(explore(old, world, { maxStates: 100_000 }).violation).toBeNull();
  });

  it('the seeded bug moves it: the device writes a source no page maps', () => {
    const s = drain(bug, finalState(bug, pinned(bug), [migrate(0, 0, [0])]), 0);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 1 });
    expect(s.frames[0]!.owner.kind).toBe('unmapped');
    // the pin holds src: not a leak, and freed by the unpin
    expect(findInvariant('noLeakedFrame')!.check(s)).toBeNull();
    const lost = finalState(bug, s, [dma(0, 1)]);
    expect(findInvariant('noLostWrite')!.check(lost)).not.toBeNull();
    const r = explore(bug, world, { invariants: only('noLostWrite') });
    expect(r.violation?.actions.length).toBe(8);
  });

  it('the twin holds in every state of its world, giving pinned folios up', () => {
    const r = explore(twin, world, { maxStates: 100_000 });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(25_590);
    expect(r.targetsHit).toContain('pinnedFolioKept');
  });
});

describe('a pin on a page migrc holds the source of (world migrc-pin)', () => {
  const pinWorld = CONFIGS['migrc-pin'];
  it("relies on the write fault's flush: without it the device writes dst while a CPU reads src", () => {
    // CPU 0 reads the page read-only (clear_refs made it so); migrc migrates it and keeps
    // src, deferring CPU 0's flush; the thread pins the page, whose GUP write fault on the
    // read-only PG_migrc dst is do_wp_page()'s, and the device writes dst
    const clearRefs: Action = { op: 'syscall', task: 1, call: 'clear_refs', mm: 0, vpages: [0] };
    const race = (v: ReturnType<typeof variant>) => {
      const s0 = finalState(v, initialState(pinWorld), [clearRefs, kstep(1), kstep(1), kstep(1), load(0, 0)]);
      const migrated = drain(v, finalState(v, s0, [migrate(0, 0, [0])]), 0);
      expect(migrated.frames[0]!.migrc).toBe(true);
      return finalState(v, migrated, [call('pin_user_pages'), kstep(1), kstep(1), dma(1, 1)]);
    };
    const loads = findInvariant('loadsSeeLastStore')!;
    const step = (v: ReturnType<typeof variant>, s: State) => ({
      pre: s,
      action: load(0, 0),
      state: finalState(v, s, [load(0, 0)]),
    });
    const fixed = variant('migrc-fixed');
    const ok = race(fixed);
    expect(ok.cpus[0]!.tlb[0]).toBeNull();
    expect(loads.check(step(fixed, ok).state, step(fixed, ok))).toBeNull();
    const noFlush = derived('migrc-fixed-no-wp-fault-flush', fixed, { migrc: { wpFaultFlush: false } });
    const bad = race(noFlush);
    expect(bad.cpus[0]!.tlb[0]).toMatchObject({ frame: 0 });
    expect(loads.check(step(noFlush, bad).state, step(noFlush, bad))).not.toBeNull();
  });

  it('migrc v3 fails there only as in tiny-migrc (clear_refs before the migration)', () => {
    const r = explore(variant('migrc'), pinWorld, { invariants: only('noStaleWritableTlbAfterRemap') });
    expect(r.violation?.actions.length).toBe(9);
    expect(
      r.violation!.actions.some((a) => a.op === 'dma_write' || ('call' in a && a.call.includes('pin'))),
    ).toBe(false);
  });

  it('store() through the page and dma_write() reach the same folio', () => {
    const s = finalState(twin, pinned(), [store(0, 0, 1), dma(0, 2), load(0, 0)]);
    expect(s.frames[0]!.data).toBe(2);
    expect(s.ghost.memory[0]![0]).toBe(2);
  });
});
