// Seeded bug: migration and reclaim take a pinned folio from its page as if it were not
// pinned (no folio_try_share_anon_rmap_pte() refusal, no refcount check). The pin still
// holds src, so the device's next write lands in a folio no page maps: lost to the user.
// Versions: none (a seeded bug on pin's kernel, v6.3 to v6.18).

import { defineVariant } from '../variant.js';
import { pin } from './pin.js';

export const pinWrongMigratePinned = defineVariant({
  id: 'pin-wrong-migrate-pinned',
  title: 'Migration and reclaim move a folio a long-term pin holds',
  source: 'seeded; mm/rmap.c folio_try_share_anon_rmap_pte()',
  base: pin,
  notes:
    'The pin keeps src allocated, so nothing reads a freed frame: the write is simply in the wrong place.',
  policy: { pinnedMigration: 'ignore' },
  fixedBy: 'pin',
  reaches: ['pageMigrated', 'pageReclaimed'],
  violates: ['noLostWrite', 'loadsSeeLastStore', 'dirtyNeverDroppedClean'],
});
