import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS, worldConfig } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import { findTarget, possibleTargets, TARGETS, type Target } from '../../properties/targets.js';
import {
  clean,
  dirtyEntry,
  kstep,
  ksteps,
  lastUserCpu,
  load,
  migrate,
  migrcHoldsSource,
  none,
  present,
  readOnly,
  run,
  shrink,
  store,
  type Taken,
  variant,
  withFlushPending,
  withPte,
  withTlb,
} from '../support.js';

function target(id: string): Target {
  const t = findTarget(id);
  if (t === undefined) throw new Error(`no target ${id}`);
  return t;
}

const sync = variant('sync');
const reclaimBatched = variant('reclaim-batched');
const migrateBatched = variant('migrate-batched');
const noDirtyTrap = variant('reclaim-batched-wrong-no-dirty-trap');

/** Whether `t` is hit after each step of a run. */
const hits = (t: Target, steps: readonly Taken[]): boolean[] => steps.map((st) => t.hit(st.post, st));

const small = initialState(CONFIGS.small);
const staleEntryWhileFlushDeferred = target('staleEntryWhileFlushDeferred');
const loadThroughStaleEntry = target('loadThroughStaleEntry');
const storeThroughStaleEntry = target('storeThroughStaleEntry');
const pageReclaimed = target('pageReclaimed');
const pageMigrated = target('pageMigrated');

describe('TARGETS', () => {
  it('lists the twenty-three targets, each with a unique id and a reason', () => {
    expect(TARGETS.map((t) => t.id)).toEqual([
      'staleEntryWhileFlushDeferred',
      'loadThroughStaleEntry',
      'storeThroughStaleEntry',
      'pageReclaimed',
      'pageMigrated',
      'migrcSourceHeld',
      'migrcFlushedOnDemand',
      'copyFailureUndone',
      'staleEntryWhileSwitching',
      'staleEntryWhileLazy',
      'staleEntryInOtherAsid',
      'pageSharedCopyOnWrite',
      'copyOnWriteWhileCached',
      'dirtyFilePteZapped',
      'writebackOfCachedFilePage',
      'deviceMemoryFreedDuringMunmap',
      'privatePageDiverged',
      'deferralInsideBatchedPending',
      'flushWhileSwitchStoreBuffered',
      'hintingFaultBeforeFlush',
      'pinnedFolioKept',
      'cachedPageMoved',
      'refaultWhileFlushDeferred',
    ]);
    expect(new Set(TARGETS.map((t) => t.id)).size).toBe(TARGETS.length);
    for (const t of TARGETS) expect(t.why.trim().length, t.id).toBeGreaterThan(0);
    expect(findTarget('noSuchTarget')).toBeUndefined();
  });

  it('leaves out of a run what its protocol cannot reach in its world, never what it expects to reach', () => {
    const ids = (id: string, world: string) =>
      possibleTargets(findVariant(id)!, CONFIGS[world as keyof typeof CONFIGS]).map((t) => t.id);
    const plain = ids('migrate-batched', 'small');
    for (const gone of [
      'staleEntryWhileSwitching',
      'migrcSourceHeld',
      'dirtyFilePteZapped',
      'refaultWhileFlushDeferred',
    ])
      expect(plain).not.toContain(gone);
    expect(ids('migrc', 'tiny-migrc')).toContain('migrcSourceHeld');
    expect(ids('x86-pcid', 'pcid')).toContain('staleEntryWhileLazy');
    expect(ids('reclaim-batched-dirty-refault-window', 'small')).toContain('refaultWhileFlushDeferred');
    for (const v of VARIANTS) {
      const possible = ids(v.id, worldConfig(v.world, 'random').name);
      for (const t of v.reaches) expect(possible, `${v.id} ${t}`).toContain(t);
    }
  });

  describe.each(Object.values(CONFIGS))('initial state of config $name', (config) => {
    const s0 = initialState(config);
    const cpu = lastUserCpu(config);
    const trivial = run(sync, s0, [load(0, 0), store(cpu, 0, 1), load(cpu, 0)]);

    it.each(TARGETS.map((t) => [t.id, t] as const))('%s is not hit', (_id, t) => {
      expect(t.hit(s0)).toBe(false);
      expect(hits(t, trivial)).toEqual([false, false, false]);
    });
  });
});

