// Every seeded bug's shortest counterexample, searched for by the explorer in the bug's own
// world, one invariant at a time: as long as expected/manifest.json records, and replayed
// to break at its last step. (A file of its own, so vitest runs it beside the random
// engine's half, test/properties/seeded-bugs.test.ts.)

import { describe, expect, it } from 'vitest';
import { worldConfig } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { findInvariant } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { ownRows } from '../support.js';

/**
 * Searches that reach their bug within this many states run here; longer ones (the flag
 * race's, 553,207 to 891,475 states) are the full tier's: engines-agree.full.test.ts
 * recounts every explorer row of the manifest, lengths and states included.
 */
const NPM_TEST_STATES = 300_000;

const cells = ownRows().filter((r) => r.engine === 'exhaustive');

describe('shortest counterexamples (exhaustive engine)', () => {
  for (const variant of VARIANTS.filter((v) => v.violates.length > 0))
    for (const id of variant.violates) {
      const cell = cells.find((r) => r.protocol === variant.id)?.invariants[id];
      const length = cell?.verdict === 'violated' ? cell.length : undefined;
      const states = cell?.verdict === 'violated' ? cell.states : undefined;
      it.skipIf((states ?? 0) > NPM_TEST_STATES)(
        `${variant.id} breaks ${id} in ${length} steps at the fewest`,
        () => {
          expect(length, 'recorded in expected/manifest.json').toBeDefined();
          const config = worldConfig(variant.world, 'exhaustive');
          const r = explore(variant, config, { invariants: [findInvariant(id)!] });
          expect(r.violation?.invariant.id).toBe(id);
          expect(r.violation?.actions.length).toBe(length);
          expect(r.violation?.replay.violation?.atStep).toBe(length);
        },
      );
    }
});
