// What the parallel explorer (src/engine/explore-parallel.ts) and its workers
// (src/engine/explore-worker.ts) share: the layout of the control words, the messages, and the
// visited set they all insert into.
//
// The search is breadth-first by levels. The main thread cuts the level's states into
// ranges; workers claim ranges through an atomic counter, expand each state with the same
// model functions as the serial explorer, insert the successors' fingerprints into one
// shared table (a compare-and-swap per new slot), and write the new states to their own
// output buffer. Workers stop only between two states, when the table or their buffer
// needs room, a budget runs out or a violation is found; the main thread then drains the
// buffers, grows what must grow, and hands out what is left of the level. Every message
// is sent before the round it is for starts and read by the worker when it wakes
// (receiveMessageOnPort), so neither side needs an event loop: the main thread blocks in
// Atomics.wait, and explore stays synchronous.

import type { Config } from '../../model/config.js';
import { OutOfRoom } from './visited.js';

/** Control words (an Int32Array over a SharedArrayBuffer). */
export const CTL = {
  /** Bumped by the main thread to start a round; workers wait on it. */
  round: 0,
  /** The next range to claim. */
  next: 1,
  /** Workers that have finished the round. */
  done: 2,
  /** Why workers should stop (STOP), set by whoever saw it first. */
  stop: 3,
  /** Distinct states in the shared table. */
  count: 4,
  /** Ranges in this round. */
  ranges: 5,
  /** A worker failed (its message says why); src/engine/explore-worker.mjs writes it. */
  error: 6,
  /** Per-worker words start here, WORKER_WORDS each. */
  workers: 8,
} as const;

export const WORKER_WORDS = 8;
/** A worker's own words: new states in its buffer, the range it left, the violation it found. */
export const W = {
  out: 0,
  leftStart: 1,
  leftEnd: 2,
  /** -1: none; otherwise the head's id and action, and the invariant's index. */
  violationHead: 3,
  violationAction: 4,
  violationInvariant: 5,
} as const;

export const STOP = { none: 0, violation: 1, room: 2, budget: 3 } as const;

/** What a worker needs to build its own Search. */
export interface WorkerSetup {
  readonly variantId: string;
  /** A --variant-file that exports the variant, when it is not in the registry. */
  readonly variantFile?: string;
  readonly config: Config;
  readonly invariantIds: readonly string[];
  readonly symmetry: boolean;
  readonly maxStates: number;
  readonly index: number;
  readonly workers: number;
  readonly ctl: SharedArrayBuffer;
  readonly targets: SharedArrayBuffer;
  /** Per worker, how often each action of the universe fired (Float64, universe.length each). */
  readonly byAction: SharedArrayBuffer;
  /** Per worker, the transitions it generated (Float64). */
  readonly stats: SharedArrayBuffer;
  /** Records a worker's buffer holds. */
  readonly capacity: number;
  readonly outStates: SharedArrayBuffer;
  readonly outParents: SharedArrayBuffer;
  readonly outActions: SharedArrayBuffer;
}

/** Sent before a round: what changed since the last one. */
export interface RoundMessage {
  readonly table?: SharedArrayBuffer;
  readonly slots?: number;
  readonly frontier?: SharedArrayBuffer;
  /** The id of the frontier's first state. */
  readonly base?: number;
  readonly ranges?: SharedArrayBuffer;
  readonly quit?: true;
}

/** A worker's last message: how often each kernel step ran (by name). */
export interface QuitMessage {
  readonly byStep: [string, number][];
}

/** Fill at which the shared table must grow (checked between states), and by how much. */
export const SHARED_MAX_LOAD = 0.85;
export const SHARED_GROWTH = 1.3;

/**
 * Add a fingerprint to a shared open-addressing table (two words a slot, h1 never 0 and h2
 * never 0, so a slot whose h1 is set but h2 not yet is one being written). True when new.
 */
export function sharedAdd(t: Int32Array, slots: number, ctl: Int32Array, h1: number, h2: number): boolean {
  const a1 = h1 | 0;
  const a2 = h2 | 0 || 1;
  let slot = Math.floor(((h1 ^ Math.imul(h2, 0x9e3779b1)) >>> 0) * (slots / 4294967296));
  for (;;) {
    const at = slot * 2;
    const seen = Atomics.compareExchange(t, at, 0, a1);
    if (seen === 0) {
      Atomics.store(t, at + 1, a2);
      Atomics.add(ctl, CTL.count, 1);
      return true;
    }
    if (seen === a1) {
      let b = Atomics.load(t, at + 1);
      while (b === 0) b = Atomics.load(t, at + 1);
      if (b === a2) return false;
    }
    slot += 1;
    if (slot === slots) slot = 0;
  }
}

/** A bigger shared table holding every fingerprint of `old` (the main thread, between rounds). */
export function grownTable(
  old: Int32Array,
  oldSlots: number,
  ctl: Int32Array,
): { table: Int32Array; slots: number } {
  const slots = Math.ceil(oldSlots * SHARED_GROWTH);
  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(slots * 8);
  } catch (e) {
    // the explorer ends the search with the memory budget, as when the serial table cannot grow
    if (e instanceof RangeError) throw new OutOfRoom(e.message);
    throw e;
  }
  const table = new Int32Array(buffer);
  const count = Atomics.load(ctl, CTL.count);
  Atomics.store(ctl, CTL.count, 0);
  for (let i = 0; i < oldSlots * 2; i += 2)
    if (old[i] !== 0) sharedAdd(table, slots, ctl, old[i]!, old[i + 1]!);
  if (Atomics.load(ctl, CTL.count) !== count)
    throw new Error('internal: the shared table lost states as it grew');
  return { table, slots };
}
