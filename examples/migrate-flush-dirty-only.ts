// A user's variant, checked with:
//   npx shootdown check --variant-file examples/migrate-flush-dirty-only.ts
// Idea under review: migrate_pages() flushes before copying only if some deferred entry
// was dirty (try_to_unmap_flush_dirty), on the theory that clean entries trap on write.
import { defineVariant, findVariant } from 'shootdown';

export default defineVariant({
  id: 'migrate-flush-dirty-only',
  title: 'Batched migration that flushes clean entries only after the remap',
  source: 'a what-if, not a posted patch',
  base: findVariant('migrate-batched')!,
  policy: {
    migrate: {
      program: [
        { each: ['try_to_migrate_one'] },
        { once: 'try_to_unmap_flush_dirty' },
        { each: ['move_to_new_folio', 'remove_migration_ptes'] },
        { once: 'try_to_unmap_flush' },
        { each: ['migrate_folio_done'] },
      ],
    },
  },
  // What the check found: a clean entry's first store re-walks, finds the new PTE
  // writable and writes the old frame, so writes are lost as well.
  violates: ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore'],
});
