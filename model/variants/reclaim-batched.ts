// reclaim-batched: reclaim clears clean PTEs without flushing and sends one IPI per CPU
// at try_to_unmap_flush(), before the batch is freed. Dirty PTEs are still flushed at
// once ("Potentially writable TLBs must be flushed before IO").
// Safe only where a store through a clean cached entry traps once the PTE is gone.
// Mel Gorman, "mm: send one IPI per CPU to TLB flush all entries after unmapping
// pages", commit 72b252aed506 (v4.3, Sep 2015); seed 003.
// Versions: none released: 72b252aed506 alone. d950c9477d51, the next patch of the series
// (both committed 2015-09-04), is in v4.3 too: v4.3 to v4.12 are
// reclaim-batched-dirty-v4.12-no-batched-pending.

import { defineVariant } from '../variant.js';
import { sync } from './sync.js';

export const reclaimBatched = defineVariant({
  id: 'reclaim-batched',
  title: 'Batched TLB flush for reclaim of clean pages',
  source: 'Mel Gorman, commit 72b252aed506 (v4.3, 2015), seed 003',
  base: sync,
  notes: 'Defers only entries whose PTE was clean; migration is still synchronous, as in v4.3.',
  policy: {
    reclaim: {
      batchFlush: true,
      deferDirty: false,
      program: [
        { each: ['try_to_unmap_one', 'pageout'] },
        { once: 'try_to_unmap_flush' },
        { each: ['free_unref_folios'] },
      ],
    },
  },
  reaches: ['pageReclaimed', 'pageMigrated', 'staleEntryWhileFlushDeferred', 'loadThroughStaleEntry'],
});
