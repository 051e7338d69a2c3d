import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { enabled, next } from '../../model/actions.js';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { tlbLookup, tlbSlot } from '../../model/hardware.js';
import { initialState, type State } from '../../model/state.js';
import {
  dirtyBitWriteThroughTrap,
  dirtyNeverDroppedClean,
  findInvariant,
  INVARIANTS,
  loadsSeeLastStore,
  noAccessToFreedFrame,
  noLeakedFrame,
  noLostWrite,
  noStaleWritableTlbAfterRemap,
  type Step,
  type Witness,
} from '../../properties/invariants.js';
import {
  clean,
  dirtyEntry,
  finalState,
  freeFrame,
  kstep,
  lastUserCpu,
  load,
  migrate,
  none,
  ownFrame,
  present,
  readOnly,
  run,
  shrink,
  store,
  type Taken,
  variant,
  withFrameData,
  withGhost,
  withPte,
  withSwap,
  withTlb,
} from '../support.js';

const sync = variant('sync');
const reclaimBatched = variant('reclaim-batched');
const reclaimBatchedDirty = variant('reclaim-batched-dirty');
const migrateBatched = variant('migrate-batched');
const remapBeforeFlush = variant('migrate-batched-wrong-remap-before-flush');
const noDirtyTrap = variant('reclaim-batched-wrong-no-dirty-trap');

/** The last element of `xs`; throws on an empty list. */
function last<T>(xs: readonly T[]): T {
  const x = xs[xs.length - 1];
  if (x === undefined) throw new Error('empty');
  return x;
}

function expectWitness(w: Witness | null, fields: Partial<Omit<Witness, 'message'>>): Witness {
  expect(w).not.toBeNull();
  expect(w!.message.trim().length).toBeGreaterThan(0);
  expect(w).toMatchObject(fields);
  return w!;
}

const small = initialState(CONFIGS.small);
const twoMms = initialState(CONFIGS['two-mms']);

/**
 * Small, mid-migration of page 0 by task 0: frame 0 is src, frame 2 the dst (owned by
 * the page, copy done), the PTE a migration entry to src.
 */
const migrating: State = produce(small, (d) => {
  d.tasks[0]!.job = 'migrate';
  d.tasks[0]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: 2 }];
  d.frames[2] = {
    owner: { kind: 'anon', mm: 0, vpage: 0 },
    data: 0,
    refcount: 1,
    dirty: false,
    migrc: false,
  };
  d.mms[0]!.pte[0] = { kind: 'migration', frame: 0, writable: true, dirty: false };
});
/** The same after remove_migration_ptes(): the PTE maps dst. */
const remapped = withPte(migrating, 0, 0, present(2));

// ---------------------------------------------------------------------------------------

describe('INVARIANTS', () => {
  it('lists the eight invariants, each with a unique id and a reason', () => {
    expect(INVARIANTS.map((i) => i.id)).toEqual([
      'noStaleWritableTlbAfterRemap',
      'dirtyBitWriteThroughTrap',
      'noLostWrite',
      'loadsSeeLastStore',
      'noAccessToFreedFrame',
      'dirtyNeverDroppedClean',
      'noAccessAfterRevoke',
      'noLeakedFrame',
    ]);
    expect(new Set(INVARIANTS.map((i) => i.id)).size).toBe(INVARIANTS.length);
    for (const inv of INVARIANTS) expect(inv.why.trim().length, inv.id).toBeGreaterThan(0);
  });

  it('finds each invariant by id and nothing for an unknown id', () => {
    for (const inv of INVARIANTS) expect(findInvariant(inv.id)).toBe(inv);
    expect(findInvariant('noSuchInvariant')).toBeUndefined();
  });

  describe.each(Object.values(CONFIGS))('initial state of config $name', (config) => {
    const s0 = initialState(config);

    it.each(INVARIANTS.map((i) => [i.id, i] as const))('%s holds', (_id, inv) => {
      expect(inv.check(s0)).toBeNull();
    });

    it.each(INVARIANTS.map((i) => [i.id, i] as const))(
      '%s holds after a first load and store',
      (_id, inv) => {
        for (const { pre, action, post } of run(sync, s0, [load(0, 0), store(lastUserCpu(config), 0, 1)]))
          expect(inv.check(post, { pre, action })).toBeNull();
      },
    );
  });
});

