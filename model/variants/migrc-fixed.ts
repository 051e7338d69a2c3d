// migrc with the ten holes shootdown found closed (eight in v3's own rules, one in fork's
// interplay with it, one in kernel writes through the direct map), each a one-line policy
// change:
// - checkFlushPending: a PTE that reads read-only is not proof that no CPU caches it
//   writable while mprotect() or clear_refs has not flushed yet (mm_tlb_flush_pending());
// - flushInFlight: do_wp_page()'s flush must also cover the request a batch is still
//   building, which v3 hangs on the node only at the end of the batch (Nadav Amit's
//   "Tricky == racy?" in seed 001);
// - rememberMarked: once do_wp_page() has unpended dst, v3's migrc_marked_folios() no longer
//   recognises the pair and the extra reference on src is never dropped; remember the
//   marking in the batch instead;
// - forkFlushPending: fork() write-protects the parent's PTEs (copy_present_pte()) and
//   flushes only at the end of dup_mmap(), without raising mm_tlb_flush_pending(), so
//   checkFlushPending cannot see it; dup_mmap() must raise it until its flush_tlb_mm()
//   (a change to fork, not to migrc; found after the first three);
// - directWriteFlush: the kernel may write the destination through the direct map
//   (write(2) to a page-cache page, process_vm_writev(2), an O_DIRECT read) with no write
//   fault, so do_wp_page()'s flush never runs while another CPU still reads the source
//   through an entry migrc kept; such a write must flush first, as do_wp_page() does;
// - stopKeepsFlush: a batch that sees migrc_stop_pending() between two folios frees its
//   request and with it the flush of the folios it already marked; hand those CPUs to
//   tlb_ubc so the batch's own try_to_unmap_flush() covers them (replayed by hand in
//   test/model/migrc-stop.test.ts: 21 steps, past the explorer's reach).
// - everyWritableMapping: on a folio several mms map, v3's "no writable mapping at all"
//   counts only the writable flushes it deferred; one flushed at once (its mm runs on no
//   other CPU) goes unseen and dst is mapped writable while another CPU reads src; refuse
//   the folio on any writable mapping the rmap walk meets, as can_migrc_fail() does in
//   Byungchul Park's later series (world migrc-shared-file);
// - wideGen: v3's int generations wrap, and a CPU that has done no full local flush for
//   2^31 of them reads as flushed to arch_migrc_adj(); keep them 64-bit (world
//   migrc-gen-wrap; Nadav Amit's "Any concern about overflow?");
// - undoOnMoveFailure: when move_to_new_folio() fails for good, migrate_folio_move()
//   undoes the folio but v3 leaves migrc's marking, and src its extra reference, for ever;
//   undo the marking there too (world migrc-move-fail).
// - undoWithoutRequest: a batch that sees migrc_stop_pending() frees its request after
//   marking a folio; migrc_expand_req() then finds no request and returns, and src keeps
//   PG_migrc and migrc's reference on no list: it is never freed. Undo the marking there
//   (world migrc-pressure, 21 steps; found by the swarm engine, not by hand).
// Each is checked by the migrc report (docs/migrc-safety.md) as the restriction that
// makes its scenario hold.
// Versions: none: migrc v3 (posted 2023-10-30, based on v6.6-rc5) with the ten changes above,
// which no posted version has as a whole.

import { defineVariant } from '../variant.js';
import { migrc } from './migrc.js';

export const migrcFixed = defineVariant({
  id: 'migrc-fixed',
  title: 'migrc v3 with the holes found here closed',
  source: 'this project: migrc v3 (seed 001) plus ten restrictions',
  base: migrc,
  notes: 'Not a posted patch: what the counterexamples against v3 ask for.',
  policy: {
    migrc: {
      checkFlushPending: true,
      flushInFlight: true,
      rememberMarked: true,
      forkFlushPending: true,
      directWriteFlush: true,
      stopKeepsFlush: true,
      everyWritableMapping: true,
      wideGen: true,
      undoOnMoveFailure: true,
      undoWithoutRequest: true,
    },
  },
});
