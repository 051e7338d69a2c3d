// reclaim-batched-dirty with the window inside flush_tlb_batched_pending() modelled, and
// mm->tlb_flush_batched as the kernel keeps it today: pending generations in bits 0-14,
// flushed ones in bits 16-30 of an atomic_t. set_tlb_ubc_flush_pending() increments
// pending; flush_tlb_batched_pending() flushes if pending != flushed, then sets flushed
// to the pending it read with a cmpxchg, which fails, leaving the flush owed, if a
// deferral came in since (mm/rmap.c). The twin of reclaim-batched-dirty-batched-flag-race.
// Versions: v5.17 to v6.18 (5ee2fa2f0636, Huang Ying, "mm/rmap: fix potential batched TLB
// flush race", in mainline for v5.17, January 2022); reclaim as in reclaim-batched-dirty.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyGenerations = defineVariant({
  id: 'reclaim-batched-dirty-batched-generations',
  title: 'tlb_flush_batched as pending and flushed generations: a reset never wipes a newer deferral',
  source: 'mm/rmap.c flush_tlb_batched_pending() with TLB_FLUSH_BATCH_FLUSHED_SHIFT (current kernels)',
  base: reclaimBatchedDirty,
  notes: 'The flush and the reset are separate steps, as in the kernel; the reset is a cmpxchg.',
  policy: { batchedPendingWindow: 'generations' },
  world: 'syscalls-two-ptls',
  reaches: [...reclaimBatchedDirty.reaches, 'deferralInsideBatchedPending'],
});
