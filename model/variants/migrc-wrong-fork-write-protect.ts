// migrc with the three repairs of v3, on a kernel whose fork() is as it is: dup_mmap()
// write-protects the parent's PTE (copy_present_pte(), under the PTL and mmap_lock) and
// flushes the parent only at its very end (flush_tlb_mm(oldmm)); copy_page_range() marks
// the window with mm->write_protect_seq, not with mm_tlb_flush_pending(). A migration,
// which takes no mmap_lock, finds the PTE read-only while another CPU still caches it
// writable and dirty, skips the flush, and the CPU's store lands in src after the copy:
// lost at the remap (noStaleWritableTlbAfterRemap 9 steps; noLostWrite and
// loadsSeeLastStore 10). migrc-fixed closes it by having dup_mmap() raise
// mm_tlb_flush_pending() until its flush (forkFlushPending).
// Versions: none (migrc-fixed without forkFlushPending: a hole migrc v3, posted 2023-10-30
// on v6.6-rc5, has too; fork() as dup_mmap() has it in v6.x).

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcWrongForkWriteProtect = defineVariant({
  id: 'migrc-wrong-fork-write-protect',
  title: 'migrc with v3 repaired, against fork(): trusts a PTE fork has write-protected but not yet flushed',
  source: 'this project: migrc-fixed without forkFlushPending; dup_mmap() and copy_page_range() as in v6.x',
  base: migrcFixed,
  notes:
    'The child is not modelled: it exits at once, so the parent reuses the page on its next write fault.',
  policy: { migrc: { forkFlushPending: false } },
  world: 'migrc-fork',
  fixedBy: 'migrc-fixed',
  violates: ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore'],
  reaches: ['pageMigrated', 'migrcSourceHeld'],
});
