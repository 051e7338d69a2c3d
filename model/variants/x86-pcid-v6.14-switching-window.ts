// Historical bug, v6.14 (and the stable trees 6db2526c1d69 was backported to alone, before
// 5.15.183, 6.1.139, 6.6.91, 6.12.29, 6.14.7), CVE-2025-37964. 6db2526c1d69
// ("x86/mm/tlb: Only trim the mm_cpumask once a second", Rik van Riel, v6.14) turned
// tlb_is_not_lazy() into should_flush_tlb(), which sends a flush of an mm only to CPUs
// whose loaded_mm is that mm. switch_mm_irqs_off() reads next's tlb_gen first, writes
// LOADED_MM_SWITCHING just before load_new_mm_cr3(), and loaded_mm = next only after it:
// a flush whose tlb_gen bump comes after the read skips the CPU in both windows, and the
// CPU then runs user code on the entries its ASID kept. Here the thread on CPU 1 unmaps
// the page CPU 0 cached before it switched away, while CPU 0 switches back; CPU 0 then
// reads the freed frame.
// Caught by noAccessAfterRevoke and noAccessToFreedFrame.
// Fixed in mainline by two commits of v6.15: be88a1dd6112 moved the LOADED_MM_SWITCHING
// write before the tlb_gen read, and Dave Hansen's "x86/mm: Eliminate window where TLB
// flushes may be inadvertently skipped", commit fea4e317f9e7 (Reported-by: Stephen Dolan),
// sends the IPI to a CPU so marked. The twin, x86-pcid, has both; each alone is a variant
// of its own (x86-pcid-v6.15-rc5-switching-skipped, x86-pcid-stable-switching-after-tlb-gen).
// Versions: v6.14 (6db2526c1d69) and stables with 6db2526c1d69 alone, before 5.15.183,
// 6.1.139, 6.6.91, 6.12.29, 6.14.7; fixed in v6.15 (be88a1dd6112, fea4e317f9e7).

import { defineVariant, X86 } from '../variant.js';
import { x86Pcid } from './x86-pcid.js';

export const x86PcidV614 = defineVariant({
  id: 'x86-pcid-v6.14-switching-window',
  title: 'v6.14: should_flush_tlb() skips a CPU in the middle of switch_mm_irqs_off()',
  source: 'arch/x86/mm/tlb.c from 6db2526c1d69 (v6.14) to fea4e317f9e7 (v6.15); CVE-2025-37964',
  base: x86Pcid,
  notes:
    'loaded_mm still names the old mm from the tlb_gen read to load_new_mm_cr3(), and is LOADED_MM_SWITCHING from there to its write: should_flush_tlb() passes the CPU over in both.',
  policy: { arch: { ...X86, ipiSwitchingCpus: false, switchingBeforeTlbGen: false } },
  fixedBy: 'x86-pcid',
  violates: ['noAccessAfterRevoke', 'noAccessToFreedFrame'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): CVE-2025-37964 (tiny-
// pcid): the older order opens a window before LOADED_MM_SWITCHING is written, one step
// sooner to reach than the one after it
