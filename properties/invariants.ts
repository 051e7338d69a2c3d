// What must hold, as values. Each check returns null or a witness naming the CPU, page
// and frame, and runs after every step, the initial state included. Checks that speak of
// what one step did receive that step (pre-state and action); the rest read one state.

import type { Action } from '../model/actions.js';
import { pagesPerMm, tlbLookup } from '../model/hardware.js';
import {
  fileFolio,
  fileValue,
  homeValue,
  mapsFolio,
  mremapTarget,
  pageCacheFrame,
  pageLive,
  punching,
  readsFile,
  residentFrame,
} from '../model/queries.js';
import { NO_FRAME, type State, type TlbEntry } from '../model/state.js';

export interface Witness {
  /** One sentence a reviewer reads: who did what to which page and frame. */
  readonly message: string;
  readonly cpu?: number;
  readonly mm?: number;
  readonly vpage?: number;
  readonly frame?: number;
}

export interface Step {
  readonly pre: State;
  readonly action: Action;
}

export interface Invariant {
  readonly id: string;
  /** The harm if it breaks, in one sentence. */
  readonly why: string;
  /**
   * 'state': a predicate of one state (the explorer checks it once per distinct state);
   * 'step': it reads the step that led here and is checked on every transition.
   */
  readonly over: 'state' | 'step';
  readonly check: (s: State, step?: Step) => Witness | null;
}

// Arrays, not generators: the explorer checks every invariant on every transition, and a
// generator's resumption cost showed in its profile.

interface CachedEntry {
  readonly cpu: number;
  readonly mm: number;
  readonly vpage: number;
  readonly entry: TlbEntry;
}

/**
 * Can user code on `cpu` use its entries of `mm` before it next checks them? With PCID, a
 * CPU keeps the entries of an mm it does not run (or runs lazily, for a kernel thread)
 * behind that mm's ASID, and flushes them when it loads the mm again if the mm's tlb_gen
 * moved on meanwhile: the kernel leaves them stale on purpose, so only an access through
 * one after the switch back is a bug (the step checks and loadsSeeLastStore catch it).
 */
export function usable(s: State, cpu: number, mm: number): boolean {
  const c = s.cpus[cpu]!;
  return c.tlb_gen_lag === undefined || (mm === c.mm && c.lazy !== true);
}

function tlbEntries(s: State): CachedEntry[] {
  const out: CachedEntry[] = [];
  const pages = pagesPerMm(s);
  for (let cpu = 0; cpu < s.cpus.length; cpu++) {
    const tlb = s.cpus[cpu]!.tlb;
    for (let slot = 0; slot < tlb.length; slot++) {
      const entry = tlb[slot];
      const mm = Math.floor(slot / pages);
      if (entry && usable(s, cpu, mm)) out.push({ cpu, mm, vpage: slot % pages, entry });
    }
  }
  return out;
}

/** Every (mm, vpage) of a world this shape, made once per shape. */
const pageLists = new Map<number, readonly { readonly mm: number; readonly vpage: number }[]>();
function pages(s: State): readonly { readonly mm: number; readonly vpage: number }[] {
  const perMm = pagesPerMm(s);
  const key = s.mms.length * 4096 + perMm;
  let list = pageLists.get(key);
  if (list === undefined) {
    const made: { mm: number; vpage: number }[] = [];
    for (let mm = 0; mm < s.mms.length; mm++)
      for (let vpage = 0; vpage < perMm; vpage++) made.push({ mm, vpage });
    list = made;
    pageLists.set(key, list);
  }
  return list;
}

export const noStaleWritableTlbAfterRemap: Invariant = {
  id: 'noStaleWritableTlbAfterRemap',
  over: 'state',
  why: 'A CPU that can still write src after the page was remapped to dst writes into a frame nobody reads again: the page has two copies and one of them is about to be freed.',
  check(s) {
    for (const task of s.tasks) {
      for (const folio of task.folios) {
        const pte = s.mms[folio.mm]!.pte[folio.vpage]!;
        if (folio.dst < 0 || pte.kind !== 'present' || pte.frame !== folio.dst) continue;
        // A page munmap() or MADV_DONTNEED is discarding may be faulted into a recycled dst.
        if (!pageLive(s, folio.mm, folio.vpage)) continue;
        // Only entries for this page: another page's entry to a reused src is
        // noAccessToFreedFrame's business.
        for (const { cpu, mm, vpage, entry } of tlbEntries(s)) {
          if (mm === folio.mm && vpage === folio.vpage && entry.frame === folio.src && entry.writable)
            return {
              message: `CPU ${cpu} still caches a writable entry for page ${vpage} to src frame ${folio.src} after the page was remapped to frame ${folio.dst}`,
              cpu,
              mm: folio.mm,
              vpage,
              frame: folio.src,
            };
        }
      }
    }
    return null;
  },
};

