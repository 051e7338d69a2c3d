import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { should_defer_flush } from '../../model/rmap.js';
import { emptyTlbUbc, idlePc, initialState, type State } from '../../model/state.js';
import { copyMayFail, currentFolio, currentStep, ptlFree, ptlHolder } from '../../model/task.js';
import type { ProgramPhase, Variant } from '../../model/variant.js';
import { derived, finalState, kstep, load, migrate, shrink, store, variant } from '../support.js';

const sync = variant('sync');
const reclaimBatched = variant('reclaim-batched');
const reclaimBatchedDirty = variant('reclaim-batched-dirty');
const migrateBatched = variant('migrate-batched');

const step = kstep(0);

/** Every CPU of small caches both pages, CPU 1 through a store to each vpage in `dirty`. */
function warmed(v: Variant, dirty: readonly number[]): State {
  const loads = [0, 1].flatMap((cpu) => [0, 1].map((vpage) => load(cpu, vpage)));
  const stores = dirty.map((vpage) => store(1, vpage, 1 + vpage));
  return finalState(v, initialState(CONFIGS.small), [...loads, ...stores]);
}

/** Run task 0 to idle, recording the step (and the vpage of its folio) before each kernelStep. */
function trace(v: Variant, start: State): { steps: string[]; end: State } {
  const steps: string[] = [];
  let s = start;
  for (let i = 0; i < 50 && s.tasks[0]!.job !== 'idle'; i++) {
    const name = currentStep(v.policy, s.tasks[0]!);
    const folio = currentFolio(v.policy, s.tasks[0]!);
    steps.push(folio === null ? `${name}` : `${name} ${folio.vpage}`);
    s = next(v, s, step);
  }
  return { steps, end: s };
}

describe('starting a batch', () => {
  it('migrate_pages isolates each folio (refcount +1) and allocates the lowest free frames as dst', () => {
    const s = initialState(CONFIGS.small);
    const after = next(migrateBatched, s, migrate(0, 0, [0, 1]));
    const t = after.tasks[0]!;
    expect(t.job).toBe('migrate');
    expect(t.folios).toEqual([
      { mm: 0, vpage: 0, src: 0, dst: 2 },
      { mm: 0, vpage: 1, src: 1, dst: 3 },
    ]);
    expect(after.frames.map((f) => f.refcount)).toEqual([2, 2, 1, 1]);
    expect(after.frames[2]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0 });
    expect(after.frames[3]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 1 });
    expect(currentStep(migrateBatched.policy, t)).toBe('try_to_migrate_one');
    // Nothing is unmapped yet.
    expect(after.mms[0]!.pte[0]).toEqual(s.mms[0]!.pte[0]);
  });

  it('shrink_folio_list isolates each folio and allocates nothing', () => {
    const after = next(reclaimBatched, initialState(CONFIGS.small), shrink(0, 0, [1]));
    const t = after.tasks[0]!;
    expect(t.job).toBe('reclaim');
    expect(t.folios).toEqual([{ mm: 0, vpage: 1, src: 1, dst: -1 }]);
    expect(after.frames.map((f) => f.refcount)).toEqual([1, 2, 0, 0]);
    expect(after.frames.filter((f) => f.owner.kind === 'free')).toHaveLength(2);
    expect(currentStep(reclaimBatched.policy, t)).toBe('try_to_unmap_one');
  });

  it('migrate_pages is not enabled without a free frame for every folio', () => {
    let s = initialState(CONFIGS.small);
    s = next(migrateBatched, s, { op: 'reuseFrame', frame: 2 });
    expect(enabled(migrateBatched, s, migrate(0, 0, [0, 1]))).toBe(false);
    expect(enabled(migrateBatched, s, migrate(0, 0, [0]))).toBe(true);
    // Reclaim needs no destination.
    expect(enabled(migrateBatched, s, shrink(0, 0, [0, 1]))).toBe(true);
  });

  it('isolate_lru_folio fails on a folio another batch holds', () => {
    const two = initialState(CONFIGS['two-tasks']);
    const s = next(migrateBatched, two, shrink(0, 0, [0]));
    expect(enabled(migrateBatched, s, migrate(1, 0, [0]))).toBe(false);
    expect(enabled(migrateBatched, s, migrate(1, 0, [1]))).toBe(true);
    // A busy task cannot start a second batch.
    expect(enabled(migrateBatched, s, shrink(0, 0, [1]))).toBe(false);
  });
});

