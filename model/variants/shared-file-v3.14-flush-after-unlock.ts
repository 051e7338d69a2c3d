// Historical bug, up to v3.14. zap_pte_range() marked the folio of a dirty shared PTE
// dirty (set_page_dirty()) and removed its rmap, and the TLB was flushed only in
// tlb_finish_mmu(), after the PTL was dropped. page_mkclean() could clean and write back
// the page in between while another CPU still stored through its cached writable entry.
// Caught by noLostWrite and dirtyNeverDroppedClean, and by loadsSeeLastStore once the file
// is mapped again and read. And by noAccessAfterRevoke: when fallocate(PUNCH_HOLE) zaps a
// dirty PTE of another mm with its flush deferred, an mprotect(PROT_READ) in that mm finds
// the PTE gone, flushes nothing and returns while the writable entry is still cached
// (mprotect() does not look at mm_tlb_flush_pending(); since 1cf35d47712d the force_flush
// closes that window for dirty PTEs, and a clean one traps on its first store).
// Reported by Benjamin Herrenschmidt; 1cf35d47712d ("mm: split 'tlb_flush_mmu()' into tlb
// flushing and memory freeing parts", Linus Torvalds, April 2014, v3.15) made the zap flush
// before dropping the PTL so page_mkclean() would wait for it. That fix was itself
// incomplete (shared-file-v6.1-rmap-before-flush); the twin is the protocol as it stands
// since 5df397dec7c4, shared-file.
// Versions: v3.14 and earlier (the start not verified against the history); fixed by
// 1cf35d47712d (v3.15). The model keeps 99baac21e458's nested flush, which came later.
// munmap() held mmap_sem for write to the end then (dd2283f2605e, v4.20): munmapZapLock 'write'.

import { defineVariant } from '../variant.js';
import { sharedFile } from './shared-file.js';

export const sharedFileV314 = defineVariant({
  id: 'shared-file-v3.14-flush-after-unlock',
  title: 'v3.14: zap_pte_range() leaves the flush of a dirty shared PTE to tlb_finish_mmu(), after the PTL',
  source:
    'mm/memory.c zap_pte_range() before 1cf35d47712d ("mm: split \'tlb_flush_mmu()\' into tlb flushing and memory freeing parts", Linus Torvalds, 2014)',
  base: sharedFile,
  notes:
    'No force_flush for a dirty shared PTE: the stale writable entry outlives the PTL and the rmap, so page_mkclean() cleans the page while a CPU can still write it.',
  policy: { zapDirtyShared: 'after-unlock', munmapZapLock: 'write' },
  fixedBy: 'shared-file',
  // Runs to the first noAccessAfterRevoke in shared-file, seeds 1 to 6: 13,095, 2,953,
  // 5,481, 77, 645, 3,067 (a hole punched from one mm while the other mprotect()s).
  randomRuns: 20000,
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean', 'noAccessAfterRevoke'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): and a hole punched by
// one thread defers the flush of a PTE another thread's mprotect() finds gone
