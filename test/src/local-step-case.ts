// The explorer with local steps against the whole ones (src/engine/local-step.ts): shared
// by the fast tier (local-step.test.ts) and the full tier (local-step.full.test.ts).

import { expect } from 'vitest';
import { CONFIGS, type Config } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { variant } from '../support.js';

/**
 * The explorer reaches the same states by the same transitions with local steps (each
 * checked against the whole one) and without: true, or a failed expectation.
 */
export function sameBothWays(id: string, world: string, maxStates: number): boolean {
  const config = (CONFIGS as Record<string, Config>)[world]!;
  const local = explore(variant(id), config, { maxStates, checkLocalSteps: true });
  const whole = explore(variant(id), config, { maxStates, localSteps: false });
  const outcome = (r: typeof local) => [
    r.distinct,
    r.generated,
    r.depth,
    r.coverage,
    r.targetsHit,
    r.violation?.invariant.id,
    r.violation?.actions,
  ];
  expect(outcome(local)).toEqual(outcome(whole));
  expect(local.coverage.load).toBeGreaterThan(0);
  return true;
}
