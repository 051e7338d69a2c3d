// The symmetry reduction's slowest checks (npm run test:full): every variant outside
// symmetry.test.ts's samples reaches every verdict of the full search with the reduction
// over frames on (tiny-lifo; migrc-wrong-defer-writable's full searches take minutes) and
// has in tiny-3cpu the full search's outcome. The rest is in symmetry.test.ts.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { explore } from '../../src/engine/explore.js';
import {
  distinctInTiny,
  FRAME_SAMPLE,
  recordedStates,
  sameOutcomeReduced,
  sameVerdictsReduced,
  THREE_CPU_SAMPLE,
  variant,
} from '../support.js';

describe('the reduced search over frames in tiny-lifo, every variant outside the sample', () => {
  for (const v of distinctInTiny(VARIANTS).filter((x) => !FRAME_SAMPLE.includes(x.id)))
    it(`${v.id}: same verdicts and shortest counterexamples as the full search, from fewer states`, () =>
      sameVerdictsReduced(v, CONFIGS['tiny-lifo']));
});

describe('the reduced search, where the full one is slow', () => {
  for (const id of ['migrc-wrong-defer-writable', 'migrate-batched', 'reclaim-batched-dirty'])
    it(`${id} in tiny-3cpu: every invariant's verdict as in the full search`, () =>
      sameVerdictsReduced(variant(id), CONFIGS['tiny-3cpu'], false));
});

describe('symmetry over CPUs in tiny-3cpu, every variant outside the sample', () => {
  for (const v of VARIANTS.filter((x) => !THREE_CPU_SAMPLE.includes(x.id)))
    it(`${v.id}: the same outcome and shortest counterexample as the full search, from no more states`, () =>
      sameOutcomeReduced(v, CONFIGS['tiny-3cpu']));
});

describe('symmetry over CPUs, the reduction measured', () => {
  it('stores fewer states for a correct protocol, and fewer still with frames too (pinned)', () => {
    const threeLifo = CONFIGS['tiny-3cpu-lifo'];
    const three = CONFIGS['tiny-3cpu'];
    const full = explore(variant('migrate-batched'), three);
    const reduced = explore(variant('migrate-batched'), three, { symmetry: true });
    const both = explore(variant('migrate-batched'), threeLifo, { symmetry: true });
    // tiny-3cpu-lifo has 20,948 states in full
    expect([full.distinct, reduced.distinct, both.distinct]).toEqual([
      recordedStates('migrate-batched', 'tiny-3cpu'),
      recordedStates('migrate-batched', 'tiny-3cpu', true),
      recordedStates('migrate-batched', 'tiny-3cpu-lifo', true),
    ]);
    expect(full.distinct).toBeGreaterThan(reduced.distinct);
    expect(reduced.distinct).toBeGreaterThan(both.distinct);
    // with eight CPUs, seven of them alike (the model's limit), the reduced search still finishes
    const big = explore(variant('migrate-batched'), CONFIGS['tiny-8cpu'], { symmetry: true });
    expect([big.complete, big.distinct]).toEqual([
      true,
      recordedStates('migrate-batched', 'tiny-8cpu', true),
    ]);
  });
});
