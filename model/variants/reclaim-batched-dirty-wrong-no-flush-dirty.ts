// Seeded bug: reclaim deferring dirty entries but starting pageout() without
// try_to_unmap_flush_dirty().
// Mistake: a CPU caching a writable, dirty entry writes the page after pageout() took its
// snapshot; no PTE exists to carry the dirty bit, so the folio is freed as clean and the
// write is lost. Breaks noLostWrite and dirtyNeverDroppedClean. The reason
// d950c9477d51 added tlb_ubc->writable and try_to_unmap_flush_dirty().
// Versions: none (a seeded bug on reclaim-batched-dirty's kernel; its versions there).

import { defineVariant } from '../variant.js';
import { reclaimBatchedDirty } from './reclaim-batched-dirty.js';

export const reclaimBatchedDirtyWrongNoFlushDirty = defineVariant({
  id: 'reclaim-batched-dirty-wrong-no-flush-dirty',
  title: 'Seeded bug: pageout of a page with a deferred writable entry',
  source: 'seeded; the rule d950c9477d51 enforces',
  base: reclaimBatchedDirty,
  notes: 'As reclaim-batched-dirty without try_to_unmap_flush_dirty() before pageout().',
  policy: {
    reclaim: {
      program: [
        { each: ['try_to_unmap_one', 'pageout'] },
        { once: 'try_to_unmap_flush' },
        { each: ['free_unref_folios'] },
      ],
    },
  },
  fixedBy: 'reclaim-batched-dirty',
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean'],
});
