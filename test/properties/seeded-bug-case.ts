// One seeded bug caught by one invariant through the random engine: shared by the fast
// tier (seeded-bugs.test.ts) and the full tier (seeded-bugs-rare.full.test.ts), which
// takes the bugs the random engine needs thousands of runs for.

import { expect } from 'vitest';
import { worldConfig } from '../../model/config.js';
import type { Variant } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { runRandom } from '../../src/engine/random.js';
import { replay } from '../../src/engine/trace.js';
import { ownRows } from '../support.js';

const SEED = 1;
const RUNS = 3000;
/** A bug whose recorded first random run is later than this is rare: the full tier's. */
const RARE_AFTER = 4000;

/** Does the random engine, in the manifest, first break `id` in `variant` after RARE_AFTER runs? */
export function rare(variant: Variant, id: string): boolean {
  const cell = ownRows().find((r) => r.protocol === variant.id && r.engine === 'random')?.invariants[id];
  return cell?.verdict === 'violated' && (cell.run ?? 0) > RARE_AFTER;
}

/** The explorer's shortest counterexample for `id` in `variant`'s own world, as the manifest records it. */
export function shortestLength(variant: Variant, id: string): number | undefined {
  const cell = ownRows().find((r) => r.protocol === variant.id && r.engine === 'exhaustive')?.invariants[id];
  return cell?.verdict === 'violated' ? cell.length : undefined;
}

/** The random engine finds `id` broken, no shorter than the explorer's shortest, and it replays exactly. */
export function caughtByRandom(variant: Variant, id: string): void {
  const shortest = shortestLength(variant, id);
  expect(shortest, 'the manifest records no shortest counterexample').toBeDefined();
  const invariant = findInvariant(id)!;
  const config = worldConfig(variant.world, 'random');
  const runs = Math.max(RUNS, variant.randomRuns ?? 0);
  const r = runRandom(variant, config, [invariant], { runs, seed: SEED });
  expect(r.failure, 'no counterexample found').not.toBeNull();
  const f = r.failure!;
  expect(f.invariant.id).toBe(id);
  // fast-check's shrinker and the minimiser do not always reach the shortest
  expect(f.actions.length).toBeLessThanOrEqual(20);
  expect(f.actions.length).toBeGreaterThanOrEqual(shortest!);
  // It replays exactly, with no action skipped, and breaks at its last step.
  const again = replay(variant, config, f.actions, { invariants: [invariant] });
  expect(again.disabledAt).toBeNull();
  expect(again.violation?.invariant.id).toBe(id);
  expect(again.violation?.atStep).toBe(f.actions.length);
}
