// reclaim-batched-dirty on arm64: try_to_unmap_one() issues a broadcast TLBI for each page
// at once (arch_tlbbatch_add_pending(), no wait) and try_to_unmap_flush() is a DSB on the
// reclaiming CPU that waits for all of them (arch_tlbbatch_flush()): the same window as
// x86, with no IPIs. flush_tlb_batched_pending() flushes the whole mm, as 4b634918384c
// made it (a DSB on another CPU cannot complete this CPU's TLBIs). A user thread on the
// reclaiming CPU runs only after a context switch, whose dsb(ish) in __switch_to()
// completes the TLBIs in flight; the model applies it before that thread's access.
// Barry Song and Yicong Yang, "arm64: support batched/deferred tlb shootdown during page
// reclamation/migration", commit 43b3dfdd0455 (v6.6).
// Memory order: sequentially consistent here, which arm64 is not; argued, not searched, to
// change nothing (README, "x86's store buffer"): __flush_tlb_page_nosync()'s dsb(ishst)
// completes the PTE's clear before the TLBI and before set_tlb_ubc_flush_pending()'s
// relaxed atomic_inc() of mm->tlb_flush_batched, which flush_tlb_batched_pending() reads
// under the PTL of the PTEs it is about; no per-CPU variable is raced on.
// Versions: arm64, v6.16 to v6.18 and 6.15.y (4b634918384c on 43b3dfdd0455, v6.6); reclaim's
// order as in reclaim-batched-dirty.

import { ARM64, defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyArm64 = defineVariant({
  id: 'reclaim-batched-dirty-arm64',
  title: 'Batched reclaim flush on arm64: broadcast TLBIs at unmap, one DSB at the end',
  source: 'commit 43b3dfdd0455 (v6.6) with 4b634918384c',
  base: reclaimBatchedDirty,
  notes: 'Hardware dirty-bit management (DBM) is assumed to fault on a cleared PTE, as x86 does.',
  policy: { arch: ARM64 },
  world: 'syscalls',
});
