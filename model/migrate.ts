// Moving a batch of folios to new frames (mm/migrate.c, migrate_pages_batch()).

import type { Draft } from 'immer';
import { folio_put } from './folio.js';
import { bit } from './hardware.js';
import { firstEntry } from './queries.js';
import type { BatchFolio, State } from './state.js';

/** move_to_new_folio(): copy contents and flags (folio_migrate_flags()) from src to dst. */
export function move_to_new_folio(d: Draft<State>, folio: BatchFolio): void {
  const src = d.frames[folio.src]!;
  const dst = d.frames[folio.dst]!;
  dst.data = src.data;
  dst.dirty = src.dirty;
  // __folio_migrate_mapping() gives dst PG_swapbacked only if src has it.
  if (src.lazyfree) dst.lazyfree = true;
  migrateMapping(d, folio);
}

/**
 * __folio_migrate_mapping(). An anonymous folio's dst takes src's anon_vma, so the mms
 * fork() shared src with (its rmap) find dst too. A shared file's folio: the page cache's
 * entry, its reference and PG_dirty (the callers have copied the flag) move from src to
 * dst, which no mm maps yet (remove_migration_ptes() maps it), and src backs nothing now.
 * Lookups (a fault, write(2), the flusher) wait on the folio lock the batch holds, so
 * none sees the move half done.
 */
function migrateMapping(d: Draft<State>, folio: BatchFolio): void {
  const src = d.frames[folio.src]!;
  const o = src.owner;
  if (o.kind === 'anon') d.frames[folio.dst]!.owner = o;
  if (o.kind !== 'file') return;
  const dst = d.frames[folio.dst]!;
  dst.owner = { kind: 'file', file: o.file, index: o.index };
  dst.refcount += 1;
  src.owner = { kind: 'unmapped' };
  src.refcount -= 1;
  src.dirty = false;
}

/**
 * _move_to_new_folio_prep() in MIGRATE_NO_COPY mode (batch copy, seed 004): everything
 * move_to_new_folio() does but the copy. The model's anonymous pages all have a swap slot,
 * so each folio is in the swap cache, and __folio_migrate_mapping() moves PG_dirty from
 * src to dst and points the swap cache at dst: "no turning back from here".
 */
export function _move_to_new_folio_prep(d: Draft<State>, folio: BatchFolio): void {
  const src = d.frames[folio.src]!;
  d.frames[folio.dst]!.dirty = src.dirty;
  src.dirty = false;
  if (src.lazyfree) d.frames[folio.dst]!.lazyfree = true;
  migrateMapping(d, folio);
}

/** folio_mc_copy(): copy the contents, src to dst; it may fail (see undoNextMigrationPte()). */
export function folio_mc_copy(d: Draft<State>, folio: BatchFolio): void {
  d.frames[folio.dst]!.data = d.frames[folio.src]!.data;
}

/** The first mm that still holds a migration entry for the folio's src, or -1. */
export const migrationLeft = (s: State, folio: BatchFolio): number => firstEntry(s, folio, 'migration');

/** The mm whose migration entry the walk replaces next (and whose PTL it needs); `folio.mm` if none is left. */
export function nextMigrationEntry(s: State, folio: BatchFolio): number {
  const mm = migrationLeft(s, folio);
  return mm < 0 ? folio.mm : mm;
}

/**
 * The batch's remove_migration_ptes() step: one mapping a step, each under its own PTL, as
 * the kernel's rmap walk takes them. Says whether another entry is left to replace.
 */
export function removeNextMigrationPte(d: Draft<State>, folio: BatchFolio): boolean {
  const mm = migrationLeft(d as State, folio);
  if (mm >= 0) remove_migration_pte(d, folio, mm, folio.dst);
  return migrationLeft(d as State, folio) >= 0;
}

/**
 * remove_migration_pte() in one mm: the migration entry for src becomes a present PTE to
 * `to` (dst, or src itself when a failed migration is undone), dirty only if the entry was
 * and the folio still is (folio_test_dirty() && is_migration_entry_dirty());
 * page_add_file_rmap() for a page-cache folio, and for an anonymous one the mm joins its
 * rmap if it is not in it yet (a child that fork() gave the migration entry shares the
 * parent's anon_vma).
 */
function remove_migration_pte(d: Draft<State>, folio: BatchFolio, mm: number, to: number): void {
  const pte = d.mms[mm]!.pte[folio.vpage]!;
  if (pte.kind !== 'migration' || pte.frame !== folio.src) return;
  d.mms[mm]!.pte[folio.vpage] = {
    kind: 'present',
    frame: to,
    writable: pte.writable,
    dirty: pte.dirty && d.frames[to]!.dirty,
    accessed: false,
  };
  const f = d.frames[to]!;
  f.refcount += 1;
  const o = f.owner;
  if (o.kind === 'file') f.owner = { ...o, mapped: (o.mapped ?? 0) | bit(mm) };
  else if (o.kind === 'anon' && o.mm !== mm && ((o.shared ?? 0) & bit(mm)) === 0)
    f.owner = { ...o, shared: (o.shared ?? 0) | bit(mm), cowed: true };
  // fork() copied this migration entry into another mm (copy_nonpresent_pte() makes both
  // readable, no longer exclusive), which the walk has not reached yet: the folio is mapped
  // here without PageAnonExclusive, so a write fault must not reuse it in place.
  else if (o.kind === 'anon' && o.cowed !== true && migrationLeft(d as State, folio) >= 0)
    f.owner = { ...o, cowed: true };
}

/** migrate_folio_done(): drop the isolation references; src goes back to the allocator. */
export function migrate_folio_done(d: Draft<State>, folio: BatchFolio): void {
  // src backs no page now, even if a reference it should not have keeps it allocated
  if (d.frames[folio.src]!.owner.kind === 'anon') d.frames[folio.src]!.owner = { kind: 'unmapped' };
  folio_put(d, folio.src);
  folio_put(d, folio.dst);
}

/**
 * migrate_folio_undo_src() after a failed copy or move: its remove_migration_ptes(src, src)
 * maps src again where a migration entry stands, one mapping a step under that mapping's
 * PTL, as the batch's own walk does. Says whether another entry is left to restore.
 * Undoes the PTE, not the metadata: whatever _move_to_new_folio_prep() already moved
 * stays moved.
 */
export function undoNextMigrationPte(d: Draft<State>, folio: BatchFolio): boolean {
  const mm = migrationLeft(d as State, folio);
  if (mm >= 0) remove_migration_pte(d, folio, mm, folio.src);
  return migrationLeft(d as State, folio) >= 0;
}

/**
 * The end of the undo: src is put back (putback_movable_pages() at the end of
 * migrate_pages(); the model does it at once) and dst freed (migrate_folio_undo_dst()).
 */
export function migrate_folio_undo_end(d: Draft<State>, folio: BatchFolio): void {
  folio_put(d, folio.src);
  folio_put(d, folio.dst);
}
