// Symmetry reduction over frames. With the 'lifo' allocator no step looks at a frame's
// number, only at which frame is which (equality) and at the order of the free list, so
// states that differ by a renumbering of frames behave alike. The explorer stores one
// representative per class: frames renumbered in the order a fixed walk of the state
// first meets them. (With 'lowest-free' the numbers matter, and reduction would be unsound.)

import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { FOREIGN_FILE, type Frame, type State } from '../../model/state.js';
import { cm, cpuBytes, type Layout, putCpu } from '../codec/encode.js';

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

// Symmetry reduction over CPUs. Every user access, eviction, context switch and fault is
// offered on every CPU alike, and the kernel reaches CPUs only through cpumasks and a
// task's CPU, so states that differ by a renumbering of CPUs (relabelCpus, a task moving
// with its CPU) behave alike. Only CPUs that start alike (the same mm, no kernel task) can
// ever hold the same, so those classes are all the representative sorts, by what each CPU
// holds: 3 CPUs of one mm without a task are stored as one state per multiset of two.

/** Classes of interchangeable CPUs (two or more each): the same mm at the start, no task. */
export function cpuClasses(config: Config): number[][] {
  const byMm = new Map<number, number[]>();
  for (let cpu = 0; cpu < config.cpus; cpu++) {
    if (config.taskCpus.includes(cpu)) continue;
    const mm = config.cpuMm[cpu]!;
    byMm.set(mm, [...(byMm.get(mm) ?? []), cpu]);
  }
  return [...byMm.values()].filter((c) => c.length > 1);
}

/**
 * Orders the CPUs of each class by what they hold: their own bytes, then their bit in
 * every cpumask. It runs on every successor the explorer makes, so its buffers are made
 * once: permutation() allocates nothing, and the map it returns is reused by the next call.
 */
export class CpuSymmetry {
  private readonly width: number;
  private readonly keys: Uint8Array;
  private readonly order: number[];
  private readonly map: number[];

  constructor(
    private readonly layout: Layout,
    private readonly classes: readonly (readonly number[])[],
  ) {
    const c = layout.config;
    // the CPU's bytes; its bit in mm_cpumask, each task's two tlb_ubc and mreq, each migrc request
    this.width = cpuBytes(c) + c.mms + 3 * c.taskCpus.length + c.frames;
    this.keys = new Uint8Array(this.width * c.cpus);
    this.order = new Array(c.cpus).fill(0);
    this.map = new Array(c.cpus).fill(0);
  }

  private key(s: State, cpu: number, frames: readonly number[] | null): void {
    const k = this.keys;
    let i = cpu * this.width;
    const end = i + this.width;
    i = putCpu(this.layout, s.cpus[cpu]!, k, i, frames);
    for (const mm of s.mms) k[i++] = (mm.mm_cpumask >> cpu) & 1;
    for (const t of s.tasks) {
      k[i++] = (t.tlb_ubc.cpumask >> cpu) & 1;
      k[i++] = (t.tlb_ubc_nowr.cpumask >> cpu) & 1;
      k[i++] = t.mreq === null ? 0 : (t.mreq.cpumask >> cpu) & 1;
    }
    for (const r of s.migrc.reqs) k[i++] = (r.cpumask >> cpu) & 1;
    while (i < end) k[i++] = 0;
  }

  private compare(a: number, b: number): number {
    const k = this.keys;
    const w = this.width;
    for (let i = 0; i < w; i++) {
      const d = k[a * w + i]! - k[b * w + i]!;
      if (d !== 0) return d;
    }
    return 0;
  }

  /**
   * old CPU number -> new, each class sorted by key (frames already renumbered through
   * `frames`); null when no CPU moves. CPUs with equal keys are equal in every byte the
   * encoding writes, so any order among them gives the same representative.
   */
  permutation(s: State, frames: readonly number[] | null): number[] | null {
    let moved = false;
    const map = this.map;
    const order = this.order;
    for (let c = 0; c < map.length; c++) map[c] = c;
    for (const cls of this.classes) {
      for (const cpu of cls) this.key(s, cpu, frames);
      // insertion sort of the class's CPUs by key: classes hold at most 8
      for (let k = 0; k < cls.length; k++) {
        const cpu = cls[k]!;
        let j = k;
        while (j > 0 && this.compare(order[j - 1]!, cpu) > 0) {
          order[j] = order[j - 1]!;
          j -= 1;
        }
        order[j] = cpu;
      }
      for (let k = 0; k < cls.length; k++)
        if (order[k] !== cls[k]) {
          map[order[k]!] = cls[k]!;
          moved = true;
        }
    }
    return moved ? map : null;
  }
}

/** old CPU number -> new for s, each class sorted (see CpuSymmetry); null when no CPU moves. */
export function cpuPermutation(
  layout: Layout,
  s: State,
  classes: readonly (readonly number[])[],
  frames: readonly number[] | null,
): number[] | null {
  const map = new CpuSymmetry(layout, classes).permutation(s, frames);
  return map === null ? null : [...map];
}

/** The state with every CPU number mapped through `map` (old -> new): CPUs, cpumasks, tasks' CPUs. */
export function relabelCpus(s: State, map: readonly number[]): State {
  const cpus = new Array(s.cpus.length);
  s.cpus.forEach((c, i) => {
    cpus[map[i]!] = c;
  });
  return {
    ...s,
    cpus,
    mms: s.mms.map((mm) => ({ ...mm, mm_cpumask: cm(map, mm.mm_cpumask) })),
    tasks: s.tasks.map((t) => ({
      ...t,
      cpu: map[t.cpu]!,
      tlb_ubc: { ...t.tlb_ubc, cpumask: cm(map, t.tlb_ubc.cpumask) },
      tlb_ubc_nowr: { ...t.tlb_ubc_nowr, cpumask: cm(map, t.tlb_ubc_nowr.cpumask) },
      mreq: t.mreq === null ? null : { ...t.mreq, cpumask: cm(map, t.mreq.cpumask) },
    })),
    migrc: { ...s.migrc, reqs: s.migrc.reqs.map((r) => ({ ...r, cpumask: cm(map, r.cpumask) })) },
  };
}

/** The action with its CPU mapped through `map`. */
export function relabelCpuAction(a: Action, map: readonly number[]): Action {
  return 'cpu' in a ? ({ ...a, cpu: map[a.cpu]! } as Action) : a;
}
