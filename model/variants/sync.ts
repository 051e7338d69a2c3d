// sync: every unmap flushes at once (ptep_clear_flush()), as before 2015.
// Reclaim and migration both clear a PTE and shoot down the entry before the next step,
// so no CPU ever holds a stale entry. The baseline every batching protocol is costed
// and checked against.
// Abstracts: THP, rmap walks over several VMAs, writeback completion (pageout() is at once).
// Versions: kernels before v4.3 (72b252aed506 batched reclaim's flush; migration's stayed
// synchronous until 7e12beb8ca2a, v6.3); the start not verified against the history.
// munmap() held mmap_sem for write to the end then (dd2283f2605e, v4.20); the model's
// default zaps under the read lock, which allows every interleaving the write lock does, so
// what holds here holds there (and the batching protocols built on this one keep the default).

import { defineVariant } from '../variant.js';

export const sync = defineVariant({
  id: 'sync',
  title: 'Synchronous flush at every unmap',
  source: 'mm/rmap.c before 72b252aed506 (v4.3, 2015): try_to_unmap_one() calls ptep_clear_flush()',
  notes: 'No batching: the reference for cost and the protocol every other one must be as safe as.',
  policy: {
    reclaim: {
      batchFlush: false,
      deferDirty: false,
      // shrink_page_list(): unmap and write back each folio, free the list at the end.
      program: [{ each: ['try_to_unmap_one', 'pageout'] }, { each: ['free_unref_folios'] }],
    },
    migrate: {
      batchFlush: false,
      deferDirty: false,
      // unmap_and_move(): one folio at a time, unmap, copy, remap, free.
      program: [
        { each: ['try_to_migrate_one', 'move_to_new_folio', 'remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
  reaches: ['pageReclaimed', 'pageMigrated'],
});
