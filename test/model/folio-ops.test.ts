// The folio operations of a batch, each on a hand-built state: what migration carries from
// src to dst, when remove_migration_ptes() may map a page again, and what reclaim's
// pageout() and free_unref_folios() leave behind.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { _move_to_new_folio_prep, move_to_new_folio, removeNextMigrationPte } from '../../model/migrate.js';
import { type BatchFolio, initialState, type Pte, type State } from '../../model/state.js';
import { free_unref_folios, pageout } from '../../model/vmscan.js';
import { none, ownFrame, present } from '../support.js';

/** tiny: page 0 in frame 0 holding 1; a batch took an extra reference; frame 2 is its dst. */
const tiny = (): State =>
  produce(ownFrame(ownFrame(initialState(CONFIGS.tiny), 0, 0, 0, 1), 2, 0, 0, 0), (d) => {
    d.frames[0] = { ...d.frames[0]!, refcount: 2, dirty: true };
  });
const folio: BatchFolio = { mm: 0, vpage: 0, src: 0, dst: 2 };
const apply = (s: State, op: (d: Draft<State>) => void): State => produce(s, op);
const lazy = (s: State): State =>
  produce(s, (d) => {
    d.frames[0]!.lazyfree = true;
    d.ghost.lazy[0]![0] = true;
  });

describe('migration carries MADV_FREE to dst', () => {
  it('move_to_new_folio(): a lazily freed src gives a lazily freed dst, a normal one a normal dst', () => {
    expect(apply(lazy(tiny()), (d) => move_to_new_folio(d, folio)).frames[2]).toMatchObject({
      data: 1,
      dirty: true,
      lazyfree: true,
    });
    expect(apply(tiny(), (d) => move_to_new_folio(d, folio)).frames[2]!.lazyfree).toBeUndefined();
  });

  it('_move_to_new_folio_prep() (batch copy): the same, and PG_dirty moves instead of being copied', () => {
    const moved = apply(lazy(tiny()), (d) => _move_to_new_folio_prep(d, folio));
    expect(moved.frames[2]).toMatchObject({ data: 0, dirty: true, lazyfree: true });
    expect(moved.frames[0]!.dirty).toBe(false);
    expect(apply(tiny(), (d) => _move_to_new_folio_prep(d, folio)).frames[2]!.lazyfree).toBeUndefined();
  });
});

describe('remove_migration_ptes()', () => {
  const withPte0 = (pte: Pte): State =>
    produce(tiny(), (d) => {
      d.mms[0]!.pte[0] = pte;
    });
  const migration = (frame: number, dirty: boolean): Pte => ({
    kind: 'migration',
    frame,
    writable: true,
    dirty,
  });

  it('maps dst where the migration entry for src stands, dirty only if the entry and dst both are', () => {
    const s = apply(withPte0(migration(0, true)), (d) => {
      removeNextMigrationPte(d, folio);
    });
    expect(s.mms[0]!.pte[0]).toEqual({
      kind: 'present',
      frame: 2,
      writable: true,
      dirty: false,
      accessed: false,
    });
    expect(s.frames[2]!.refcount).toBe(2);
  });

  it('leaves alone a PTE that is no longer that entry: zapped, mapped again, or another frame’s entry', () => {
    for (const pte of [none, present(0), migration(1, false)]) {
      const s = withPte0(pte);
      expect(
        apply(s, (d) => {
          removeNextMigrationPte(d, folio);
        }),
        pte.kind,
      ).toEqual(s);
    }
  });
});

describe('pageout()', () => {
  it('writes the folio to its swap slot and clears PG_dirty', () => {
    const s = apply(tiny(), (d) => pageout(d, folio));
    expect(s.mms[0]!.swap[0]).toBe(1);
    expect(s.frames[0]!.dirty).toBe(false);
  });

  it('writes no swap slot for a folio munmap() took off its page', () => {
    const unmapped = produce(tiny(), (d) => {
      d.frames[0]!.owner = { kind: 'unmapped' };
    });
    const s = apply(unmapped, (d) => pageout(d, folio));
    expect(s.mms[0]!.swap[0]).toBe(0);
    expect(s.frames[0]!.dirty).toBe(false);
  });
});

describe('free_unref_folios()', () => {
  it('discards a lazily freed page: it reads zeroes from then on', () => {
    const s = apply(lazy(tiny()), (d) => free_unref_folios(d, folio));
    expect(s.ghost).toMatchObject({ memory: [[0]], lazy: [[false]] });
    expect(s.frames[0]!.refcount).toBe(1);
  });

  it('keeps the contents of a page that is not lazily freed, or whose folio lost its page', () => {
    const written = produce(tiny(), (d) => {
      d.ghost.memory[0]![0] = 1;
    });
    // MADV_FREE returned while a batch held the folio: the page is lazy, the folio is not
    const notLazyFolio = produce(written, (d) => {
      d.ghost.lazy[0]![0] = true;
    });
    const unmapped = produce(lazy(written), (d) => {
      d.frames[0]!.owner = { kind: 'unmapped' };
    });
    for (const s of [written, notLazyFolio, unmapped])
      expect(apply(s, (d) => free_unref_folios(d, folio)).ghost).toEqual(s.ghost);
  });
});
