// Historical bug, v6.15-rc1 to v6.15-rc5: CVE-2025-37964 as its fix describes it. By
// then be88a1dd6112 ("x86/mm: Handle global ASID context switch and TLB flush", Rik van
// Riel) had moved the write of LOADED_MM_SWITCHING before the read of next's tlb_gen,
// but should_flush_tlb() still sent a flush of an mm only to CPUs whose loaded_mm was
// that mm (6db2526c1d69). From the tlb_gen read to the write of loaded_mm = next, a flush
// whose tlb_gen bump came after the read skipped the CPU, which then ran user code on the
// entries its ASID kept: "should_flush_tlb() will suppress TLB flushes between
// load_new_mm_cr3() and writing to 'loaded_mm', which is a window where they should not
// be suppressed."
// Caught by noAccessAfterRevoke and noAccessToFreedFrame.
// Fixed by Dave Hansen, "x86/mm: Eliminate window where TLB flushes may be inadvertently
// skipped", commit fea4e317f9e7 (v6.15-rc6, May 2025; Reported-by: Stephen Dolan): a CPU
// whose loaded_mm is LOADED_MM_SWITCHING gets the IPI. The twin is x86-pcid.
// Versions: v6.15-rc1 to v6.15-rc5 (be88a1dd6112 without fea4e317f9e7, v6.15-rc6).

import { defineVariant, X86 } from '../variant.js';
import { x86Pcid } from './x86-pcid.js';

export const x86PcidV615rc5 = defineVariant({
  id: 'x86-pcid-v6.15-rc5-switching-skipped',
  title: 'v6.15-rc5: should_flush_tlb() skips a CPU whose loaded_mm is LOADED_MM_SWITCHING',
  source: 'arch/x86/mm/tlb.c from be88a1dd6112 (v6.15-rc1) to fea4e317f9e7 (v6.15-rc6); CVE-2025-37964',
  base: x86Pcid,
  notes: 'The one line the fix adds: if (loaded_mm == LOADED_MM_SWITCHING) return true.',
  policy: { arch: { ...X86, ipiSwitchingCpus: false } },
  fixedBy: 'x86-pcid',
  violates: ['noAccessAfterRevoke', 'noAccessToFreedFrame'],
});
