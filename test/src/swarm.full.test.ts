// The engines agree: in each catalogue protocol's explorer world, the swarm finds every
// violation the protocol expects (explorer-only ones included: the random engine misses
// those), and in a correct protocol it finds none. A state budget, not a time budget,
// keeps each campaign the same on any machine.

import { describe, expect, it } from 'vitest';
import { worldConfig } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { checkVariant } from '../../src/check/check.js';

/** States a swarm campaign may store; the deepest catalogue bug needs about a tenth. */
const BUDGET = 400_000;

describe('the swarm finds what the explorer finds, in the explorer’s world', () => {
  it.each(VARIANTS.map((v) => [v.id, v] as const))('%s', (_, v) => {
    const r = checkVariant(v, {
      engine: 'swarm',
      config: worldConfig(v.world, 'exhaustive'),
      maxStates: v.violates.length === 0 ? BUDGET / 4 : BUDGET,
      maxSeconds: 600,
      seed: 1,
    });
    const found = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant);
    expect(found.sort()).toEqual([...v.violates].sort());
    expect(r.ok).toBe(true);
  });
});
