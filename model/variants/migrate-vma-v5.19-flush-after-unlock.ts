// Historical bug, v4.14 to v5.19: migrate_vma_collect_pmd() cleared the PTEs of a range
// (migration entries), dropped the PTL, and only then called flush_tlb_range(). It never
// went through tlb_ubc, so mm->tlb_flush_batched stayed clear. In that window
// madvise(MADV_DONTNEED) or munmap() takes the PTL, finds no present PTE, gathers nothing
// to flush, and returns while another CPU still caches the page: the thread writes memory
// it has just discarded, a write no later load can see.
// Caught by noAccessAfterRevoke, loadsSeeLastStore and noLostWrite.
// Reported by Nadav Amit; introduced by 8c3328f1f36a ("mm/migrate: migrate_vma() unmap
// page from vma while collecting pages"); fixed by Alistair Popple, "mm/migrate_device.c:
// flush TLB while holding PTL", commit 60bae7370896 (v6.0, 2022; thread
// <3b01af093515ce2960ac39bb16ff77473150d179.1661309831.git-series.apopple@nvidia.com>).
// The twin, migrate-vma, flushes before the unlock.
// Versions: v4.14 to v5.19 (8c3328f1f36a to 60bae7370896, v6.0), and stable trees before
// their backport of the fix (5.15.y had it in October 2022).

import { defineVariant } from '../variant.js';
import { migrateVma } from './migrate-vma.js';

export const migrateVmaV519 = defineVariant({
  id: 'migrate-vma-v5.19-flush-after-unlock',
  title: 'v5.19: migrate_vma flushes after dropping the PTL',
  source: 'mm/migrate_device.c (mm/migrate.c before v5.18) from 8c3328f1f36a to 60bae7370896 (v4.14-v5.19)',
  base: migrateVma,
  notes:
    "The flush owed is the migration's alone: a deferral that does not set mm->tlb_flush_batched, so flush_tlb_batched_pending() cannot see it.",
  policy: {
    migrate: {
      batchFlush: true,
      deferDirty: true,
      setsTlbFlushBatched: false,
      program: [
        { each: ['try_to_migrate_one'] },
        { once: 'try_to_unmap_flush' },
        { each: ['move_to_new_folio', 'remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
  fixedBy: 'migrate-vma',
  violates: ['noAccessAfterRevoke', 'loadsSeeLastStore', 'noLostWrite'],
});
