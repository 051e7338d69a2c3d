// The numa world's proofs, seconds each (the fast tier has the bugs; the manifest has
// numa-hinting's verdicts): the twin and batched migration hold in every state, the
// hinting fault isolating its folio after the PTL (before ee86814b0562, v6.11) or under it.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { derived, variant } from '../support.js';

const world = CONFIGS.numa;

describe('proofs in the numa world', () => {
  it('numa-hinting holds in every state, reaching the race it guards', () => {
    const r = explore(variant('numa-hinting'), world, { maxStates: 100_000 });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(52_268);
    expect(r.targetsHit).toContain('hintingFaultBeforeFlush');
    expect(r.coverage.migrate_misplaced_folio).toBeGreaterThan(0);
  });

  it('batched migration (v6.4 on) holds too, isolating under the PTL (v6.11 on) or after it (v6.4 to v6.10)', () => {
    const batched = variant('migrate-batched');
    const r = explore(batched, world, { maxStates: 100_000 });
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
    expect(r.distinct).toBe(58_356);
    const before = derived('migrate-batched-numa-after-unlock', batched, { numaIsolation: 'after-unlock' });
    const late = explore(before, world, { maxStates: 100_000 });
    expect([late.complete, late.violation]).toEqual([true, null]);
    expect(late.distinct).toBe(74_400);
    expect(late.coverage.numamigrate_isolate_folio).toBeGreaterThan(0);
  });
});
