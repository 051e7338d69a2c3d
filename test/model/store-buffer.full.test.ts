// The store buffer's proof on tiny-pcid-tso, about 15 s (npm run test:full): the fixed
// context switch holds in every state, and the search reaches the window it guards.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { findTarget } from '../../properties/targets.js';
import { explore } from '../../src/engine/explore.js';
import { recordedStates, variant } from '../support.js';

const fixed = variant('x86-pcid');
const tso = CONFIGS['tiny-pcid-tso'];

describe('x86-pcid with a store buffer (tiny-pcid-tso)', () => {
  it("the twin's holds are not empty: its flushes run while a switch's stores are still buffered", () => {
    const target = findTarget('flushWhileSwitchStoreBuffered')!;
    const r = explore(fixed, tso, { invariants: INVARIANTS });
    expect([r.complete, r.violation]).toEqual([true, null]);
    expect(r.distinct).toBe(recordedStates('x86-pcid', 'tiny-pcid-tso'));
    expect(r.targetsHit).toContain(target.id);
    // and the target is about the buffer: a world without one cannot hit it
    expect(target.possible!(fixed, CONFIGS['tiny-pcid'])).toBe(false);
  });
});
