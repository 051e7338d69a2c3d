// Moving a batch of folios to new frames (mm/migrate.c, migrate_pages_batch()).

import type { Draft } from 'immer';
import { folio_put } from './memory.js';
import type { BatchFolio, State } from './state.js';

/** move_to_new_folio(): copy contents and flags (folio_migrate_flags()) from src to dst. */
export function move_to_new_folio(d: Draft<State>, folio: BatchFolio): void {
  const src = d.frames[folio.src]!;
  const dst = d.frames[folio.dst]!;
  dst.data = src.data;
  dst.dirty = src.dirty;
}

/** remove_migration_ptes(): the migration entry becomes a present PTE to dst. */
export function remove_migration_ptes(d: Draft<State>, folio: BatchFolio): void {
  const pte = d.mms[folio.mm]!.pte[folio.vpage]!;
  if (pte.kind !== 'migration' || pte.frame !== folio.src) return;
  d.mms[folio.mm]!.pte[folio.vpage] = {
    kind: 'present',
    frame: folio.dst,
    writable: pte.writable,
    dirty: pte.dirty,
    accessed: false,
  };
  d.frames[folio.dst]!.refcount += 1;
}

/** migrate_folio_done(): drop the isolation references; src goes back to the allocator. */
export function migrate_folio_done(d: Draft<State>, folio: BatchFolio): void {
  folio_put(d, folio.src);
  folio_put(d, folio.dst);
}
