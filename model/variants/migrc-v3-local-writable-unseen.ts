// migrc v3's test for "no writable mapping at all", on a folio two processes map. v3 takes
// nr_flush_required() before try_to_migrate() and compares it after: a writable mapping
// whose flush was deferred moved it, so the folio is not migrc's. But try_to_migrate_one()
// defers a flush only when another CPU may cache the mm (should_defer_flush()); a mapping
// in an mm that runs on this CPU alone is flushed at once by ptep_clear_flush() and counts
// nowhere. With a read-only mapping deferred in another mm, migrc_cond2 holds: the folio is
// marked, its read-only flush handed to the request, and remove_migration_ptes() maps dst
// writable again in the first mm, which stores into it with no write fault while the other
// CPU still reads src through the entry migrc kept (loadsSeeLastStore, 9 steps). A shared
// file's page mapped by two processes is the case: one wrote it, the other only read it.
// Byungchul Park's later series checks every mapping instead (can_migrc_fail() on a
// writable or dirty PTE in the rmap walk: linux-mm, 2024-04-18,
// 20240418061536.11645-9-byungchul@sk.com); migrc-fixed does that (everyWritableMapping).
// Versions: none merged; migrc v3's migrc_cond2 as posted (linux-mm, 2023-10-30, based on
// v6.6-rc5), its other holes closed as in migrc-fixed.

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcV3LocalWritableUnseen = defineVariant({
  id: 'migrc-v3-local-writable-unseen',
  title: "migrc with v3's other holes closed, but v3's nr_flush_required() test of a folio's mappings",
  source:
    'Byungchul Park, migrc v3 (linux-mm, 2023-10-30, seed 001): migrc_cond2 = nr_required == nr_flush_required() && ...',
  base: migrcFixed,
  notes:
    "The rmap walk of a shared file's folio visits each mm in turn, one PTL a step; its mappings are the mms' PTEs at the same page.",
  policy: { migrc: { everyWritableMapping: false } },
  world: 'migrc-shared-file',
  fixedBy: 'migrc-fixed',
  violates: ['loadsSeeLastStore'],
  reaches: ['pageMigrated', 'migrcSourceHeld'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): migrc-shared-file: mm
// 1's writable mapping, flushed at once, goes uncounted; mm 0's read-only one is deferred
// to the request, and mm 1 stores into dst with no fault