describe('staleEntryWhileFlushDeferred', () => {
  const hit = (s: State) => staleEntryWhileFlushDeferred.hit(s);
  // CPU 1 caches page 0; migration unmaps it with the flush deferred, then flushes.
  const steps = run(migrateBatched, small, [load(1, 0), migrate(0, 0, [0]), kstep(0), kstep(0)]);

  it('is hit between the deferred unmap and the flush of a batched migration', () => {
    expect(hits(staleEntryWhileFlushDeferred, steps)).toEqual([false, false, true, false]);
  });

  it('is not hit when a synchronous protocol unmaps', () => {
    const syncSteps = run(sync, small, [load(1, 0), migrate(0, 0, [0]), kstep(0)]);
    expect(syncSteps[2]!.post.mms[0]!.pte[0]!.kind).toBe('migration');
    expect(hits(staleEntryWhileFlushDeferred, syncSteps)).toEqual([false, false, false]);
  });

  it('needs both a pending flush and a stale entry', () => {
    const stale = withTlb(withPte(small, 0, 1, none), 1, 0, 1, readOnly(1));
    expect(hit(stale)).toBe(false);
    expect(hit(withFlushPending(small, 0, 0b11))).toBe(false);
    expect(hit(withFlushPending(withTlb(small, 1, 0, 1, dirtyEntry(1)), 0, 0b11))).toBe(false);
    expect(hit(withFlushPending(stale, 0, 0b11))).toBe(true);
  });

  it('counts an entry to another frame than the present PTE maps as stale', () => {
    const remapped = withPte(small, 0, 0, present(2));
    expect(hit(withFlushPending(withTlb(remapped, 0, 0, 0, readOnly(0)), 0, 0b11))).toBe(true);
  });
});

describe('loadThroughStaleEntry', () => {
  // CPU 1 caches page 0; migration unmaps it with the flush deferred.
  const unmapped = run(migrateBatched, small, [load(1, 0), migrate(0, 0, [0]), kstep(0)])[2]!.post;

  it('is hit by a load through the stale entry', () => {
    const [step] = run(migrateBatched, unmapped, [load(1, 0)]);
    expect(loadThroughStaleEntry.hit(step!.post, step)).toBe(true);
    expect(loadThroughStaleEntry.hit(step!.post)).toBe(false);
  });

  it('is not hit by a load through an entry the PTE still backs', () => {
    const [step] = run(migrateBatched, withTlb(small, 1, 0, 0, clean(0)), [load(1, 0)]);
    expect(loadThroughStaleEntry.hit(step!.post, step)).toBe(false);
  });

  it('is not hit by a load on a CPU without the stale entry, nor by other ops', () => {
    const evict: Action = { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 };
    expect(hits(loadThroughStaleEntry, run(migrateBatched, unmapped, [load(0, 1), evict]))).toEqual([
      false,
      false,
    ]);
  });
});

