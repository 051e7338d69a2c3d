// Every correct protocol holds against every invariant for a recorded number of runs, and
// reaches its race window, so it cannot pass vacuously.

import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../model/registry.js';
import { checkVariant, DEFAULT_RUNS, defaultRuns } from '../../src/check/check.js';
import { ownRows } from '../support.js';

/** Runs per campaign in each variant's own world (`small`, `tiny-migrc`), seed 1. */
const RECORDED_RUNS = 1000;
const correct = VARIANTS.filter((v) => v.violates.length === 0);

describe('correct protocols', () => {
  it('are those whose every row in expected/manifest.json finds no violation', () => {
    const violated = new Set(
      ownRows()
        .filter((r) => Object.values(r.invariants).some((c) => c.verdict === 'violated'))
        .map((r) => r.protocol),
    );
    expect(correct.map((v) => v.id)).toEqual(VARIANTS.filter((v) => !violated.has(v.id)).map((v) => v.id));
    expect(correct.length).toBeGreaterThan(10);
  });

  for (const variant of correct)
    it(`${variant.id} holds for ${RECORDED_RUNS} runs in its own world and reaches its targets`, () => {
      const r = checkVariant(variant, { runs: RECORDED_RUNS, seed: 1 });
      for (const row of r.invariants) {
        expect(row.verdict, row.invariant).toBe('holds');
        expect(row.runs).toBe(RECORDED_RUNS);
      }
      expect(r.targets.length).toBeGreaterThan(0);
      expect(r.targets.filter((t) => !t.hit)).toEqual([]);
      expect(r.ok).toBe(true);
    });

  // (and in three more worlds: protocols-elsewhere.full.test.ts)
});

// Every expected verdict of the whole registry is what `npm run check` asserts; CI runs it
// after the tests (.ci/run), so it is not repeated here.

describe('random runs per campaign', () => {
  it('default to DEFAULT_RUNS, or to what a variant with a rare race asks for', () => {
    expect(defaultRuns(VARIANTS[0]!)).toBe(DEFAULT_RUNS);
    const rare = VARIANTS.filter((v) => v.randomRuns !== undefined);
    expect(rare.length).toBeGreaterThan(0);
    for (const v of rare) expect(defaultRuns(v)).toBe(Math.max(DEFAULT_RUNS, v.randomRuns!));
  });
});
