// Historical bug, v3.15 to v6.1. zap_pte_range() flushed the TLB before dropping the PTL
// when it cleared a dirty shared PTE (force_flush, 1cf35d47712d), so that folio_mkclean(),
// which takes the same PTL, would wait for the flush. But it called page_remove_rmap()
// first, inside the loop: the folio was no longer mapped, so folio_mkclean() returned at
// once without walking the rmap or taking any PTL. The flusher cleaned the folio and wrote
// it out while another CPU still cached the PTE writable and dirty; a store through that
// entry then landed in a folio the kernel believed clean, and reclaim dropped it.
// Caught by noLostWrite and dirtyNeverDroppedClean, and by loadsSeeLastStore once the file
// is mapped again and read.
// Fixed by 5df397dec7c4 ("mm: delay page_remove_rmap() until after the TLB has been
// flushed", Linus Torvalds, November 2022): the rmap of a dirty file folio is removed
// only after the flush (delay_rmap, the encoded page pointer in the mmu_gather). The twin
// is shared-file.
// Versions: v3.15 to v6.1 (1cf35d47712d to 5df397dec7c4, v6.2); with 99baac21e458's nested
// flush, as modelled, v4.13 to v6.1.

import { defineVariant } from '../variant.js';
import { sharedFile } from './shared-file.js';

export const sharedFileV61 = defineVariant({
  id: 'shared-file-v6.1-rmap-before-flush',
  title: 'v3.15 to v6.1: zap_pte_range() removes the rmap of a dirty file folio before its flush',
  source:
    'mm/memory.c zap_pte_range() before 5df397dec7c4 ("mm: delay page_remove_rmap() until after the TLB has been flushed")',
  base: sharedFile,
  notes:
    'page_remove_rmap() runs in the zap loop, before the force_flush under the PTL: folio_mkclean() finds the folio unmapped and does not wait for that PTL, so it cleans the folio while another CPU can still store through the writable, dirty entry.',
  policy: { zapDirtyShared: 'rmap-then-flush' },
  fixedBy: 'shared-file',
  // Runs to the first noLostWrite in shared-file, seeds 1 to 6: 1,713, 70, 316, 1,579,
  // 588, 1,464 (the writeback must land inside the zap's window).
  randomRuns: 10000,
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean'],
});
