// reclaim-batched-dirty: dirty PTEs are deferred too; tlb_ubc->writable remembers that a
// deferred entry may be writable, and try_to_unmap_flush_dirty() flushes before pageout()
// starts IO, so no write through a stale entry can land after the data went to disk.
// Mel Gorman, "mm: defer flush of writable TLB entries", commit d950c9477d51 (v4.3, 2015).
// Versions: the flushes of v4.13 to v6.18 (d950c9477d51, v4.3; flush_tlb_batched_pending()
// since 3ea277194daa, v4.13), in no kernel's order: the folio stays in the swap cache until
// after the flush (the kernel's order is reclaim-batched-dirty-refault-window).

import { defineVariant } from '../variant.js';
import { reclaimBatched } from './reclaim-batched.js';

export const reclaimBatchedDirty = defineVariant({
  id: 'reclaim-batched-dirty',
  title: 'Batched TLB flush for reclaim, dirty entries flushed before IO',
  source: 'Mel Gorman, commit d950c9477d51 (v4.3, 2015), follow-up to seed 003',
  base: reclaimBatched,
  policy: {
    reclaim: {
      deferDirty: true,
      program: [
        { each: ['try_to_unmap_one', 'try_to_unmap_flush_dirty', 'pageout'] },
        { once: 'try_to_unmap_flush' },
        { each: ['free_unref_folios'] },
      ],
    },
  },
  reaches: [
    'pageReclaimed',
    'pageMigrated',
    'staleEntryWhileFlushDeferred',
    'loadThroughStaleEntry',
    'storeThroughStaleEntry',
  ],
});
