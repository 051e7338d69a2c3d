// Read-only questions about a state, shared by the kernel steps and the invariants.

import { type BatchFolio, type Frame, MAPPED_FILE, NO_FRAME, type Owner, type State } from './state.js';

/**
 * Does a folio with this owner back page `vpage` of `mm` (alone, shared copy-on-write, or
 * as the page of a shared file that mm maps)?
 */
export function mapsFolio(owner: Owner, mm: number, vpage: number): boolean {
  if (owner.kind === 'file')
    return owner.file === MAPPED_FILE && owner.index === vpage && ((owner.mapped ?? 0) & (1 << mm)) !== 0;
  return (
    owner.kind === 'anon' &&
    owner.vpage === vpage &&
    (owner.mm === mm || ((owner.shared ?? 0) & (1 << mm)) !== 0)
  );
}

/** Is this a world whose pages are a shared file's (Config.sharedFile)? */
export const sharedFile = (s: State): boolean => s.disk !== undefined;

/** Is the file's page `index` a device's VM_PFNMAP memory (Config.pfnmap)? */
export const pfnmapPage = (s: State, index: number): boolean => ((s.pfnmap ?? 0) & (1 << index)) !== 0;

/**
 * Does page `vpage` of `mm` read the shared file's page now? In a sharedFile world, yes,
 * unless `mm` maps the file MAP_PRIVATE and a write fault has given the page its own
 * anonymous copy (Mm.anonCopy).
 */
export const readsFile = (s: State, mm: number, vpage: number): boolean =>
  s.disk !== undefined && s.mms[mm]!.anonCopy?.[vpage] !== true;

/** Does `mm` map the file MAP_PRIVATE (Config.mapPrivate)? */
export const mapsPrivate = (s: State, mm: number): boolean => s.mms[mm]!.anonCopy !== undefined;

/** Is this owner the page-cache folio of the mapped file's page `index`? */
export const fileFolio = (owner: Owner, index: number): boolean =>
  owner.kind === 'file' && owner.file === MAPPED_FILE && owner.index === index;

/** The page-cache folio of the shared file's page `index` (filemap_get_folio()), or NO_FRAME. */
export function pageCacheFrame(s: State, index: number): number {
  for (let f = 0; f < s.frames.length; f++) if (fileFolio(s.frames[f]!.owner, index)) return f;
  return NO_FRAME;
}

/** The shared file's page `index` as read(2) would return it: the page cache, else the disk. */
export function fileValue(s: State, index: number): number {
  const frame = pageCacheFrame(s, index);
  return frame === NO_FRAME ? s.disk![index]! : s.frames[frame]!.data;
}

/**
 * Is the shared file's page `index` locked by a migration batch (folio_lock() from
 * migrate_folio_unmap() to the end of the batch) or by the flusher in the middle of its
 * walk? write(2), fallocate() and a migration lock the folio, so they wait.
 */
export function fileFolioLocked(s: State, index: number): boolean {
  const frame = pageCacheFrame(s, index);
  return frame >= 0 && folioLocked(s, frame);
}

/** Is `frame`'s folio locked, by a migration batch or by the flusher in the middle of its walk? */
export const folioLocked = (s: State, frame: number): boolean =>
  lockedByMigration(s, frame) || flusherHolds(s, frame);

/** Is the flusher in the middle of writing `frame` back (State.flusher), its folio locked? */
export const flusherHolds = (s: State, frame: number): boolean =>
  s.flusher !== undefined && pageCacheFrame(s, s.flusher.index) === frame;

/**
 * Is the folio in its batch: isolated and not given up? A hinting fault's folio not yet
 * isolated (BatchFolio.unisolated) is not, nor is one whose copy failed.
 */
const inBatch = (f: BatchFolio): boolean => f.failed !== true && f.unisolated !== true;

/** Does a migration batch hold `frame` (as src or dst), and with it the folio lock? */
export const lockedByMigration = (s: State, frame: number): boolean =>
  s.tasks.some(
    (t) => t.job === 'migrate' && t.folios.some((f) => inBatch(f) && (f.src === frame || f.dst === frame)),
  );