describe('storeThroughStaleEntry', () => {
  it('is hit by a store through a deferred dirty entry during migration', () => {
    // CPU 1 stores (dirty entry), migration unmaps with the flush deferred, CPU 1 stores again.
    const steps = run(migrateBatched, small, [store(1, 0, 1), migrate(0, 0, [0]), kstep(0), store(1, 0, 2)]);
    expect(tlbLookup(steps[3]!.post, 1, 0, 0)).toEqual({ frame: 0, writable: true, dirty: true });
    expect(hits(storeThroughStaleEntry, steps)).toEqual([false, false, false, true]);
  });

  // CPU 1 caches page 0 clean and writable; the page now lives only in swap.
  const swappedOut = produce(withTlb(small, 1, 0, 0, clean(0)), (d) => {
    d.mms[0]!.pte[0] = { kind: 'none' };
    d.frames[0] = { owner: { kind: 'free' }, data: 0, refcount: 0, dirty: false, migrc: false };
  });

  it('is hit when the store goes through a clean stale entry without trapping', () => {
    const [step] = run(noDirtyTrap, swappedOut, [store(1, 0, 1)]);
    expect(tlbLookup(step!.post, 1, 0, 0)).not.toBeNull();
    expect(storeThroughStaleEntry.hit(step!.post, step)).toBe(true);
  });

  it('is not hit when the store faults and drops the entry', () => {
    const [step] = run(reclaimBatched, swappedOut, [store(1, 0, 1)]);
    expect(tlbLookup(step!.post, 1, 0, 0)).toBeNull();
    expect(storeThroughStaleEntry.hit(step!.post, step)).toBe(false);
  });

  it('is not hit by a store through a fresh entry, a load, or no step', () => {
    const [fresh] = run(sync, withTlb(small, 1, 0, 0, dirtyEntry(0)), [store(1, 0, 1)]);
    expect(storeThroughStaleEntry.hit(fresh!.post, fresh)).toBe(false);
    const [loaded] = run(noDirtyTrap, swappedOut, [load(1, 0)]);
    expect(storeThroughStaleEntry.hit(loaded!.post, loaded)).toBe(false);
    const [stored] = run(noDirtyTrap, swappedOut, [store(1, 0, 1)]);
    expect(storeThroughStaleEntry.hit(stored!.post)).toBe(false);
  });
});

describe('pageReclaimed', () => {
  it('is hit by the step that frees the last frame of a page', () => {
    // load, shrink, unmap (deferred), flush, free.
    const steps = run(reclaimBatched, small, [load(1, 0), shrink(0, 0, [0]), kstep(0), kstep(0), kstep(0)]);
    expect(steps[4]!.post.frames[0]!.owner).toEqual({ kind: 'free' });
    expect(hits(pageReclaimed, steps)).toEqual([false, false, false, false, true]);
  });

  it('is hit when a two-page batch is freed, one step per page', () => {
    // unmap x2, flush, free x2.
    const steps = run(reclaimBatched, small, [
      load(1, 1),
      shrink(0, 0, [0, 1]),
      ...Array.from({ length: 5 }, () => kstep(0)),
    ]);
    expect(hits(pageReclaimed, steps)).toEqual([false, false, false, false, false, true, true]);
  });

  it('is not hit by a migration nor a swap-in', () => {
    const migrated = run(migrateBatched, small, [migrate(0, 0, [0]), kstep(0), kstep(0), kstep(0), kstep(0)]);
    expect(hits(pageReclaimed, migrated)).toEqual([false, false, false, false, false]);
    // shrink, unmap, flush, free, then the load swaps page 0 back in.
    const swapIn = run(reclaimBatched, small, [shrink(0, 0, [0]), kstep(0), kstep(0), kstep(0), load(0, 0)]);
    expect(swapIn[4]!.post.mms[0]!.pte[0]).toMatchObject({ kind: 'present' });
    expect(hits(pageReclaimed, swapIn)).toEqual([false, false, false, true, false]);
  });
});

