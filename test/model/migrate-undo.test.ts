// The undo of a failed copy or move (migrate_folio_undo_src(): remove_migration_ptes(src,
// src)) is an rmap walk like the batch's own: one mapping a step, each under its PTL, so a
// folio two mms map is mapped at src again in one mm while the other still has its
// migration entry (issue 25, lock by lock).

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { homeValue } from '../../model/queries.js';
import { initialState } from '../../model/state.js';
import { currentFolio } from '../../model/task.js';
import { describeStep } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { finalState, kstep, load, migrate, recordedStates, variant } from '../support.js';

const world = CONFIGS['migrc-shared-file-move-fail'];
const batched = variant('migrate-batched');
const fails: Action = { op: 'copyFails', task: 0 };
// The migration on CPU 1 unmaps the file page from both mms, flushes, and its move fails.
const toFailure: readonly Action[] = [migrate(0, 1, [0]), kstep(0), kstep(0), kstep(0)];

describe('the undo of a failed move', () => {
  it('maps src again one mm at a time, and a fault on the other waits for its turn', () => {
    const before = finalState(batched, initialState(world), toFailure);
    expect(before.mms.map((m) => m.pte[0]!.kind)).toEqual(['migration', 'migration']);
    expect(describeStep(batched, before, fails)).toContain('fails');
    const s = finalState(batched, before, [fails]);
    expect(s.mms.map((m) => m.pte[0]!.kind)).toEqual(['present', 'migration']);
    expect(s.mms[0]!.pte[0]).toMatchObject({ frame: 0 });
    expect(currentFolio(batched.policy, s.tasks[0]!)?.undoing).toBe(true);
    // CPU 1 runs mm 1: its access sleeps on the migration entry; the page is src's
    expect(enabled(batched, s, load(1, 0))).toBe(false);
    expect(enabled(batched, s, load(0, 0))).toBe(true);
    expect(homeValue(s, 1, 0)).toBe(s.frames[0]!.data);
    // it cannot fail twice
    expect(enabled(batched, s, fails)).toBe(false);
    expect(describeStep(batched, s, kstep(0))).toBe(
      'migrate_folio_undo_src(p0): remove_migration_ptes(src, src)',
    );
    const done = finalState(batched, s, [kstep(0)]);
    expect(done.mms.map((m) => m.pte[0])).toMatchObject([
      { kind: 'present', frame: 0 },
      { kind: 'present', frame: 0 },
    ]);
    expect(done.tasks[0]!.job).toBe('idle');
    // dst went back to the allocator; src keeps the page cache's reference and both mappings
    expect(done.frames[1]!.owner.kind).toBe('free');
    expect(done.frames[0]!.refcount).toBe(3);
    expect(enabled(batched, done, load(1, 0))).toBe(true);
  });

  it('migrc-fixed and migrate-batched hold in the world, every interleaving of the undo included', () => {
    for (const id of ['migrc-fixed', 'migrate-batched']) {
      const r = explore(variant(id), world);
      expect([r.complete, r.violation], id).toEqual([true, null]);
      expect(r.distinct, id).toBe(recordedStates(id, 'migrc-shared-file-move-fail'));
      expect(r.targetsHit, id).toContain('copyFailureUndone');
    }
  });
});