export const dirtyBitWriteThroughTrap: Invariant = {
  id: 'dirtyBitWriteThroughTrap',
  over: 'step',
  why: 'Deferring the flush of clean entries is safe only if a store through a clean cached entry re-walks and faults when the PTE is gone or read-only; otherwise the write goes to a page the kernel believes clean.',
  check(s, step) {
    if (step === undefined || step.action.op !== 'store') return null;
    const { cpu, vpage } = step.action;
    const mm = step.pre.cpus[cpu]!.mm;
    const before = tlbLookup(step.pre, cpu, mm, vpage);
    const pte = step.pre.mms[mm]!.pte[vpage]!;
    if (before === null || !before.writable || before.dirty) return null;
    if (pte.kind === 'present' && pte.writable) return null;
    const after = tlbLookup(s, cpu, mm, vpage);
    if (after === null || !after.dirty) return null;
    return {
      message: `CPU ${cpu} stored to page ${vpage} through a clean cached entry to frame ${before.frame} whose PTE was ${pte.kind === 'present' ? 'read-only' : pte.kind}, and did not fault`,
      cpu,
      mm,
      vpage,
      frame: before.frame,
    };
  },
};

export const noLostWrite: Invariant = {
  id: 'noLostWrite',
  over: 'state',
  why: 'Data written before or during a migration or reclaim must be in the frame the page now lives in, or on disk; otherwise a store the program completed is silently gone.',
  check(s) {
    // A shared file keeps its contents whether or not any mm maps it (sharedFile worlds).
    if (s.disk !== undefined)
      for (let index = 0; index < s.disk.length; index++) {
        // (while a hole is punched, racing stores may or may not survive it)
        if (punching(s, index)) continue;
        const expected = s.ghost.file?.[index] ?? s.ghost.memory[0]![index]!;
        const found = fileValue(s, index);
        if (found === expected) continue;
        const frame = pageCacheFrame(s, index);
        return {
          message: `the file's page ${index} holds ${found} in ${frame === NO_FRAME ? 'its disk block' : `the page cache (frame ${frame})`}, but the last store wrote ${expected}`,
          vpage: index,
          ...(frame === NO_FRAME ? {} : { frame }),
        };
      }
    for (const { mm, vpage } of pages(s)) {
      if (!pageLive(s, mm, vpage)) continue;
      const expected = s.ghost.memory[mm]![vpage]!;
      const found = homeValue(s, mm, vpage);
      if (found !== expected) {
        const frame = residentFrame(s, mm, vpage);
        const where = frame === NO_FRAME ? 'swap' : `frame ${frame}`;
        return {
          message: `page ${vpage} of mm ${mm} holds ${found} in ${where}, but the last store wrote ${expected}`,
          mm,
          vpage,
          ...(frame === NO_FRAME ? {} : { frame }),
        };
      }
    }
    return null;
  },
};

export const loadsSeeLastStore: Invariant = {
  id: 'loadsSeeLastStore',
  over: 'state',
  why: 'The abstract memory (each page holds the last value stored to it) is what every protocol must implement: a load from any CPU, through its TLB or a walk, returns the last store.',
  check(s) {
    for (let cpu = 0; cpu < s.cpus.length; cpu++) {
      const mm = s.cpus[cpu]!.mm;
      // A lazy CPU runs no user code; it checks tlb_gen before it does.
      if (!usable(s, cpu, mm)) continue;
      for (let vpage = 0; vpage < pagesPerMm(s); vpage++) {
        if (!pageLive(s, mm, vpage)) continue;
        const expected = s.ghost.memory[mm]![vpage]!;
        const entry = tlbLookup(s, cpu, mm, vpage);
        const read = entry === null ? homeValue(s, mm, vpage) : s.frames[entry.frame]!.data;
        if (read !== expected) {
          const via = entry === null ? 'a page walk' : `its TLB entry to frame ${entry.frame}`;
          return {
            message: `a load by CPU ${cpu} from page ${vpage} would return ${read} through ${via}, but the last store wrote ${expected}`,
            cpu,
            mm,
            vpage,
            ...(entry === null ? {} : { frame: entry.frame }),
          };
        }
      }
    }
    return null;
  },
};

/** Does an unmap of (mm, vpage) in flight still hold `frame` in its mmu_gather, its flush to come? */
function heldForFlush(s: State, mm: number, vpage: number, frame: number): boolean {
  for (const t of s.tasks)
    if (
      (t.job === 'munmap' || t.job === 'madvise_dontneed' || t.job === 'mmap_fixed') &&
      t.tlb_ubc.flush_required
    )
      for (const f of t.folios) if (f.mm === mm && f.vpage === vpage && f.src === frame) return true;
  return false;
}

