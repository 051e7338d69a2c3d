// private-file: a file mapped MAP_PRIVATE by one process and MAP_SHARED by another, as
// mm/memory.c has it. The private mapping reads the page-cache folio through a read-only
// PTE until its first write fault; wp_page_copy() then copies the folio into an anonymous
// one outside the PTL, and under the PTL, if the PTE is unchanged, clears and flushes it
// (ptep_clear_flush()) before it sets the new, writable PTE, so no CPU of the mm goes on
// reading the page-cache folio once a store may have landed in the copy ("This code used
// to set the new PTE then flush TLBs, but that left a window where the new PTE could be
// loaded into some TLBs while the old PTE remains in others", mm/memory.c). From then on
// the page is the mm's own: stores to the file (the shared mapping's, or write(2)) do not
// reach it, and MADV_DONTNEED drops it, so the page reads the file again.
// Abstracts: do_cow_fault() (a write to a private page not yet mapped) as a read fault
// followed by the write fault that copies; one page; no reclaim or migration batches.
// Versions: v6.2 to v6.18 as a whole (the shared mapping is shared-file's, 5df397dec7c4); the
// COW order it checks, flush before set_pte_at(), is in every kernel since 2.6.19.

import { defineVariant } from '../variant.js';

export const privateFile = defineVariant({
  id: 'private-file',
  title: 'A MAP_PRIVATE file: wp_page_copy() flushes the page-cache PTE before it maps the copy',
  source: 'mm/memory.c wp_page_copy() (do_wp_page() of a page with no anon folio) and do_cow_fault()',
  notes:
    "No reclaim batches or migration: the private mapping's first write fault copies the page-cache folio and flushes the old PTE on every CPU of the mm before the copy is mapped; the flusher writes back, and reclaim drops, the page cache.",
  policy: { reclaim: null, migrate: null },
  reaches: ['copyOnWriteWhileCached', 'privatePageDiverged'],
  world: 'private-file',
});
