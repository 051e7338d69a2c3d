// Reclaim of a batch of folios (mm/vmscan.c, shrink_folio_list()).

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit } from './hardware.js';
import { mapsFolio } from './queries.js';
import type { BatchFolio, State } from './state.js';
import type { TaskProgram } from './variant.js';

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

/** Is the batch's folio still in the swap cache, so that __remove_mapping() has work to do? */
export const inSwapCache = (s: State, folio: BatchFolio): boolean =>
  s.frames[folio.src]!.owner.kind === 'anon' && mapsFolio(s.frames[folio.src]!.owner, folio.mm, folio.vpage);

/**
 * The folio leaves the swap cache (an anonymous folio reclaim holds isolated and nothing
 * maps): from here a fault on the page no longer finds it, so do_swap_page() reads the
 * page back from swap into a new frame, while the old frame, with whatever stale TLB
 * entries still name it, waits for the batch's flush and free. A clean lazily freed
 * folio is discarded: the page now reads zeroes (its swap slot went with MADV_FREE),
 * which ends the time it could read either.
 */
export function leaveSwapCache(d: Draft<State>, folio: BatchFolio): void {
  if (!inSwapCache(d as State, folio)) return;
  const f = d.frames[folio.src]!;
  if (f.lazyfree && d.ghost.lazy[folio.mm]![folio.vpage]) {
    d.ghost.memory[folio.mm]![folio.vpage] = 0;
    d.ghost.lazy[folio.mm]![folio.vpage] = false;
  }
  // folio_ref_freeze() fails while anyone but the batch holds a reference: the folio stays.
  if (f.refcount === 1) f.owner = { kind: 'unmapped' };
}

/** Does the program take each folio out of the swap cache before the flush, as shrink_folio_list() does? */
export const removesMapping = (job: TaskProgram): boolean =>
  job.program.some((phase) => 'each' in phase && phase.each.includes('__remove_mapping'));

/**
 * __remove_mapping() and folio_unlock(), per folio, in shrink_folio_list() before the
 * batch's try_to_unmap_flush(): one step under the swap cache's xa_lock and the folio
 * lock reclaim has held since it took the folio. It opens the refault window.
 */
export function __remove_mapping(d: Draft<State>, folio: BatchFolio): void {
  leaveSwapCache(d, folio);
}

/**
 * free_unref_folios(): drop the isolation reference; the frame goes back to the allocator.
 * A program without __remove_mapping() takes the folio out of the swap cache here, at the
 * free: a fault on the page waits on the folio lock until then (the refault window closed).
 */
export function free_unref_folios(d: Draft<State>, folio: BatchFolio): void {
  leaveSwapCache(d, folio);
  folio_put(d, folio.src);
}