describe('noStaleWritableTlbAfterRemap', () => {
  const check = (s: State) => noStaleWritableTlbAfterRemap.check(s);

  it('holds on a writable entry to src before the remap', () => {
    expect(check(withTlb(migrating, 1, 0, 0, dirtyEntry(0)))).toBeNull();
  });

  it('holds on a read-only stale entry to src after the remap', () => {
    expect(check(withTlb(remapped, 1, 0, 0, readOnly(0)))).toBeNull();
  });

  it('holds on a writable entry to dst after the remap', () => {
    expect(check(withTlb(remapped, 1, 0, 0, dirtyEntry(2)))).toBeNull();
  });

  it('holds on a writable entry to the src of a reclaim batch (no dst)', () => {
    const reclaiming = produce(small, (d) => {
      d.tasks[0]!.job = 'reclaim';
      d.tasks[0]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: -1 }];
      d.mms[0]!.pte[0] = { kind: 'none' };
    });
    expect(check(withTlb(reclaiming, 1, 0, 0, dirtyEntry(0)))).toBeNull();
  });

  it('is violated by a writable entry to src once the PTE maps dst', () => {
    const w = expectWitness(check(withTlb(remapped, 1, 0, 0, dirtyEntry(0))), {
      cpu: 1,
      mm: 0,
      vpage: 0,
      frame: 0,
    });
    expect(w.message).toContain('frame 2');
  });

  it('is violated by a clean but writable entry to src as well', () => {
    expectWitness(check(withTlb(remapped, 0, 0, 0, clean(0))), { cpu: 0, mm: 0, vpage: 0, frame: 0 });
  });

  it('names the migrated mm in two-mms', () => {
    const s = produce(twoMms, (d) => {
      d.tasks[0]!.job = 'migrate';
      d.tasks[0]!.folios = [{ mm: 1, vpage: 0, src: 1, dst: 2 }];
      d.frames[2] = {
        owner: { kind: 'anon', mm: 1, vpage: 0 },
        data: 0,
        refcount: 2,
        dirty: false,
        migrc: false,
      };
      d.mms[1]!.pte[0] = { kind: 'present', frame: 2, writable: true, dirty: false, accessed: false };
      d.cpus[1]!.tlb[tlbSlot(twoMms, 1, 0)] = { frame: 1, writable: true, dirty: true };
    });
    expectWitness(check(s), { cpu: 1, mm: 1, vpage: 0, frame: 1 });
  });

  it('is violated when a variant remaps before the flush, and holds when it flushes first', () => {
    const actions = [store(1, 0, 1), migrate(0, 0, [0]), kstep(0), kstep(0), kstep(0)];
    // try_to_migrate_one, move_to_new_folio, remove_migration_ptes: CPU 1 still caches src.
    const bad = finalState(remapBeforeFlush, small, actions);
    expect(tlbLookup(bad, 1, 0, 0)).toEqual(dirtyEntry(0));
    expectWitness(check(bad), { cpu: 1, mm: 0, vpage: 0, frame: 0 });
    // try_to_migrate_one, try_to_unmap_flush, move, remap, done.
    for (const { post } of run(migrateBatched, small, [...actions, kstep(0), kstep(0)]))
      expect(check(post)).toBeNull();
  });

  describe('a writable entry of another page that reuses the freed src frame', () => {
    // Three pages under two tasks, batches of two: page 2 is reclaimed, then pages 0 and 1
    // migrate; once folio 0 is done its src (frame 0) is free while the batch still lists
    // it, and page 2 swaps back in to frame 0 with a writable entry on CPU 1.
    const config = defineConfig({
      name: 'three-pages',
      why: 'a freed src reused within its migration batch',
      cpus: 2,
      cpuMm: [0, 0],
      mms: 1,
      pages: 3,
      frames: 5,
      values: 2,
      taskCpus: [0, 1],
      batch: 2,
      ptesPerTable: 4,
    });
    const reclaimed = finalState(migrateBatched, initialState(config), [
      shrink(1, 0, [2]),
      kstep(1),
      kstep(1),
      kstep(1),
    ]);
    // try_to_migrate_one x2, try_to_unmap_flush, move, remap, done for folio 0.
    const srcFreed = finalState(migrateBatched, reclaimed, [
      migrate(0, 0, [0, 1]),
      ...Array.from({ length: 6 }, () => kstep(0)),
    ]);
    // The store faults page 2 in to frame 0, then retries and fills a writable entry.
    const s = finalState(migrateBatched, srcFreed, [store(1, 2, 1), store(1, 2, 1)]);

    it('is reachable and legitimate', () => {
      expect(reclaimed.tasks[1]!.job).toBe('idle');
      expect(srcFreed.tasks[0]!.folios[0]).toEqual({ mm: 0, vpage: 0, src: 0, dst: 2 });
      expect(srcFreed.frames[0]!.owner).toEqual({ kind: 'free' });
      expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 2 });
      expect(s.frames[0]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 2 });
      expect(tlbLookup(s, 1, 0, 2)).toEqual(dirtyEntry(0));
      for (const inv of INVARIANTS.filter((i) => i !== noStaleWritableTlbAfterRemap))
        expect(inv.check(s), inv.id).toBeNull();
    });

    // Once a false positive: the check matched any entry to src, not only this page's.
    it('holds: the entry belongs to the page that now owns frame 0', () => {
      expect(check(s)).toBeNull();
    });
  });
});

