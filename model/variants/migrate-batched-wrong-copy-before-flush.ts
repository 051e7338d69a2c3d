// Seeded bug: migrate-batched copying each folio before the batched flush.
// Mistake: a CPU still caching a writable entry to src stores after the copy and before
// try_to_unmap_flush(); the store lands in src, which is about to be freed, and dst never
// sees it. Breaks noLostWrite and loadsSeeLastStore at remove_migration_ptes().
// The ordering RFC 0/6 of seed 002 is careful to avoid: "for each page: flush TLB" comes
// before "for each page: copy".
// Versions: none (a seeded bug on migrate-batched's kernel, v6.3 to v6.18).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const migrateBatchedWrongCopyBeforeFlush = defineVariant({
  id: 'migrate-batched-wrong-copy-before-flush',
  title: 'Seeded bug: migrate-batched copies before the flush',
  source: 'seeded; the ordering seed 002 requires',
  base: migrateBatched,
  notes: 'Copies src to dst while remote CPUs may still write src through a stale entry.',
  policy: {
    migrate: {
      program: [
        { each: ['try_to_migrate_one', 'move_to_new_folio'] },
        { once: 'try_to_unmap_flush' },
        { each: ['remove_migration_ptes', 'migrate_folio_done'] },
      ],
    },
  },
  fixedBy: 'migrate-batched',
  violates: ['noLostWrite', 'loadsSeeLastStore'],
});
