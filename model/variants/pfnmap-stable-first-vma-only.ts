// Historical bug, the first stable backports of b67fbebd4cf9 (CVE-2022-39188) to 4.9.y to
// 5.15.y: written for those trees by Jann Horn as a flush in unmap_region() before
// free_pgtables(), it looked only at vma, the first VMA of the munmap()'s list. A munmap()
// of an ordinary mapping followed by a VM_PFNMAP one therefore unlinked the PFNMAP VMA
// from i_mmap with its flush still to come, and the driver's unmap_mapping_range() could
// miss it and free the memory a CPU still caches (noAccessToFreedFrame, 9 steps), and a
// store through the entry is lost with it (noLostWrite, 11), as before the fix.
// Hugh Dickins pointed it out; fixed by Jann Horn, "mm: Fix TLB flush for not-first PFNMAP
// mappings in unmap_region()" (stable-only, September 2022: 5.15.69, 5.10.144, 4.19.259,
// 4.14.294), which checks every VMA of the list. Mainline never had it: b67fbebd4cf9 flushes
// in tlb_end_vma(), for each VMA.
// Versions: 5.4.y to 5.15.y between the backport and the fixup (the 4.x trees had it too,
// with munmap() holding mmap_sem for write to the end: munmapZapLock 'write', which this
// variant does not set). The first VMA is the page at the lowest address of the call.

import { defineVariant } from '../variant.js';
import { sharedFile } from './shared-file.js';

export const pfnmapStableFirstVma = defineVariant({
  id: 'pfnmap-stable-first-vma-only',
  title: 'stable 5.15.y before 5.15.69: munmap() flushes before unlinking only if its first VMA is VM_PFNMAP',
  source:
    'mm/mmap.c unmap_region() in the stable backports of b67fbebd4cf9, before "mm: Fix TLB flush for not-first PFNMAP mappings in unmap_region()" (Jann Horn, September 2022)',
  base: sharedFile,
  notes:
    "unmap_region() checks vma->vm_flags for VM_PFNMAP, but vma is only the first VMA of the call: a munmap() whose PFNMAP VMA comes second unlinks it before its flush, and a driver's unmap_mapping_range() in between frees memory a CPU still caches.",
  policy: { pfnmapFlushBeforeUnlink: 'first-vma' },
  reaches: [],
  world: 'pfnmap-two-vmas',
  fixedBy: 'shared-file',
  violates: ['noAccessToFreedFrame', 'noLostWrite'],
  // (the random engine's first lost store, seed 1, is run 7,258)
  randomRuns: 12000,
});