describe('dirtyBitWriteThroughTrap', () => {
  const check = (s: State, step?: Step) => dirtyBitWriteThroughTrap.check(s, step);

  // CPU 1 caches page 0 clean and writable; reclaim clears the PTE and defers the flush.
  const unmapped = finalState(noDirtyTrap, small, [load(1, 0), shrink(0, 0, [0]), kstep(0)]);
  const trapless = run(noDirtyTrap, unmapped, [store(1, 0, 1)])[0]!;

  it('starts from a clean writable entry whose PTE is gone', () => {
    expect(unmapped.mms[0]!.pte[0]).toEqual(none);
    expect(tlbLookup(unmapped, 1, 0, 0)).toEqual(clean(0));
    // On x86 that store waits for reclaim (the folio is locked in the swap cache).
    expect(enabled(reclaimBatched, unmapped, store(1, 0, 1))).toBe(false);
  });

  it('returns null without a step', () => {
    expect(check(trapless.post)).toBeNull();
    expect(check(small)).toBeNull();
  });

  it('is violated by a store that went through an entry whose PTE is none', () => {
    const w = expectWitness(check(trapless.post, trapless), { cpu: 1, mm: 0, vpage: 0, frame: 0 });
    expect(w.message).toContain('none');
  });

  it('is violated by a store through a clean entry whose PTE is read-only', () => {
    const pre = withTlb(withPte(small, 0, 0, present(0, false)), 1, 0, 0, clean(0));
    const [step] = run(noDirtyTrap, pre, [store(1, 0, 1)]);
    const w = expectWitness(check(step!.post, step), { cpu: 1, mm: 0, vpage: 0, frame: 0 });
    expect(w.message).toContain('read-only');
  });

  it('holds when the store faults on the read-only PTE and the entry is dropped (x86)', () => {
    const pre = withTlb(withPte(small, 0, 0, present(0, false)), 1, 0, 0, clean(0));
    const [step] = run(reclaimBatched, pre, [store(1, 0, 1)]);
    expect(tlbLookup(step!.post, 1, 0, 0)).toBeNull();
    expect(check(step!.post, step)).toBeNull();
  });

  it('holds when the store faults on a none PTE and swaps the page in (x86)', () => {
    const pre = withTlb(freeFrame(withPte(small, 0, 0, none), 0), 1, 0, 0, clean(0));
    const [step] = run(reclaimBatched, pre, [store(1, 0, 1)]);
    expect(tlbLookup(step!.post, 1, 0, 0)).toBeNull();
    expect(check(step!.post, step)).toBeNull();
  });

  it('holds on a store that sets D through a PTE still present and writable', () => {
    const [step] = run(noDirtyTrap, withTlb(small, 1, 0, 0, clean(0)), [store(1, 0, 1)]);
    expect(tlbLookup(step!.post, 1, 0, 0)).toEqual(dirtyEntry(0));
    expect(check(step!.post, step)).toBeNull();
  });

  it('is not about entries the CPU already cached dirty', () => {
    const pre = withTlb(withPte(small, 0, 0, none), 1, 0, 0, dirtyEntry(0));
    const [step] = run(reclaimBatched, pre, [store(1, 0, 1)]);
    expect(check(step!.post, step)).toBeNull();
  });

  it('ignores a load through the same entry', () => {
    const [step] = run(noDirtyTrap, unmapped, [load(1, 0)]);
    expect(check(step!.post, step)).toBeNull();
  });
});

