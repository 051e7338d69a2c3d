// x86-pcid: context switches with PCID and lazy TLB, as arch/x86/mm/tlb.c has them since
// v6.15. A CPU keeps each mm's entries under its own ASID; a flush of one mm bumps the
// mm's tlb_gen and sends IPIs only where should_flush_tlb() says (not to lazy CPUs nor to
// CPUs running another mm), and a CPU that missed one catches up when it loads the mm
// again, by comparing tlb_gen. switch_mm_irqs_off() marks loaded_mm LOADED_MM_SWITCHING
// before it reads tlb_gen (be88a1dd6112), and should_flush_tlb() sends the IPI to a CPU so
// marked (fea4e317f9e7), so a flush that bumps tlb_gen after the read reaches the CPU.
// Versions, checked against the kernel's history (2026-12-06): be88a1dd6112 ("x86/mm:
// Handle global ASID context switch and TLB flush", Rik van Riel, tip x86/core 2025-03-19)
// moved the LOADED_MM_SWITCHING write above the atomic64_read() of next->context.tlb_gen
// and was merged for v6.15-rc1; fea4e317f9e7 was merged after the modules-6.15-rc6 tag,
// so both are in v6.15 and later. fea4e317f9e7 alone was backported to the stable series
// (5.15.y and 6.6.y review patches; CVE-2025-37964), where the older order stays: that
// kernel is x86-pcid-stable-switching-after-tlb-gen.
// In a world with a store buffer (pcid-tso) it has 83b0177a6c48's smp_mb() between the
// LOADED_MM_SWITCHING store and the tlb_gen read (policy.arch.switchMmBarrier, default),
// so there it is v6.18-rc2 on (stable 6.17.5 on); without that barrier it is
// x86-pcid-v6.15-no-switch-barrier. Where stores are seen at once (pcid) it stands for
// every kernel since v6.15.
// Abstracts: ASID reuse (every mm keeps its ASID), INVLPGB, the mm_cpumask trim, freed
// page tables (freed_tables IPIs even lazy CPUs), and any store buffer but the switch's
// (model/store-buffer.ts).
// Versions: v6.15 and later (be88a1dd6112, fea4e317f9e7); in pcid-tso, v6.18-rc2 and later
// and stable 6.17.5 on (83b0177a6c48).

import { defineVariant } from '../variant.js';

export const x86Pcid = defineVariant({
  id: 'x86-pcid',
  title: 'x86 with PCID: lazy TLB, tlb_gen, and IPIs to switching CPUs',
  source:
    'arch/x86/mm/tlb.c since v6.15: Dave Hansen, "x86/mm: Eliminate window where TLB flushes may be inadvertently skipped", commit fea4e317f9e7 (2025)',
  notes:
    'No reclaim or migration: the system calls flush through flush_tlb_mm_range(). The CPU a switch runs on has interrupts off, so an IPI sent to it runs when the switch is done; the model applies it when sent, which nothing on that CPU can tell apart.',
  policy: { reclaim: null, migrate: null },
  reaches: ['staleEntryWhileSwitching', 'staleEntryWhileLazy', 'staleEntryInOtherAsid'],
  world: 'pcid',
});
