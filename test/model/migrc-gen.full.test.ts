// migrc-fixed, whose counters are 64 bits wide, proved in the world where v3's 32-bit
// generations wrap (about 7 s, so in npm run test:full; the wrap itself is in
// migrc-gen.test.ts).

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { recordedStates, variant } from '../support.js';

describe('migrc generations near the wrap', () => {
  it('migrc-fixed, with 64-bit counters, holds in every state of the world', () => {
    const world = CONFIGS['migrc-gen-wrap'];
    const r = explore(variant('migrc-fixed'), world);
    expect(r.violation).toBeNull();
    expect(r.complete).toBe(true);
    expect(r.distinct).toBe(recordedStates('migrc-fixed', world.name));
    expect(r.targetsHit).toContain('migrcFlushedOnDemand');
  });
});
