// migrc re-checked with mremap() (issue 25 item 3): a migration defers the flush of a
// read-only page and keeps its source while a thread moves the page to the hole beside it.
// The v3 lengths take seconds: the full tier.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { derived, recordedStates, variant } from '../support.js';

const world = CONFIGS['migrc-mremap'];

describe('migrc in the migrc-mremap world', () => {
  it('migrc-fixed holds in every state, with a source held and a cached page moved', () => {
    // The proof is expected/manifest.json's row, which `npm run manifest` (CI) recomputes
    // state for state; a bounded search of the world shows what it exercises.
    expect(recordedStates('migrc-fixed', 'migrc-mremap')).toBeGreaterThan(900_000);
    const r = explore(variant('migrc-fixed'), world, { maxStates: 50_000 });
    expect(r.violation).toBeNull();
    expect(r.targetsHit).toEqual(
      expect.arrayContaining(['migrcSourceHeld', 'migrcFlushedOnDemand', 'cachedPageMoved', 'pageMigrated']),
    );
    expect(r.coverage.move_ptes).toBeGreaterThan(0);
  });

  it('migrc v3 shows the holes it shows in its own world, no new one, at the same lengths', () => {
    const lengths = (config: typeof world) =>
      ['noStaleWritableTlbAfterRemap', 'loadsSeeLastStore', 'noLeakedFrame', 'noLostWrite'].map(
        (id) =>
          explore(variant('migrc'), config, { invariants: [findInvariant(id)!] }).violation?.actions.length,
      );
    expect(lengths(world)).toEqual([9, 13, 14, 15]);
    expect(lengths(world)).toEqual(lengths(CONFIGS['tiny-migrc']));
  });
});

describe('mremap() against a batched migration', () => {
  it('on x86 a batched migration (v6.3 on) masks both bugs: its full flush empties the old address too', () => {
    for (const mremapFlush of ['dirty-under-ptl', 'after-unlock'] as const) {
      const late = derived(`migrate-batched-${mremapFlush}`, variant('migrate-batched'), { mremapFlush });
      const r = explore(late, CONFIGS.mremap);
      expect([r.complete, r.violation], mremapFlush).toEqual([true, null]);
      expect(r.targetsHit, mremapFlush).toContain('pageMigrated');
    }
  });
});
