// Folios: the page allocator, references and ownership (mm/page_alloc.c, mm/swap.c's
// folio_put(), page_remove_rmap()'s bookkeeping). Plain changes to the state that every
// kernel path shares, below any code that flushes or faults.

import type { Draft } from 'immer';
import { lowestBit } from './hardware.js';
import { FOREIGN_DATA, FOREIGN_FILE, MAPPED_FILE, type State } from './state.js';

/** The frame the allocator hands out next (the head of the free list), or -1. */
export function allocatableFrame(s: State): number {
  return s.freeList[0] ?? -1;
}

export function freeFrameCount(s: State): number {
  return s.freeList.length;
}

export function takeFree(d: Draft<State>, frame: number): void {
  const at = d.freeList.indexOf(frame);
  if (at >= 0) d.freeList.splice(at, 1);
  // Config.perCallPromises: the frame holds new contents now, which no earlier call revoked
  for (const t of d.tasks) if (t.revokes?.includes(frame)) t.revokes = t.revokes.filter((f) => f !== frame);
}

/** Allocate `frame` (free) for anonymous page (mm, vpage) with one reference. */
export function allocAnon(d: Draft<State>, frame: number, mm: number, vpage: number, data: number): void {
  takeFree(d, frame);
  // post_alloc_hook() -> migrc_init_page(): a new folio is not under migrc.
  d.frames[frame] = { owner: { kind: 'anon', mm, vpage }, data, refcount: 1, dirty: false, migrc: false };
}

/** A new folio that backs no page yet (a migration's dst for a page-cache folio). */
export function allocUnmapped(d: Draft<State>, frame: number): void {
  takeFree(d, frame);
  d.frames[frame] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: false };
}

/** folio_put(): drop a reference; the last one returns the frame to the allocator. */
export function folio_put(d: Draft<State>, frame: number): void {
  const f = d.frames[frame]!;
  f.refcount -= 1;
  if (f.refcount === 0) {
    f.owner = { kind: 'free' };
    f.dirty = false;
    delete f.lazyfree;
    if (d.allocator === 'lifo') d.freeList.unshift(frame);
    else {
      const at = d.freeList.findIndex((x) => x > frame);
      d.freeList.splice(at < 0 ? d.freeList.length : at, 0, frame);
    }
  }
}

/**
 * Take `mm`'s mapping off the folio in `frame` (its PTE no longer names it): a folio fork()
 * shared stays with the other mm; an exclusive one backs nothing now, and is freed at its
 * last reference.
 */
export function dropMapping(d: Draft<State>, frame: number, mm: number): void {
  const f = d.frames[frame]!;
  const o = f.owner;
  if (o.kind === 'file' && o.file === MAPPED_FILE) {
    // page_remove_rmap() of a page-cache folio: it stays in the page cache.
    const mapped = (o.mapped ?? 0) & ~(1 << mm);
    f.owner = { kind: 'file', file: MAPPED_FILE, index: o.index, ...(mapped === 0 ? {} : { mapped }) };
    return;
  }
  if (o.kind !== 'anon') return;
  const others = (o.shared ?? 0) & ~(1 << mm);
  const rest = o.mm === mm ? others : others | (1 << o.mm);
  if (rest === 0) {
    f.owner = { kind: 'unmapped' };
    return;
  }
  const first = lowestBit(rest);
  const shared = rest & ~(1 << first);
  f.owner = {
    kind: 'anon',
    mm: first,
    vpage: o.vpage,
    ...(shared === 0 ? {} : { shared }),
    ...(o.cowed ? { cowed: true as const } : {}),
  };
}

/**
 * The allocator hands a free frame to another user, a page-cache page, which fills it:
 * anything still mapping the frame now reads someone else's data.
 */
export function reuseFrame(d: Draft<State>, frame: number): void {
  takeFree(d, frame);
  d.frames[frame] = {
    owner: { kind: 'file', file: FOREIGN_FILE, index: frame },
    data: FOREIGN_DATA,
    refcount: 1,
    dirty: false,
    migrc: false,
  };
}
