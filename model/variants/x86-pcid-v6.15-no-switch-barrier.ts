// Historical bug, v6.15 to v6.18-rc1 (stable 6.17.y before 6.17.5): CVE-2025-40174, a race
// of memory order, not of program order; it needs a world with a store buffer (pcid-tso).
// switch_mm_irqs_off() writes LOADED_MM_SWITCHING and then reads next's tlb_gen; the
// flush bumps tlb_gen and then reads loaded_mm (should_flush_tlb()). Each side must see
// the other's store, which on x86 takes a full barrier between each side's store and load.
// The flush has one (atomic64_inc_return()); the switch had one only in
// cpumask_set_cpu(), which since 209954cbc7d0 ("x86/mm/tlb: Update mm_cpumask lazily")
// runs only when the CPU is not in mm_cpumask already. A CPU switching back to an mm it
// ran before can then read the old tlb_gen while its LOADED_MM_SWITCHING store still
// waits in its store buffer; a flush of that mm reads the old loaded_mm, skips the CPU,
// and the CPU runs on the entries its ASID kept. The reporter (Stephen Dolan, Jane
// Street) reproduced the bug on hardware with a fork() and copy-on-write test.
// Versions, checked against the kernel's history: the order store-then-load in the switch
// is be88a1dd6112's (v6.15-rc1), the IPI to a switching CPU fea4e317f9e7's (v6.15-rc6);
// 209954cbc7d0 is older (CVE-2025-40174 gives 6.14 as the first affected release, where
// the program order was the older one: x86-pcid-v6.14-switching-window). Fixed by Peter
// Zijlstra and Ingo Molnar, "x86/mm: Fix SMP ordering in switch_mm_irqs_off()", commit
// 83b0177a6c48 (x86/urgent, in v6.18-rc2; stable 0fe5e3f5fb75 in 6.17.5): an smp_mb()
// when cpumask_set_cpu() does not run. The twin is x86-pcid.
// Caught by noAccessAfterRevoke and noAccessToFreedFrame, in pcid-tso only: with every
// store seen at once (pcid) this kernel holds, which is why the race took a store buffer.
// Versions: v6.15 to v6.18-rc1 and stable 6.17.y before 6.17.5; fixed by 83b0177a6c48
// (v6.18-rc2).

import { defineVariant, X86 } from '../variant.js';
import { x86Pcid } from './x86-pcid.js';

export const x86PcidNoSwitchBarrier = defineVariant({
  id: 'x86-pcid-v6.15-no-switch-barrier',
  title: 'v6.15-v6.18-rc1: no barrier between the LOADED_MM_SWITCHING store and the tlb_gen read',
  source:
    'arch/x86/mm/tlb.c from v6.15 to 83b0177a6c48 (v6.18-rc2); CVE-2025-40174; Stephen Dolan, "x86/mm: Finishing off the fix for a should_flush_tlb race" (LKML, 2025-10-09)',
  base: x86Pcid,
  notes:
    "The store buffer holds the switch's cpu_tlbstate stores only (model/store-buffer.ts); the CR3 write, serialising, drains it before loaded_mm = next.",
  policy: { arch: { ...X86, switchMmBarrier: false } },
  world: 'pcid-tso',
  reaches: [...x86Pcid.reaches, 'flushWhileSwitchStoreBuffered'],
  fixedBy: 'x86-pcid',
  violates: ['noAccessAfterRevoke', 'noAccessToFreedFrame'],
});
