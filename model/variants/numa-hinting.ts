// NUMA balancing: task_numa_work() makes a range PROT_NONE with change_prot_numa() under
// mmap_lock for read and flushes it only at the end (change_protection()'s mmu_gather), so
// a thread may take the hinting fault, and migrate the folio (migrate_misplaced_folio()),
// while another CPU still caches the page writable. The migration's try_to_migrate_one()
// clears the PROT_NONE PTE and flushes it if pte_accessible(): for a PROT_NONE PTE, while
// mm_tlb_flush_pending(), which change_protection() raises from before its first PTE
// change until after its flush. Rik van Riel, "mm: fix TLB flush race between migration,
// and change_protection_range", 20841405940e (v3.13).
// The migration is reclaim-batched-dirty's, one ptep_clear_flush() per page (as from v3.13
// until batched migration, 7e12beb8ca2a, v6.3); migrate-batched holds in this world too, its
// set_tlb_ubc_flush_pending() asking the same pte_accessible() since 4d4b6d66db63 (v6.4)
// (test/model/numa.test.ts). do_numa_page() restores the PTE writable as
// can_change_pte_writable() allows (6a56ccbcf6c6, v6.2); before it, x86 kept the write bit
// in the PROT_NONE PTE (savedwrite): the two differ only on a PTE that a migration left
// read-only, whose next store takes a write fault that reuses the folio.
// Abstracts: anonymous memory only; the scan's choice of range, node and rate
// (numa_migrate_check(), the two-reference filter), all of which only pick which fault
// migrates; THP (do_huge_pmd_numa_page()).
// The hinting fault takes a reference to the folio under the PTL (numa_migrate_prep()'s
// folio_get()), drops the PTL, and only then isolates it (numamigrate_isolate_folio()), as
// until David Hildenbrand's ee86814b0562 (v6.11) moved the isolation under the PTL
// (numaIsolation 'after-unlock'; batched migration is checked with both).
// Versions: v3.13 to v6.2 for the flush (pte_accessible() with mm_tlb_flush_pending() since
// 20841405940e, v3.13; PROT_NONE PTEs rather than _PAGE_NUMA since v4.0, the same to the
// CPU); the restore of v6.2.

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const numaHinting = defineVariant({
  id: 'numa-hinting',
  title: 'NUMA hinting: a migration flushes a PROT_NONE PTE while change_prot_numa() has not',
  source:
    'Rik van Riel, 20841405940e ("mm: fix TLB flush race between migration, and change_protection_range", v3.13)',
  base: reclaimBatchedDirty,
  notes:
    'change_prot_numa() holds mmap_lock only for read: a hinting fault, and the migration it starts, run while its flush is still to come.',
  policy: { numaIsolation: 'after-unlock' },
  world: 'numa',
  reaches: ['pageMigrated', 'hintingFaultBeforeFlush'],
});
