// The engines step the model by copying the pre-state and running the recipes on the copy
// (`step`); the model's own `next()` runs them through immer. They must be one function.

import { describe, expect, it } from 'vitest';
import { next } from '../../model/actions.js';
import { worldConfig } from '../../model/config.js';
import { allActions, enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState } from '../../model/state.js';
import { step } from '../../src/engine/trace.js';

describe('step() is next() without immer', () => {
  it('gives the same state, key order included, and leaves the pre-state alone, in every protocol’s worlds', () => {
    let steps = 0;
    for (const variant of VARIANTS)
      for (const engine of ['random', 'exhaustive'] as const) {
        const config = worldConfig(variant.world, engine);
        const universe = allActions(variant, config);
        let s = initialState(config);
        let seed = variant.id.length;
        for (let i = 0; i < 120; i++) {
          const menu = enabledActions(variant, config, s, universe);
          if (menu.length === 0) break;
          seed = (seed * 1103515245 + 12345) >>> 0;
          const action = menu[seed % menu.length]!;
          const before = JSON.stringify(s);
          const mine = step(variant, s, action);
          const theirs = next(variant, s, action);
          expect(JSON.stringify(mine), `${variant.id} in ${config.name}, step ${i + 1}`).toBe(
            JSON.stringify(theirs),
          );
          expect(JSON.stringify(s)).toBe(before);
          s = theirs;
          steps += 1;
        }
      }
    expect(steps).toBeGreaterThan(5000);
  });
});
