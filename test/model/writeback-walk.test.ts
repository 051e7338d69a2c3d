// The flusher's folio_mkclean() is an rmap walk like the others (issue 25, lock by lock):
// one mm a step, under that mm's PTL, with the folio locked from the first step to the
// last, so faults on the page, write(2), reclaim and a hole punched there wait for it,
// while a store through an entry the walk has not reached yet still lands.

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { initialState } from '../../model/state.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, load, store, variant } from '../support.js';

const world = CONFIGS['shared-file'];
const v = variant('shared-file');
const writeback: Action = { op: 'writeback', index: 0 };
// CPU 0 runs mm 0 and CPU 2 mm 1: each takes a write fault on page 0 of the file, which
// makes its PTE writable and dirties the folio (the store itself lands when retried)
const dirtied: readonly Action[] = [store(0, 0, 1), store(2, 0, 2)];

describe("the flusher's walk", () => {
  it('cleans one mm a step, holding the folio lock until PG_dirty is cleared and the page written', () => {
    const s0 = finalState(v, initialState(world), dirtied);
    expect(s0.mms.map((m) => m.pte[0])).toMatchObject([{ writable: true, dirty: true }, { writable: true }]);
    const s1 = finalState(v, s0, [writeback]);
    expect(s1.flusher).toEqual({ index: 0, left: 0b10 });
    expect(s1.mms[0]!.pte[0]).toMatchObject({ writable: false, dirty: false });
    expect(s1.mms[1]!.pte[0]).toMatchObject({ writable: true });
    expect(s1.disk![0]).toBe(0);
    // mm 0's next store faults and waits for the folio lock; mm 1's entry is still writable
    expect(accessOutcome(v.policy.arch, s1, 0, 0, true)).toEqual({ kind: 'wait', on: 'folio_lock' });
    expect(enabled(v, s1, store(0, 0, 2))).toBe(false);
    expect(enabled(v, s1, load(0, 0))).toBe(true);
    expect(enabled(v, s1, store(2, 0, 1))).toBe(true);
    // and nothing else that locks the folio runs: write(2), reclaim, another page's writeback
    expect(enabled(v, s1, { op: 'write', task: 0, vpage: 0, value: 2 })).toBe(false);
    expect(enabled(v, s1, { op: 'remove_mapping', index: 0 })).toBe(false);
    expect(enabled(v, s1, { op: 'writeback', index: 1 })).toBe(false);
    const s2 = finalState(v, s1, [store(2, 0, 1), writeback]);
    expect(s2.flusher).toBeUndefined();
    // the store through mm 1's entry, made during the walk, is what went to disk
    expect(s2.disk![0]).toBe(1);
    expect(s2.mms[1]!.pte[0]).toMatchObject({ writable: false, dirty: false });
    expect(enabled(v, s2, store(0, 0, 2))).toBe(true);
  });

  it('breaks nothing in the correct protocol when stores and loads land between its steps', () => {
    const r = replay(
      v,
      world,
      [...dirtied, writeback, store(2, 0, 1), load(0, 0), writeback, store(0, 0, 2)],
      {
        invariants: INVARIANTS,
      },
    );
    expect([r.disabledAt, r.violation]).toEqual([null, null]);
  });

  it('a world with one mm maps is cleaned in one step, as before', () => {
    const tiny = CONFIGS['tiny-shared-file'];
    // (the first store takes the write fault, the second lands)
    const s = finalState(v, initialState(tiny), [store(0, 0, 1), store(0, 0, 1), writeback]);
    expect(s.flusher).toBeUndefined();
    expect(s.disk![0]).toBe(1);
  });
});
