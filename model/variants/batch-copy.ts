// batch-copy: migrate_pages_batch() with MIGRATE_NO_COPY (seed 004, Zi Yan's preparatory
// patch, Originally-by Shivank Garg, 2025-01-03): after the one flush, move every folio's
// metadata (_move_to_new_folio_prep()), then copy all contents in one batch (folio_mc_copy()
// per folio, later by DMA), then remap all.
// Mistake: the metadata move comes before a copy that may fail, and the failure path undoes
// as if nothing had moved. __folio_migrate_mapping() moved PG_dirty to dst ("no turning back
// from here"); migrate_folio_undo_src() maps src again with a clean PTE, since
// remove_migration_pte() sets D only on a dirty folio, and frees dst with the dirty bit.
// Reclaim then finds src clean and drops it without writing it back: a completed store is
// gone (dirtyNeverDroppedClean, noLostWrite, loadsSeeLastStore; 10 steps, and no TLB
// entry in the race at all). The single-folio path copies first for exactly this reason
// (Kefeng Wang, 060913999d7a, "mm: migrate: support poisoned recover from migrate folio",
// v6.11).
// Not modelled, and worse: the swap cache (or page cache) now points at dst, which the undo
// frees; the model's swap is a store per page with no cache to look up.
// Versions: none merged; Zi Yan's MIGRATE_NO_COPY patch as posted to linux-mm (2025-01-03),
// on the mm tree of its day (the base is not verified against the history).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const batchCopy = defineVariant({
  id: 'batch-copy',
  title: 'Batch copy (MIGRATE_NO_COPY): metadata, then one batch copy, then remap',
  source: 'Zi Yan and Shivank Garg, linux-mm 2025-01-03 (seed 004)',
  base: migrateBatched,
  notes:
    'A copy failure leaves src intact (a failed offload copy, or poison outside what the abstract value stands for); every anonymous folio is in the swap cache.',
  policy: {
    migrate: {
      program: [
        { each: ['try_to_migrate_one'] },
        { once: 'try_to_unmap_flush' },
        { each: ['_move_to_new_folio_prep'] },
        { each: ['folio_mc_copy'] },
        { each: ['remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
  reaches: [...migrateBatched.reaches, 'copyFailureUndone'],
  fixedBy: 'batch-copy-copy-first',
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean'],
});
