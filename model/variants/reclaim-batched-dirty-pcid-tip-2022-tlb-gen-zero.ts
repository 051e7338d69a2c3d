// Historical bug, tip x86/mm in July 2022 (before v6.0-rc1). aa44284960d5 ("x86/mm/tlb:
// Avoid reading mm_tlb_gen when possible", Nadav Amit) made flush_tlb_func() return early
// when f->new_tlb_gen <= local_tlb_gen. arch_tlbbatch_flush() filled new_tlb_gen with 0,
// so every batched flush read as one already done: "As a result, try_to_unmap_one() would
// not perform any TLB flushes." Reclaim then frees a frame other CPUs still cache.
// Caught by noAccessToFreedFrame and loadsSeeLastStore.
// Reported by Hugh Dickins; fixed by Nadav Amit, "x86/mm/tlb: Ignore f->new_tlb_gen when
// zero", commit 8f1d56f64f8d (tip x86/mm, 2022-07-19), which names 0
// TLB_GENERATION_INVALID and skips only a valid generation. The twin is
// reclaim-batched-dirty-pcid.
// Versions: none released: tip x86/mm from aa44284960d5 to 8f1d56f64f8d (July 2022, before
// v6.0-rc1).

import { defineVariant, X86 } from '../variant.js';
import { reclaimBatchedDirtyPcid } from './reclaim-batched-dirty-pcid.js';

export const reclaimBatchedDirtyPcidGenZero = defineVariant({
  id: 'reclaim-batched-dirty-pcid-tip-2022-tlb-gen-zero',
  title: 'tip 2022: flush_tlb_func() takes the batched flush (new_tlb_gen 0) as done',
  source: 'arch/x86/mm/tlb.c from aa44284960d5 to 8f1d56f64f8d (tip x86/mm, July 2022)',
  base: reclaimBatchedDirtyPcid,
  notes: 'The flush_tlb_kernel_range() half of the same mistake is not modelled (no kernel mappings).',
  policy: { arch: { ...X86, batchFlushTlbGenZero: true } },
  fixedBy: 'reclaim-batched-dirty-pcid',
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore'],
});
