// Reclaim of a batch of folios (mm/vmscan.c, shrink_folio_list()).

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit } from './hardware.js';
import type { BatchFolio, State } from './state.js';

/**
 * pageout(): write the folio to swap and clear PG_dirty. Writeback is modelled as done
 * at once; what matters is the snapshot, after which a write through a stale TLB entry
 * no longer reaches the disk.
 */
export function pageout(d: Draft<State>, folio: BatchFolio): void {
  const frame = d.frames[folio.src]!;
  const o = frame.owner;
  // A folio munmap() took off its page has no swap slot to write to. One fork() shared
  // since the batch took it has one slot that every mm of its rmap maps (try_to_unmap()
  // left a swap entry in each): the model keeps a copy per mm.
  if (o.kind === 'anon') {
    const mms = bit(o.mm) | (o.shared ?? 0);
    for (let mm = 0; mm < d.mms.length; mm++)
      if ((mms & bit(mm)) !== 0) d.mms[mm]!.swap[folio.vpage] = frame.data;
  }
  frame.dirty = false;
}

/** free_unref_folios(): drop the isolation reference; the frame goes back to the allocator. */
export function free_unref_folios(d: Draft<State>, folio: BatchFolio): void {
  const f = d.frames[folio.src]!;
  // A clean lazily freed folio is discarded: the page now reads zeroes (its swap slot went
  // with MADV_FREE), which ends the time it could read either.
  if (f.lazyfree && f.owner.kind === 'anon' && d.ghost.lazy[folio.mm]![folio.vpage]) {
    d.ghost.memory[folio.mm]![folio.vpage] = 0;
    d.ghost.lazy[folio.mm]![folio.vpage] = false;
  }
  folio_put(d, folio.src);
}
