// Historical bug: mm->tlb_flush_batched as a bool (3ea277194daa, v4.13, until it became an
// atomic_t of pending and flushed generations). flush_tlb_batched_pending() reads the
// flag, flushes the mm, then resets the flag. Reclaim holds another PTL, so between that
// flush and the reset it may clear a PTE of the same mm and defer its flush, setting the
// flag again; the reset then wipes it. mprotect() goes on to that page under its PTL,
// finds the flag clear and the PTE gone, flushes nothing and returns while a remote CPU
// still caches the page writable: a store lands after mprotect(PROT_READ) returned.
// Caught by noAccessAfterRevoke, and after MADV_DONTNEED by the data invariants. The fix keeps pending and flushed generations and resets
// with a cmpxchg that fails if a deferral came in meanwhile ("If the new TLB flushing is
// pending during flushing, leave mm->tlb_flush_batched as is, to avoid losing flushing",
// mm/rmap.c); its twin is reclaim-batched-dirty-batched-generations. The change is
// 5ee2fa2f0636 (below).
// Versions: v4.13 to v5.16: 3ea277194daa to 5ee2fa2f0636 (Huang Ying, "mm/rmap: fix
// potential batched TLB flush race", posted 2021-12-01, in mainline for v5.17, January 2022).

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyFlagRace = defineVariant({
  id: 'reclaim-batched-dirty-batched-flag-race',
  title: 'tlb_flush_batched as a bool: a reset after the flush wipes a deferral made meanwhile',
  source:
    'mm/rmap.c flush_tlb_batched_pending() as 3ea277194daa wrote it (v4.13): flush_tlb_mm(), then tlb_flush_batched = false',
  base: reclaimBatchedDirty,
  notes:
    'The flush and the reset of flush_tlb_batched_pending() are separate steps; reclaim under another PTL may set the flag between them, and the bool is reset anyway.',
  policy: { batchedPendingWindow: 'flag' },
  world: 'syscalls-two-ptls',
  reaches: [...reclaimBatchedDirty.reaches, 'deferralInsideBatchedPending'],
  fixedBy: 'reclaim-batched-dirty-batched-generations',
  // The call returns while a CPU still caches the page: a later access breaks the revoke
  // (mprotect), and after MADV_DONTNEED a load through that entry returns the old data
  // (loadsSeeLastStore, 11 steps) and a store through it is lost (noLostWrite, 12).
  violates: ['noAccessAfterRevoke', 'loadsSeeLastStore', 'noLostWrite'],
  // The race needs a batch of two, a call on both pages, and the second unmap inside the
  // window: seed 1 finds it in run 4,359 (seeds 2 and 4 in 10,689 and 11,192; three of six
  // seeds not within 20,000). The explorer finds it in 553,207 states on tiny-two-ptls.
  randomRuns: 6000,
  // The data invariants need a store between the two unmaps as well: the random engine
  // finds them at run 18,571 with seed 1 and not within 30,000 runs with seeds 2 and 3
  // (measured 2026-12-06); the explorer in 553,475 and 891,475 states on tiny-two-ptls.
  explorerOnly: ['loadsSeeLastStore', 'noLostWrite'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): after MADV_DONTNEED
// returns, CPU 0 still reads the zapped page through its entry