/** Is the folio mapped copy-on-write by more than one mm (fork() shared it)? */
export const cowShared = (owner: Owner): boolean => owner.kind === 'anon' && (owner.shared ?? 0) !== 0;

/** PageAnonExclusive: an anonymous folio fork() has not shared since a write fault last took it. */
export const anonExclusive = (owner: Owner): boolean =>
  owner.kind === 'anon' && owner.shared === undefined && owner.cowed === undefined;

/**
 * Does a write fault on this folio copy it (wp_page_copy()) rather than reuse it? When
 * another mm maps it, or, as wp_can_reuse_anon_folio() decides for a folio that is not
 * PageAnonExclusive, when anything else holds a reference (an unmap's mmu_gather that has
 * not flushed yet, say).
 */
export const wpCopies = (frame: Frame): boolean =>
  cowShared(frame.owner) || (frame.owner.kind === 'anon' && frame.owner.cowed === true && frame.refcount > 1);

/**
 * The frame that holds (mm, vpage) now: the one its PTE or migration entry names, or,
 * with the PTE cleared by reclaim, the folio still in the swap cache. NO_FRAME when the
 * page lives only in swap.
 */
export function residentFrame(s: State, mm: number, vpage: number): number {
  const pte = s.mms[mm]!.pte[vpage]!;
  if (pte.kind !== 'none') return pte.frame;
  // A shared file's page stays in the page cache when no mm maps it.
  if (readsFile(s, mm, vpage)) return pageCacheFrame(s, vpage);
  return s.frames.findIndex((f) => mapsFolio(f.owner, mm, vpage));
}

/**
 * The first mm (among the mask `among`, default every mm) whose PTE of the batch folio's
 * page is of `kind` and names its src, or -1: where an rmap walk over the folio goes next.
 */
export function firstEntry(s: State, folio: BatchFolio, kind: 'present' | 'migration', among = -1): number {
  for (let mm = 0; mm < s.mms.length; mm++) {
    if ((among & (1 << mm)) === 0) continue;
    const pte = s.mms[mm]!.pte[folio.vpage]!;
    if (pte.kind === kind && pte.frame === folio.src) return mm;
  }
  return -1;
}

/** Is a failed migration of `src` restoring its mappings (migrate_folio_undo_src())? */
const undoing = (s: State, src: number): boolean =>
  s.tasks.some((t) => t.folios.some((f) => f.undoing === true && f.src === src));

/** Where the page's data lives now: its resident frame, else its swap copy (the file, on disk). */
export function homeValue(s: State, mm: number, vpage: number): number {
  const pte = s.mms[mm]!.pte[vpage]!;
  if (pte.kind === 'migration' && !mapsFolio(s.frames[pte.frame]!.owner, mm, vpage)) {
    // A failed migration's undo has not reached this mm yet: the page is src again,
    // whatever _move_to_new_folio_prep() already moved to dst.
    if (undoing(s, pte.frame)) return s.frames[pte.frame]!.data;
    // The rmap walk of remove_migration_ptes() has not reached this mm yet, but the page
    // has moved: an access waits for the walk and then finds dst, which took src's place
    // in the page cache or src's mapping of this mm (move_to_new_folio()).
    const moved = readsFile(s, mm, vpage)
      ? pageCacheFrame(s, vpage)
      : s.frames.findIndex((f) => mapsFolio(f.owner, mm, vpage));
    if (moved !== NO_FRAME) return s.frames[moved]!.data;
  }
  const frame = residentFrame(s, mm, vpage);
  if (frame !== NO_FRAME) return s.frames[frame]!.data;
  return readsFile(s, mm, vpage) ? s.disk![vpage]! : s.mms[mm]!.swap[vpage]!;
}

/** The task whose batch holds `frame` (as src or dst), or -1. A folio whose copy failed is back on the LRU. */
export function isolatingTask(s: State, frame: number): number {
  return s.tasks.findIndex((t) => t.folios.some((f) => inBatch(f) && (f.src === frame || f.dst === frame)));
}

