// The seeded bugs the random engine needs more than 4,000 runs to find (their recorded
// first runs in expected/manifest.json): each caught, short, and replayed, as in
// seeded-bugs.test.ts, whose fast tier they would slow by half a minute.

import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../model/registry.js';
import { caughtByRandom, rare } from './seeded-bug-case.js';

const cases = VARIANTS.flatMap((v) =>
  v.violates.filter((id) => !v.explorerOnly?.includes(id) && rare(v, id)).map((id) => [v.id, id, v] as const),
);
describe('rare seeded bugs', () => {
  it('are there (else this file tests nothing)', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  it.each(cases)('%s is caught by %s (random engine)', (_, id, v) => {
    caughtByRandom(v, id);
  });
});