describe('noLostWrite', () => {
  const check = (s: State) => noLostWrite.check(s);

  describe('page resident in the frame its PTE maps', () => {
    it('holds when the frame has the last store', () => {
      expect(check(withFrameData(withGhost(small, 0, 1, 2), 1, 2))).toBeNull();
    });
    it('is violated when the frame does not', () => {
      const w = expectWitness(check(withGhost(small, 0, 1, 2)), { mm: 0, vpage: 1, frame: 1 });
      expect(w.message).toContain('2');
    });
    it('names the mm in two-mms', () => {
      expectWitness(check(withGhost(twoMms, 1, 0, 1)), { mm: 1, vpage: 0, frame: 1 });
    });
  });

  describe('page under a migration entry', () => {
    it('holds when src has the last store, whatever dst holds', () => {
      expect(check(withFrameData(withGhost(migrating, 0, 0, 1), 0, 1))).toBeNull();
    });
    it('is violated when only dst has it', () => {
      const s = withFrameData(withGhost(migrating, 0, 0, 1), 2, 1);
      expectWitness(check(s), { mm: 0, vpage: 0, frame: 0 });
    });
  });

  describe('PTE none, folio still in the swap cache', () => {
    // Page 1 was reclaimed while its folio sat in frame 3.
    const inCache = ownFrame(freeFrame(withPte(withGhost(small, 0, 1, 1), 0, 1, none), 1), 3, 0, 1, 1);
    it('holds when the cached frame has the last store, even if swap is stale', () => {
      expect(check(inCache)).toBeNull();
    });
    it('is violated when only swap has it', () => {
      const s = withSwap(withFrameData(inCache, 3, 0), 0, 1, 1);
      expectWitness(check(s), { mm: 0, vpage: 1, frame: 3 });
    });
  });

  describe('page only in swap', () => {
    const swapped = freeFrame(withPte(withGhost(small, 0, 0, 1), 0, 0, none), 0);
    it('holds when swap has the last store', () => {
      expect(check(withSwap(swapped, 0, 0, 1))).toBeNull();
    });
    it('is violated when it does not, with no frame named', () => {
      const w = expectWitness(check(swapped), { mm: 0, vpage: 0 });
      expect(w).not.toHaveProperty('frame');
      expect(w.message).toContain('swap');
    });
  });

  it('holds at every step of a batched reclaim of a written page', () => {
    // store, shrink, unmap, flush_dirty, pageout, free.
    const steps = run(reclaimBatchedDirty, small, [
      store(1, 0, 1),
      shrink(0, 0, [0]),
      kstep(0),
      kstep(0),
      kstep(0),
      kstep(0),
    ]);
    expect(last(steps).post.frames[0]!.owner).toEqual({ kind: 'free' });
    expect(last(steps).post.mms[0]!.swap[0]).toBe(1);
    for (const { post } of steps) expect(check(post)).toBeNull();
  });

  it('is violated once a store that did not trap is freed with its frame', () => {
    // store, flush, free: the store after pageout was skipped lives only in frame 0.
    const s = finalState(noDirtyTrap, unmappedClean(), [store(1, 0, 1), kstep(0), kstep(0)]);
    expect(s.frames[0]!.owner.kind).toBe('free');
    expectWitness(check(s), { mm: 0, vpage: 0 });
  });
});

