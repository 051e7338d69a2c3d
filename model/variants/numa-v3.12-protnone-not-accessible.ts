// Historical bug, v3.8 to v3.12: pte_accessible() was only _PAGE_PRESENT, so
// ptep_clear_flush() did not flush a NUMA hinting PTE (_PAGE_NUMA, PROT_NONE to the CPU),
// which "mm: Only flush the TLB when clearing an accessible pte" (Rik van Riel, v3.8) let it
// skip. But change_prot_numa() (then change_protection_range() from task_numa_work(), under
// mmap_sem for read) flushes only at its end: a thread's hinting fault migrates the folio
// in between, copies it and remaps the page while another CPU still caches it writable and
// stores into the source. Fixed by 20841405940e (v3.13), which added mm->tlb_flush_pending
// and made pte_accessible() true for such a PTE while it is set.
// Versions: v3.8 to v3.12 (balancenuma, merged in v3.8, to 20841405940e, v3.13; stable 3.10.28).

import { defineVariant, X86 } from '../variant.js';
import { numaHinting } from './numa-hinting.js';

export const numaV312 = defineVariant({
  id: 'numa-v3.12-protnone-not-accessible',
  title: 'v3.12: migration does not flush a NUMA hinting PTE whose flush change_prot_numa() still owes',
  source: 'pte_accessible() from v3.8 to 20841405940e (v3.13)',
  base: numaHinting,
  notes:
    'Only a present PTE counts as cached, so the migration neither flushes nor defers a flush of the PROT_NONE one.',
  policy: { arch: { ...X86, protnoneAccessible: 'never' } },
  fixedBy: 'numa-hinting',
  // the random engine (seed 1) finds the lost write in run 447 of 2,000 and the stale
  // writable entry in run 1,583, the isolation after the PTL being a step of its own:
  // twice the default for a margin
  randomRuns: 4000,
  violates: ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore', 'noAccessToFreedFrame'],
});
