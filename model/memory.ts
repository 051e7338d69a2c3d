// Page faults and the page allocator (mm/memory.c, mm/page_alloc.c).

import type { Draft } from 'immer';
import { migrc_unpend_folio } from './migrc.js';
import { FOREIGN_DATA, type State } from './state.js';
import type { Policy } from './variant.js';

/** The frame the allocator hands out next (the head of the free list), or -1. */
export function allocatableFrame(s: State): number {
  return s.freeList[0] ?? -1;
}

export function freeFrameCount(s: State): number {
  return s.freeList.length;
}

function takeFree(d: Draft<State>, frame: number): void {
  const at = d.freeList.indexOf(frame);
  if (at >= 0) d.freeList.splice(at, 1);
}

/** Allocate `frame` (free) for anonymous page (mm, vpage) with one reference. */
export function allocAnon(d: Draft<State>, frame: number, mm: number, vpage: number, data: number): void {
  takeFree(d, frame);
  // post_alloc_hook() -> migrc_init_page(): a new folio is not under migrc.
  d.frames[frame] = { owner: { kind: 'anon', mm, vpage }, data, refcount: 1, dirty: false, migrc: false };
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

/** do_swap_page(): read the page back from swap into a new frame and map it. */
export function do_swap_page(d: Draft<State>, mm: number, vpage: number, frame: number): void {
  allocAnon(d, frame, mm, vpage, d.mms[mm]!.swap[vpage]!);
  // The new PTE is writable only if the VMA is (an exclusive anonymous page).
  const writable = d.mms[mm]!.vma[vpage] === 'rw';
  d.mms[mm]!.pte[vpage] = { kind: 'present', frame, writable, dirty: false, accessed: true };
}

/** do_wp_page(): the anonymous page is exclusive here, so it is reused and made writable. */
export function do_wp_page(d: Draft<State>, policy: Policy, cpu: number, mm: number, vpage: number): void {
  const pte = d.mms[mm]!.pte[vpage]!;
  // migrc: a folio with a read copy must not become writable while a CPU may still read the copy.
  if (pte.kind === 'present' && policy.migrc?.wpFaultFlush && d.frames[pte.frame]!.migrc)
    migrc_unpend_folio(d, policy.migrc, cpu, pte.frame);
  if (pte.kind === 'present') {
    pte.writable = true;
    pte.dirty = true;
    pte.accessed = true;
  }
}

/**
 * The allocator hands a free frame to another user, a page-cache page, which fills it:
 * anything still mapping the frame now reads someone else's data.
 */
export function reuseFrame(d: Draft<State>, frame: number): void {
  takeFree(d, frame);
  d.frames[frame] = {
    owner: { kind: 'file', file: 0, index: frame },
    data: FOREIGN_DATA,
    refcount: 1,
    dirty: false,
    migrc: false,
  };
}
