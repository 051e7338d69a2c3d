// CVE-2022-39188 was x86's (and s390's, powerpc's, sparc's), not arm64's: the same v5.18
// munmap() of a VM_PFNMAP mapping, on an architecture whose tlb_end_vma() is the generic
// one, which flushes each VMA's range as unmap_vmas() finishes with it. The flush then
// comes before free_pgtables() unlinks the VMA from the file's i_mmap, so a driver's
// unmap_mapping_range() either finds the VMA or finds its range flushed already. A
// correct protocol: the twin of pfnmap-v5.18-unlink-before-flush with only the arch changed.
// Versions: arm64, v4.20 to v5.18 (before v4.20 munmap() held mmap_sem for write to the
// end, dd2283f2605e). arm64's own tlb_end_vma() flushed too (arch/arm64/include/asm/tlb.h,
// "if (!tlb->fullmm) tlb_flush(tlb)"), and since Will Deacon's move to the generic
// mmu_gather in v4.20 the generic one does; it never selected MMU_GATHER_MERGE_VMAS (v6.0).
// No batched reclaim flush yet on arm64 (43b3dfdd0455, v6.6), and this world has no
// reclaim, so the arch is ARM64 with the default IPI flush in place of broadcast TLBIs.

import { ARM64, defineVariant } from '../variant.js';
import { pfnmapV518 } from './pfnmap-v5.18-unlink-before-flush.js';

export const pfnmapArm64V518 = defineVariant({
  id: 'pfnmap-arm64-v5.18-flush-at-vma-end',
  title:
    'v5.18 on arm64: munmap() of a VM_PFNMAP mapping flushes in tlb_end_vma(), before it unlinks the VMA',
  source:
    'include/asm-generic/tlb.h tlb_end_vma() before b67fbebd4cf9 (v5.19), which arm64 uses; arch/x86/include/asm/tlb.h made it empty on x86',
  base: pfnmapV518,
  notes:
    "Only the arch differs from pfnmap-v5.18-unlink-before-flush: tlb_end_vma() flushes each VMA's range, so the driver's walk of i_mmap never misses a CPU that still caches the memory.",
  policy: { arch: { ...ARM64, tlbi: 'ipi' } },
  world: 'tiny-pfnmap',
  reaches: ['deviceMemoryFreedDuringMunmap'],
  violates: [],
});
