// Historical bug, v2.6.22 to v4.12: two threads madvise(MADV_DONTNEED) one page at once,
// each holding mmap_sem only for read (Nick Piggin, "mm: madvise avoid exclusive
// mmap_sem", 0a27a14a6292, v2.6.22). The first clears the PTE and gathers its flush; the
// second finds the PTE already none, gathers nothing, flushes nothing in tlb_finish_mmu()
// and returns while another CPU still caches the page: after madvise() returned, a load
// there still reads what the call discarded (Nadav Amit's report, with an anonymous
// MAP_PRIVATE reproducer; Mel Gorman's first fix, 4647706ebeee, was later reverted).
// The anonymous twin of shared-file-v4.12-nested-flush-miss, found only when each call is
// judged from its own return (Config.perCallPromises, world two-zaps): judged per page,
// the data invariants exempt the page while the first zap still runs, and its flush ends
// the window before it returns. Fixed by Minchan Kim, "mm: fix MADV_[FREE|DONTNEED] TLB
// flush miss problem", 99baac21e458 (v4.13): tlb_finish_mmu() flushes the whole range when
// mm_tlb_flush_nested() says another zap of the mm is in flight (Policy.nestedFlush).
// Versions: v2.6.22 to v4.12 (99baac21e458, v4.13, fixed it). munmap() took mmap_sem for
// write to the end then (it zaps under the read lock since dd2283f2605e, v4.20):
// munmapZapLock 'write'.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const madviseV412 = defineVariant({
  id: 'madvise-v4.12-nested-flush-miss',
  title: 'v4.12: a MADV_DONTNEED that finds the PTE already cleared by a racing zap returns before its flush',
  source: 'mm/memory.c tlb_finish_mmu() before 99baac21e458 (v4.13)',
  base: reclaimBatchedDirty,
  notes:
    'No mm_tlb_flush_nested(): tlb_finish_mmu() flushes only what its own zap gathered, so a call whose PTE a racing zap cleared returns with the page still cached.',
  policy: { nestedFlush: false, munmapZapLock: 'write' },
  world: 'two-zaps',
  reaches: [],
  fixedBy: 'reclaim-batched-dirty',
  violates: ['noAccessAfterRevoke'],
});
