// Historical bug, CVE-2022-39188 (Jann Horn's report): munmap() of a VM_PFNMAP mapping
// zaps its PTEs in unmap_vmas(), and on x86 tlb_end_vma() did nothing, so the flush waited
// for tlb_finish_mmu(), after free_pgtables() had unlinked the VMA from the file's i_mmap
// (unlink_file_vma()). A driver revoking the memory meanwhile (unmap_mapping_range(), then
// the free) walks i_mmap, no longer finds this mm, flushes nothing, and frees memory a CPU
// of the mm still caches: the mmu_gather holds no reference, since the memory has no
// struct page. The entry now leads to a freed frame (noAccessToFreedFrame, 8 steps), and
// a store through it lands in the freed memory and is lost (noLostWrite, 10;
// loadsSeeLastStore, 13, once the page is mapped again).
// Fixed by Peter Zijlstra, "mmu_gather: Force tlb-flush VM_PFNMAP vmas", commit
// b67fbebd4cf9 (v5.19, merged after -rc8; stable: 895428ee124a, "mm: Force TLB flush for PFNMAP mappings before
// unlink_file_vma()"): tlb_end_vma() flushes a PFNMAP VMA's range before free_pgtables();
// Roman Gushchin's "mmu_gather: move tlb flush for VM_PFNMAP/VM_MIXEDMAP vmas into
// free_pgtables()" (2025) moved that flush to tlb_free_vma(), just before the unlink
// (Policy.pfnmapFlushBeforeUnlink, default true, covers both).
// Versions: x86, v4.20 to v5.18. The order in unmap_region() (unmap_vmas(), free_pgtables(),
// tlb_finish_mmu()) and x86's empty tlb_end_vma() are older still, but before v4.20 munmap()
// held mmap_sem for write to the end (munmapZapLock 'write', dd2283f2605e), which this
// variant does not set; the shared-file switches it inherits are today's, which in a
// VM_PFNMAP world change nothing (no dirty page to force-flush, no writeback, no rmap).

import { defineVariant } from '../variant.js';
import { sharedFile } from './shared-file.js';

export const pfnmapV518 = defineVariant({
  id: 'pfnmap-v5.18-unlink-before-flush',
  title: 'v5.18 on x86: munmap() of a VM_PFNMAP mapping unlinks its VMA from i_mmap before it flushes',
  source:
    'include/asm-generic/tlb.h and arch/x86/include/asm/tlb.h before b67fbebd4cf9 ("mmu_gather: Force tlb-flush VM_PFNMAP vmas", v5.19; CVE-2022-39188)',
  base: sharedFile,
  notes:
    "x86's tlb_end_vma() is empty, so munmap()'s flush waits for tlb_finish_mmu(), after free_pgtables() has unlinked the VMA: a driver's unmap_mapping_range() in between finds no VMA of this mm, flushes nothing, and frees memory the mm's CPUs still cache.",
  policy: { pfnmapFlushBeforeUnlink: false },
  world: 'tiny-pfnmap',
  fixedBy: 'shared-file',
  reaches: [],
  violates: ['noAccessToFreedFrame', 'noLostWrite', 'loadsSeeLastStore'],
});
