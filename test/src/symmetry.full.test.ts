// The symmetry reduction's slowest checks (npm run test:full): migrc-wrong-defer-writable,
// whose full searches take minutes, reaches every verdict of the full search with the
// reduction on, and every variant outside symmetry.test.ts's sample has in tiny-3cpu the
// full search's outcome. The rest is in symmetry.test.ts.

import { describe, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { sameOutcomeReduced, sameVerdictsReduced, THREE_CPU_SAMPLE, variant } from '../support.js';

describe('the reduced search, where the full one is slow', () => {
  it('migrc-wrong-defer-writable on tiny-lifo: same verdicts and shortest counterexamples as the full search', () =>
    sameVerdictsReduced(variant('migrc-wrong-defer-writable'), CONFIGS['tiny-lifo']));

  it("migrc-wrong-defer-writable in tiny-3cpu: every invariant's verdict as in the full search", () =>
    sameVerdictsReduced(variant('migrc-wrong-defer-writable'), CONFIGS['tiny-3cpu'], false));
});

describe('symmetry over CPUs in tiny-3cpu, every variant outside the sample', () => {
  for (const v of VARIANTS.filter((x) => !THREE_CPU_SAMPLE.includes(x.id)))
    it(`${v.id}: the same outcome and shortest counterexample as the full search, from no more states`, () =>
      sameOutcomeReduced(v, CONFIGS['tiny-3cpu']));
});
