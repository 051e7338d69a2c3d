// Seeded bug: arch_tlbbatch_add_pending() adds the mm's CPUs to the batch but does not
// bump the mm's tlb_gen. The batched flush skips a lazy CPU (should_flush_tlb()), which
// then leaves lazy mode, finds its tlb_gen for the mm current, flushes nothing, and runs
// user code on an entry to the frame reclaim has freed. Why f39681ed0f48 put
// inc_mm_tlb_gen() there.
// Caught by noAccessToFreedFrame and loadsSeeLastStore.
// Versions: none (a seeded bug on reclaim-batched-dirty-pcid's kernel; its versions there).

import { defineVariant, X86 } from '../variant.js';
import { reclaimBatchedDirtyPcid } from './reclaim-batched-dirty-pcid.js';

export const reclaimBatchedDirtyPcidNoBump = defineVariant({
  id: 'reclaim-batched-dirty-pcid-wrong-no-tlb-gen-bump',
  title: 'arch_tlbbatch_add_pending() without inc_mm_tlb_gen()',
  source: 'seeded: the line f39681ed0f48 added to what is now arch_tlbbatch_add_pending(), taken out',
  base: reclaimBatchedDirtyPcid,
  policy: { arch: { ...X86, batchBumpsTlbGen: false } },
  fixedBy: 'reclaim-batched-dirty-pcid',
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): pcid-reclaim: the lazy
// CPU returns and reads the freed frame, then the page's new contents elsewhere
