// Seeded bug: migrate-batched remapping to dst before the batched flush.
// Mistake: remove_migration_ptes() publishes dst while another CPU still caches a
// writable entry to src, so two frames serve one page at once: stores through the stale
// entry go to src, loads through the new PTE read dst. Breaks
// noStaleWritableTlbAfterRemap (and with it loadsSeeLastStore and noLostWrite).
// This is the window migrc (seed 001) opens on purpose, and why it restricts itself to
// folios whose every mapping is read-only.
// Versions: none (a seeded bug on migrate-batched's kernel, v6.3 to v6.18).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const migrateBatchedWrongRemapBeforeFlush = defineVariant({
  id: 'migrate-batched-wrong-remap-before-flush',
  title: 'Seeded bug: migrate-batched remaps before the flush',
  source: 'seeded; migrc applied to writable mappings (seed 001 restricts it to read-only ones)',
  base: migrateBatched,
  notes: 'Unmaps, copies and remaps each folio, and flushes only once the batch is remapped.',
  policy: {
    migrate: {
      program: [
        { each: ['try_to_migrate_one', 'move_to_new_folio', 'remove_migration_ptes'] },
        { once: 'try_to_unmap_flush' },
        { each: ['migrate_folio_done'] },
      ],
    },
  },
  fixedBy: 'migrate-batched',
  violates: ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore'],
});
