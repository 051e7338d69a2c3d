// pin: a long-term GUP pin (pin_user_pages(FOLL_WRITE | FOLL_LONGTERM): io_uring's fixed
// buffers, RDMA, VFIO) holds an anonymous folio for a device that may write it at any
// time, with no TLB, no page table and no fault. Migration and reclaim must not take such
// a folio from its page: the device's writes would land in a source that no page maps. Since
// 6c287605fd56 ("mm: remember exclusively mapped anonymous pages with PG_anon_exclusive",
// David Hildenbrand, v5.19) try_to_migrate_one() and try_to_unmap_one() ask
// folio_try_share_anon_rmap_pte(), which refuses an exclusive folio that may be pinned
// (folio_maybe_dma_pinned()), and the walk gives the folio up; before it, the refcount
// check in folio_migrate_mapping() failed the move (Policy.pinnedMigration 'refcount', which
// holds here too: test/model/pin.test.ts).
// Migration and reclaim are migrate-batched's. Abstracts: one pin per page, taken by the
// GUP slow path under the PTL (GUP-fast's lockless pin and its ordering against the unmap,
// 088b8aa537c2, are not modelled); a page is pinned only while present; THP.
// Versions: the pin handling of v5.19 to v6.18 (6c287605fd56), with the batched migration
// of v6.3 on (7e12beb8ca2a).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const pin = defineVariant({
  id: 'pin',
  title: 'Migration and reclaim give up a folio a long-term pin holds',
  source:
    'David Hildenbrand, 6c287605fd56 ("mm: remember exclusively mapped anonymous pages with PG_anon_exclusive", v5.19)',
  base: migrateBatched,
  notes:
    'A device writes the pinned folio through the pin, never through a TLB: no flush can stop it, only leaving the folio where it is.',
  policy: { pinnedMigration: 'unmap' },
  world: 'pin',
  reaches: ['pageMigrated', 'pageReclaimed', 'pinnedFolioKept'],
});
