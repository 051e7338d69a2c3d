// Historical bug, arm64 v6.6 to v6.15: arch_flush_tlb_batched_pending() was dsb(ish). A DSB
// waits only for the TLBIs the calling CPU issued; when mprotect(), munmap() or madvise()
// runs on another CPU than the reclaim that deferred the flush, it clears
// mm->tlb_flush_batched, changes nothing (the PTE is already gone) and returns while the
// reclaim's TLBI may not have completed: a CPU still uses the entry the call revoked.
// Caught by noAccessAfterRevoke, loadsSeeLastStore and noLostWrite, as v4.12 was; the stale
// entry is on the caller's own CPU. (loadsSeeLastStore asks what a load would return from
// each TLB, so its 7-step witness uses the reclaiming CPU's entry, which a real access there
// would find completed by the context switch's DSB; the caller's CPU breaks it one step later.)
// Barry Song had warned of it on an earlier version ("There is no guarantee the cpu calling
// flush_tlb_batched_pending is exactly the cpu sending the deferred tlbi. so the solution
// is unsafe", linux-mm, 2022-07-14). Fixed by Ryan Roberts, "arm64/mm: Close theoretical
// race where stale TLB entry remains valid", commit 4b634918384c (2025): flush_tlb_mm().
// Versions, checked against the kernel's history (2026-12-06): 43b3dfdd0455 ("arm64:
// support batched/deferred tlb shootdown during page reclamation/migration") came in the
// v6.6 merge window (August 2023); 4b634918384c went in through arm64's for-next/core for
// v6.16-rc1 with "Cc: stable" and "Fixes: 43b3dfdd0455", and was taken into 6.15.y.
// Versions: arm64, v6.6 to v6.15 (43b3dfdd0455 to 4b634918384c, v6.16-rc1; 6.15.y has it).

import { ARM64, defineVariant } from '../variant.js';
import { reclaimBatchedDirtyArm64 } from './reclaim-batched-dirty-arm64.js';

export const reclaimBatchedDirtyArm64V66 = defineVariant({
  id: 'reclaim-batched-dirty-arm64-v6.6-dsb-batched-pending',
  title: 'arm64 v6.6: flush_tlb_batched_pending() only waits for this CPU’s TLBIs',
  source: 'arch/arm64/include/asm/tlbflush.h before 4b634918384c (v6.6-v6.15)',
  base: reclaimBatchedDirtyArm64,
  notes: 'A DSB completes the TLBIs of the CPU that executes it, not those of another CPU.',
  policy: { arch: { ...ARM64, batchedPendingDsbOnly: true } },
  // The one-page world: the random engine needs fewer runs there (noLostWrite, six seeds:
  // median about 3,500 runs against 11,000 in 'syscalls').
  world: 'tiny-syscalls',
  fixedBy: 'reclaim-batched-dirty-arm64',
  violates: ['noAccessAfterRevoke', 'loadsSeeLastStore', 'noLostWrite'],
  // The lost write needs the stale entry on the caller's CPU and no access on the reclaiming
  // CPU (whose context switch would complete the TLBIs): seed 1 finds it in run 7,624.
  randomRuns: 10_000,
});
