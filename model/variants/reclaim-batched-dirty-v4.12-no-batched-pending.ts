// Historical bug, v4.3 to v4.12: reclaim defers its flush (tlb_ubc), but mprotect(),
// munmap() and madvise(MADV_DONTNEED) change PTEs of the same mm without knowing a flush
// is owed. They find the PTE reclaim already cleared, flush nothing, and return while a
// remote CPU still caches the old entry: a thread writes a page after mprotect(PROT_READ)
// returned, or after MADV_DONTNEED it reads the discarded contents, or its store is lost.
// Caught by noAccessAfterRevoke, loadsSeeLastStore and noLostWrite.
// Fixed by Mel Gorman, "mm, mprotect: flush TLB if potentially racing with a parallel
// reclaim leaving stale TLB entries", commit 3ea277194daa (v4.13, 2017): the twin,
// reclaim-batched-dirty, calls flush_tlb_batched_pending() under the PTL first. The same
// commit put it in mremap()'s move_ptes() too, whose race test/model/mremap.test.ts shows.
// Versions: v4.3 to v4.12 (d950c9477d51 to 3ea277194daa, v4.13). munmap() held mmap_sem
// for write to the end then (dd2283f2605e, v4.20): munmapZapLock 'write'.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyV412 = defineVariant({
  id: 'reclaim-batched-dirty-v4.12-no-batched-pending',
  title: 'v4.12: system calls ignore the flush reclaim deferred',
  source: 'mm/mprotect.c, mm/memory.c before 3ea277194daa (v4.3-v4.12); fixed in v4.13',
  base: reclaimBatchedDirty,
  notes: 'mm->tlb_flush_batched is set but nothing reads it: no flush_tlb_batched_pending().',
  policy: { flushBatchedPending: false, munmapZapLock: 'write' },
  world: 'syscalls',
  fixedBy: 'reclaim-batched-dirty',
  violates: ['noAccessAfterRevoke', 'loadsSeeLastStore', 'noLostWrite'],
});