/** reclaim-batched-wrong-no-dirty-trap: CPU 1 caches page 0 clean; reclaim unmaps it. */
function unmappedClean(): State {
  return finalState(noDirtyTrap, small, [load(1, 0), shrink(0, 0, [0]), kstep(0)]);
}

describe('loadsSeeLastStore', () => {
  const check = (s: State) => loadsSeeLastStore.check(s);

  describe('through a page walk', () => {
    it('holds when the present frame has the last store', () => {
      expect(check(withFrameData(withGhost(small, 0, 0, 1), 0, 1))).toBeNull();
    });
    it('is violated when the present frame does not', () => {
      const w = expectWitness(check(withGhost(small, 0, 0, 1)), { cpu: 0, mm: 0, vpage: 0 });
      expect(w).not.toHaveProperty('frame');
      expect(w.message).toContain('walk');
    });
    it('reads src under a migration entry', () => {
      expect(check(withFrameData(withGhost(migrating, 0, 0, 1), 0, 1))).toBeNull();
      expectWitness(check(withFrameData(withGhost(migrating, 0, 0, 1), 2, 1)), { cpu: 0, vpage: 0 });
    });
    it('reads the swap-cache frame when the PTE is none', () => {
      const inCache = ownFrame(freeFrame(withPte(withGhost(small, 0, 1, 1), 0, 1, none), 1), 3, 0, 1, 1);
      expect(check(inCache)).toBeNull();
      expectWitness(check(withSwap(withFrameData(inCache, 3, 0), 0, 1, 1)), { cpu: 0, vpage: 1 });
    });
    it('reads swap when no frame holds the page', () => {
      const swapped = freeFrame(withPte(withGhost(small, 0, 0, 1), 0, 0, none), 0);
      expect(check(withSwap(swapped, 0, 0, 1))).toBeNull();
      expectWitness(check(swapped), { cpu: 0, mm: 0, vpage: 0 });
    });
    it('checks each CPU in the mm it runs (two-mms)', () => {
      expect(check(withFrameData(withGhost(twoMms, 1, 0, 1), 1, 1))).toBeNull();
      expectWitness(check(withGhost(twoMms, 1, 0, 1)), { cpu: 1, mm: 1, vpage: 0 });
    });
  });

  describe('through a TLB hit', () => {
    const written = withFrameData(withGhost(small, 0, 0, 1), 0, 1);
    it('holds on an entry to the home frame', () => {
      expect(check(withTlb(written, 1, 0, 0, dirtyEntry(0)))).toBeNull();
    });
    it('holds on a stale entry to a frame with the same contents', () => {
      // After the copy and remap, a read-only entry to src still reads the right value.
      const s = withFrameData(withFrameData(withGhost(remapped, 0, 0, 1), 0, 1), 2, 1);
      expect(check(withTlb(s, 1, 0, 0, readOnly(0)))).toBeNull();
    });
    it('is violated by an entry to a different frame than the page home', () => {
      const w = expectWitness(check(withTlb(written, 1, 0, 0, readOnly(2))), {
        cpu: 1,
        mm: 0,
        vpage: 0,
        frame: 2,
      });
      expect(w.message).toContain('frame 2');
    });
    it('is violated by an entry to the old frame once the home has newer data', () => {
      const s = withFrameData(withGhost(remapped, 0, 0, 1), 2, 1);
      expectWitness(check(withTlb(s, 1, 0, 0, readOnly(0))), { cpu: 1, vpage: 0, frame: 0 });
    });
  });
});

