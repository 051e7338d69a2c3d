// migrate-vma: device-private migration (migrate_vma_setup(), mm/migrate_device.c) since
// 60bae7370896. migrate_vma_collect_pmd() replaces each PTE of the range with a migration
// entry and, since that fix, flushes the range before it drops the PTL, so a system call
// that takes the PTL next never finds a migration entry some CPU still caches the page
// behind. The driver then copies, and migrate_vma_pages() / migrate_vma_finalize() remap
// and free the source.
// The model flushes each PTE as it clears it (ptep_clear_flush()): to every other holder
// of the PTL that is the same as one flush of the range before the unlock.
// Only migration runs: reclaim has its own flush, which this fix does not touch.
// Versions: v6.0 to v6.18 (60bae7370896), and stable trees with its backport (5.15.y,
// October 2022).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const migrateVma = defineVariant({
  id: 'migrate-vma',
  title: 'migrate_vma: flush the range under the PTL',
  source:
    'Alistair Popple, "mm/migrate_device.c: flush TLB while holding PTL", commit 60bae7370896 (v6.0, 2022)',
  base: migrateBatched,
  notes:
    'The device copy is move_to_new_folio(); device-private entries are not modelled: dst is an ordinary frame.',
  policy: {
    reclaim: null,
    migrate: {
      batchFlush: false,
      deferDirty: false,
      program: [
        { each: ['try_to_migrate_one'] },
        { each: ['move_to_new_folio', 'remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
  reaches: ['pageMigrated'],
  world: 'tiny-zap',
});
