// Historical bug, v6.4 (the first release with per-VMA locks). A page fault under the
// per-VMA lock does not take mmap_lock, and dup_mmap() held only mmap_lock for write, so a
// write fault in the parent ran while fork() copied the page table. On a page that
// copy_present_pte() has just write-protected and shared with the child, wp_page_copy()
// copies the folio before fork()'s flush_tlb_mm() has run: another thread of the parent
// still caches the page writable and dirty, its store lands in the old folio after the
// copy was made, the fault then installs the copy, and the store is gone from the parent
// (it went to the child's page).
// Caught by noLostWrite and loadsSeeLastStore.
// Fixed by fb49c455323f ("fork: lock VMAs of the parent process when forking", Suren
// Baghdasaryan, July 2023, sent for 6.4.y; CONFIG_PER_VMA_LOCK was switched off meanwhile)
// after memory corruption in the parent, reported by Jiri Slaby and others in Go builds
// (bugzilla.kernel.org 217624). The changelog names another harm of the same race (a fault
// that runs anon_vma_prepare() on the parent's VMA mid-copy, which the model does not
// have); the lost store is the TLB side of it, which the model finds. The twin, fork-cow,
// makes the fault wait for fork().
// Versions: v6.4 only; fb49c455323f (committed 2023-07-08, in v6.5-rc1) fixed it, and was
// sent for 6.4.y.

import { defineVariant } from '../variant.js';
import { forkCow } from './fork-cow.js';

export const forkCowV64 = defineVariant({
  id: 'fork-cow-v6.4-fault-during-fork',
  title: 'v6.4: a write fault under the per-VMA lock copies a page while fork() has not flushed it yet',
  source:
    'kernel/fork.c in v6.4, before fb49c455323f ("fork: lock VMAs of the parent process when forking"); bugzilla.kernel.org 217624',
  base: forkCow,
  notes:
    'dup_mmap() does not call vma_start_write(), so a write fault in the parent does not wait for fork(): wp_page_copy() copies a page that another CPU can still write through the writable entry fork() is yet to flush.',
  policy: { forkVmaStartWrite: false },
  fixedBy: 'fork-cow',
  violates: ['noLostWrite', 'loadsSeeLastStore'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): tiny-fork-cow: CPU 0's
// store through the entry fork() has not flushed lands in the folio CPU 1's fault has
// already copied