export const noAccessToFreedFrame: Invariant = {
  id: 'noAccessToFreedFrame',
  over: 'state',
  why: 'A TLB entry to a frame that is free or now belongs to someone else lets a CPU read or corrupt another user’s data: the leak try_to_unmap_flush() must prevent before freeing.',
  check(s) {
    for (const { cpu, mm, vpage, entry } of tlbEntries(s)) {
      const owner = s.frames[entry.frame]!.owner;
      // (The shared file's own page, still cached, is no one else's: a stale entry to it
      // is noAccessAfterRevoke's business, and a store through it the flusher's.)
      if (mapsFolio(owner, mm, vpage) || fileFolio(owner, vpage)) continue;
      // Still allocated, waiting for the flush munmap() owes: noAccessAfterRevoke's business.
      // (A folio fork() shared stays with the other mm, but the gather still holds it.)
      if (owner.kind === 'unmapped' || heldForFlush(s, mm, vpage, entry.frame)) continue;
      // The page itself, which an mremap() in flight has moved and has yet to flush here.
      const to = mremapTarget(s, mm, vpage);
      if (to >= 0 && mapsFolio(owner, mm, to)) continue;
      const now =
        owner.kind === 'free'
          ? 'free'
          : owner.kind === 'file'
            ? 'a page-cache page'
            : `page ${owner.vpage} of mm ${owner.mm}`;
      return {
        message: `CPU ${cpu} caches an entry for page ${vpage} to frame ${entry.frame}, which is now ${now}`,
        cpu,
        mm,
        vpage,
        frame: entry.frame,
      };
    }
    return null;
  },
};

export const dirtyNeverDroppedClean: Invariant = {
  id: 'dirtyNeverDroppedClean',
  over: 'step',
  why: 'A page written through any entry must be written back before its frame is discarded; dropping it as clean loses the data for good.',
  check(s, step) {
    if (step === undefined) return null;
    // A shared file's page dropped from the page cache, mapped or not (sharedFile worlds).
    if (s.disk !== undefined) {
      for (let index = 0; index < s.disk.length; index++) {
        const frame = pageCacheFrame(step.pre, index);
        if (frame === NO_FRAME || pageCacheFrame(s, index) !== NO_FRAME) continue;
        // fallocate(PUNCH_HOLE) discards the page on purpose
        if (punching(step.pre, index)) continue;
        const data = step.pre.frames[frame]!.data;
        if (data !== s.disk[index])
          return {
            message: `the page cache dropped the file's page ${index} (frame ${frame}) holding ${data} with ${s.disk[index]} on disk`,
            vpage: index,
            frame,
          };
      }
    }
    // (and the anonymous pages: in a sharedFile world, a MAP_PRIVATE mm's own copies)
    for (const { mm, vpage } of pages(s)) {
      // (the residency tests first: they are cheap, and they rule out almost every page
      // of almost every step)
      const frame = residentFrame(step.pre, mm, vpage);
      if (frame === NO_FRAME || residentFrame(s, mm, vpage) !== NO_FRAME) continue;
      if (!pageLive(step.pre, mm, vpage) || readsFile(step.pre, mm, vpage)) continue;
      const data = step.pre.frames[frame]!.data;
      const onDisk = s.mms[mm]!.swap[vpage]!;
      if (data !== onDisk)
        return {
          message: `frame ${frame} of page ${vpage} held ${data} but was discarded with ${onDisk} on disk`,
          mm,
          vpage,
          frame,
        };
    }
    return null;
  },
};

const CALL_NAMES: Partial<Record<string, string>> = {
  munmap: 'munmap()',
  madvise_dontneed: 'madvise(MADV_DONTNEED)',
  mmap_fixed: 'mmap(MAP_FIXED)',
};

/**
 * Config.perCallPromises: the step returned from a call that discards its pages, and a CPU
 * still caches one of them in a frame the call noted as it started: a load there now reads
 * what the call discarded, however many other calls on the page still run.
 */
function returnLeavesRevoked(s: State, pre: State, task: number): Witness | null {
  const t = pre.tasks[task]!;
  if (t.revokes === undefined || t.revokes.length === 0 || s.tasks[task]!.job !== 'idle') return null;
  for (const f of t.folios)
    for (let cpu = 0; cpu < s.cpus.length; cpu++) {
      const entry = tlbLookup(s, cpu, f.mm, f.vpage);
      if (entry === null || !t.revokes.includes(entry.frame)) continue;
      return {
        message: `CPU ${cpu} still caches page ${f.vpage} in frame ${entry.frame} when ${CALL_NAMES[t.job] ?? t.job} returns: a load there reads what the call discarded`,
        cpu,
        mm: f.mm,
        vpage: f.vpage,
        frame: entry.frame,
      };
    }
  return null;
}

