// Symmetry reduction over frames: the representative does not depend on how frames are
// numbered, and the reduced search reaches the same verdicts, with the same shortest
// counterexamples, from fewer states.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { next } from '../../model/actions.js';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import { checkVariant } from '../../src/check.js';
import { encode, layoutOf } from '../../src/encode.js';
import { explore } from '../../src/explore.js';
import { canonical, canonicalPermutation, relabel } from '../../src/symmetry.js';
import { migrcHoldsSource, run, variant } from '../support.js';

const lifo = CONFIGS['tiny-lifo'];
const twoMmsLifo = defineConfig({ ...CONFIGS['two-mms'], name: 'two-mms-lifo', allocator: 'lifo' });

/** States along a deterministic walk of a variant (default migrate-batched: reclaim and migration run). */
function walk(config: typeof lifo, steps: number, id = 'migrate-batched'): State[] {
  const v = variant(id);
  const out: State[] = [];
  let s = initialState(config);
  for (let i = 0; i < steps; i++) {
    out.push(s);
    const menu = enabledActions(v, config, s);
    if (menu.length === 0) break;
    s = next(v, s, menu[(i * 7919 + 13) % menu.length]!);
  }
  return out;
}

describe('the canonical representative', () => {
  const states = [...walk(lifo, 150), ...walk(twoMmsLifo, 150)];

  it('is the same for every renumbering of the frames', () => {
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.infiniteStream(fc.nat()), (s, stream) => {
        // a random permutation of the frames (Fisher-Yates from the stream)
        const perm = s.frames.map((_, i) => i);
        const it = stream[Symbol.iterator]();
        for (let i = perm.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        expect(canonical(relabel(s, perm))).toEqual(canonical(s));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('is encoded without being built: encode with the permutation writes the bytes of the relabelled state', () => {
    const layout = layoutOf(CONFIGS['tiny-migrc']);
    const more = [
      ...walk(CONFIGS['tiny-migrc'], 400, 'migrc-fixed'),
      ...walk(CONFIGS['tiny-migrc'], 400, 'migrc'),
      ...walk(CONFIGS['tiny-migrc'], 200, 'batch-copy'),
      // a migration holds its source for a CPU that caches it read-only
      ...run(variant('migrc-fixed'), initialState(CONFIGS['tiny-migrc']), migrcHoldsSource).map(
        (t) => t.post,
      ),
    ];
    // the walks reach what the encoding renumbers: held sources, failed copies, page-cache pages
    expect(more.some((s) => s.migrc.reqs.length > 0)).toBe(true);
    expect(more.some((s) => s.tasks.some((t) => t.mreq !== null && t.mreq.srcs.length > 0))).toBe(true);
    expect(more.some((s) => s.frames.some((f) => f.owner.kind === 'file'))).toBe(true);
    for (const s of more) {
      const viaState = new Uint8Array(layout.size);
      const viaMap = new Uint8Array(layout.size);
      const map = canonicalPermutation(s);
      encode(layout, canonical(s), viaState);
      encode(layout, s, viaMap, 0, map);
      expect(viaMap).toEqual(viaState);
    }
    // and the permutation matters: the plain encoding differs somewhere
    expect(
      more.some((s) => {
        const a = new Uint8Array(layout.size);
        const b = new Uint8Array(layout.size);
        encode(layout, s, a);
        encode(layout, s, b, 0, canonicalPermutation(s));
        return a.some((x, i) => x !== b[i]);
      }),
    ).toBe(true);
  });

  it('is a fixed point, and a renumbering changes nothing but numbers', () => {
    for (const s of states) {
      const c = canonical(s);
      expect(canonicalPermutation(c)).toEqual(c.frames.map((_, i) => i));
      expect(c.frames.map((f) => f.data).sort()).toEqual(s.frames.map((f) => f.data).sort());
      expect(c.ghost).toEqual(s.ghost);
    }
  });
});

describe('the reduced search', () => {
  for (const v of VARIANTS)
    it(`${v.id}: same verdicts and shortest counterexamples as the full search, from fewer states`, () => {
      const full = checkVariant(v, { config: lifo, engine: 'exhaustive' });
      const reduced = checkVariant(v, { config: lifo, engine: 'exhaustive', symmetry: true });
      expect(reduced.ok).toBe(full.ok);
      expect(reduced.invariants.map((i) => [i.invariant, i.verdict, i.counterexample?.length])).toEqual(
        full.invariants.map((i) => [i.invariant, i.verdict, i.counterexample?.length]),
      );
      for (let k = 0; k < full.invariants.length; k++)
        expect(reduced.invariants[k]!.states!).toBeLessThan(full.invariants[k]!.states!);
      // its counterexamples are real: they replay from the real initial state
      for (const f of reduced.failures) expect(f.replay.violation?.invariant.id).toBe(f.invariant.id);
    });

  it('stores several times fewer states for a correct protocol (pinned)', () => {
    const full = explore(variant('migrate-batched'), lifo);
    const reduced = explore(variant('migrate-batched'), lifo, { symmetry: true });
    expect([full.distinct, reduced.distinct]).toEqual([8116, 2241]);
  });

  it('refuses an allocator for which frame numbers matter', () => {
    expect(() => explore(variant('sync'), CONFIGS.tiny, { symmetry: true })).toThrow(
      /needs the 'lifo' allocator/,
    );
  });
});