describe('noAccessToFreedFrame', () => {
  const check = (s: State) => noAccessToFreedFrame.check(s);

  it('holds on entries to the frames the pages own', () => {
    expect(check(withTlb(withTlb(small, 0, 0, 0, clean(0)), 1, 0, 1, dirtyEntry(1)))).toBeNull();
  });

  it('holds on a stale entry to src while the page still owns it', () => {
    expect(check(withTlb(remapped, 1, 0, 0, readOnly(0)))).toBeNull();
  });

  it('is violated by an entry to a free frame', () => {
    const s = withTlb(freeFrame(withPte(small, 0, 1, none), 1), 1, 0, 1, readOnly(1));
    const w = expectWitness(check(s), { cpu: 1, mm: 0, vpage: 1, frame: 1 });
    expect(w.message).toContain('free');
  });

  it('is violated by an entry to a frame reused for the page cache', () => {
    const freed = freeFrame(withPte(small, 0, 0, none), 0);
    const reused = next(sync, freed, { op: 'reuseFrame', frame: 0 });
    const w = expectWitness(check(withTlb(reused, 0, 0, 0, readOnly(0))), {
      cpu: 0,
      mm: 0,
      vpage: 0,
      frame: 0,
    });
    expect(w.message).toContain('page-cache');
  });

  it('is violated by an entry to a frame another page owns', () => {
    const w = expectWitness(check(withTlb(small, 1, 0, 0, clean(1))), { cpu: 1, mm: 0, vpage: 0, frame: 1 });
    expect(w.message).toContain('page 1');
  });

  it('checks the entries a CPU keeps of an mm it no longer runs (two-mms)', () => {
    // CPU 0 runs mm 0 but caches page 0 of mm 1 to frame 0, which mm 0 owns.
    const w = expectWitness(check(withTlb(twoMms, 0, 1, 0, readOnly(0))), {
      cpu: 0,
      mm: 1,
      vpage: 0,
      frame: 0,
    });
    expect(w.message).toContain('mm 0');
  });

  it('is violated when reclaim frees before the flush', () => {
    const wrong = variant('reclaim-batched-wrong-free-before-flush');
    // unmap (deferred), free: CPU 1 still caches frame 0.
    const s = finalState(wrong, small, [load(1, 0), shrink(0, 0, [0]), kstep(0), kstep(0)]);
    expect(s.frames[0]!.owner).toEqual({ kind: 'free' });
    expectWitness(check(s), { cpu: 1, mm: 0, vpage: 0, frame: 0 });
    // reclaim-batched flushes first.
    for (const { post } of run(reclaimBatched, small, [
      load(1, 0),
      shrink(0, 0, [0]),
      kstep(0),
      kstep(0),
      kstep(0),
    ]))
      expect(check(post)).toBeNull();
  });
});

describe('dirtyNeverDroppedClean', () => {
  const check = (s: State, step?: Step) => dirtyNeverDroppedClean.check(s, step);

  // Page 1 in the swap cache in frame 1 holding 1; `discard` frees frame 1.
  const cached = withPte(withFrameData(withGhost(small, 0, 1, 1), 1, 1), 0, 1, none);
  const discard = (pre: State): Taken => ({ pre, action: kstep(0), post: freeFrame(pre, 1) });

  it('returns null without a step', () => {
    expect(check(discard(cached).post)).toBeNull();
  });

  it('is violated when a frame is discarded with data the swap copy lacks', () => {
    const t = discard(cached);
    const w = expectWitness(check(t.post, t), { mm: 0, vpage: 1, frame: 1 });
    expect(w).not.toHaveProperty('cpu');
    expect(w.message).toContain('held 1');
  });

  it('holds when the discarded data equals the swap copy', () => {
    const t = discard(withSwap(cached, 0, 1, 1));
    expect(check(t.post, t)).toBeNull();
  });

  it('holds when the page moves to another frame rather than being discarded', () => {
    const pre = withFrameData(migrating, 0, 1);
    expect(check(remapped, { pre, action: kstep(0) })).toBeNull();
  });

  it('holds when a page is swapped in', () => {
    const swapped = freeFrame(withPte(withSwap(small, 0, 0, 1), 0, 0, none), 0);
    const [step] = run(sync, swapped, [load(1, 0)]);
    expect(step!.post.mms[0]!.pte[0]).toMatchObject({ kind: 'present' });
    expect(check(step!.post, step)).toBeNull();
  });

  it('is violated when reclaim frees a page written through a store that did not trap', () => {
    const steps = run(noDirtyTrap, unmappedClean(), [store(1, 0, 1), kstep(0), kstep(0)]);
    expect(check(steps[0]!.post, steps[0])).toBeNull();
    expect(check(steps[1]!.post, steps[1])).toBeNull();
    expectWitness(check(steps[2]!.post, steps[2]), { mm: 0, vpage: 0, frame: 0 });
  });

  it('holds at every step when reclaim writes a dirty page back first', () => {
    // store, shrink, unmap, flush_dirty, pageout, free.
    const steps = run(reclaimBatchedDirty, small, [
      store(1, 0, 1),
      shrink(0, 0, [0]),
      kstep(0),
      kstep(0),
      kstep(0),
      kstep(0),
    ]);
    expect(last(steps).post.frames[0]!.owner).toEqual({ kind: 'free' });
    for (const step of steps) expect(check(step.post, step)).toBeNull();
  });
});

