// The numa world's proofs, seconds each (the fast tier has the bugs; the manifest has
// numa-hinting's verdicts): the twin and batched migration hold in every state.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { variant } from '../support.js';

const world = CONFIGS.numa;

describe('proofs in the numa world', () => {
  it('numa-hinting holds in every state, reaching the race it guards', () => {
    const r = explore(variant('numa-hinting'), world, { maxStates: 100_000 });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(37_712);
    expect(r.targetsHit).toContain('hintingFaultBeforeFlush');
    expect(r.coverage.migrate_misplaced_folio).toBeGreaterThan(0);
  });

  it('batched migration (v6.4 on) holds too', () => {
    const batched = variant('migrate-batched');
    const r = explore(batched, world, { maxStates: 100_000 });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(58_356);
  });
});
