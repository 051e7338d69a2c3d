// Historical bug, the stable trees 6.1, 6.6 and 6.12 after CVE-2025-37964's fix. The
// backports of fea4e317f9e7 made should_flush_tlb() send the IPI to a CPU whose loaded_mm
// is LOADED_MM_SWITCHING, but those trees lack be88a1dd6112, so switch_mm_irqs_off() still
// writes LOADED_MM_SWITCHING after it has read next's tlb_gen. Between the read and that
// write loaded_mm names the old mm, and a flush of the new one whose tlb_gen bump falls
// there is still skipped. Reported by Stephen Dolan on the stable list in October 2025
// ("due to a bad rebase"), with a stable-only patch, "x86/mm: Fix check/use ordering in
// switch_mm_irqs_off()", that moves the write before the read, as mainline has it (the
// twin, x86-pcid).
// Caught by noAccessAfterRevoke and noAccessToFreedFrame.
// Versions: stable 6.1.y, 6.6.y and 6.12.y from their fea4e317f9e7 backports (6.1.139,
// 6.6.91, 6.12.29, as x86-pcid-v6.14-switching-window gives them) until Stephen Dolan's
// stable-only fix (October 2025; the releases with it not verified against the history).

import { defineVariant, X86 } from '../variant.js';
import { x86Pcid } from './x86-pcid.js';

export const x86PcidStable = defineVariant({
  id: 'x86-pcid-stable-switching-after-tlb-gen',
  title: 'stable 6.1-6.12: the IPI reaches switching CPUs, but switching is marked after the tlb_gen read',
  source:
    'the stable backports of fea4e317f9e7 (6.1.139, 6.6.91, 6.12.29) without be88a1dd6112; Stephen Dolan, "x86/mm: Fix check/use ordering in switch_mm_irqs_off()" (stable, October 2025)',
  base: x86Pcid,
  notes:
    'The fix is in should_flush_tlb(); the window left is the one before LOADED_MM_SWITCHING is written.',
  policy: { arch: { ...X86, switchingBeforeTlbGen: false } },
  fixedBy: 'x86-pcid',
  violates: ['noAccessAfterRevoke', 'noAccessToFreedFrame'],
});
