// migrate-batched: migrate_pages_batch() unmaps every folio of the batch with migration
// entries under TTU_BATCH_FLUSH, flushes once, then copies and remaps each folio and frees
// its source. A CPU may write src through a stale entry until the flush, which is why the
// copy must come after it.
// Huang Ying, "migrate_pages: batch flushing TLB", commit 7e12beb8ca2a (2023);
// seeds 000 and 002. Reclaim is as in reclaim-batched-dirty.
// Versions: migration of v6.3 to v6.18 (7e12beb8ca2a, in mainline for the v6.3 merge window,
// February 2023); its reclaim is reclaim-batched-dirty's. A NUMA hinting fault isolates its
// folio under the PTL as from v6.11 (ee86814b0562, numaIsolation's default); v6.3 to v6.10
// isolated after dropping it, checked as 'after-unlock' (test/model/numa.full.test.ts).

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const migrateBatched = defineVariant({
  id: 'migrate-batched',
  title: 'Batched TLB flush for migrate_pages()',
  source: 'Huang Ying, commit 7e12beb8ca2a (2023), seeds 000 and 002',
  base: reclaimBatchedDirty,
  notes: 'THP folios are not batched in the kernel; the model has no THP.',
  policy: {
    migrate: {
      batchFlush: true,
      deferDirty: true,
      program: [
        { each: ['try_to_migrate_one'] },
        { once: 'try_to_unmap_flush' },
        { each: ['move_to_new_folio', 'remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
});
