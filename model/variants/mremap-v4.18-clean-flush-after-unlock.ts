// Historical bug, v4.9 to v4.18 (CVE-2018-18281): move_ptes() flushed the old address before
// dropping the PTL only for a dirty PTE, and then only after it had dropped the new PTL
// (5d1904204c99, "mremap: fix race between mremap() and page cleanning", Aaron Lu, v4.9);
// for a clean one, move_page_tables() flushed after both PTLs were dropped (need_flush).
// In between, the folio is found at its new address: a migration unmaps it there, flushes
// that address alone (ptep_clear_flush()), copies it and frees the source, while a CPU that
// had read the page still caches the old address's entry to the freed frame. Jann Horn's
// reproducer freed the page with ftruncate() of a file mapping; the model's anonymous world
// frees it by migration. Caught by noAccessToFreedFrame.
// Fixed by eb66ae030829 (v4.19): the twin, mremap, flushes every present PTE under both PTLs.
// Versions: v4.9 to v4.18 (5d1904204c99 to eb66ae030829), and stable before 4.9.135,
// 4.14.78 and 4.18.16.

import { defineVariant } from '../variant.js';
import { mremap } from './mremap.js';

export const mremapV418 = defineVariant({
  id: 'mremap-v4.18-clean-flush-after-unlock',
  title: 'v4.18: mremap() flushes a clean moved PTE after dropping the PTLs (CVE-2018-18281)',
  source: 'mm/mremap.c move_ptes() from 5d1904204c99 (v4.9) to eb66ae030829 (v4.19)',
  base: mremap,
  notes:
    'A dirty PTE is flushed under the old PTL once the new one is dropped, so in this step only where both share one PTL (the world puts both pages under one); a clean one after both.',
  policy: { mremapFlush: 'dirty-under-ptl' },
  fixedBy: 'mremap',
  // Runs to the first noAccessToFreedFrame, seeds 1 to 6: 1,245, 1,788, 5,136, 1,162, 1,893, 1,315.
  randomRuns: 8000,
  violates: ['noAccessToFreedFrame'],
});
