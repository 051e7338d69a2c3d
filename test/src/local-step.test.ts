// The explorers' cheaper successor for loads, stores and evictions (src/engine/local-step.ts):
// it copies and re-encodes only what the model declares such a step writes
// (model/footprint.ts `localWrites`). Checked here against the whole copy and encoding: in
// states random walks reach in every catalogue protocol's own world the parent is left as
// it was and the bytes are the whole step's; the explorer takes the same transitions to the
// same states either way; and a declaration that says too little is caught by both.

import type { Draft } from 'immer';
import { describe, expect, it } from 'vitest';
import { apply } from '../../model/actions.js';
import { CONFIGS, type Config, worldConfig } from '../../model/config.js';
import { EVERYTHING, LOCAL_SECTIONS, localWrites } from '../../model/footprint.js';
import { VARIANTS } from '../../model/registry.js';
import type { State } from '../../model/state.js';
import { STATE_SCHEMA } from '../../model/state-schema.js';
import type { Variant } from '../../model/variant.js';
import { compileSections } from '../../src/codec/compile.js';
import { encode, layoutOf } from '../../src/codec/encode.js';
import { explore } from '../../src/engine/explore.js';
import { stepWhole, variant, walkStates } from '../support.js';
import { sameBothWays } from './local-step-case.js';

/**
 * Walk `walks` random runs of `steps` actions and take every enabled local action both ways:
 * the first problem found (or null), and how many local steps were checked.
 */
function localProblem(
  v: Variant,
  config: Config,
  walks: number,
  steps: number,
  writes: typeof localWrites = localWrites,
): { problem: string | null; checked: number } {
  let checked = 0;
  const sections = compileSections<State>(STATE_SCHEMA, config, LOCAL_SECTIONS);
  if (sections === null) return { problem: `${config.name}: its sections share bytes`, checked };
  const layout = layoutOf(config);
  const bytes = (s: State) => {
    const out = new Uint8Array(layout.size);
    encode(layout, s, out);
    return out;
  };
  const whole = stepWhole(v);
  const problem = walkStates(v, config, walks, steps, (s, en, where) => {
    for (const a of en) {
      const mask = writes(v.policy, s, a);
      if (mask === EVERYTHING) continue;
      checked += 1;
      const at = `${where}: ${JSON.stringify(a)}`;
      const before = JSON.stringify(s);
      const got = bytes(s);
      if (mask !== 0) {
        const post = sections.copy(s, mask);
        apply(v, post as Draft<State>, a);
        sections.encode(post, got, 0, mask);
      }
      // the parent, counters included, as it was
      if (JSON.stringify(s) !== before) return `${at}: the parent changed`;
      if (bytes(whole(s, a)).join() !== got.join()) return `${at}: other bytes than the whole step's`;
    }
    return null;
  });
  return { problem, checked };
}

/** Each catalogue protocol once, in its own world (the explorer's). */
const cases = VARIANTS.map((v) => [v.id, worldConfig(v.world, 'exhaustive')] as const);

// A seeded bug in the declaration: a store said to write the ghost's record only.
const storesSkipFrames: typeof localWrites = (policy, s, action) => {
  const mask = localWrites(policy, s, action);
  return action.op === 'store' && mask !== EVERYTHING ? mask & ~(1 << 12) : mask;
};

describe('local steps (src/engine/local-step.ts)', () => {
  it('name the frames with the bit the sections give them', () => {
    expect(LOCAL_SECTIONS.find((x) => x.name === 'frames')?.bit).toBe(12);
  });

  it.each(cases)(
    '%s: in its own world, the parent is kept and the bytes are the whole step’s',
    (id, config) => {
      expect(localProblem(variant(id), config, 2, 30).problem).toBeNull();
    },
  );

  it('the check is not empty', () => {
    const r = localProblem(variant('migrate-batched'), CONFIGS.small, 2, 50);
    expect(r.problem).toBeNull();
    expect(r.checked).toBeGreaterThan(200);
  });

  it('a store declared to leave its frame alone is caught', () => {
    expect(localProblem(variant('migrate-batched'), CONFIGS.small, 2, 50, storesSkipFrames).problem).toMatch(
      /the parent changed/,
    );
  });

  it.each([
    ['migrate-batched', 'tiny-syscalls'],
    ['migrate-batched-wrong-copy-before-flush', 'small'],
  ] as const)('the explorer reaches the same in %s in %s, every local step checked', (id, world) => {
    expect(sameBothWays(id, world, 3_000)).toBe(true);
  });

  it('the explorer with a declaration that says too little stops on its first wrong step', () => {
    expect(() =>
      explore(variant('migrate-batched'), CONFIGS.tiny, {
        checkLocalSteps: true,
        localWrites: storesSkipFrames,
      }),
    ).toThrow(/a local step .* changed its parent: model\/footprint.ts localWrites\(\) says too little/);
  });
});
