// shared-file: a file mapped MAP_SHARED by two processes, its page cache written back by
// the flusher and trimmed by reclaim, as mm/memory.c, mm/rmap.c and mm/page-writeback.c
// have it since 5df397dec7c4 ("mm: delay page_remove_rmap() until after the TLB has been
// flushed", Linus Torvalds, November 2022). A store to a page mapped read-only takes a
// write fault that marks the folio dirty (write-notify); folio_clear_dirty_for_io() runs
// folio_mkclean(), which write-protects, cleans and flushes every PTE the rmap names,
// under each PTL, before PG_dirty is cleared and the page goes to disk. When munmap() or
// MADV_DONTNEED clears a dirty PTE, zap_pte_range() marks the folio dirty and flushes the
// TLB before it drops the PTL (force_flush, 1cf35d47712d), and only then removes the rmap
// (delay_rmap), so folio_mkclean() either waits for that PTL or finds the entry gone.
// Abstracts: one file, page i at vpage i in every mm; writeback is one step under the
// folio lock and takes the contents when PG_dirty is cleared; reclaim takes only a clean
// folio no mm maps (no try_to_unmap() of file folios, so no batched flush for them);
// no truncation, no private file mappings, no large folios.
// Versions: v6.2 to v6.18 (5df397dec7c4, in the mm tree in December 2022, merged for v6.2).

import { defineVariant } from '../variant.js';

export const sharedFile = defineVariant({
  id: 'shared-file',
  title:
    'A MAP_SHARED file: zap_pte_range() flushes a dirty PTE under the PTL and removes the rmap after the flush',
  source:
    'mm/memory.c zap_pte_range() and mm/mmu_gather.c since 5df397dec7c4 ("mm: delay page_remove_rmap() until after the TLB has been flushed", Linus Torvalds, November 2022)',
  notes:
    'No reclaim batches or migration: the flusher writes dirty file pages back (folio_mkclean() flushes every PTE it cleans) and reclaim drops a clean page no mm maps; munmap() and madvise() flush a dirty file PTE before dropping its PTL and remove the rmap only after.',
  policy: { reclaim: null, migrate: null },
  reaches: ['dirtyFilePteZapped', 'writebackOfCachedFilePage'],
  world: 'shared-file',
});