describe('pageMigrated', () => {
  // CPU 1 caches page 0; migrate-batched: unmap, flush, copy, remap, done.
  const steps = run(migrateBatched, small, [
    load(1, 0),
    migrate(0, 0, [0]),
    kstep(0),
    kstep(0),
    kstep(0),
    kstep(0),
    kstep(0),
  ]);

  it('is hit by the remap, and only by it', () => {
    expect(steps[5]!.post.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 2 });
    expect(hits(pageMigrated, steps)).toEqual([false, false, false, false, false, true, false]);
    expect(pageMigrated.hit(steps[5]!.post)).toBe(false);
  });

  it('is hit by a synchronous migration as well', () => {
    const syncSteps = run(sync, small, [migrate(0, 0, [1]), kstep(0), kstep(0), kstep(0), kstep(0)]);
    expect(hits(pageMigrated, syncSteps)).toEqual([false, false, false, true, false]);
  });

  it('is not hit by a reclaim or a swap-in', () => {
    // shrink, unmap, flush, free, then the load swaps page 0 back in.
    const reclaimed = run(reclaimBatched, small, [
      shrink(0, 0, [0]),
      kstep(0),
      kstep(0),
      kstep(0),
      load(0, 0),
    ]);
    expect(reclaimed[4]!.post.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    expect(hits(pageMigrated, reclaimed)).toEqual([false, false, false, false, false]);
  });
});

describe('migrcSourceHeld and migrcFlushedOnDemand', () => {
  const migrcFixed = variant('migrc-fixed');
  // a migration holds its source for CPU 0 (migrcHoldsSource); CPU 1's store faults (do_wp_page()).
  const steps = run(migrcFixed, initialState(CONFIGS['tiny-migrc']), [...migrcHoldsSource, store(1, 0, 1)]);

  it('the source is held from the end of the batch until the write fault flushes it', () => {
    const held = hits(target('migrcSourceHeld'), steps);
    expect(held.slice(0, 13)).toEqual(Array(13).fill(false));
    expect(held[13]).toBe(true);
    expect(held[14]).toBe(false);
    expect(steps[13]!.post.migrc.reqs[0]!.srcs).toEqual([0]);
  });

  it('the flush on demand is hit only at the step that empties the requests', () => {
    const flushed = hits(target('migrcFlushedOnDemand'), steps);
    expect(flushed).toEqual([...Array(14).fill(false), true]);
    expect(steps[14]!.post.frames[0]!.owner.kind).toBe('free');
  });

  it('neither is hit by migrate-batched, which flushes before it remaps', () => {
    const plain = run(variant('migrate-batched'), initialState(CONFIGS.tiny), [
      load(0, 0),
      migrate(0, 0, [0]),
      ...Array.from({ length: 5 }, () => kstep(0)),
    ]);
    expect(hits(target('migrcSourceHeld'), plain)).not.toContain(true);
    expect(hits(target('migrcFlushedOnDemand'), plain)).not.toContain(true);
  });
});

describe('copyFailureUndone', () => {
  const batchCopy = variant('batch-copy-copy-first');
  const fails: Action = { op: 'copyFails', task: 0 };

  it('is hit at the failed copy and nowhere else', () => {
    // unmap, flush, then folio_mc_copy fails
    const steps = run(batchCopy, initialState(CONFIGS.tiny), [migrate(0, 0, [0]), kstep(0), kstep(0), fails]);
    expect(hits(target('copyFailureUndone'), steps)).toEqual([false, false, false, true]);
  });

  it('is not hit by a copy that succeeds', () => {
    const steps = run(batchCopy, initialState(CONFIGS.tiny), [
      migrate(0, 0, [0]),
      // unmap, flush, copy, metadata, remap, done
      ...Array.from({ length: 6 }, () => kstep(0)),
    ]);
    expect(steps.at(-1)!.post.tasks[0]!.job).toBe('idle');
    expect(hits(target('copyFailureUndone'), steps)).not.toContain(true);
  });
});

