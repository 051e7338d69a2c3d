// migrc v3 when moving a marked folio fails for good. migrate_pages_batch() marks the folio
// (PG_migrc on src and dst, an extra reference on src) right after unmapping it; if
// move_to_new_folio() then fails with anything but -EAGAIN (since v6.11, 060913999d7a,
// folio_mc_copy() returns -EHWPOISON for a poisoned source; a filesystem's
// ->migrate_folio() may fail),
// migrate_folio_move() maps src again and frees dst, but v3 calls migrc_undo_folios() only
// for the folios still on the unmap list when the batch ends. The failed folio keeps
// PG_migrc and the extra reference, never joins a request, and once its page is unmapped
// nothing will ever free it (noLeakedFrame). migrc-fixed undoes the marking in
// migrate_folio_move()'s failure path too (undoOnMoveFailure). v3 was posted on v6.6, where
// an anonymous folio's move fails only with -EAGAIN; the leak needs a filesystem's failure
// there, or a rebase onto v6.11 or later (060913999d7a was in mm-stable on 2024-07-09, for
// the v6.11 merge window, as batch-copy says).
// Versions: none merged; migrc v3's undo as posted (linux-mm, 2023-10-30, based on v6.6-rc5),
// its other holes closed as in migrc-fixed.

import { defineVariant } from '../variant.js';
import { migrcFixed } from './migrc-fixed.js';

export const migrcV3MoveFailLeak = defineVariant({
  id: 'migrc-v3-move-fail-leak',
  title: "migrc with v3's other holes closed, but v3's undo of a marked folio only at the batch's end",
  source:
    'Byungchul Park, migrc v3 (linux-mm, 2023-10-30, seed 001): migrc_undo_folios() in the cleanup of migrate_pages_batch() only',
  base: migrcFixed,
  notes: 'A failed move is one step: move_to_new_folio() fails, and the folio is undone at once.',
  policy: { migrc: { undoOnMoveFailure: false } },
  world: 'migrc-move-fail',
  fixedBy: 'migrc-fixed',
  violates: ['noLeakedFrame'],
  reaches: ['pageMigrated', 'migrcSourceHeld', 'copyFailureUndone'],
});

// Its shortest counterexamples (lengths in expected/manifest.json): migrc-move-fail:
// munmap() zaps the migration entry, the move fails, and src keeps migrc's reference with
// nothing left to drop it
