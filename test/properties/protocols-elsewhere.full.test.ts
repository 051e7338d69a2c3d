// Every correct protocol holds for 300 random runs in three worlds besides its own (tiny,
// two mms, two tasks): the fast tier's protocols.test.ts checks each in its own world.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { checkVariant } from '../../src/check/check.js';

const correct = VARIANTS.filter((v) => v.violates.length === 0);

describe('correct protocols elsewhere', () => {
  for (const name of ['tiny', 'two-mms', 'two-tasks'] as const)
    it(`all hold on config ${name}`, () => {
      for (const variant of correct) {
        const r = checkVariant(variant, { config: CONFIGS[name], runs: 300, seed: 2 });
        expect(
          r.invariants.filter((i) => i.verdict !== 'holds'),
          `${variant.id} on ${name}`,
        ).toEqual([]);
      }
    });
});
