// The swarm reaches what no other engine does: the race migrc_stop_pending() opens in
// migrc-pressure (20 steps, where 3,000,000 states of breadth-first search go 13 deep),
// with no interleaving written by hand; and migrc-fixed, which keeps the flush, shows
// nothing in the same budget. A state budget keeps it the same on any machine.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { swarm } from '../../src/engine/swarm.js';
import { derived, variant } from '../support.js';

const world = CONFIGS['migrc-pressure'];
const fixed = variant('migrc-fixed');
const dropsFlush = derived('migrc-stop-drops-flush', fixed, { migrc: { stopKeepsFlush: false } });
/** Seed 1 finds it in its 43rd search, after about 5,800,000 states (76 s here). */
const budget = { invariants: INVARIANTS, maxSeconds: 1200, maxStates: 6_500_000, seed: 1 };

describe('the swarm in migrc-pressure', () => {
  it('finds the flush migrc_stop_pending() drops: src freed while a CPU caches it', () => {
    const r = swarm(dropsFlush, world, budget);
    const v = r.violation!;
    expect(v.invariant.id).toBe('noAccessToFreedFrame');
    expect(v.actions).toContainEqual({ op: 'migrc_stop_pending' });
    expect(v.actions.length).toBeGreaterThanOrEqual(14); // past the explorer's depth 13
    expect(r.states).toBeLessThan(budget.maxStates);
  });

  it('finds nothing in migrc-fixed, which hands the request’s CPUs to tlb_ubc', () => {
    const r = swarm(fixed, world, budget);
    expect(r.violation).toBeNull();
    expect(r.stoppedBy).toBe('max-states');
  });
});
