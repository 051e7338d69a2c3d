// Historical bug, v3.15 to v4.12: two zaps of one mm may run at once (madvise()'s
// MADV_DONTNEED or MADV_FREE under mmap_lock for read, or a hole punched through the
// file's i_mmap, which finds the VMA of a munmap() that has zapped it but not yet unlinked
// it in free_pgtables()). The first clears the PTE and gathers its flush; the second finds
// the PTE already none, gathers nothing, flushes nothing in tlb_finish_mmu() and returns
// while another CPU still caches the page: after the hole punch returned, a load through
// that entry still reads the truncated page (noAccessAfterRevoke, 9 steps). (The other
// order cannot race: unmap_mapping_range() flushes each VMA under i_mmap_rwsem, which
// munmap()'s unlink waits for.)
// Fixed by Minchan Kim, "mm: fix MADV_[FREE|DONTNEED] TLB flush miss problem", commit
// 99baac21e458 (v4.13, 2017): tlb_finish_mmu() flushes the whole mm when
// mm_tlb_flush_nested() says another zap of it is in flight (Policy.nestedFlush).
// Those kernels also zapped a dirty shared PTE with page_remove_rmap() before its flush
// (1cf35d47712d to 5df397dec7c4), so this variant is built on
// shared-file-v6.1-rmap-before-flush and breaks what that one breaks too; the twin that
// holds everything is shared-file, which has both fixes.
// Versions: v3.15 to v4.12 (1cf35d47712d's zap; 99baac21e458, v4.13, fixed it). munmap()
// held mmap_sem for write to the end then (dd2283f2605e, v4.20): munmapZapLock 'write'.

import { defineVariant } from '../variant.js';
import { sharedFileV61 } from './shared-file-v6.1-rmap-before-flush.js';

export const sharedFileV412 = defineVariant({
  id: 'shared-file-v4.12-nested-flush-miss',
  title: 'v4.12: a zap that finds the PTE already cleared by a racing zap flushes nothing',
  source: 'mm/memory.c tlb_finish_mmu() before 99baac21e458 (v3.15-v4.12); fixed in v4.13',
  base: sharedFileV61,
  notes:
    'No mm_tlb_flush_nested(): tlb_finish_mmu() flushes only what its own zap cleared. The dirty shared PTE is zapped rmap first, as from v3.15 to v6.1.',
  policy: { nestedFlush: false, munmapZapLock: 'write' },
  world: 'tiny-shared-file',
  fixedBy: 'shared-file',
  violates: ['noAccessAfterRevoke', 'noLostWrite', 'dirtyNeverDroppedClean', 'loadsSeeLastStore'],
});
