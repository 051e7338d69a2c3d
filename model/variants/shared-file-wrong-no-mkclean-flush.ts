// Seeded bug: page_mkclean_one() write-protects and cleans the PTE but does not flush it.
// A CPU that cached the entry writable and dirty goes on storing through it without a
// write fault, so the folio is not dirtied again after the flusher wrote it out, and
// reclaim drops it as clean.
// Caught by noLostWrite, dirtyNeverDroppedClean and loadsSeeLastStore, and by
// noAccessAfterRevoke: mprotect(PROT_READ) finds the PTE read-only already and flushes
// nothing, so the entry mkclean left outlives the call. The twin is shared-file.
// Versions: none (a seeded bug on shared-file's kernel, v6.2 to v6.18).

import { defineVariant } from '../variant.js';
import { sharedFile } from './shared-file.js';

export const sharedFileNoMkcleanFlush = defineVariant({
  id: 'shared-file-wrong-no-mkclean-flush',
  title: 'Seeded: folio_mkclean() write-protects the PTE without flushing the TLB',
  source: 'seeded bug: the flush taken out of page_mkclean_one() (mm/rmap.c)',
  base: sharedFile,
  notes:
    'folio_mkclean() leaves a writable, dirty entry cached: the store through it takes no fault and dirties nothing, so the page is lost when reclaim drops it.',
  policy: { mkcleanFlush: false },
  fixedBy: 'shared-file',
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean', 'noAccessAfterRevoke'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): tiny-shared-file: the
// flusher cleans the folio while CPU 0 still caches it writable and dirty, CPU 0 stores
// through the entry, reclaim drops the folio; mapped and read again two steps later
// mprotect(PROT_READ) finds the PTE read-only already and flushes nothing