describe('deferralInsideBatchedPending', () => {
  const world = initialState(CONFIGS['syscalls-two-ptls']);
  const mprotectRo: Action = { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 0, vpages: [0, 1] };

  it('is hit when reclaim defers a flush between the flush and the reset of flush_tlb_batched_pending()', () => {
    const steps = run(variant('reclaim-batched-dirty-batched-generations'), world, [
      shrink(0, 0, [0, 1]),
      kstep(0), // try_to_unmap_one(p0): tlb_flush_batched set
      mprotectRo,
      kstep(1), // flush_tlb_batched_pending(p0): flushes, will reset
      store(0, 1, 1),
      kstep(0), // try_to_unmap_one(p1): a new deferral inside the window
    ]);
    expect(hits(target('deferralInsideBatchedPending'), steps)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('is never hit where the flush and the reset are one step', () => {
    const steps = run(variant('reclaim-batched-dirty'), world, [
      shrink(0, 0, [0, 1]),
      kstep(0),
      mprotectRo,
      kstep(1), // change_pte_range(p0), flush_tlb_batched_pending() whole inside it
      store(0, 1, 1),
      kstep(0),
    ]);
    expect(hits(target('deferralInsideBatchedPending'), steps)).not.toContain(true);
  });
});

describe('pageSharedCopyOnWrite and copyOnWriteWhileCached', () => {
  const forkCow = variant('fork-cow');
  const s0 = initialState(CONFIGS['tiny-fork-cow']);
  const shared = target('pageSharedCopyOnWrite');
  const inCopy = target('copyOnWriteWhileCached');
  const fork: Action = { op: 'syscall', task: 0, call: 'fork', mm: 0, vpages: [0] };
  // fork() (copy, flush, return), CPU 1 reads the shared page, CPU 0 write-faults and copies
  // it, then installs the copy.
  const steps = run(forkCow, s0, [
    fork,
    kstep(0),
    kstep(0),
    kstep(0),
    load(1, 0),
    store(0, 0, 1),
    { op: 'wp_page_copy', cpu: 0 },
  ]);

  it('pageSharedCopyOnWrite is hit from copy_present_pte() until the copy is installed', () => {
    expect(hits(shared, steps)).toEqual([false, true, true, true, true, true, false]);
  });

  it('copyOnWriteWhileCached is hit only between the copy and its installation, while CPU 1 caches the page', () => {
    expect(hits(inCopy, steps)).toEqual([false, false, false, false, false, true, false]);
    // Without CPU 1's entry the copy is made with no other CPU caching the page.
    const alone = run(forkCow, s0, [fork, kstep(0), kstep(0), kstep(0), store(0, 0, 1)]);
    expect(alone[4]!.post.cpus[0]!.wp_copy).toBeDefined();
    expect(hits(inCopy, alone)).toEqual([false, false, false, false, false]);
  });
});

describe('deviceMemoryFreedDuringMunmap', () => {
  const freedDuring = target('deviceMemoryFreedDuringMunmap');
  const world = CONFIGS['tiny-pfnmap'];
  const munmap: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] };
  const revoke: Action = { op: 'syscall', task: 1, call: 'punch_hole', mm: 0, vpages: [0] };
  const today = variant('shared-file');

  it('is hit when the driver frees its memory while a munmap() of the page still runs', () => {
    // munmap() zaps, flushes and unlinks; the driver's walk finds no VMA and frees the page
    const steps = run(today, initialState(world), [
      load(0, 0),
      munmap,
      ...ksteps(0, 3),
      revoke,
      kstep(1),
      kstep(1),
    ]);
    expect(hits(freedDuring, steps)).toEqual([false, false, false, false, false, false, false, true]);
    expect(steps.at(-1)!.post.tasks[0]!.job).toBe('munmap');
  });

  it('is not hit once the munmap() has returned, nor for a page with struct pages', () => {
    const after = run(today, initialState(world), [munmap, ...ksteps(0, 5), revoke, kstep(1), kstep(1)]);
    expect(after[5]!.post.tasks[0]!.job).toBe('idle');
    expect(hits(freedDuring, after).some((h) => h)).toBe(false);
    expect(freedDuring.possible!(today, CONFIGS['tiny-shared-file'])).toBe(false);
    expect(freedDuring.possible!(today, world)).toBe(true);
  });
});
