// reclaim-batched-dirty on x86 with PCID and lazy TLB: the batched flush of reclaim meets
// the CPUs that should_flush_tlb() passes over. arch_tlbbatch_add_pending() bumps the mm's
// tlb_gen as it adds the mm's CPUs to the batch (since f39681ed0f48, Andy Lutomirski,
// "x86/mm: Give each mm TLB flush generation a unique ID", v4.14), and
// arch_tlbbatch_flush() sends a flush of no mm in particular to every CPU of the batch
// that is not lazy; a lazy CPU, or one that has switched to another mm, keeps the entry
// behind the mm's ASID and flushes it when it loads the mm again, because its tlb_gen for
// the mm is behind.
// Only reclaim runs, in pcid-reclaim, whose CPUs run kernel threads lazily.
// Versions: the tlb_gen bump since f39681ed0f48 (v4.14) to v6.18; since which release the
// batched flush skips lazy CPUs is not verified against the history.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyPcid = defineVariant({
  id: 'reclaim-batched-dirty-pcid',
  title: 'Batched reclaim on x86 with PCID: skipped CPUs catch up through tlb_gen',
  source:
    'mm/rmap.c with arch/x86 since f39681ed0f48 (v4.14): arch_tlbbatch_add_pending() calls inc_mm_tlb_gen()',
  base: reclaimBatchedDirty,
  notes: 'The batched flush is arch_tlbbatch_flush(): its flush_tlb_info has no mm and no new_tlb_gen.',
  policy: { migrate: null },
  // (a CPU that switched to another mm is skipped too; pcid-reclaim has one mm, to stay small)
  reaches: ['pageReclaimed', 'staleEntryWhileFlushDeferred', 'staleEntryWhileLazy'],
  world: 'pcid-reclaim',
});
