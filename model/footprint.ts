// What each action reads and writes in a state, declared for partial-order reduction: two
// actions whose footprints do not clash (neither writes what the other reads or writes)
// commute there, and neither enables or disables the other. The explorer's sleep sets
// (src/engine/explore.ts) rely on this and on nothing else, so a footprint may say more
// than the action touches (a needless clash costs reduction, never soundness) but never
// less. test/model/footprint.test.ts checks the declaration against the model itself: for
// every pair declared independent in many reachable states, both orders reach the same
// bytes, and each step invariant judges the action alike in either order.
//
// Only three kinds of action are local: a user load or store that hits in the TLB or
// walks the page table, a TLB eviction, and a free frame handed to another user
// (reuseFrame). Everything else (a fault, a kernel step, a system call, a context switch,
// a store buffer's drain) is declared to touch everything, since the kernel's steps read
// and write shared structures everywhere.

import type { Action } from './action-table.js';
import type { Config } from './config.js';
import { accessOutcome } from './fault.js';
import { tlbSlot, translate } from './hardware.js';
import { mremapTarget } from './queries.js';
import { localTlbisPending } from './rmap.js';
import type { State } from './state.js';
import type { Policy } from './variant.js';

/** A footprint that clashes with every other: both masks all ones. */
export const EVERYTHING = -1;

/**
 * The locations, numbered per world and folded onto 32 bits (two locations on one bit
 * only make a clash more likely). A page of an mm has three: its mapping (the PTE but for
 * its accessed and dirty bits, the VMA, what mprotect() or munmap() promised), its PTE's
 * dirty bit, and the ghost's record of what was last stored there. Then one TLB slot of
 * one CPU, and a frame.
 *
 * A PTE's accessed bit is no location: the local actions only ever set it, which commutes,
 * and only kernel steps (everything) read it.
 */
export interface Locations {
  readonly pages: number;
  readonly slots: number;
  readonly dirtyBase: number;
  readonly ghostBase: number;
  readonly tlbBase: number;
  readonly frameBase: number;
}

export function locationsOf(config: Config): Locations {
  const slots = config.mms * config.pages;
  return {
    pages: config.pages,
    slots,
    dirtyBase: slots,
    ghostBase: 2 * slots,
    tlbBase: 3 * slots,
    frameBase: 3 * slots + config.cpus * slots,
  };
}

const bit = (location: number): number => 1 << (location & 31);

/**
 * Write the action's footprint in `s` (where it is enabled) into out[at] (everything it
 * reads or writes) and out[at + 1] (what it writes), as masks of folded locations.
 */
export function footprint(
  policy: Policy,
  where: Locations,
  s: State,
  action: Action,
  out: Int32Array,
  at: number,
): void {
  out[at] = EVERYTHING;
  out[at + 1] = EVERYTHING;
  switch (action.op) {
    case 'tlbEvict': {
      // drops one slot of one CPU's TLB; enabled while that slot holds an entry
      const slot = bit(where.tlbBase + action.cpu * where.slots + tlbSlot(s, action.mm, action.vpage));
      out[at] = slot;
      out[at + 1] = slot;
      return;
    }
    case 'reuseFrame': {
      // Writes the frame, and takes it off the free list (and out of what a call revokes):
      // taking two different frames off commutes, and no other local action reads either.
      const frame = bit(where.frameBase + action.frame);
      out[at] = frame;
      out[at + 1] = frame;
      return;
    }
    case 'load':
    case 'store': {
      const { cpu, vpage } = action;
      const store = action.op === 'store';
      // arm64: the access first completes this CPU's TLBIs on every CPU (switchToDsb())
      if (localTlbisPending(s, policy.arch, cpu)) return;
      const mm = s.cpus[cpu]!.mm;
      const t = translate(policy.arch, s, cpu, vpage, store);
      // a fault runs a handler: shared structures
      if (t.kind === 'fault') return;
      const page = mm * where.pages + vpage;
      const mapping = bit(page);
      const dirty = bit(where.dirtyBase + page);
      const slot = bit(where.tlbBase + cpu * where.slots + tlbSlot(s, mm, vpage));
      if (!store) {
        // A hit reads the slot (and noAccessAfterRevoke the promise); a walk reads the PTE,
        // its dirty bit too, and fills the slot.
        if (t.kind === 'walk') {
          out[at] = mapping | dirty | slot;
          out[at + 1] = slot;
        } else {
          out[at] = mapping | slot;
          out[at + 1] = 0;
        }
        return;
      }
      // A store to a shared file's page records it for every mm that reads the file, and
      // one through an entry an mremap() in flight moves records it at the new address.
      if (s.disk !== undefined || mremapTarget(s, mm, vpage) >= 0) return;
      // It writes the frame and the ghost's record of the page; unless the entry was
      // writable and dirty already, it sets the PTE's dirty bit (a walk, or setting D) or
      // the entry's (no trap), and so writes its slot.
      const writes =
        bit(where.frameBase + t.frame) | bit(where.ghostBase + page) | (t.kind === 'hit' ? 0 : slot | dirty);
      out[at] = writes | mapping | slot;
      out[at + 1] = writes;
      return;
    }
    default:
      return;
  }
}

