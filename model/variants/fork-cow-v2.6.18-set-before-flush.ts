// Historical bug, 2.6.18 and before: do_wp_page() installed the copy with ptep_establish(),
// which sets the new PTE and only then flushes the old one. In between, a thread on one CPU
// may load the new PTE into its TLB and store to the copy while a thread on another CPU
// still reads the old folio through its read-only entry. Suresh Siddha found it with one
// CPU's two TLBs: self-modifying code stored through the DTLB into the copy while the ITLB
// still fetched the old page; the model has one TLB per CPU, so the two TLBs are two CPUs
// here (three threads of the parent in all, one of them in the fault).
// Caught by loadsSeeLastStore.
// Fixed by "mm: fix a race condition under SMC + COW" (Suresh Siddha, September 2006, in
// 2.6.19 and the 2.6.18 stable series): ptep_clear_flush() first, then set_pte_at(); the
// comment it left is still in wp_page_copy(). The twin, fork-cow, has that order.
// Versions: 2.6.18 and earlier (the start not verified against the history); fixed in 2.6.19
// and in the 2.6.18 stable series (review patch on 2.6.18.1, 2006-10-31).

import { defineVariant } from '../variant.js';
import { forkCow } from './fork-cow.js';

export const forkCowV2618 = defineVariant({
  id: 'fork-cow-v2.6.18-set-before-flush',
  title: '2.6.18: wp_page_copy() sets the new PTE before it flushes the old one',
  source:
    'mm/memory.c do_wp_page() until 2.6.18 (ptep_establish()); Suresh Siddha, "[patch] mm: fix a race condition under SMC + COW", linux-kernel, 2006-09-27, <20060927151507.A12423@unix-os.sc.intel.com>',
  base: forkCow,
  notes:
    'set_pte_at() of the copy is one step and flush_tlb_page() of the old PTE the next, both under the PTL; a CPU that walks in between loads the new PTE while another still caches the old.',
  policy: { wpCopySetBeforeFlush: true },
  world: 'fork-cow-three-cpus',
  fixedBy: 'fork-cow',
  violates: ['loadsSeeLastStore'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): fork-cow-three-cpus:
// CPU 2 stores through the new PTE before the flush reaches CPU 0
