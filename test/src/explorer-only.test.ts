// Variant.explorerOnly: a bug only the explorer is expected to find (the random engine does
// not reach its interleaving in its runs). The random engine's expected verdict on it is
// holds, and the two engines' differing there is no disagreement.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import { checkVariant, disagreements, variantProblem } from '../../src/check/check.js';
import { derived, variant } from '../support.js';

const copyFirst = variant('migrate-batched-wrong-copy-before-flush');
const lost = findInvariant('noLostWrite')!;
/** The seeded copy-before-flush bug, told that only the explorer will find its lost store. */
const onlyExplorer = {
  ...derived('copy-first-explorer-only', copyFirst, {}),
  violates: copyFirst.violates,
  explorerOnly: ['noLostWrite'],
};

describe('explorerOnly', () => {
  it('must name invariants the variant violates', () => {
    expect(variantProblem(onlyExplorer)).toBeNull();
    expect(variantProblem({ ...onlyExplorer, explorerOnly: ['noLeakedFrame'] })).toBe(
      'variant "copy-first-explorer-only": explorerOnly[0]: \'noLeakedFrame\' is found by the explorer only, but the variant does not expect to violate it',
    );
  });

  it('makes holds the random engine’s expected verdict there, and only there', () => {
    const opts = { config: CONFIGS.tiny, invariants: [lost], runs: 50, seed: 1 } as const;
    const random = checkVariant(onlyExplorer, { ...opts, engine: 'random' });
    const exhaustive = checkVariant(onlyExplorer, { ...opts, engine: 'exhaustive' });
    expect(random.invariants[0]!.expected).toBe('holds');
    expect(exhaustive.invariants[0]!.expected).toBe('violated');
    expect(checkVariant(copyFirst, { ...opts, engine: 'random' }).invariants[0]!.expected).toBe('violated');
    // a random verdict of holds against the explorer's violated is no disagreement here...
    const holds = {
      ...random,
      invariants: random.invariants.map((i) => ({ ...i, verdict: 'holds' as const, counterexample: null })),
    };
    expect(disagreements([holds], [exhaustive])).toEqual([]);
    // ...but it is for a variant that expects both engines to find it
    const plain = {
      ...holds,
      invariants: holds.invariants.map((i) => ({ ...i, expected: 'violated' as const })),
    };
    expect(disagreements([plain], [exhaustive])).toEqual([
      'copy-first-explorer-only / noLostWrite: exhaustive says violated, random says holds',
    ]);
  });

  it('is set on migrc v3 for its 15-step lost store', () => {
    expect(variant('migrc').explorerOnly).toEqual(['noLostWrite']);
    expect(variant('migrc-fixed').explorerOnly).toBeUndefined();
  });
});
