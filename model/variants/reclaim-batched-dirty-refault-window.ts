// Finding (found here, against mainline): shrink_folio_list() takes each folio out of the
// swap cache (__remove_mapping()) and unlocks it (folio_unlock()) folio by folio, and only
// then, for the whole batch, calls try_to_unmap_flush() and free_unref_folios(). Between
// the two, a fault on the page no longer finds the folio: do_swap_page() reads the page
// back from swap into a new folio and maps it writable, while another CPU still caches a
// clean entry to the old folio, whose flush is deferred in tlb_ubc. A store to the new
// folio is then invisible to that CPU, which reads the old contents through its entry
// until the batch flushes (loadsSeeLastStore, 6 steps). A store through a writable clean
// entry takes the dirty-bit assist, which re-walks to the new PTE; the model lets it reach
// the cached frame, which the SDM leaves open, and so also reports the store lost
// (noLostWrite, 6 steps; hardware that writes the re-walked frame has only the stale read).
// No fault path calls flush_tlb_batched_pending(): it guards PTE changes under the PTL
// (mprotect, zap, mremap), not a refault.
// Versions: the order is in 72b252aed506 (v4.3, shrink_page_list(): __remove_mapping(),
// __ClearPageLocked() "because there are no references", and after the loop
// try_to_unmap_flush() before free_hot_cold_page_list()) and in every
// kernel since to v6.18, where free_folios is a folio_batch that, when full, flushes and
// frees early: the flush still comes after __remove_mapping() of the folios it covers.
// The twin, reclaim-batched-dirty, keeps the folio in the swap cache (locked) until its
// free, after the flush: the order unmap all, flush, then remove and free, which
// migrate_pages_batch() already follows and which costs no extra IPI. Every other
// protocol of the catalogue is built on that twin, so its verdicts speak of its own
// mechanism; this one carries the kernel's order.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyRefaultWindow = defineVariant({
  id: 'reclaim-batched-dirty-refault-window',
  title: 'Reclaim as the kernel orders it: the folio leaves the swap cache before the batch is flushed',
  source:
    'mm/vmscan.c shrink_folio_list(), v4.3 (72b252aed506) to v6.18: __remove_mapping() and folio_unlock() per folio, then try_to_unmap_flush()',
  base: reclaimBatchedDirty,
  notes:
    'A fault after __remove_mapping() reads the page into a new folio while another CPU still caches the old one; the batch flushes later.',
  policy: {
    reclaim: {
      program: [
        { each: ['try_to_unmap_one', 'try_to_unmap_flush_dirty', 'pageout', '__remove_mapping'] },
        { once: 'try_to_unmap_flush' },
        { each: ['free_unref_folios'] },
      ],
    },
  },
  reaches: [...reclaimBatchedDirty.reaches, 'refaultWhileFlushDeferred'],
  fixedBy: 'reclaim-batched-dirty',
  violates: ['loadsSeeLastStore', 'noLostWrite'],
});
