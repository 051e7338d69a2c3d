// The page cache of the one shared file a Config.sharedFile world maps (mm/filemap.c,
// mm/page-writeback.c, mm/rmap.c, mm/vmscan.c): the flusher writing a dirty folio back,
// and reclaim dropping a clean one that no mm maps.

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit } from './hardware.js';
import { lockedByMigration, pageCacheFrame } from './queries.js';
import type { State } from './state.js';
import { flushTlbMulti } from './tlbflush.js';
import type { Arch } from './variant.js';

/** The shared file's folio at `index`, as the frame and its rmap (the mms that map it). */
function cachedFolio(s: State, index: number): { frame: number; mapped: number } | null {
  const frame = pageCacheFrame(s, index);
  if (frame < 0) return null;
  const o = s.frames[frame]!.owner;
  return { frame, mapped: o.kind === 'file' ? (o.mapped ?? 0) : 0 };
}

/**
 * May the flusher write back page `index` now? Its folio must be cached and PG_dirty.
 * folio_mkclean() walks the rmap only if the folio is mapped (folio_mapped()), and then
 * takes the PTL of each mapping (page_vma_mapped_walk() with PVMW_SYNC): it waits while a
 * task holds one of those across steps (`ptlHeld`). A folio no mm maps it cleans at once.
 * (A VMA munmap() is tearing down stays in the file's i_mmap until its page tables are
 * gone, so the rmap is the folio's `mapped`, not the VMAs.)
 */
export function writebackReady(s: State, index: number, ptlHeld: (mm: number) => boolean): boolean {
  const folio = cachedFolio(s, index);
  if (folio === null || !s.frames[folio.frame]!.dirty) return false;
  // folio_clear_dirty_for_io() runs under the folio lock: not while a migration holds it
  if (lockedByMigration(s, folio.frame)) return false;
  if (folio.mapped === 0) return true;
  for (let mm = 0; mm < s.mms.length; mm++) if ((folio.mapped & bit(mm)) !== 0 && ptlHeld(mm)) return false;
  return true;
}

/**
 * The flusher writes back page `index` in one step, under the folio lock:
 * folio_clear_dirty_for_io() runs folio_mkclean(), which in every mm the rmap names
 * write-protects and cleans the PTE and flushes it on the mm's CPUs (page_mkclean_one(),
 * so the next store faults and dirties the folio again); then PG_dirty is cleared and the
 * folio's contents go to disk. `mkcleanFlush` false leaves the flush out (a seeded bug).
 * The write is taken at the moment PG_dirty is cleared, the earliest the IO may read the
 * folio: a store that lands later without dirtying it again is lost.
 */
export function writeback(d: Draft<State>, arch: Arch, index: number, mkcleanFlush: boolean): void {
  const folio = cachedFolio(d as State, index)!;
  for (let mm = 0; mm < d.mms.length; mm++) {
    if ((folio.mapped & bit(mm)) === 0) continue;
    const pte = d.mms[mm]!.pte[index]!;
    if (pte.kind !== 'present' || pte.frame !== folio.frame || (!pte.writable && !pte.dirty)) continue;
    pte.writable = false;
    pte.dirty = false;
    // The flusher is a kernel thread: every CPU of the mm takes an IPI.
    if (mkcleanFlush)
      flushTlbMulti(d, arch, {
        from: -1,
        cpumask: d.mms[mm]!.mm_cpumask,
        scope: { kind: 'page', mm, vpage: index },
        broadcast: false,
      });
  }
  const f = d.frames[folio.frame]!;
  f.dirty = false;
  d.disk![index] = f.data;
}

/**
 * May reclaim drop page `index` from the page cache? shrink_folio_list() takes a clean
 * folio, and __remove_mapping() frees it only if the page cache holds the last reference
 * (folio_ref_freeze()): so no mm maps it (a mapped one would need try_to_unmap() of every
 * mapping, which the model's batches do not do) and no unmap's mmu_gather still holds it
 * for a flush to come.
 */
export function removable(s: State, index: number): boolean {
  const folio = cachedFolio(s, index);
  if (folio === null) return false;
  const f = s.frames[folio.frame]!;
  return !f.dirty && f.refcount === 1;
}

/** __remove_mapping(): the clean folio leaves the page cache and its frame is freed. */
export function remove_mapping(d: Draft<State>, index: number): void {
  const frame = pageCacheFrame(d as State, index);
  folio_put(d, frame);
}