describe('noLeakedFrame', () => {
  const check = (s: State) => noLeakedFrame.check(s);
  const tiny = initialState(CONFIGS.tiny);
  /** tiny with frame 2 allocated (one reference) to nothing at all. */
  const orphan = (owner: State['frames'][number]['owner']) =>
    produce(tiny, (d) => {
      d.frames[2] = { owner, data: 0, refcount: 1, dirty: false, migrc: false };
      d.freeList = [1];
    });

  it('holds when every frame is free, mapped, or a page-cache page', () => {
    expect(check(tiny)).toBeNull();
    expect(check(orphan({ kind: 'file', file: 0, index: 2 }))).toBeNull();
  });

  it('catches a frame nothing holds, whatever it still names as its page', () => {
    expect(check(orphan({ kind: 'unmapped' }))).toEqual({
      message: 'frame 2 (unmapped, refcount 1) is held by nothing and will never be freed',
      frame: 2,
    });
    expect(check(orphan({ kind: 'anon', mm: 0, vpage: 0 }))?.frame).toBe(2);
  });

  it('counts a migration entry, a batch, a migrc request and a fault in flight as holders', () => {
    const s = orphan({ kind: 'unmapped' });
    // (page 0 now under migration to frame 2, its old frame free)
    const migrating = freeFrame(
      withPte(s, 0, 0, { kind: 'migration', frame: 2, writable: true, dirty: false }),
      0,
    );
    expect(check(migrating)).toBeNull();
    const inBatch = produce(s, (d) => {
      d.tasks[0]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: 2 }];
    });
    expect(check(inBatch)).toBeNull();
    const hung = produce(s, (d) => {
      d.migrc.reqs = [{ cpumask: 1, gen: 1, srcs: [2] }];
    });
    expect(check(hung)).toBeNull();
    const building = produce(s, (d) => {
      d.tasks[0]!.mreq = { cpumask: 1, gen: 0, srcs: [2] };
    });
    expect(check(building)).toBeNull();
    const copying = produce(s, (d) => {
      d.cpus[1]!.wp_copy = { vpage: 0, src: 0, dst: 2 };
    });
    expect(check(copying)).toBeNull();
  });

  it('catches migrc v3 leaving src’s extra reference behind after a write fault unpends dst', () => {
    const migrc = variant('migrc');
    // the migrc.noLeakedFrame regression trace, as the explorer found it (14 steps)
    const s0 = initialState(CONFIGS['tiny-migrc']);
    const clearRefs = { op: 'syscall', task: 1, call: 'clear_refs', mm: 0, vpages: [0] } as const;
    const steps = run(migrc, s0, [
      migrate(0, 0, [0]),
      clearRefs,
      kstep(1),
      kstep(0),
      kstep(0),
      kstep(0),
      kstep(0),
      kstep(0),
      kstep(1),
      kstep(1),
      store(0, 0, 1),
      kstep(0),
      kstep(0),
      kstep(0),
    ]);
    expect(steps.slice(0, 13).map((st) => check(st.post))).toEqual(Array(13).fill(null));
    expect(check(steps[13]!.post)).toMatchObject({ frame: 0 });
    expect(steps[13]!.post.frames[0]).toMatchObject({ refcount: 1, migrc: true });
  });
});
