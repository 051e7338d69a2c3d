// The page cache of the one shared file a Config.sharedFile world maps (mm/filemap.c,
// mm/page-writeback.c, mm/rmap.c, mm/vmscan.c): the flusher writing a dirty folio back,
// and reclaim dropping a clean one that no mm maps.

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit, lowestBit } from './hardware.js';
import { flusherHolds, lockedByMigration, pageCacheFrame } from './queries.js';
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
 * May the flusher take its next step of writing back page `index`? To start, the folio
 * must be cached and PG_dirty and not locked by a migration; then folio_clear_dirty_for_io()
 * runs folio_mkclean(), whose rmap walk (only if the folio is mapped) takes the PTL of each
 * mapping in turn (page_vma_mapped_walk() with PVMW_SYNC): each step waits while a task
 * holds the PTL of the mm it visits across steps (`ptlHeld`). In the middle of a walk,
 * only that page's next step. (A VMA munmap() is tearing down stays in the file's i_mmap
 * until its page tables are gone, so the rmap is the folio's `mapped`, not the VMAs.)
 */
export function writebackReady(s: State, index: number, ptlHeld: (mm: number) => boolean): boolean {
  if (s.flusher !== undefined) return s.flusher.index === index && !ptlHeld(lowestBit(s.flusher.left));
  const folio = cachedFolio(s, index);
  if (folio === null || !s.frames[folio.frame]!.dirty) return false;
  // folio_clear_dirty_for_io() runs under the folio lock: not while a migration holds it
  if (lockedByMigration(s, folio.frame)) return false;
  return folio.mapped === 0 || !ptlHeld(lowestBit(folio.mapped));
}

/**
 * One step of the flusher writing back page `index`, under the folio lock it holds from
 * the first step to the last: folio_clear_dirty_for_io() runs folio_mkclean(), which visits
 * one mm the rmap names a step, write-protects and cleans the PTE there and flushes it on
 * the mm's CPUs (page_mkclean_one(), so the next store faults and dirties the folio again);
 * after the last mm PG_dirty is cleared and the folio's contents go to disk. Meanwhile a
 * store through an entry the walk has not flushed yet still lands, and a fault on the page
 * waits for the folio lock. `mkcleanFlush` false leaves the flush out (a seeded bug). The
 * write is taken at the moment PG_dirty is cleared, the earliest the IO may read the
 * folio: a store that lands later without dirtying it again is lost.
 */
export function writeback(d: Draft<State>, arch: Arch, index: number, mkcleanFlush: boolean): void {
  const folio = cachedFolio(d as State, index)!;
  const left = d.flusher?.left ?? folio.mapped;
  const mm = lowestBit(left);
  if (mm >= 0) page_mkclean_one(d, arch, folio.frame, mm, index, mkcleanFlush);
  const rest = left & ~(mm >= 0 ? bit(mm) : 0);
  if (rest !== 0) {
    d.flusher = { index, left: rest };
    return;
  }
  delete d.flusher;
  const f = d.frames[folio.frame]!;
  f.dirty = false;
  d.disk![index] = f.data;
}

/** page_mkclean_one() in `mm`: a writable or dirty PTE to the folio is cleaned and flushed. */
function page_mkclean_one(
  d: Draft<State>,
  arch: Arch,
  frame: number,
  mm: number,
  index: number,
  mkcleanFlush: boolean,
): void {
  const pte = d.mms[mm]!.pte[index]!;
  if (pte.kind !== 'present' || pte.frame !== frame || (!pte.writable && !pte.dirty)) return;
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

/**
 * May reclaim drop page `index` from the page cache? shrink_folio_list() takes a clean
 * folio, and __remove_mapping() frees it only if the page cache holds the last reference
 * (folio_ref_freeze()): so no mm maps it (a mapped one would need try_to_unmap() of every
 * mapping, which the model's batches do not do) and no unmap's mmu_gather still holds it
 * for a flush to come.
 */
export function removable(s: State, index: number): boolean {
  const folio = cachedFolio(s, index);
  if (folio === null || flusherHolds(s, folio.frame)) return false;
  const f = s.frames[folio.frame]!;
  return !f.dirty && f.refcount === 1;
}

/** __remove_mapping(): the clean folio leaves the page cache and its frame is freed. */
export function remove_mapping(d: Draft<State>, index: number): void {
  const frame = pageCacheFrame(d as State, index);
  folio_put(d, frame);
}
