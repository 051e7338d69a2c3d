// The reachability targets at the edges the main target tests leave open: worlds with more
// than one mm or task, steps while migrc holds a source, and lookup by id.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { initialState } from '../../model/state.js';
import { findTarget, TARGETS } from '../../properties/targets.js';
import {
  clean,
  load,
  migrcHoldsSource,
  none,
  readOnly,
  run,
  variant,
  withFlushPending,
  withPte,
  withTlb,
} from '../support.js';

const staleEntryWhileFlushDeferred = findTarget('staleEntryWhileFlushDeferred')!;

describe('findTarget', () => {
  it('returns the target with that id', () => {
    for (const t of TARGETS) expect(findTarget(t.id)).toBe(t);
  });
});

describe('staleEntryWhileFlushDeferred in larger worlds', () => {
  it('reads only the mm each CPU runs: an entry kept for another mm is not stale', () => {
    // two-mms: CPU 0 runs mm 0 and still caches mm 1's page 0, which mm 1 still maps.
    const s0 = initialState(CONFIGS['two-mms']);
    const frame = s0.mms[1]!.pte[0]!;
    expect(frame.kind).toBe('present');
    if (frame.kind !== 'present') return;
    const other = withFlushPending(withTlb(s0, 0, 1, 0, clean(frame.frame)), 0, 0b11);
    expect(staleEntryWhileFlushDeferred.hit(other)).toBe(false);
  });

  it('is hit when one task of two has a flush pending', () => {
    // two-tasks: task 1 defers, task 0 has nothing pending; CPU 2 caches the unmapped page.
    const s0 = initialState(CONFIGS['two-tasks']);
    const stale = withTlb(withPte(s0, 0, 1, none), 2, 0, 1, readOnly(1));
    expect(staleEntryWhileFlushDeferred.hit(withFlushPending(stale, 1, 0b111))).toBe(true);
    expect(staleEntryWhileFlushDeferred.hit(withFlushPending(stale, 0, 0b111))).toBe(true);
    expect(staleEntryWhileFlushDeferred.hit(stale)).toBe(false);
  });
});

describe('migrcFlushedOnDemand', () => {
  it('is not hit by a step that leaves the held source held', () => {
    const migrcFixed = variant('migrc-fixed');
    const steps = run(migrcFixed, initialState(CONFIGS['tiny-migrc']), [...migrcHoldsSource, load(0, 0)]);
    const last = steps.at(-1)!;
    expect(last.pre.migrc.reqs.length).toBeGreaterThan(0);
    expect(last.post.migrc.reqs).toEqual(last.pre.migrc.reqs);
    expect(findTarget('migrcFlushedOnDemand')!.hit(last.post, last)).toBe(false);
  });
});
