// fork-cow: fork() with the child modelled, and the copy-on-write faults that follow, as
// kernel/fork.c and mm/memory.c have them since v6.5. dup_mmap() holds the parent's
// mmap_lock for write and write-locks each of its VMAs (vma_start_write(), fb49c455323f),
// so no page fault in the parent runs while copy_present_pte() write-protects the parent's
// PTEs and shares each folio with the child; its one flush_tlb_mm() of the parent comes
// before fork() returns. A write fault on a shared folio then copies it in
// wp_page_copy(): the copy is made outside the PTL, and under it ptep_clear_flush()
// clears and flushes the old PTE on every CPU of the mm before set_pte_at() installs the
// copy (mm/memory.c: "This code used to set the new PTE then flush TLBs, but that left a
// window where the new PTE could be loaded into some TLBs while the old PTE remains in
// others").
// Abstracts: the child's page table is copied page by page under the parent's PTL in the
// same step as the parent's write-protect; reclaim and migration do not take a folio fork()
// shared (the model's batches unmap one mapping per folio); GUP and the kernel's direct-map
// writes do not touch a shared folio (FOLL_UNSHARE would copy it first); no KSM, no THP.
// Versions: v6.5 to v6.18 (fb49c455323f, committed 2023-07-08, in v6.5-rc1).

import { defineVariant } from '../variant.js';

export const forkCow = defineVariant({
  id: 'fork-cow',
  title: 'fork() with copy-on-write: the child shares each folio until a write fault copies it',
  source:
    'kernel/fork.c dup_mmap() and mm/memory.c wp_page_copy() since v6.5 (Suren Baghdasaryan, "fork: lock VMAs of the parent process when forking", commit fb49c455323f, July 2023)',
  notes:
    'No reclaim or migration: fork() write-protects the parent under its PTLs and flushes once at its end; a write fault on a shared folio copies it, then flushes the old PTE before it sets the new one.',
  policy: { reclaim: null, migrate: null },
  reaches: ['pageSharedCopyOnWrite', 'copyOnWriteWhileCached'],
  world: 'fork-cow',
});
