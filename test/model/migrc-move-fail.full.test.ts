// migrc-fixed in migrc-move-fail, about 15 s (npm run test:full): no leak in the first
// 300,000 states, with a failed move undone among them. (Its manifest row searches the
// whole world.)

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { variant } from '../support.js';

const world = CONFIGS['migrc-move-fail'];
const fixed = variant('migrc-fixed');

describe('a move that fails for good, migrc-fixed', () => {
  it('migrc-fixed leaks nothing in the first 300,000 states of the world', () => {
    const r = explore(fixed, world, { maxStates: 300_000 });
    expect(r.violation).toBeNull();
    expect(r.targetsHit).toContain('copyFailureUndone');
  });
});
