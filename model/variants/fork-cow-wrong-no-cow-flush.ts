// Seeded bug: wp_page_copy() installs the copy with set_pte_at() but never flushes the
// old PTE (ptep_clear_flush() left out). Another CPU of the same mm keeps reading the old
// folio, now the child's alone, through its read-only entry, while the faulting thread's
// stores go to the copy.
// Caught by loadsSeeLastStore and noAccessToFreedFrame.
// Versions: none (a seeded bug on fork-cow's kernel, v6.5 to v6.18).

import { defineVariant } from '../variant.js';
import { forkCow } from './fork-cow.js';

export const forkCowNoCowFlush = defineVariant({
  id: 'fork-cow-wrong-no-cow-flush',
  title: 'wp_page_copy() without ptep_clear_flush()',
  source: 'seeded: the flush of the old PTE in wp_page_copy() (mm/memory.c), taken out',
  base: forkCow,
  policy: { wpCopyFlush: false },
  fixedBy: 'fork-cow',
  violates: ['loadsSeeLastStore', 'noAccessToFreedFrame'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): the installed copy
// leaves CPU 0 reading the child's folio, then missing CPU 1's store
