// The exhaustive explorer: bounded proofs with pinned state counts on tiny worlds,
// budgets, coverage and the encoding. The slower proofs and the agreement of both engines
// over every protocol are in explore.full.test.ts.

import type { Draft } from 'immer';
import { describe, expect, it } from 'vitest';
import { apply, next } from '../../model/actions.js';
import { CONFIGS, worldConfig } from '../../model/config.js';
import { enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { checkVariant } from '../../src/check/check.js';
import { copyState, encode, layoutOf } from '../../src/codec/encode.js';
import { explore } from '../../src/engine/explore.js';
import { FingerprintSet, fingerprint, GROWTH, MAX_LOAD } from '../../src/engine/visited.js';
import { recordedStates, variant } from '../support.js';

const tiny = CONFIGS.tiny;

/**
 * The distinct states of a correct protocol's complete search in its own exhaustive world,
 * as expected/manifest.json records them (`shootdown manifest`). A changed count is a signal
 * to investigate (the model changed), not a number to update.
 */
function ownWorldStates(id: string): number {
  return recordedStates(id, worldConfig(variant(id).world, 'exhaustive').name);
}

/** The correct protocols whose own exhaustive world is one the manifest proves them in. */
const provedIn = (has: (c: ReturnType<typeof worldConfig>) => boolean) =>
  VARIANTS.filter((v) => v.violates.length === 0 && has(worldConfig(v.world, 'exhaustive'))).map((v) => v.id);

describe('bounded proofs on tiny', () => {
  // (the protocols of a world with PCID, fork()'s child or a shared file are proved in theirs, below)
  const ownWorld = (x: Variant) => {
    const world = worldConfig(x.world, 'exhaustive');
    return world.pcid === true || world.forkChild !== undefined || world.sharedFile === true;
  };
  for (const v of VARIANTS.filter((x) => x.violates.length === 0 && !ownWorld(x)))
    it(`${v.id}: no violation in every reachable state`, () => {
      const r = explore(v, tiny);
      expect(r.violation).toBeNull();
      expect(r.complete).toBe(true);
      expect(r.stoppedBy).toBeNull();
      expect(r.distinct).toBe(recordedStates(v.id, 'tiny'));
      expect(r.generated).toBeGreaterThan(r.distinct);
      // the race window is opened, so the proof is not vacuous (migrc's opens only where
      // a PTE can be read-only: tiny-migrc, checked below)
      if (v.world === 'small') for (const t of v.reaches) expect(r.targetsHit, t).toContain(t);
      // every kind of step the protocol has actually fired
      const steps = new Set(
        [v.policy.reclaim, v.policy.migrate].flatMap((j) =>
          (j?.program ?? []).flatMap((p) => ('each' in p ? p.each : [p.once])),
        ),
      );
      // (but can_migrc_system, which runs only once an allocation has stopped migrc, in a
      // world with memoryPressure: test/model/migrc-stop.test.ts)
      steps.delete('can_migrc_system');
      for (const s of steps) expect(r.coverage[s], s).toBeGreaterThan(0);
      // and where a copy is a step of its own, that copy has failed and been undone
      if (steps.has('folio_mc_copy')) expect(r.coverage.copyFails).toBeGreaterThan(0);
      const jobs = [
        ...(v.policy.migrate ? ['migrate_pages'] : []),
        ...(v.policy.reclaim ? ['shrink_folio_list'] : []),
      ];
      for (const op of ['load', 'store', 'tlbEvict', 'reuseFrame', ...jobs])
        expect(r.coverage[op], op).toBeGreaterThan(0);
      // and a job the protocol does not have never starts
      if (!v.policy.reclaim) expect(r.coverage.shrink_folio_list ?? 0).toBe(0);
    });
});

/** The correct protocols of a world with PCID: CPUs switch mm and run kernel threads lazily there. */
const WITH_PCID = provedIn((c) => c.pcid === true);

describe('bounded proofs with PCID and lazy TLB', () => {
  for (const id of WITH_PCID)
    it(`${id}: no stale entry is used in every interleaving of its world`, () => {
      const v = variant(id);
      const world = worldConfig(v.world, 'exhaustive');
      const r = explore(v, world);
      expect(r.violation).toBeNull();
      expect(r.complete).toBe(true);
      expect(r.distinct).toBe(ownWorldStates(id));
      for (const t of v.reaches) expect(r.targetsHit, t).toContain(t);
      // with one mm a CPU only goes lazy and comes back: no switch to another mm to finish
      const ops = ['switch_mm', 'enter_lazy_tlb', ...(world.mms > 1 ? ['set_loaded_mm'] : [])];
      for (const op of ops) expect(r.coverage[op], op).toBeGreaterThan(0);
    });

  it('covers every correct protocol of a world with PCID: the manifest proves at least one', () => {
    expect(WITH_PCID.length).toBeGreaterThan(0);
  });
});

/** The correct protocols of a world with fork()'s child. */
const WITH_FORK_CHILD = provedIn((c) => c.forkChild !== undefined);

/**
 * Exhaust protocol `id` in its own exhaustive world: no violation, the recorded count of
 * distinct states, its targets hit, and each of `fired` (actions and kernel steps) taken.
 */
function provedInOwnWorld(id: string, fired: readonly string[]): void {
  const v = variant(id);
  const states = ownWorldStates(id);
  // A world of more states than this is proved by engines-agree.full.test.ts, which recounts
  // every own-world row of the manifest (private-file's 78,857 took 7-10 s here); a bounded
  // search of it shows what the proof exercises.
  const whole = states <= 50_000;
  const r = explore(v, worldConfig(v.world, 'exhaustive'), whole ? {} : { maxStates: 30_000 });
  expect(r.violation).toBeNull();
  expect(r.complete).toBe(whole);
  if (whole) expect(r.distinct).toBe(states);
  for (const t of v.reaches) expect(r.targetsHit, t).toContain(t);
  for (const what of fired) expect(r.coverage[what], what).toBeGreaterThan(0);
}

describe('bounded proofs with fork() and copy-on-write', () => {
  for (const id of WITH_FORK_CHILD)
    it(`${id}: no write is lost and no stale entry is used in every interleaving of its world`, () =>
      provedInOwnWorld(id, [
        ...['syscall', 'wp_page_copy', 'store', 'load'],
        ...['copy_present_pte', 'flush_tlb_mm', 'syscall_return'],
      ]));

  it('fork-cow holds in fork-cow-three-cpus too, where 2.6.18 loses a store', () => {
    const r = explore(variant('fork-cow'), CONFIGS['fork-cow-three-cpus']);
    expect(r.violation).toBeNull();
    expect(r.complete).toBe(true);
    expect(r.distinct).toBe(recordedStates('fork-cow', 'fork-cow-three-cpus'));
    expect(r.targetsHit).toContain('copyOnWriteWhileCached');
  });

  it('covers every correct protocol of a world with a fork child: the manifest proves at least one', () => {
    expect(WITH_FORK_CHILD.length).toBeGreaterThan(0);
  });
});

/** The correct protocols of a sharedFile world (tiny-private-file: mm 1 maps the file MAP_PRIVATE and copies the page on a write fault). */
const WITH_SHARED_FILE = provedIn((c) => c.sharedFile === true);

/** What each must have done in its world, beyond the flusher, reclaim, loads and stores. */
const FIRED_WITH_SHARED_FILE: Record<string, readonly string[]> = {
  'shared-file': ['mmap', 'zap_pte_range', 'tlb_flush_mmu_tlbonly', 'tlb_finish_mmu', 'truncate_inode_folio'],
  'private-file': ['wp_page_copy', 'write', 'zap_pte_range', 'tlb_finish_mmu', 'syscall_return'],
  'pfnmap-arm64-v5.18-flush-at-vma-end': [
    'free_pgtables',
    'unlink_file_vma',
    'tlb_finish_mmu',
    'truncate_inode_folio',
  ],
};

describe('bounded proofs on a shared file', () => {
  for (const id of WITH_SHARED_FILE)
    it(`${id}: no store is lost to a writeback in every interleaving of its world`, () =>
      provedInOwnWorld(id, [
        // (a device's memory has no page cache to write back or reclaim)
        ...(worldConfig(variant(id).world, 'exhaustive').pfnmap ? [] : ['writeback', 'remove_mapping']),
        ...['store', 'load'],
        ...(FIRED_WITH_SHARED_FILE[id] ?? []),
      ]));

  it('covers every correct protocol of a sharedFile world: the manifest proves at least one', () => {
    expect(WITH_SHARED_FILE.length).toBeGreaterThan(0);
  });
});

// The proofs on tiny-syscalls (350,000-525,000 states each), the 2,199,794-state proof of
// the window inside flush_tlb_batched_pending() and the two engines' agreement over every
// protocol are in explore.full.test.ts (npm run test:full).

describe('bounded proofs with MADV_FREE on tiny-madvise-free', () => {
  for (const id of ['sync', 'reclaim-batched-dirty', 'migrate-batched'])
    it(`${id}: a lazily freed page is discarded only unwritten, in every interleaving`, () => {
      const r = explore(variant(id), CONFIGS['tiny-madvise-free']);
      expect(r.violation).toBeNull();
      expect(r.complete).toBe(true);
      expect(r.distinct).toBe(recordedStates(id, 'tiny-madvise-free'));
      for (const s of ['madvise_free_pte_range', 'tlb_finish_mmu', 'syscall_return', 'free_unref_folios'])
        expect(r.coverage[s], s).toBeGreaterThan(0);
    });
});

describe('budgets', () => {
  it('--max-states ends the search with a partial verdict, not a crash', () => {
    const r = explore(variant('migrate-batched'), CONFIGS.small, { maxStates: 2000 });
    expect(r.complete).toBe(false);
    expect(r.stoppedBy).toBe('max-states');
    expect(r.distinct).toBe(2000);
    const v = checkVariant(variant('migrate-batched'), {
      config: CONFIGS.small,
      engine: 'exhaustive',
      maxStates: 2000,
    });
    expect(v.invariants.every((i) => i.verdict === 'incomplete' && i.stoppedBy === 'max-states')).toBe(true);
    expect(v.ok).toBe(false);
  });

  it('a memory ceiling below what the process already uses stops at the first check', () => {
    const r = explore(variant('sync'), CONFIGS.small, { maxMemoryMb: 1, progressEveryMs: 0 });
    expect(r.stoppedBy).toBe('memory');
  });

  it('reports progress while it runs', () => {
    const seen: number[] = [];
    explore(variant('sync'), tiny, { progressEveryMs: 0, onProgress: (p) => seen.push(p.distinct) });
    expect(seen.length).toBeGreaterThan(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});

describe('canonical encoding', () => {
  // decode(encode(s)) over every named config: test/src/layout.test.ts
  it('copyState gives an equal copy that the recipes can step without touching the original', () => {
    const v = variant('migrate-batched');
    let s = initialState(CONFIGS.small);
    for (let i = 0; i < 200; i++) {
      const menu = enabledActions(v, CONFIGS.small, s);
      const action = menu[(i * 7919) % menu.length]!;
      const copy = copyState(s);
      expect(copy).toEqual(s);
      apply(v, copy as Draft<State>, action);
      const stepped = next(v, s, action);
      expect(copy).toEqual(stepped);
      s = stepped;
    }
  });

  it('equal states encode equally and different ones differently', () => {
    const layout = layoutOf(tiny);
    const v = variant('sync');
    const s = initialState(tiny);
    const a = new Uint8Array(layout.size);
    const b = new Uint8Array(layout.size);
    encode(layout, s, a);
    encode(layout, initialState(tiny), b);
    expect(a).toEqual(b);
    for (const action of enabledActions(v, tiny, s)) {
      encode(layout, next(v, s, action), b);
      expect(b, JSON.stringify(action)).not.toEqual(a);
    }
  });
});

describe('the fingerprint set', () => {
  it('answers membership exactly through growth', () => {
    const set = new FingerprintSet(4);
    const fp = new Uint32Array(2);
    const words = new Uint32Array(1);
    for (let i = 0; i < 5000; i++) {
      words[0] = i;
      fingerprint(words, 1, fp);
      expect(set.add(fp[0]!, fp[1]!)).toBe(true);
    }
    for (let i = 0; i < 5000; i += 7) {
      words[0] = i;
      fingerprint(words, 1, fp);
      expect(set.add(fp[0]!, fp[1]!)).toBe(false);
    }
    expect(set.size).toBe(5000);
    // two 32-bit words a slot at a load of 0.85/1.3 to 0.85: 9.4 to 12.3 bytes a state
    expect(set.bytes / set.size).toBeGreaterThanOrEqual(8 / MAX_LOAD - 0.01);
    expect(set.bytes / set.size).toBeLessThanOrEqual((8 * GROWTH) / MAX_LOAD + 0.01);
  });
});