export const popcount = (mask: number): number => {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n += 1;
  return n;
};

/** Is a fallocate(PUNCH_HOLE) of the shared file's page `index` in progress? */
export const punching = (s: State, index: number): boolean =>
  s.tasks.some((t) => t.job === 'punch_hole' && t.folios[0]?.vpage === index);

/**
 * The phases of munmap()'s program (model/syscalls.ts): free_pgtables(), which asks for
 * i_mmap_rwsem, and unlink_file_vma(), which unlinks its VMA under it.
 */
export const MUNMAP_LOCK_PHASE = 1;
export const MUNMAP_UNLINK_PHASE = 2;

/**
 * Does a munmap() queued on i_mmap_rwsem to unlink its mapping of the file's page `index`
 * hold back new walks of i_mmap? Only once it has set RWSEM_FLAG_HANDOFF (Task.handoff):
 * until then a reader may take the lock ahead of it (Policy.rwsemHandoff).
 */
export const iMmapWriterWaits = (s: State, index: number): boolean =>
  s.tasks.some(
    (t) =>
      t.job === 'munmap' &&
      t.pc.phase === MUNMAP_UNLINK_PHASE &&
      t.handoff === true &&
      t.folios.some((f) => f.vpage === index),
  );

/**
 * Is `mm`'s mapping of the shared file's page `vpage` in the file's i_mmap, where
 * unmap_mapping_range() finds it? While its VMA lives, and after munmap() has detached the
 * VMA from the mm until free_pgtables() unlinks it (unlink_file_vma()): the program counter
 * of the munmap() says which.
 */
export function inIMmap(s: State, mm: number, vpage: number): boolean {
  if (!sharedFile(s)) return false;
  if (s.mms[mm]!.vma[vpage] !== 'none') return true;
  return s.tasks.some(
    (t) =>
      t.job === 'munmap' &&
      t.pc.phase <= MUNMAP_UNLINK_PHASE &&
      t.folios.some((f) => f.mm === mm && f.vpage === vpage),
  );
}

/**
 * Is the page's content defined for the user now? Not while it is unmapped, nor while a
 * munmap() or MADV_DONTNEED that will discard it is in progress: user code racing with
 * those may see either contents, so the data invariants look only at live pages.
 */
/** The page an mremap() in flight moves (mm, vpage) to, or -1. */
export function mremapTarget(s: State, mm: number, vpage: number): number {
  for (const t of s.tasks)
    if (t.job === 'mremap' && t.folios[0]!.mm === mm && t.folios[0]!.vpage === vpage)
      return t.folios[1]!.vpage;
  return -1;
}
export function pageLive(s: State, mm: number, vpage: number): boolean {
  if (s.mms[mm]!.vma[vpage] === 'none' || s.ghost.promised[mm]![vpage] === 'none') return false;
  // after MADV_FREE and before the next write, old contents and zeroes are both right
  if (s.ghost.lazy[mm]![vpage]) return false;
  return !s.tasks.some(
    (t) =>
      (t.job === 'munmap' ||
        t.job === 'madvise_dontneed' ||
        t.job === 'mmap_fixed' ||
        t.job === 'madvise_free' ||
        t.job === 'punch_hole' ||
        // (both ends of a move: the new one reads swap until move_ptes(), the old is going)
        t.job === 'mremap') &&
      t.folios.some((f) => f.mm === mm && f.vpage === vpage),
  );
}

/**
 * mm_tlb_flush_pending(): a system call changed a PTE of `mm` and has not flushed yet
 * (tlb_gather_mmu(), change_protection() and clear_refs raise it; fork() only if `fork`
 * says so). The kernel raises it before the first PTE changes; the model when the first
 * does, which no other CPU can tell apart.
 */
export function mm_tlb_flush_pending(s: State, mm: number, fork = false): boolean {
  return s.tasks.some(
    (t) =>
      t.job !== 'idle' &&
      t.job !== 'migrate' &&
      t.job !== 'reclaim' &&
      (fork || t.job !== 'fork') &&
      t.folios[0]?.mm === mm &&
      t.tlb_ubc.flush_required,
  );
}
