// Symmetry reduction over frames. With the 'lifo' allocator no step looks at a frame's
// number, only at which frame is which (equality) and at the order of the free list, so
// states that differ by a renumbering of frames behave alike. The explorer stores one
// representative per class: frames renumbered in the order a fixed walk of the state
// first meets them. (With 'lowest-free' the numbers matter, and reduction would be unsound.)

import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import type { Frame, State } from '../../model/state.js';
import { FRAME_SCHEMA, FRAME_WALK, STATE_SCHEMA } from '../../model/state-schema.js';
import { compileContentKey, compileFrameWalk, relabelCpusOf, relabelFramesOf } from '../codec/compile.js';
import type { Layout } from '../codec/encode.js';

// Compiled from the state's schema: every field that names a frame, in FRAME_WALK's order,
// and what a frame holds besides the frames it names.
const walkFrames = compileFrameWalk<State>(STATE_SCHEMA, FRAME_WALK);
const content = compileContentKey<Frame>(FRAME_SCHEMA);

/** old frame number -> canonical number. */
export function canonicalPermutation(s: State): number[] {
  const n = s.frames.length;
  const map: number[] = new Array(n).fill(-1);
  let next = walkFrames(s, map, 0);
  if (next === n) return map;
  // Frames nothing above names (page-cache pages): order them by what they hold; equal
  // ones are interchangeable, so any order among them gives the same representative.
  const rest: number[] = [];
  for (let f = 0; f < n; f++) if (map[f] === -1) rest.push(f);
  const w = content.width;
  const keys: number[] = new Array(w * n);
  for (const f of rest) content.key(s.frames[f]!, keys, f * w);
  rest.sort((a, b) => {
    for (let k = 0; k < w; k++) {
      const d = keys[a * w + k]! - keys[b * w + k]!;
      if (d !== 0) return d;
    }
    return 0;
  });
  for (const f of rest) map[f] = next++;
  return map;
}

/** The state with every frame number mapped through `map`. */
export function relabel(s: State, map: readonly number[]): State {
  return relabelFramesOf(STATE_SCHEMA, s, map);
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
  private readonly cpuBytes: number;
  private readonly keys: Uint8Array;
  private readonly order: number[];
  private readonly map: number[];

  constructor(
    private readonly layout: Layout,
    private readonly classes: readonly (readonly number[])[],
  ) {
    const c = layout.config;
    // the CPU's bytes, then its bit in every cpumask of the state
    this.cpuBytes = layout.cpu.size;
    this.width = this.cpuBytes + layout.cpumasks;
    this.keys = new Uint8Array(this.width * c.cpus);
    this.order = new Array(c.cpus).fill(0);
    this.map = new Array(c.cpus).fill(0);
  }

  private key(s: State, cpu: number, frames: readonly number[] | null): void {
    const at = cpu * this.width;
    this.layout.cpu.encode(s.cpus[cpu]!, this.keys, at, frames, null);
    this.layout.cpumaskBits(s, cpu, this.keys, at + this.cpuBytes);
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
  return relabelCpusOf(STATE_SCHEMA, s, map);
}

/** The action with its CPU mapped through `map`. */
export function relabelCpuAction(a: Action, map: readonly number[]): Action {
  return 'cpu' in a ? ({ ...a, cpu: map[a.cpu]! } as Action) : a;
}
