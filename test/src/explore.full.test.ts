// The explorer's slower half (npm run test:full): bounded proofs on tiny-syscalls and on
// the window inside flush_tlb_batched_pending(). The fast half is explore.test.ts; both
// engines over every protocol are in engines-agree.full.test.ts.

import { describe, expect, it } from 'vitest';
import { CONFIGS, defineConfig } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { variant } from '../support.js';

/** Distinct states on `tiny-syscalls`, where mprotect, munmap, madvise and mmap race with them. */
const DISTINCT_WITH_SYSCALLS: Record<string, number> = {
  sync: 346573,
  'reclaim-batched-dirty': 445264,
  'migrate-batched': 497764,
  // fewer than x86's 445,264: a thread on the reclaiming CPU runs only after the context
  // switch's DSB, which completes the TLBIs in flight
  'reclaim-batched-dirty-arm64': 393350,
  // a copy may fail while mprotect() or munmap() races with the batch
  'batch-copy-copy-first': 524377,
};

describe('bounded proofs with system calls on tiny-syscalls', () => {
  for (const [id, count] of Object.entries(DISTINCT_WITH_SYSCALLS))
    it(`${id}: every system call keeps its promise in every interleaving`, () => {
      const r = explore(variant(id), CONFIGS['tiny-syscalls']);
      expect(r.violation).toBeNull();
      expect(r.complete).toBe(true);
      expect(r.distinct).toBe(count);
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
  // tiny-two-ptls with no spare frame, a batch of one and mprotect() only, to exhaust in
  // about a minute (with a batch of two and munmap too it holds in all 7,895,195 states)
  const world = defineConfig({
    ...CONFIGS['tiny-two-ptls'],
    name: 'tiny-two-ptls-mprotect',
    frames: 2,
    batch: 1,
    syscalls: ['mprotect'],
  });

  it('generations hold in all 2,199,794 states, with a deferral inside the window reached', () => {
    const r = explore(variant('reclaim-batched-dirty-batched-generations'), world);
    expect(r.violation).toBeNull();
    expect(r.complete).toBe(true);
    expect(r.distinct).toBe(2199794);
    expect(r.targetsHit).toContain('deferralInsideBatchedPending');
    expect(r.coverage.flush_tlb_batched_pending).toBeGreaterThan(0);
  }, 300_000);

  it('the bool loses the flush there too, in 16 steps at the fewest', () => {
    const r = explore(variant('reclaim-batched-dirty-batched-flag-race'), world, {
      invariants: [findInvariant('noAccessAfterRevoke')!],
    });
    expect(r.violation?.actions.length).toBe(16);
  });
});
