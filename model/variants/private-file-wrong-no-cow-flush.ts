// Seeded bug: wp_page_copy() of a MAP_PRIVATE file page maps the anonymous copy without
// flushing the PTE that named the page-cache folio. Another CPU of the mm goes on reading
// the file through the entry it cached, after a store landed in the copy; or it reads a
// store to the file that the copy no longer sees.
// Caught by loadsSeeLastStore, and by noAccessToFreedFrame once the page cache drops the
// folio (written back and clean, no mm maps it) while the entry still names it. The twin
// is private-file.
// Versions: none (a seeded bug on private-file's kernel, v6.2 to v6.18).

import { defineVariant } from '../variant.js';
import { privateFile } from './private-file.js';

export const privateFileNoCowFlush = defineVariant({
  id: 'private-file-wrong-no-cow-flush',
  title: 'Seeded: wp_page_copy() maps the private copy without flushing the page-cache PTE',
  source: 'seeded bug: ptep_clear_flush() taken out of wp_page_copy() (mm/memory.c)',
  base: privateFile,
  notes:
    'The thread that copied stores into its own copy, while another CPU of the mm still reads the page-cache folio through the read-only entry it cached.',
  policy: { wpCopyFlush: false },
  fixedBy: 'private-file',
  violates: ['loadsSeeLastStore', 'noAccessToFreedFrame'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): tiny-private-file:
// write(2) changes the file between wp_page_copy()'s copy and its install, and CPU 1 reads
// the file through its unflushed entry, not the copy; or, once written back, the page
// cache drops the folio under that entry