export const noAccessAfterRevoke: Invariant = {
  id: 'noAccessAfterRevoke',
  over: 'step',
  why: 'Once mprotect(), munmap() or madvise() has returned, the permission or mapping it took away is gone on every CPU; a stale TLB entry that still lets a thread store to a read-only page, or touch an unmapped one, breaks the system call’s contract (and with it guard pages, JITs and garbage collectors).',
  check(s, step) {
    if (step?.action.op === 'kernelStep') return returnLeavesRevoked(s, step.pre, step.action.task);
    if (step === undefined || (step.action.op !== 'load' && step.action.op !== 'store')) return null;
    const { cpu, vpage } = step.action;
    const store = step.action.op === 'store';
    const mm = step.pre.cpus[cpu]!.mm;
    const promised = step.pre.ghost.promised[mm]![vpage]!;
    if (promised === 'rw' || (promised === 'ro' && !store)) return null;
    // Only an access through a cached entry can outlive a revocation: a walk reads the PTE.
    const before = tlbLookup(step.pre, cpu, mm, vpage);
    if (before === null) return null;
    if (store) {
      // A store through a clean entry re-walks first; it used the entry only if it completed.
      const after = tlbLookup(s, cpu, mm, vpage);
      if (!before.writable || after === null || !after.dirty || after.frame !== before.frame) return null;
    }
    // (With a munmap() of the page still running, the promise is a hole punch's, or a
    // driver's revocation: unmap_mapping_range() returned.)
    const revoker =
      promised === 'ro'
        ? 'mprotect(PROT_READ)'
        : step.pre.tasks.some(
              (t) => t.job === 'munmap' && t.folios.some((f) => f.mm === mm && f.vpage === vpage),
            )
          ? 'unmap_mapping_range()'
          : 'munmap()';
    return {
      message: `CPU ${cpu} ${store ? 'stored to' : 'loaded from'} page ${vpage} through a stale TLB entry to frame ${before.frame} after ${revoker} returned`,
      cpu,
      mm,
      vpage,
      frame: before.frame,
    };
  },
};

/**
 * The frames something still holds, as a bit mask (LIMITS.frames is 32): a PTE or migration
 * entry, a batch (isolated, its destination, or gathered by an unmap until its flush), a
 * migrc request, or a write fault in flight.
 */
function heldFrames(s: State): number {
  let mask = 0;
  for (const mm of s.mms) for (const p of mm.pte) if (p.kind !== 'none') mask |= 1 << p.frame;
  for (const t of s.tasks) {
    for (const f of t.folios) {
      if (f.src >= 0) mask |= 1 << f.src;
      if (f.dst >= 0) mask |= 1 << f.dst;
    }
    if (t.mreq !== null) for (const f of t.mreq.srcs) mask |= 1 << f;
  }
  for (const r of s.migrc.reqs) for (const f of r.srcs) mask |= 1 << f;
  for (const c of s.cpus) if (c.wp_copy !== undefined) mask |= (1 << c.wp_copy.src) | (1 << c.wp_copy.dst);
  // a long-term pin holds its folio until the unpin frees it
  s.frames.forEach((f, frame) => {
    if (f.pinned !== undefined) mask |= 1 << frame;
  });
  return mask;
}

export const noLeakedFrame: Invariant = {
  id: 'noLeakedFrame',
  over: 'state',
  why: 'A frame that is not free but that no page table, batch, deferred-free list, fault in flight or pin holds can never be freed: memory leaks a page at a time. migrc keeps sources alive on purpose, and must let every one of them go.',
  check(s) {
    const held = heldFrames(s);
    for (let frame = 0; frame < s.frames.length; frame++) {
      const f = s.frames[frame]!;
      // a page-cache page belongs to someone else, who frees it
      if (f.owner.kind === 'free' || f.owner.kind === 'file' || (held & (1 << frame)) !== 0) continue;
      return {
        message: `frame ${frame} (${f.owner.kind === 'anon' ? `page ${f.owner.vpage} of mm ${f.owner.mm}` : 'unmapped'}, refcount ${f.refcount}) is held by nothing and will never be freed`,
        frame,
      };
    }
    return null;
  },
};

export const INVARIANTS: readonly Invariant[] = [
  noStaleWritableTlbAfterRemap,
  dirtyBitWriteThroughTrap,
  noLostWrite,
  loadsSeeLastStore,
  noAccessToFreedFrame,
  dirtyNeverDroppedClean,
  noAccessAfterRevoke,
  noLeakedFrame,
];

export function findInvariant(id: string): Invariant | undefined {
  return INVARIANTS.find((i) => i.id === id);
}
