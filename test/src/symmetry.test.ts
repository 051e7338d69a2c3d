// Symmetry reduction over frames and over interchangeable CPUs: the representative does
// not depend on how frames (or such CPUs) are numbered, the model steps alike whatever the
// numbering, and the reduced search reaches the same verdicts, with the same shortest
// counterexamples, from fewer states.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enabled, next } from '../../model/actions.js';
import { CONFIGS, type Config, defineConfig } from '../../model/config.js';
import { allActions, enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import { encode, layoutOf } from '../../src/codec/encode.js';
import { explore } from '../../src/engine/explore.js';
import {
  canonical,
  canonicalPermutation,
  cpuClasses,
  cpuPermutation,
  relabel,
  relabelCpuAction,
  relabelCpus,
} from '../../src/engine/symmetry.js';
import {
  distinctInTiny,
  FRAME_SAMPLE,
  migrcHoldsSource,
  recordedStates,
  run,
  sameOutcomeReduced,
  sameVerdictsReduced,
  THREE_CPU_SAMPLE,
  variant,
} from '../support.js';

const lifo = CONFIGS['tiny-lifo'];
const twoMmsLifo = defineConfig({ ...CONFIGS['two-mms'], name: 'two-mms-lifo', allocator: 'lifo' });

/** States along a deterministic walk of a variant (default migrate-batched: reclaim and migration run). */
function walk(config: Config, steps: number, id = 'migrate-batched'): State[] {
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
  // a sample of the catalogue; the rest, migrc-wrong-defer-writable's full search of about
  // 25 s among them, is in symmetry.full.test.ts (npm run test:full)
  for (const v of distinctInTiny(VARIANTS).filter((x) => FRAME_SAMPLE.includes(x.id)))
    it(`${v.id}: same verdicts and shortest counterexamples as the full search, from fewer states`, () =>
      sameVerdictsReduced(v, lifo));

  it('stores several times fewer states for a correct protocol (pinned)', () => {
    const full = explore(variant('migrate-batched'), lifo);
    const reduced = explore(variant('migrate-batched'), lifo, { symmetry: true });
    expect([full.distinct, reduced.distinct]).toEqual([
      recordedStates('migrate-batched', 'tiny-lifo'),
      recordedStates('migrate-batched', 'tiny-lifo', true),
    ]);
    expect(reduced.distinct * 3).toBeLessThan(full.distinct);
  });

  it('refuses a config with nothing to reduce: frame numbers matter and no two CPUs are alike', () => {
    expect(() => explore(variant('sync'), CONFIGS.tiny, { symmetry: true })).toThrow(
      /nothing to reduce in config tiny: symmetry over frames needs the 'lifo' allocator/,
    );
  });
});

