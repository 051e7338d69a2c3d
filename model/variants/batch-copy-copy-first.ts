// batch-copy with the batch copy moved before the metadata: every copy that can fail
// happens while nothing is yet moved to dst, so migrate_folio_undo_src() restores src
// exactly, dirty bit and all. The order the single-folio path has had since 060913999d7a
// (v6.11), applied to the batch.
// Versions: none: batch-copy (an unmerged 2025 patch) with the batch copied first; the
// single-folio path has copied before the metadata since 060913999d7a (v6.11).

import { defineVariant } from '../variant.js';
import { batchCopy } from './batch-copy.js';

export const batchCopyCopyFirst = defineVariant({
  id: 'batch-copy-copy-first',
  title: 'Batch copy with the copy before the metadata move',
  source: 'this project: seed 004 reordered as 060913999d7a orders one folio',
  base: batchCopy,
  notes: 'Not a posted patch: what the counterexample against batch-copy asks for.',
  policy: {
    migrate: {
      program: [
        { each: ['try_to_migrate_one'] },
        { once: 'try_to_unmap_flush' },
        { each: ['folio_mc_copy'] },
        { each: ['_move_to_new_folio_prep'] },
        { each: ['remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
});
