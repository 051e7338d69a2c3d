// The explorer's slower half (npm run test:full): bounded proofs on tiny-syscalls and on
// the window inside flush_tlb_batched_pending(). The fast half is explore.test.ts; both
// engines over every protocol are in engines-agree.full.test.ts.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { recordedManifest, recordedStates, variant } from '../support.js';

// Where mprotect, munmap, madvise and mmap race with them. (arm64 reaches fewer states than
// x86: a thread on the reclaiming CPU runs only after the context switch's DSB, which
// completes the TLBIs in flight; batch-copy-copy-first's copy may fail while a call races.)
const WITH_SYSCALLS = [
  'sync',
  'reclaim-batched-dirty',
  'migrate-batched',
  'reclaim-batched-dirty-arm64',
  'batch-copy-copy-first',
];

// Each proof below is a row of expected/manifest.json, which `npm run manifest` (CI, after
// this tier) recomputes state for state: recounting it here too would only repeat minutes
// of search. What the row cannot say, that the search exercises the calls and reaches the
// window, a bounded search of the same world shows (the whole search reaches a superset).
describe('bounded proofs with system calls on tiny-syscalls', () => {
  for (const id of WITH_SYSCALLS)
    it(`${id}: every system call keeps its promise in every interleaving`, () => {
      expect(recordedStates(id, 'tiny-syscalls')).toBeGreaterThan(300_000);
      const r = explore(variant(id), CONFIGS['tiny-syscalls'], { maxStates: 20_000 });
      expect(r.violation).toBeNull();
      for (const s of [
        'change_pte_range',
        'flush_tlb_range',
        'zap_pte_range',
        'tlb_finish_mmu',
        'syscall_return',
      ])
        expect(r.coverage[s], s).toBeGreaterThan(0);
      for (const op of ['syscall', 'mmap']) expect(r.coverage[op], op).toBeGreaterThan(0);
    });
});

describe('a bounded proof of the window inside flush_tlb_batched_pending()', () => {
  // tiny-two-ptls-mprotect: no spare frame, a batch of one and mprotect() only, to exhaust in
  // about a minute (with a batch of two and munmap too it held in all 7,895,195 states, counted while munmap()
  // still zapped under the write lock)
  const world = CONFIGS['tiny-two-ptls-mprotect'];
  const flagRace = recordedManifest().rows.find(
    (r) => r.protocol === 'reclaim-batched-dirty-batched-flag-race' && r.world === world.name,
  )?.invariants.noAccessAfterRevoke;

  it('generations hold in all of its states, with a deferral inside the window reached', () => {
    expect(recordedStates('reclaim-batched-dirty-batched-generations', world.name)).toBeGreaterThan(
      2_000_000,
    );
    const r = explore(variant('reclaim-batched-dirty-batched-generations'), world, { maxStates: 50_000 });
    expect(r.violation).toBeNull();
    expect(r.targetsHit).toContain('deferralInsideBatchedPending');
    expect(r.coverage.flush_tlb_batched_pending).toBeGreaterThan(0);
  });

  it(`the bool loses the flush there too, in the fewest steps the manifest records`, () => {
    expect(flagRace?.verdict).toBe('violated');
    const r = explore(variant('reclaim-batched-dirty-batched-flag-race'), world, {
      invariants: [findInvariant('noAccessAfterRevoke')!],
    });
    expect(r.violation?.actions.length).toBe(flagRace?.verdict === 'violated' ? flagRace.length : -1);
  });
});
