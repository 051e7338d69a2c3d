// Historical bug, v3.2 to v4.8: move_ptes() cleared and set each PTE with no flush, and
// move_page_tables() flushed the old range once, after the PTLs were dropped. Besides
// CVE-2018-18281's read of a freed frame (mremap-v4.18-clean-flush-after-unlock), a CPU
// whose cached entry for the old address is writable and dirty stores through it after a
// migration, finding the folio at the new address, has copied it: the store lands in the
// freed source and is lost. Aaron Lu found the writeback form of that race (page_mkclean()
// cleaning the page at its new address while the old entry still wrote it) and fixed it for
// dirty PTEs with 5d1904204c99 ("mremap: fix race between mremap() and page cleanning",
// v4.9). Caught by noAccessToFreedFrame, noLostWrite and loadsSeeLastStore.
// Before v3.2 each PTE was moved with ptep_clear_flush() under the PTL ("mremap: avoid
// sending one IPI per page", Andrea Arcangeli, 2011, made it one flush after the loop).
// Versions: v3.2 to v4.8 (the v3.2 change read in its linux-mm posting; its commit id not
// verified); fixed in part by 5d1904204c99 (v4.9), wholly by eb66ae030829 (v4.19). The model
// keeps v4.13's flush_tlb_batched_pending() in move_ptes(), a mix no kernel shipped.

import { defineVariant } from '../variant.js';
import { mremap } from './mremap.js';

export const mremapV48 = defineVariant({
  id: 'mremap-v4.8-flush-after-unlock',
  title: 'v4.8: mremap() flushes every moved PTE after dropping the PTLs',
  source: 'mm/mremap.c move_page_tables() from v3.2 to 5d1904204c99 (v4.9)',
  base: mremap,
  notes: 'need_flush for every PTE: the flush comes after the PTLs are dropped, dirty entry or not.',
  policy: { mremapFlush: 'after-unlock' },
  fixedBy: 'mremap',
  violates: ['noAccessToFreedFrame', 'noLostWrite', 'loadsSeeLastStore'],
});