describe('symmetry over CPUs', () => {
  const three = CONFIGS['tiny-3cpu'];
  // worlds with two or more CPUs alike, and what fills the cpumasks there: reclaim and
  // migration batches, migrc requests, PCID's lazy CPUs, fork(), a shared file
  const worlds: [Config, string[]][] = [
    [three, ['migrate-batched', 'reclaim-batched-dirty', 'migrate-batched-wrong-copy-before-flush']],
    [
      defineConfig({ ...CONFIGS['tiny-migrc'], name: 'tiny-migrc-4cpu', cpus: 4, cpuMm: [0, 0, 0, 0] }),
      ['migrc', 'migrc-fixed'],
    ],
    [defineConfig({ ...CONFIGS.pcid, name: 'pcid-3cpu', cpus: 3, cpuMm: [0, 0, 0] }), ['x86-pcid']],
    [CONFIGS['fork-cow-three-cpus'], ['fork-cow']],
    [
      defineConfig({
        ...CONFIGS['tiny-shared-file'],
        name: 'tiny-shared-file-4cpu',
        cpus: 4,
        cpuMm: [0, 0, 0, 0],
      }),
      ['shared-file'],
    ],
  ];

  it('puts CPUs of one mm without a task in a class, and nothing else', () => {
    expect(cpuClasses(three)).toEqual([[1, 2]]);
    expect(cpuClasses(CONFIGS.tiny)).toEqual([]);
    expect(cpuClasses(CONFIGS['two-mms'])).toEqual([]);
    expect(cpuClasses(worlds[1]![0])).toEqual([[2, 3]]);
    expect(cpuClasses(CONFIGS['fork-cow-three-cpus'])).toEqual([[1, 2]]);
  });

  describe.each(worlds.map(([config, ids]) => ({ name: config.name, config, ids })))(
    'in $name',
    ({ config, ids }) => {
      const [cls] = cpuClasses(config);
      // swap the first two CPUs of the class
      const swap = config.cpuMm.map((_, c) => (c === cls![0] ? cls![1]! : c === cls![1] ? cls![0]! : c));
      const layout = layoutOf(config);
      const bytes = (s: State, frames: number[] | null = null, cpus: number[] | null = null) => {
        const out = new Uint8Array(layout.size);
        encode(layout, s, out, 0, frames, cpus);
        return out;
      };

      it.each(ids)(
        '%s steps alike with two CPUs swapped: the same actions enabled, the swapped successors',
        (id) => {
          const v = variant(id);
          const universe = allActions(v, config);
          const states = walk(config, 300, id);
          let compared = 0;
          for (const s of states) {
            const t = relabelCpus(s, swap);
            for (const a of universe) {
              const b = relabelCpuAction(a, swap);
              expect(enabled(v, t, b), JSON.stringify(a)).toBe(enabled(v, s, a));
              if (!enabled(v, s, a)) continue;
              expect(bytes(next(v, t, b))).toEqual(bytes(relabelCpus(next(v, s, a), swap)));
              compared += 1;
            }
          }
          expect(compared).toBeGreaterThan(300);
          // and the swap is not the identity on these states
          expect(states.some((s) => bytes(s).some((x, k) => x !== bytes(relabelCpus(s, swap))[k]))).toBe(
            true,
          );
        },
      );

      it.each(ids)('%s: the representative is the same for both orders of the CPUs', (id) => {
        for (const s of walk(config, 300, id)) {
          const t = relabelCpus(s, swap);
          const cls = cpuClasses(config);
          expect(bytes(t, null, cpuPermutation(layout, t, cls, null))).toEqual(
            bytes(s, null, cpuPermutation(layout, s, cls, null)),
          );
        }
      });
    },
  );

  it('would catch a relabelling that misses a cpumask', () => {
    // the check above, in a world where CPUs switch mm (so mm_cpumask tells them apart),
    // with a relabelling that swaps CPUs 0 and 2 but leaves every mm_cpumask as it was:
    // a flush then misses a CPU that holds entries, and the check must fail
    const config = worlds[2]![0];
    const v = variant('x86-pcid');
    const universe = allActions(v, config);
    const swap = [2, 1, 0];
    const forgetful = (s: State): State => ({ ...relabelCpus(s, swap), mms: s.mms });
    const layout = layoutOf(config);
    const bytes = (s: State) => {
      const out = new Uint8Array(layout.size);
      encode(layout, s, out);
      return out.join();
    };
    const differs = walk(config, 300, 'x86-pcid').some((s) =>
      universe.some((a) => {
        const b = relabelCpuAction(a, swap);
        const t = forgetful(s);
        if (enabled(v, t, b) !== enabled(v, s, a)) return true;
        return enabled(v, s, a) && bytes(next(v, t, b)) !== bytes(forgetful(next(v, s, a)));
      }),
    );
    expect(differs).toBe(true);
  });

  it.each([
    [three, 'migrate-batched'],
    [worlds[2]![0], 'x86-pcid'],
    // one CPU in each mm: a flush of one mm's page names one CPU
    [CONFIGS['two-mms'], 'migrate-batched'],
  ] as const)(
    'encodes through any CPU permutation, one moving a task too, the bytes relabelCpus builds (%#)',
    (config, id) => {
      const layout = layoutOf(config);
      const perms =
        config.cpus === 2
          ? [[1, 0]]
          : [
              [2, 1, 0],
              [1, 2, 0],
              [0, 2, 1],
            ];
      let differ = 0;
      const states = walk(config, 300, id);
      for (const s of states)
        for (const map of perms) {
          const viaMap = new Uint8Array(layout.size);
          const viaState = new Uint8Array(layout.size);
          encode(layout, s, viaMap, 0, null, map);
          encode(layout, relabelCpus(s, map), viaState);
          expect(viaMap).toEqual(viaState);
          // and relabelCpus changes the state: the task's CPU and the masks around it
          const plain = new Uint8Array(layout.size);
          encode(layout, s, plain);
          if (plain.some((x, k) => x !== viaState[k])) differ += 1;
        }
      expect(differ).toBeGreaterThan(states.length / 2);
      // the walk defers flushes, so the masks renumbered are not all empty
      expect(states.some((s) => s.tasks.some((t) => t.tlb_ubc.cpumask !== 0))).toBe(true);
    },
  );

  it('encodes through the permutation the bytes of the relabelled state', () => {
    const config = worlds[1]![0];
    const layout = layoutOf(config);
    const cls = cpuClasses(config);
    let moved = 0;
    for (const s of [...walk(config, 400, 'migrc'), ...walk(config, 400, 'migrc-fixed')]) {
      const map = cpuPermutation(layout, s, cls, null);
      if (map === null) continue;
      moved += 1;
      const viaMap = new Uint8Array(layout.size);
      const viaState = new Uint8Array(layout.size);
      encode(layout, s, viaMap, 0, null, map);
      encode(layout, relabelCpus(s, map), viaState);
      expect(viaMap).toEqual(viaState);
    }
    expect(moved).toBeGreaterThan(10);
  });

  // Every variant, to its first violation (a search with all invariants, as `check` starts):
  // whether it holds, and the shortest counterexample's length, must not change. Here a
  // sample (a correct protocol, a migration bug, migrc, a race with a system call); every
  // other variant in symmetry.full.test.ts.
  for (const id of THREE_CPU_SAMPLE)
    it(`${id} in tiny-3cpu: the same outcome and shortest counterexample as the full search, from no more states`, () =>
      sameOutcomeReduced(variant(id), three));

  // Every invariant's verdict, for a seeded bug (migrate-batched, reclaim-batched-dirty and
  // migrc-wrong-defer-writable, about 150 s, are in symmetry.full.test.ts).
  it("migrate-batched-wrong-copy-before-flush in tiny-3cpu: every invariant's verdict as in the full search", () =>
    sameVerdictsReduced(variant('migrate-batched-wrong-copy-before-flush'), three, false));

  it('finds a seeded bug with combined symmetries and replays it in real numbers', () => {
    const threeLifo = defineConfig({ ...three, name: 'tiny-3cpu-lifo', allocator: 'lifo' });
    const r = explore(variant('migrate-batched-wrong-copy-before-flush'), threeLifo, { symmetry: true });
    expect(r.violation?.actions.length).toBe(7);
    expect(r.violation?.replay.violation?.invariant.id).toBe(r.violation?.invariant.id);
  });
});
