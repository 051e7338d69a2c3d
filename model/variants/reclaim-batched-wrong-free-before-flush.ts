// Seeded bug: reclaim-batched freeing each folio before try_to_unmap_flush().
// Mistake: the frame returns to the allocator while a remote CPU still caches an entry to
// it; once the allocator hands it to someone else, that CPU reads (and could write)
// another user's page. Breaks noAccessToFreedFrame. The comment above try_to_unmap_flush()
// names exactly this: "it must be flushed before freeing to prevent data leakage".
// Versions: none (a seeded bug on reclaim-batched's kernel; its versions there).

import { defineVariant } from '../variant.js';
import { reclaimBatched } from './reclaim-batched.js';

export const reclaimBatchedWrongFreeBeforeFlush = defineVariant({
  id: 'reclaim-batched-wrong-free-before-flush',
  title: 'Seeded bug: reclaim frees the batch before the flush',
  source: 'seeded; the rule stated above try_to_unmap_flush() in 72b252aed506',
  base: reclaimBatched,
  notes: 'Frees each folio as soon as it is unmapped and flushes at the end of the batch.',
  policy: {
    reclaim: {
      program: [
        { each: ['try_to_unmap_one', 'pageout', 'free_unref_folios'] },
        { once: 'try_to_unmap_flush' },
      ],
    },
  },
  fixedBy: 'reclaim-batched',
  violates: ['noAccessToFreedFrame', 'loadsSeeLastStore', 'noLostWrite'],
  // The lost write needs the freed frame handed out and written before the stale store:
  // runs to its first counterexample, seeds 1-5, in small 1,887, 1,365, 102, 158, 139;
  // in tiny 2,184, 11,434, 2,194, 8,048, 775 (measured 2026-12-06, a campaign per
  // invariant, as `check` runs them).
  randomRuns: 5_000,
});
