// migrc v3: migrate_pages_batch() keeps the flushes of read-only entries apart
// (tlb_ubc_nowr); a folio with no writable mapping is marked (PG_migrc on src and dst, an
// extra reference on src) and its flush moves to a request, stamped with migrc_gen after
// the batch is unmapped and hung on the node at the end of the batch. The source is freed
// only by migrc_try_flush_free_folios(): when allocation runs short, or when do_wp_page()
// is about to make a PG_migrc folio writable. CPUs that did a full local flush since the
// stamp are skipped (arch_migrc_adj()).
// Byungchul Park, "[v3 2/3] mm: Defer TLB flush by keeping both src and dst folios at
// migration", linux-mm, 2023-10-30; reviewed by Nadav Amit (seed 001).
// migrc_stop_pending() under memory pressure is the can_migrc_system step (worlds with
// memoryPressure): when migrate_pages_batch() sees the stop between two folios,
// migrc_req_end_if_started() frees the request (no folio has joined it yet: that happens
// after the copy), and with it the flush of every folio already marked, which stays
// PG_migrc with its extra reference. The loss shows only if no later folio of the batch
// defers a flush to the same CPUs; in the model's worlds (one mm per batch, full flushes)
// that needs the later folio unmapped first: 21 steps (test/model/migrc-stop.test.ts).
// A write fault that unpends dst before migrc_expand_req() clears PG_migrc on dst, so
// migrc_marked_folios() no longer sees the pair: src never joins the request, and its extra
// reference is never dropped (noLeakedFrame, 14 steps).
// On a folio two mms map (world migrc-shared-file), migrc_cond2's nr_flush_required()
// test misses a writable mapping whose flush was not deferred (9 steps), and its int
// generations wrap (world migrc-gen-wrap, migrc-v3-gen-wrap).
// A move that fails for good leaves a marked src with PG_migrc and its extra reference
// (world migrc-move-fail, migrc-v3-move-fail-leak). Not modelled: THP, the -EAGAIN retry.
// Versions: none merged; migrc v3 as posted ("[v3 0/3] Reduce TLB flushes under some specific
// conditions", linux-mm, 2023-10-30), based on v6.6-rc5 as its cover letter says: a
// hinting fault isolates its folio after dropping the PTL (numaIsolation 'after-unlock',
// as before ee86814b0562, v6.11).

import { defineVariant } from '../variant.js';
import { migrateBatched } from './migrate-batched.js';

export const migrc = defineVariant({
  id: 'migrc',
  title: 'migrc v3: skip the flush for read-only folios, keep the source until a later flush',
  source: 'Byungchul Park, migrc v3 (linux-mm, 2023-10-30), seed 001',
  base: migrateBatched,
  notes: 'The request is hung on the node only when the batch ends; until then no flush can find it.',
  policy: {
    numaIsolation: 'after-unlock',
    migrate: {
      program: [
        { each: ['can_migrc_system', 'try_to_migrate_one', 'migrc_mark_folios'] },
        { once: 'migrc_unmap_done' },
        { once: 'try_to_unmap_flush' },
        { each: ['move_to_new_folio', 'remove_migration_ptes', 'migrc_expand_req', 'migrate_folio_done'] },
        { once: 'migrc_req_end' },
      ],
    },
    migrc: {
      keepSrc: true,
      readOnlyOnly: true,
      wpFaultFlush: true,
      skipFlushedCpus: true,
      flushInFlight: false,
      checkFlushPending: false,
      rememberMarked: false,
      forkFlushPending: false,
      directWriteFlush: false,
      stopKeepsFlush: false,
      everyWritableMapping: false,
      wideGen: false,
      undoOnMoveFailure: false,
      undoWithoutRequest: false,
    },
  },
  world: 'tiny-migrc',
  fixedBy: 'migrc-fixed',
  violates: ['noStaleWritableTlbAfterRemap', 'loadsSeeLastStore', 'noLostWrite', 'noLeakedFrame'],
  // The 15-step lost store (clear_refs after a write, the migration marking the dirty
  // read-only PTE, a store through the stale writable entry between copy and remap) is
  // not found by the random engine: 0 in 20,000 runs on each of seeds 1-3. Its earlier
  // 17-step random trace went through a leaked source still named as the page's owner,
  // which the model no longer does.
  explorerOnly: ['noLostWrite'],
  reaches: ['pageMigrated', 'migrcSourceHeld', 'migrcFlushedOnDemand'],
});
