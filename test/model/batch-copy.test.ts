// Batch copy (seed 004): the metadata move and the copy as separate steps, a copy that may
// fail, and the undo that follows. The posted order loses a dirty bit on that undo; the
// copy-first order does not.

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { initialState, type State } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import { dirtyNeverDroppedClean } from '../../properties/invariants.js';
import { describeStep } from '../../src/codec/format.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, migrate, present, shrink, store, variant } from '../support.js';

const posted = variant('batch-copy');
const copyFirst = variant('batch-copy-copy-first');
const migrateBatched = variant('migrate-batched');
const fails: Action = { op: 'copyFails', task: 0 };
const step = kstep(0);

/** On small: CPU 1 stores 5 to p0 (PTE and folio dirty), then task 0 migrates p0 to its copy step. */
function atCopy(v: typeof posted): State {
  let s = finalState(v, initialState(CONFIGS.small), [store(1, 0, 5), migrate(0, 0, [0])]);
  while (currentStep(v.policy, s.tasks[0]!) !== 'folio_mc_copy') s = next(v, s, step);
  return s;
}

describe('the split steps', () => {
  it('_move_to_new_folio_prep moves PG_dirty from src to dst (the swap cache folio) and copies nothing', () => {
    let s = finalState(posted, initialState(CONFIGS.small), [store(1, 0, 5), migrate(0, 0, [0])]);
    while (currentStep(posted.policy, s.tasks[0]!) !== '_move_to_new_folio_prep') s = next(posted, s, step);
    expect(s.frames[0]!.dirty).toBe(true);
    const after = next(posted, s, step);
    expect(after.frames[0]!.dirty).toBe(false);
    expect(after.frames[2]!.dirty).toBe(true);
    expect(after.frames[2]!.data).toBe(0);
  });

  it('folio_mc_copy copies the contents, and the migration then completes as migrate-batched does', () => {
    let s = next(copyFirst, atCopy(copyFirst), step);
    expect(s.frames[2]!.data).toBe(5);
    while (s.tasks[0]!.job !== 'idle') s = next(copyFirst, s, step);
    expect(s.mms[0]!.pte[0]).toEqual({ ...present(2, true, true), accessed: false });
    expect(s.frames[2]).toMatchObject({ data: 5, dirty: true, refcount: 1 });
    expect(s.frames[0]!.owner.kind).toBe('free');
  });
});

describe('a copy that fails', () => {
  it('can fail only at a folio_mc_copy step, and only where a program has one', () => {
    const s = atCopy(posted);
    expect(enabled(posted, s, fails)).toBe(true);
    expect(enabled(posted, next(posted, s, step), fails)).toBe(false);
    expect(enabled(posted, initialState(CONFIGS.small), fails)).toBe(false);
    const mb = finalState(migrateBatched, initialState(CONFIGS.small), [migrate(0, 0, [0]), step, step]);
    expect(currentStep(migrateBatched.policy, mb.tasks[0]!)).toBe('move_to_new_folio');
    expect(enabled(migrateBatched, mb, fails)).toBe(false);
  });

  it('is undone: src mapped again, dst freed, src back on the LRU, the task done with the folio', () => {
    const s = next(copyFirst, atCopy(copyFirst), fails);
    expect(s.mms[0]!.pte[0]).toEqual({ ...present(0, true, true), accessed: false });
    expect(s.frames[0]).toMatchObject({ data: 5, dirty: true, refcount: 1 });
    expect(s.frames[2]!.owner.kind).toBe('free');
    expect(s.freeList).toContain(2);
    expect(s.tasks[0]!.job).toBe('idle');
    // the page can be taken by another batch at once
    expect(enabled(copyFirst, s, shrink(0, 0, [0]))).toBe(true);
  });

  it('in a batch of two skips only the folio that failed', () => {
    let s = finalState(copyFirst, initialState(CONFIGS.small), [store(1, 0, 5), store(1, 1, 6)]);
    s = next(copyFirst, s, migrate(0, 0, [0, 1]));
    while (currentStep(copyFirst.policy, s.tasks[0]!) !== 'folio_mc_copy') s = next(copyFirst, s, step);
    s = next(copyFirst, s, fails);
    expect(s.tasks[0]!.folios[0]!.failed).toBe(true);
    while (s.tasks[0]!.job !== 'idle') s = next(copyFirst, s, step);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, dirty: true });
    expect(s.mms[0]!.pte[1]).toMatchObject({ kind: 'present', frame: 3, dirty: true });
    expect(s.frames[3]!.data).toBe(6);
  });

  it('after the posted order’s metadata move, leaves src clean under a clean PTE', () => {
    const s = next(posted, atCopy(posted), fails);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, dirty: false });
    expect(s.frames[0]).toMatchObject({ data: 5, dirty: false });
    expect(s.mms[0]!.swap[0]).toBe(0);
  });

  it('reads in a race report as the kernel function that failed and the undo', () => {
    expect(describeStep(posted, atCopy(posted), fails)).toBe(
      'folio_mc_copy(p0) fails: migrate_folio_undo_src/dst',
    );
  });
});

describe('the undo, then reclaim', () => {
  // The explorer's shortest counterexample against batch-copy, on tiny.
  const race: Action[] = [
    store(0, 0, 1),
    migrate(0, 0, [0]),
    step, // try_to_migrate_one
    step, // try_to_unmap_flush
    step, // _move_to_new_folio_prep (posted) / folio_mc_copy (copy first)
    fails,
  ];
  const reclaim: Action[] = [shrink(0, 0, [0]), step, step, step];

  it('loses the store in the posted order', () => {
    const r = replay(posted, CONFIGS.tiny, [...race, ...reclaim], { invariants: [dirtyNeverDroppedClean] });
    expect(r.violation?.invariant.id).toBe('dirtyNeverDroppedClean');
    expect(r.violation?.atStep).toBe(10);
    expect(r.violation?.witness.message).toBe('frame 0 of page 0 held 1 but was discarded with 0 on disk');
  });

  it('writes it back in the copy-first order', () => {
    // unmap, try_to_unmap_flush_dirty, pageout, free_unref_folios
    const actions: Action[] = [...race.slice(0, 4), fails, shrink(0, 0, [0]), step, step, step, step];
    const r = replay(copyFirst, CONFIGS.tiny, actions);
    expect(r.disabledAt).toBeNull();
    expect(r.violation).toBeNull();
    const end = r.trace.steps.at(-1)!.state;
    expect(end.mms[0]!.swap[0]).toBe(1);
  });
});