describe('kernelStep runs the program in order', () => {
  it('migrate-batched: try_to_migrate_one for each folio, one try_to_unmap_flush, then copy, remap, free each', () => {
    const s = next(migrateBatched, warmed(migrateBatched, []), migrate(0, 0, [0, 1]));
    const { steps } = trace(migrateBatched, s);
    expect(steps).toEqual([
      'try_to_migrate_one 0',
      'try_to_migrate_one 1',
      'try_to_unmap_flush',
      'move_to_new_folio 0',
      'remove_migration_ptes 0',
      'migrate_folio_done 0',
      'move_to_new_folio 1',
      'remove_migration_ptes 1',
      'migrate_folio_done 1',
    ]);
  });

  it('sync migration: unmap_and_move one folio at a time', () => {
    const s = next(sync, initialState(CONFIGS.small), migrate(0, 0, [0, 1]));
    const per = (v: number) => [
      `try_to_migrate_one ${v}`,
      `move_to_new_folio ${v}`,
      `remove_migration_ptes ${v}`,
      `migrate_folio_done ${v}`,
    ];
    expect(trace(sync, s).steps).toEqual([...per(0), ...per(1)]);
  });

  it('sync reclaim skips pageout for clean folios and runs it for dirty ones', () => {
    const clean = next(sync, warmed(sync, []), shrink(0, 0, [0, 1]));
    expect(trace(sync, clean).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_one 1',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
    const dirty = next(sync, warmed(sync, [1]), shrink(0, 0, [0, 1]));
    expect(trace(sync, dirty).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_one 1',
      'pageout 1',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
  });

  it('reclaim-batched-dirty: try_to_unmap_flush_dirty and pageout only for the dirty folio', () => {
    const s = next(reclaimBatchedDirty, warmed(reclaimBatchedDirty, [0]), shrink(0, 0, [0, 1]));
    expect(trace(reclaimBatchedDirty, s).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_flush_dirty 0',
      'pageout 0',
      'try_to_unmap_one 1',
      // clean folio 1: no flush_dirty, no pageout; its deferred entry is flushed here
      'try_to_unmap_flush',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
  });

  it('try_to_unmap_flush is skipped when try_to_unmap_flush_dirty already flushed everything pending', () => {
    const s = next(reclaimBatchedDirty, warmed(reclaimBatchedDirty, [1]), shrink(0, 0, [0, 1]));
    expect(trace(reclaimBatchedDirty, s).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_one 1',
      'try_to_unmap_flush_dirty 1',
      'pageout 1',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
  });

  it('try_to_unmap_flush is skipped when reclaim-batched flushed a dirty PTE at once (deferDirty false)', () => {
    const s = next(reclaimBatched, warmed(reclaimBatched, [0]), shrink(0, 0, [0]));
    expect(trace(reclaimBatched, s).steps).toEqual([
      'try_to_unmap_one 0',
      'pageout 0',
      'free_unref_folios 0',
    ]);
  });

  it('the task goes idle with no folios, an idle pc and an empty tlb_ubc at the end', () => {
    for (const v of [sync, reclaimBatched, reclaimBatchedDirty, migrateBatched])
      for (const op of ['migrate_pages', 'shrink_folio_list'] as const) {
        const s = next(v, warmed(v, [0]), { op, task: 0, mm: 0, vpages: [0, 1] });
        expect(s.tasks[0]!.job).not.toBe('idle');
        const { steps, end } = trace(v, s);
        expect(steps.length).toBeGreaterThan(2);
        expect(end.tasks[0], `${v.id} ${op}`).toEqual({
          cpu: 0,
          job: 'idle',
          folios: [],
          pc: idlePc,
          tlb_ubc: emptyTlbUbc,
          tlb_ubc_nowr: emptyTlbUbc,
          mreq: null,
        });
        expect(enabled(v, end, step)).toBe(false);
      }
  });
});

describe('should_defer_flush', () => {
  const twoMms = initialState(CONFIGS['two-mms']);
  const job = reclaimBatched.policy.reclaim!;

  it('is false when only the task’s own CPU is in mm_cpumask', () => {
    expect(twoMms.mms[0]!.mm_cpumask).toBe(0b01);
    expect(should_defer_flush(twoMms, job, 0, 0)).toBe(false);
    expect(should_defer_flush(twoMms, job, 0, 1)).toBe(true);
  });

  it('is false without TTU_BATCH_FLUSH (sync), whatever the mask', () => {
    expect(should_defer_flush(twoMms, sync.policy.reclaim!, 0, 1)).toBe(false);
    expect(should_defer_flush(initialState(CONFIGS.tiny), sync.policy.reclaim!, 0, 0)).toBe(false);
  });

  it('a local-only mm is flushed at once by ptep_clear_flush, with no IPI and nothing pending', () => {
    let s = finalState(reclaimBatched, twoMms, [load(0, 0), shrink(0, 0, [0]), step]);
    expect(s.tasks[0]!.tlb_ubc).toEqual(emptyTlbUbc);
    expect(s.mms[0]!.tlb_flush_batched).toBe(false);
    expect(s.cost).toEqual({ ipis: 0, fullFlushes: 0, pageFlushes: 1 });
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(currentStep(reclaimBatched.policy, s.tasks[0]!)).toBe('free_unref_folios');
    s = next(reclaimBatched, s, step);
    expect(s.tasks[0]!.job).toBe('idle');
  });

  it('a remote mm is deferred: tlb_ubc holds the remote CPU and try_to_unmap_flush IPIs it', () => {
    let s = finalState(reclaimBatched, twoMms, [load(1, 0), shrink(0, 1, [0]), step]);
    expect(s.tasks[0]!.tlb_ubc).toEqual({ cpumask: 0b10, flush_required: true, writable: false });
    expect(tlbLookup(s, 1, 1, 0)).not.toBeNull();
    expect(currentStep(reclaimBatched.policy, s.tasks[0]!)).toBe('try_to_unmap_flush');
    s = next(reclaimBatched, s, step);
    expect(s.cost).toEqual({ ipis: 1, fullFlushes: 1, pageFlushes: 0 });
    expect(tlbLookup(s, 1, 1, 0)).toBeNull();
  });
});

describe('set_tlb_ubc_flush_pending', () => {
  const unmapped = (v: Variant, dirty: readonly number[]): State =>
    finalState(v, warmed(v, dirty), [shrink(0, 0, [0]), step]);

  it('a deferred clean PTE collects mm_cpumask, sets flush_required but not writable, and flushes nothing yet', () => {
    const s = unmapped(reclaimBatchedDirty, []);
    expect(s.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(s.tasks[0]!.tlb_ubc).toEqual({ cpumask: 0b11, flush_required: true, writable: false });
    expect(s.mms[0]!.tlb_flush_batched).toBe(true);
    expect(s.cost).toEqual({ ipis: 0, fullFlushes: 0, pageFlushes: 0 });
    // The remote CPU still caches the unmapped page: the window the protocol argues about.
    expect(tlbLookup(s, 1, 0, 0)).not.toBeNull();
    expect(s.frames[0]!.dirty).toBe(false);
  });

  it('a deferred dirty PTE also sets writable and moves PG_dirty to the folio', () => {
    const s = unmapped(reclaimBatchedDirty, [0]);
    expect(s.tasks[0]!.tlb_ubc).toEqual({ cpumask: 0b11, flush_required: true, writable: true });
    expect(s.frames[0]!.dirty).toBe(true);
    expect(s.cost.pageFlushes).toBe(0);
    expect(currentStep(reclaimBatchedDirty.policy, s.tasks[0]!)).toBe('try_to_unmap_flush_dirty');
    const flushed = next(reclaimBatchedDirty, s, step);
    expect(flushed.tasks[0]!.tlb_ubc).toEqual(emptyTlbUbc);
    expect(flushed.cost).toEqual({ ipis: 1, fullFlushes: 2, pageFlushes: 0 });
    expect(flushed.cpus.every((c) => c.tlb.every((e) => e === null))).toBe(true);
  });

  it('deferDirty false (reclaim-batched) flushes a dirty PTE at once and leaves tlb_ubc.writable false', () => {
    const s = unmapped(reclaimBatched, [0]);
    expect(s.cost).toEqual({ ipis: 1, fullFlushes: 0, pageFlushes: 2 });
    expect(s.tasks[0]!.tlb_ubc.writable).toBe(false);
    expect(s.tasks[0]!.tlb_ubc.flush_required).toBe(false);
    expect(tlbLookup(s, 0, 0, 0)).toBeNull();
    expect(tlbLookup(s, 1, 0, 0)).toBeNull();
    // Only the unmapped page's entries were flushed.
    expect(tlbLookup(s, 1, 0, 1)).not.toBeNull();
    expect(s.frames[0]!.dirty).toBe(true);
  });

  it('deferDirty false still defers a clean PTE', () => {
    const s = unmapped(reclaimBatched, []);
    expect(s.cost.pageFlushes).toBe(0);
    expect(s.tasks[0]!.tlb_ubc).toEqual({ cpumask: 0b11, flush_required: true, writable: false });
  });
});

describe('end of a batch', () => {
  it('free_unref_folios returns a reclaimed frame to the allocator with refcount 0, after pageout saved it', () => {
    const s = next(reclaimBatchedDirty, warmed(reclaimBatchedDirty, [1]), shrink(0, 0, [0, 1]));
    const { end } = trace(reclaimBatchedDirty, s);
    for (const frame of [0, 1]) {
      expect(end.frames[frame]).toEqual({
        owner: { kind: 'free' },
        data: frame === 1 ? 2 : 0,
        refcount: 0,
        dirty: false,
        migrc: false,
      });
    }
    expect(end.mms[0]!.pte).toEqual([{ kind: 'none' }, { kind: 'none' }]);
    expect(end.mms[0]!.swap).toEqual([0, 2]);
  });

  it('migrate_folio_done frees src and leaves dst mapped with one reference and the data and dirty bit', () => {
    const s = next(migrateBatched, warmed(migrateBatched, [1]), migrate(0, 0, [0, 1]));
    const { end } = trace(migrateBatched, s);
    expect(end.frames[0]!).toMatchObject({ owner: { kind: 'free' }, refcount: 0 });
    expect(end.frames[1]!).toMatchObject({ owner: { kind: 'free' }, refcount: 0 });
    expect(end.frames[2]!).toEqual({
      owner: { kind: 'anon', mm: 0, vpage: 0 },
      data: 0,
      refcount: 1,
      dirty: false,
      migrc: false,
    });
    expect(end.frames[3]!).toEqual({
      owner: { kind: 'anon', mm: 0, vpage: 1 },
      data: 2,
      refcount: 1,
      dirty: true,
      migrc: false,
    });
    expect(end.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 2, writable: true, dirty: false });
    expect(end.mms[0]!.pte[1]).toMatchObject({ kind: 'present', frame: 3, writable: true, dirty: true });
    // One try_to_unmap_flush for the whole batch: one IPI, a full flush on each CPU.
    expect(end.cost).toEqual({ ipis: 1, fullFlushes: 2, pageFlushes: 0 });
  });

  it('after migration a load walks to dst', () => {
    const s = next(migrateBatched, warmed(migrateBatched, []), migrate(0, 0, [0]));
    const { end } = trace(migrateBatched, s);
    const after = next(migrateBatched, end, load(1, 0));
    expect(tlbLookup(after, 1, 0, 0)!.frame).toBe(2);
  });

  it('a refcount never goes negative over a full reclaim of a page a CPU keeps faulting in', () => {
    let s = warmed(sync, [0]);
    for (let round = 0; round < 3; round++) {
      s = next(sync, s, shrink(0, 0, [0]));
      s = trace(sync, s).end;
      s = next(sync, s, load(1, 0)); // do_swap_page
      expect(s.frames.every((f) => f.refcount >= 0 && (f.owner.kind === 'free') === (f.refcount === 0))).toBe(
        true,
      );
      expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present' });
    }
    expect(s.frames.filter((f) => f.owner.kind !== 'free')).toHaveLength(2);
  });
});

it('currentStep and currentFolio are null for an idle task', () => {
  const t = initialState(CONFIGS.tiny).tasks[0]!;
  expect(currentStep(sync.policy, t)).toBeNull();
  expect(currentFolio(sync.policy, t)).toBeNull();
});

describe('which steps have work to do (applies())', () => {
  /** reclaim-batched-dirty's base with `program` as its reclaim program. */
  const withProgram = (base: Variant, program: ProgramPhase[]) =>
    derived('custom', base, { reclaim: { program } });

  it('try_to_unmap_flush_dirty in an each phase runs only for a dirty folio, even with a writable entry pending', () => {
    // Both folios unmapped first: folio 1's dirty entry is pending when folio 0 (clean) comes
    // to try_to_unmap_flush_dirty, which shrink_folio_list() calls only for a dirty folio.
    const v = withProgram(reclaimBatchedDirty, [
      { each: ['try_to_unmap_one'] },
      { each: ['try_to_unmap_flush_dirty', 'pageout'] },
      { once: 'try_to_unmap_flush' },
      { each: ['free_unref_folios'] },
    ]);
    const s = next(v, warmed(v, [1]), shrink(0, 0, [0, 1]));
    expect(trace(v, s).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_one 1',
      'try_to_unmap_flush_dirty 1',
      'pageout 1',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
  });

  it('try_to_unmap_flush_dirty in a once phase runs whenever a writable entry is pending', () => {
    const v = withProgram(reclaimBatchedDirty, [
      { each: ['try_to_unmap_one'] },
      { once: 'try_to_unmap_flush_dirty' },
      { each: ['pageout', 'free_unref_folios'] },
    ]);
    const s = next(v, warmed(v, [1]), shrink(0, 0, [0, 1]));
    expect(trace(v, s).steps).toEqual([
      'try_to_unmap_one 0',
      'try_to_unmap_one 1',
      'try_to_unmap_flush_dirty',
      'free_unref_folios 0',
      'pageout 1',
      'free_unref_folios 1',
    ]);
  });

  it('try_to_unmap_flush_dirty is skipped for a dirty folio when no writable entry is pending', () => {
    // reclaim-batched flushes a dirty PTE at once (deferDirty false): tlb_ubc.writable stays false
    const v = withProgram(reclaimBatched, [
      { each: ['try_to_unmap_one', 'try_to_unmap_flush_dirty', 'pageout'] },
      { once: 'try_to_unmap_flush' },
      { each: ['free_unref_folios'] },
    ]);
    const s = next(v, warmed(v, [0]), shrink(0, 0, [0, 1]));
    expect(trace(v, s).steps).toEqual([
      'try_to_unmap_one 0',
      'pageout 0',
      'try_to_unmap_one 1',
      'try_to_unmap_flush',
      'free_unref_folios 0',
      'free_unref_folios 1',
    ]);
  });
});

describe('the migrc steps without a migrc policy (CONFIG_MIGRC=n)', () => {
  it('are no-ops: migrc’s program then migrates as migrate-batched does', () => {
    const migrc = variant('migrc');
    const off = derived('migrc-off', migrc, { migrc: null });
    const start = warmed(migrateBatched, [0]);
    const a = trace(off, next(off, start, migrate(0, 0, [0, 1]))).end;
    const b = trace(migrateBatched, next(migrateBatched, start, migrate(0, 0, [0, 1]))).end;
    expect(a.tasks[0]!.job).toBe('idle');
    expect(a).toEqual(b);
  });
});

describe('copyMayFail', () => {
  it('only a migration’s folio_mc_copy() may fail, not the same step in another job', () => {
    const batchCopy = variant('batch-copy');
    const program = batchCopy.policy.migrate!.program;
    const phase = program.findIndex((p) => 'each' in p && p.each.includes('folio_mc_copy'));
    const stepIndex = (program[phase] as { each: readonly string[] }).each.indexOf('folio_mc_copy');
    const v = derived('c', batchCopy, { reclaim: { program } });
    const task = (job: 'migrate' | 'reclaim') => ({
      ...initialState(CONFIGS.small).tasks[0]!,
      job,
      folios: [{ mm: 0, vpage: 0, src: 0, dst: 2 }],
      pc: { phase, folio: 0, step: stepIndex },
    });
    expect(currentStep(v.policy, task('reclaim'))).toBe('folio_mc_copy');
    const s = initialState(CONFIGS.small);
    expect(copyMayFail(s, v.policy, task('migrate'))).toBe(true);
    expect(copyMayFail(s, v.policy, task('reclaim'))).toBe(false);
    expect(
      copyMayFail(s, v.policy, { ...task('migrate'), pc: { phase, folio: 0, step: stepIndex + 1 } }),
    ).toBe(false);
  });
});

describe('fork’s flush_tlb_mm step', () => {
  it('flushes every gathered CPU whole (not page by page) and moves on to syscall_return', () => {
    const s = produce(initialState(CONFIGS.syscalls), (d) => {
      const t = d.tasks[1]!;
      t.job = 'fork';
      t.folios = [{ mm: 0, vpage: 0, src: -1, dst: -1 }];
      t.pc = { phase: 1, folio: 0, step: 0 };
      t.tlb_ubc = { cpumask: 0b11, flush_required: true, writable: false };
    });
    expect(currentStep(sync.policy, s.tasks[1]!)).toBe('flush_tlb_mm');
    const after = next(sync, s, kstep(1));
    expect(after.cost).toEqual({ ipis: 1, fullFlushes: 2, pageFlushes: 0 });
    expect(currentStep(sync.policy, after.tasks[1]!)).toBe('syscall_return');
  });
});

describe('the PTL held across flush_tlb_batched_pending() (policy.batchedPendingWindow)', () => {
  const windowed = variant('reclaim-batched-dirty-batched-flag-race');
  // syscalls: two pages per page-table page; task `holder` is inside mprotect_ro on page 1,
  // past its flush_tlb_batched_pending() (step 1), so it holds the PTL of pages 0 and 1.
  const holding = (holder: number, step = 1) =>
    produce(initialState(CONFIGS.syscalls), (d) => {
      const t = d.tasks[holder]!;
      t.job = 'mprotect_ro';
      t.folios = [{ mm: 0, vpage: 1, src: -1, dst: -1 }];
      t.pc = { phase: 0, folio: 0, step };
    });
  /** `s` with task `index` reclaiming page 0 of mm 0, at step `step` of its each phase. */
  const reclaiming = (s: State, index: number, step: number) =>
    produce(s, (d) => {
      const t = d.tasks[index]!;
      t.job = 'reclaim';
      t.folios = [{ mm: 0, vpage: 0, src: 0, dst: -1 }];
      t.pc = { phase: 0, folio: 0, step };
    });

  it('ptlHolder(): the task past the flush holds the PTL of its page-table page, of its mm only', () => {
    expect(windowed.policy.batchedPendingWindow).toBe('flag');
    const s = holding(1);
    expect(currentStep(windowed.policy, s.tasks[1]!)).toBe('change_pte_range');
    expect(ptlHolder(s, windowed.policy, 0, 0)).toBe(1);
    expect(ptlHolder(s, windowed.policy, 0, 1)).toBe(1);
    expect(ptlHolder(s, windowed.policy, 0, 2)).toBe(-1); // the next page-table page
    expect(ptlHolder(s, windowed.policy, 1, 1)).toBe(-1); // another mm
    // Before its flush it holds nothing yet; without the window no step holds a PTL across steps.
    expect(ptlHolder(holding(1, 0), windowed.policy, 0, 1)).toBe(-1);
    expect(ptlHolder(s, reclaimBatchedDirty.policy, 0, 1)).toBe(-1);
  });

  it('ptlFree(): a step that takes the PTL waits for its holder; the holder itself and other steps go on', () => {
    // Task 0 (kswapd) reaches try_to_unmap_one on page 0 while task 1 holds the PTL.
    const s = reclaiming(holding(1), 0, 0);
    expect(currentStep(windowed.policy, s.tasks[0]!)).toBe('try_to_unmap_one');
    expect(ptlFree(s, windowed.policy, 0)).toBe(false);
    expect(ptlFree(s, windowed.policy, 1)).toBe(true);
    expect(ptlFree(s, reclaimBatchedDirty.policy, 0)).toBe(true);
    // pageout() takes no PTL
    const pageout = reclaiming(holding(1), 0, 2);
    expect(currentStep(windowed.policy, pageout.tasks[0]!)).toBe('pageout');
    expect(ptlFree(pageout, windowed.policy, 0)).toBe(true);
    // the holder may be task 0
    const swapped = reclaiming(holding(0), 1, 0);
    expect(ptlHolder(swapped, windowed.policy, 0, 0)).toBe(0);
    expect(ptlFree(swapped, windowed.policy, 1)).toBe(false);
  });
});