/** Do two actions with these footprints commute? */
export function independent(access1: number, writes1: number, access2: number, writes2: number): boolean {
  return (writes1 & access2) === 0 && (writes2 & access1) === 0;
}

/**
 * The parts of the state a local step may write, for the explorer's cheaper successor
 * (src/engine/local-step.ts): it copies and re-encodes only the parts the step writes and
 * shares the rest with the parent. A mask names them: CPU k's record (bit k), mm m's
 * (bit 8 + m; Config LIMITS: at most 8 CPUs and 4 mms), the frames, the ghost.
 */
export const LOCAL_SECTIONS = [
  { name: 'cpus', bit: 0, perElement: true },
  { name: 'mms', bit: 8, perElement: true },
  { name: 'frames', bit: 12, perElement: false },
  { name: 'ghost', bit: 13, perElement: false },
] as const;
const cpuBit = (cpu: number): number => 1 << cpu;
const mmBit = (mm: number): number => 1 << (8 + mm);
const FRAMES = 1 << 12;
const GHOST = 1 << 13;

/**
 * Which parts of LOCAL_SECTIONS the action writes in `s` (where it is enabled), as a mask, or
 * EVERYTHING when it may write anything else. As with footprint(), more than the action
 * writes costs only time, less is a wrong successor: test/model/footprint.test.ts applies
 * every local action of many reachable states to a copy of only these fields and checks
 * that the parent is left as it was and the successor is the one a whole copy gives.
 */
export function localWrites(policy: Policy, s: State, action: Action): number {
  switch (action.op) {
    case 'tlbEvict':
      return cpuBit(action.cpu); // the slot, in the CPU's TLB
    case 'load':
    case 'store': {
      const { cpu, vpage } = action;
      // arm64: the access first completes this CPU's TLBIs everywhere (switchToDsb())
      if (localTlbisPending(s, policy.arch, cpu)) return EVERYTHING;
      const store = action.op === 'store';
      // as userAccess() (model/actions.ts) switches on it
      const out = accessOutcome(policy.arch, s, cpu, vpage, store, policy);
      // The store writes the frame and the ghost's record (recordStore(): for a shared
      // file, every mm's that reads it; through an entry mremap() moves, the new address).
      const stored = store ? FRAMES | GHOST : 0;
      switch (out.kind) {
        case 'hit':
          return stored; // a load that hits writes nothing at all
        case 'noTrapWrite':
          return cpuBit(cpu) | stored; // the entry's dirty bit
        case 'setDirty':
        case 'walk':
          // the PTE's accessed and dirty bits, and the slot
          return cpuBit(cpu) | mmBit(s.cpus[cpu]!.mm) | stored;
        default:
          return EVERYTHING; // a fault runs a handler
      }
    }
    default:
      return EVERYTHING;
  }
}
