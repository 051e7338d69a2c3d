// mremap: move_ptes() moves each PTE under the old and the new PTL and, for a present one,
// flushes the old address before it drops them (force_flush), so when reclaim or migration
// finds the folio at its new address no CPU still reaches it through the old one.
// Linus Torvalds, "mremap: properly flush TLB before releasing the page", eb66ae030829
// (October 2018, CVE-2018-18281, reported by Jann Horn): the page's lifetime is guarded by
// the page-table locks, not by a list of pages freed after the flush, so the flush must come
// before the new PTL is released. Reclaim and migration are reclaim-batched-dirty's, whose
// migration flushes each page it unmaps at once (ptep_clear_flush(), before 7e12beb8ca2a).
// Abstracts: one page per call, onto an unmapped page (no MREMAP_FIXED over a mapping, no
// growing or shrinking), anonymous memory only; move_normal_pmd() and PMD/PUD moves.
// Versions: mm/mremap.c of v4.19 to v6.18 (eb66ae030829, v4.19; stable 4.9.135, 4.14.78,
// 4.18.16, per Jann Horn's oss-security post of 2018-10-29), with the migration of v4.13 to
// v6.2 (per page; batched since 7e12beb8ca2a, v6.3, whose full flush also empties the old
// address on x86, so neither mremap bug shows with it: test/model/mremap.test.ts).
// flush_tlb_batched_pending() in move_ptes() since 3ea277194daa (v4.13).

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const mremap = defineVariant({
  id: 'mremap',
  title: 'mremap() flushes the old address before dropping the PTLs',
  source:
    'mm/mremap.c move_ptes() since eb66ae030829 ("mremap: properly flush TLB before releasing the page", 2018)',
  base: reclaimBatchedDirty,
  notes:
    'The folio is found by rmap at its new address as soon as move_ptes() drops the new PTL; a flush made after that comes too late.',
  policy: { mremapFlush: 'under-ptl' },
  world: 'mremap',
  reaches: ['pageReclaimed', 'pageMigrated', 'cachedPageMoved', 'loadThroughStaleEntry'],
});
