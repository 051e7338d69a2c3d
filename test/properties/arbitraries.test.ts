// The random engine's menu: picks always name an enabled action, follow the weights,
// and waste (almost) no generated command on a failed guard.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { allActions, enabledActions } from '../../model/enumerate.js';
import { findVariant } from '../../model/registry.js';
import { initialState } from '../../model/state.js';
import { OP_WEIGHTS, pickArbitrary, resolvePick } from '../../properties/arbitraries.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { runRandom } from '../../src/engine/random.js';
import { replay } from '../../src/engine/trace.js';

const variant = findVariant('migrate-batched')!;
const config = CONFIGS.small;

describe('picks', () => {
  it('always resolve to an enabled action, along any path', () => {
    fc.assert(
      fc.property(fc.array(pickArbitrary, { maxLength: 60 }), (picks) => {
        let s = initialState(config);
        for (const p of picks) {
          const menu = enabledActions(variant, config, s);
          const a = resolvePick(p, menu);
          expect(enabled(variant, s, a)).toBe(true);
          s = next(variant, s, a);
        }
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('choose kinds of action in proportion to OP_WEIGHTS', () => {
    const menu = enabledActions(variant, config, initialState(config));
    const counts: Record<string, number> = {};
    const total = 20_000;
    for (const p of fc.sample(pickArbitrary, { numRuns: total, seed: 5 })) {
      const op = resolvePick(p, menu).op;
      counts[op] = (counts[op] ?? 0) + 1;
    }
    const kinds = [...new Set(menu.map((a) => a.op))];
    const weight = kinds.reduce((n, op) => n + OP_WEIGHTS[op], 0);
    for (const op of kinds) expect(counts[op]! / total).toBeCloseTo(OP_WEIGHTS[op] / weight, 1);
    expect(counts.kernelStep).toBeUndefined(); // no task is busy in the initial state
  });

  it('refuse an empty menu loudly rather than name no action', () => {
    expect(() => resolvePick({ roll: 0, index: 0 }, [])).toThrow(/unreachable: roll past the total weight/);
  });

  it('the menu is the universe filtered by the guard, in universe order', () => {
    const s = initialState(config);
    const universe = allActions(variant, config);
    expect(enabledActions(variant, config, s)).toEqual(universe.filter((a) => enabled(variant, s, a)));
  });
});

describe('the random engine', () => {
  it('rejects under 20% of generated commands (the issue asks; picks make it ~0)', () => {
    const r = runRandom(variant, config, INVARIANTS, { runs: 200, seed: 9 });
    expect(r.failure).toBeNull();
    expect(r.rejectedShare).toBeLessThan(0.2);
    expect(r.steps).toBeGreaterThan(200 * 10);
  });

  it('is deterministic for a seed', () => {
    const bug = findVariant('migrate-batched-wrong-copy-before-flush')!;
    const a = runRandom(bug, config, INVARIANTS, { runs: 2000, seed: 4 });
    const b = runRandom(bug, config, INVARIANTS, { runs: 2000, seed: 4 });
    expect(a.failure).not.toBeNull();
    expect(b.failure?.actions).toEqual(a.failure?.actions);
    expect(b.runs).toBe(a.runs);
  });

  it('the minimised counterexample is 1-minimal: no single action can go', () => {
    const bug = findVariant('reclaim-batched-dirty-wrong-no-flush-dirty')!;
    const r = runRandom(bug, config, INVARIANTS, { runs: 2000, seed: 1 });
    const f = r.failure!;
    expect(f.actions.length).toBeLessThanOrEqual(f.foundLength);
    for (let i = 0; i < f.actions.length; i++) {
      const without = [...f.actions.slice(0, i), ...f.actions.slice(i + 1)];
      const short = stillBreaks(bug, without, f.invariant.id);
      expect(short, `dropping step ${i + 1}`).toBe(false);
    }
  });
});

function stillBreaks(v: typeof variant, actions: Parameters<typeof replay>[2], id: string): boolean {
  return (
    replay(v, config, actions, { invariants: INVARIANTS, skipDisabled: true }).violation?.invariant.id === id
  );
}
