// Symmetry reduction over frames. With the 'lifo' allocator no step looks at a frame's
// number, only at which frame is which (equality) and at the order of the free list, so
// states that differ by a renumbering of frames behave alike. The explorer stores one
// representative per class: frames renumbered in the order a fixed walk of the state
// first meets them. (With 'lowest-free' the numbers matter, and reduction would be unsound.)

import type { Action } from '../model/actions.js';
import { FOREIGN_FILE, type Frame, type State } from '../model/state.js';

// Module functions rather than closures made per call: these run on every transition, and
// tsx keeps function names, which costs a defineProperty for each closure made.

/** Number `f` next if it has no number yet; returns the next number to give. */
function meet(map: number[], f: number, next: number): number {
  if (f >= 0 && map[f] === -1) {
    map[f] = next;
    return next + 1;
  }
  return next;
}

/** old frame number -> canonical number. */
export function canonicalPermutation(s: State): number[] {
  const n = s.frames.length;
  const map: number[] = new Array(n).fill(-1);
  let next = 0;
  for (const f of s.freeList) next = meet(map, f, next);
  for (const mm of s.mms) for (const p of mm.pte) if (p.kind !== 'none') next = meet(map, p.frame, next);
  for (const t of s.tasks)
    for (const f of t.folios) {
      next = meet(map, f.src, next);
      next = meet(map, f.dst, next);
    }
  for (const t of s.tasks) for (const f of t.mreq?.srcs ?? []) next = meet(map, f, next);
  for (const r of s.migrc.reqs) for (const f of r.srcs) next = meet(map, f, next);
  for (const c of s.cpus) for (const e of c.tlb) if (e !== null) next = meet(map, e.frame, next);
  for (const c of s.cpus)
    if (c.wp_copy !== undefined) {
      next = meet(map, c.wp_copy.src, next);
      next = meet(map, c.wp_copy.dst, next);
    }
  // Frames nothing above names (page-cache pages): order them by what they hold; equal
  // ones are interchangeable, so any order among them gives the same representative.
  const rest: number[] = [];
  for (let f = 0; f < n; f++) if (map[f] === -1) rest.push(f);
  rest.sort((a, b) => contentKey(s.frames[a]!) - contentKey(s.frames[b]!));
  for (const f of rest) next = meet(map, f, next);
  return map;
}

function contentKey(f: Frame): number {
  const o = f.owner;
  const who =
    o.kind === 'free'
      ? 0
      : o.kind === 'anon'
        ? 1 + (((o.cowed ? 16 : 0) + (o.shared ?? 0)) * 4 + o.mm) * 64 + o.vpage
        : o.kind === 'file'
          ? // a foreign page's index is its own frame number, which must not order it
            16384 + o.file + 2 * (o.mapped ?? 0) + (o.file === FOREIGN_FILE ? 0 : 64 * o.index)
          : 32767;
  return (((who * 256 + f.data) * 256 + f.refcount) * 2 + (f.dirty ? 1 : 0)) * 2 + (f.migrc ? 1 : 0);
}

/** Frame numbers through `map`, for Array.map (made once per relabel; -1 stays -1). */
function mapper(map: readonly number[]): (f: number) => number {
  return (f) => (f < 0 ? f : map[f]!);
}

/** The state with every frame number mapped through `map`. */
export function relabel(s: State, map: readonly number[]): State {
  const m = mapper(map);
  const frames: Frame[] = new Array(s.frames.length);
  s.frames.forEach((f, i) => {
    // A foreign page-cache page's index is the frame it was given: it moves with the frame.
    const owner =
      f.owner.kind === 'file' && f.owner.file === FOREIGN_FILE
        ? { ...f.owner, index: m(f.owner.index) }
        : f.owner;
    frames[m(i)] = { ...f, owner };
  });
  return {
    ...s,
    cpus: s.cpus.map((c) => ({
      ...c,
      tlb: c.tlb.map((e) => (e === null ? null : { ...e, frame: m(e.frame) })),
      ...(c.wp_copy === undefined
        ? {}
        : { wp_copy: { ...c.wp_copy, src: m(c.wp_copy.src), dst: m(c.wp_copy.dst) } }),
    })),
    mms: s.mms.map((mm) => ({
      ...mm,
      pte: mm.pte.map((p) => (p.kind === 'none' ? p : { ...p, frame: m(p.frame) })),
    })),
    frames,
    freeList: s.freeList.map(m),
    tasks: s.tasks.map((t) => ({
      ...t,
      folios: t.folios.map((f) => ({ ...f, src: m(f.src), dst: m(f.dst) })),
      mreq: t.mreq === null ? null : { ...t.mreq, srcs: t.mreq.srcs.map(m) },
    })),
    migrc: { ...s.migrc, reqs: s.migrc.reqs.map((r) => ({ ...r, srcs: r.srcs.map(m) })) },
  };
}

export function canonical(s: State): State {
  return relabel(s, canonicalPermutation(s));
}

/** The action in a state's own numbering, given it in the numbering of that state's canonical form. */
export function uncanonicalAction(a: Action, map: readonly number[]): Action {
  if (a.op !== 'reuseFrame') return a;
  return { ...a, frame: map.indexOf(a.frame) };
}
