// The CPU side: TLB lookups, page walks, the dirty-bit assist, and flushes.
// x86 is the reference architecture; Arch.dirtyBitTrap switches the one rule the
// deferred flush of clean entries relies on.

import type { Draft } from 'immer';
import { allocatableFrame } from './memory.js';
import { migrcPending } from './migrc.js';
import {
  lockedByMigration,
  mapsPrivate,
  pageCacheFrame,
  punching,
  readsFile,
  residentFrame,
  wpCopies,
} from './queries.js';
import type { State, TlbEntry } from './state.js';
import { flushTlbMultiPcid, pcid } from './switch.js';
import { mmapLockedByFork, mmapLockHeld } from './syscalls.js';
import type { Arch } from './variant.js';

export const pagesPerMm = (s: State): number => s.mms[0]!.pte.length;
export const tlbSlot = (s: State, mm: number, vpage: number): number => mm * pagesPerMm(s) + vpage;
export const bit = (cpu: number): number => 1 << cpu;

export function tlbLookup(s: State, cpu: number, mm: number, vpage: number): TlbEntry | null {
  return s.cpus[cpu]!.tlb[tlbSlot(s, mm, vpage)] ?? null;
}

/**
 * do_swap_page: an anonymous page back from swap (or zero-filled after mmap()).
 * filemap_fault: a shared file's page, from the page cache or read from disk into a new
 * folio, then mapped (do_read_fault() read-only, do_shared_fault() writable and dirty; in
 * a MAP_PRIVATE mm read-only either way, see filemap_fault()).
 */
export type FaultHandler = 'do_swap_page' | 'do_wp_page' | 'wp_page_copy' | 'filemap_fault';
export type WaitReason =
  | 'migration_entry_wait'
  | 'folio_lock'
  | 'out of memory'
  | 'mmap_lock'
  | 'invalidate_lock';

/** What one user load or store does, decided from the state before it. */
export type AccessOutcome =
  /** TLB hit with the needed permission (a store: the entry is already dirty). No walk. */
  | { readonly kind: 'hit'; readonly frame: number }
  /** Store through a clean writable entry: the CPU re-walks, finds the PTE writable, sets D. */
  | { readonly kind: 'setDirty'; readonly frame: number }
  /** Store through a clean entry whose PTE is gone or read-only, on an arch that does not trap. */
  | { readonly kind: 'noTrapWrite'; readonly frame: number }
  /** TLB miss: the walk finds a present PTE that allows the access and fills the TLB. */
  | { readonly kind: 'walk'; readonly frame: number }
  /** Page fault: the CPU drops the entry it faulted on (if any) and the handler runs. */
  | {
      readonly kind: 'fault';
      readonly handler: FaultHandler;
      readonly dropTlb: boolean;
      readonly frame: number;
    }
  /** The fault handler must sleep; the access cannot make progress in this state. */
  | { readonly kind: 'wait'; readonly on: WaitReason }
  /** The VMA does not allow the access: the program gets SIGSEGV (not modelled further). */
  | { readonly kind: 'segv' };

/**
 * `faultsDuringFork`: a page fault in the parent runs while fork() copies its page table
 * (per-VMA locks before fb49c455323f, Policy.forkVmaStartWrite false); else it waits.
 */
export function accessOutcome(
  arch: Arch,
  s: State,
  cpu: number,
  vpage: number,
  write: boolean,
  faultsDuringFork = false,
): AccessOutcome {
  const mm = s.cpus[cpu]!.mm;
  const pte = s.mms[mm]!.pte[vpage]!;
  const entry = tlbLookup(s, cpu, mm, vpage);
  if (entry !== null) {
    if (!write) return { kind: 'hit', frame: entry.frame };
    if (entry.writable && entry.dirty) return { kind: 'hit', frame: entry.frame };
    if (entry.writable) {
      // Setting D is a locked walk: it sees the PTE as it is now, not as cached. If the PTE
      // is writable again but names another frame, the SDM does not say which frame the
      // store reaches; the model takes the pessimistic reading, the cached one.
      if (pte.kind === 'present' && pte.writable) return { kind: 'setDirty', frame: entry.frame };
      if (!arch.dirtyBitTrap) return { kind: 'noTrapWrite', frame: entry.frame };
    }
    return faultOutcome(s, mm, vpage, write, true, faultsDuringFork);
  }
  if (pte.kind === 'present' && (pte.writable || !write)) return { kind: 'walk', frame: pte.frame };
  return faultOutcome(s, mm, vpage, write, false, faultsDuringFork);
}

function faultOutcome(
  s: State,
  mm: number,
  vpage: number,
  write: boolean,
  dropTlb: boolean,
  faultsDuringFork: boolean,
): AccessOutcome {
  // The fault handler takes mmap_lock (or the VMA lock) to find the VMA.
  if (mmapLockHeld(s, mm, false) && !(faultsDuringFork && mmapLockedByFork(s, mm)))
    return { kind: 'wait', on: 'mmap_lock' };
  const vma = s.mms[mm]!.vma[vpage]!;
  if (vma === 'none' || (write && vma === 'ro')) return { kind: 'segv' };
  const pte = s.mms[mm]!.pte[vpage]!;
  switch (pte.kind) {
    case 'migration':
      return { kind: 'wait', on: 'migration_entry_wait' };
    case 'present': {
      // Only a write faults on a present PTE: a write-protect fault. A folio fork() shared
      // is copied into a new one (wp_page_copy()), which needs a free frame, and so is the
      // page-cache folio a MAP_PRIVATE mapping reads (do_wp_page() finds no anon folio).
      const owner = s.frames[pte.frame]!.owner;
      if (!wpCopies(s.frames[pte.frame]!) && !(mapsPrivate(s, mm) && owner.kind === 'file'))
        return { kind: 'fault', handler: 'do_wp_page', dropTlb, frame: pte.frame };
      const frame = allocatableFrame(s);
      if (frame < 0) return { kind: 'wait', on: 'out of memory' };
      return { kind: 'fault', handler: 'wp_page_copy', dropTlb, frame };
    }
    case 'none': {
      if (readsFile(s, mm, vpage)) {
        // A hole being punched: the fault waits for it (the model lets the invalidate lock
        // hold off a fault on a cached page too, so truncation need not unmap it again).
        if (punching(s, vpage)) return { kind: 'wait', on: 'invalidate_lock' };
        const cached = pageCacheFrame(s, vpage);
        // filemap_fault() locks the folio: it waits while a migration holds it.
        if (cached >= 0 && lockedByMigration(s, cached)) return { kind: 'wait', on: 'folio_lock' };
        const frame = cached >= 0 ? cached : allocatableFrame(s);
        if (frame < 0) return { kind: 'wait', on: 'out of memory' };
        return { kind: 'fault', handler: 'filemap_fault', dropTlb, frame };
      }
      // The folio may still be in the swap cache, locked by reclaim: do_swap_page waits on it.
      if (residentFrame(s, mm, vpage) >= 0) return { kind: 'wait', on: 'folio_lock' };
      // -1: none is free, but migrc holds some it will free on demand.
      const frame = allocatableFrame(s);
      if (frame < 0 && migrcPending(s) === 0) return { kind: 'wait', on: 'out of memory' };
      return { kind: 'fault', handler: 'do_swap_page', dropTlb, frame };
    }
  }
}

export type FlushScope =
  /** The whole TLB; with `mm`, of one mm (flush_tlb_mm()), else of any (arch_tlbbatch_flush()). */
  | { readonly kind: 'all'; readonly mm?: number }
  | { readonly kind: 'page'; readonly mm: number; readonly vpage: number }
  /** Some pages of one mm in one flush_tlb_mm_range(). */
  | { readonly kind: 'range'; readonly mm: number; readonly vpages: readonly number[] };

/**
 * Flush `cpumask` from `fromCpu`, waiting for all: the local CPU flushes itself and every
 * other CPU in the mask gets one IPI (flush_tlb_multi() / smp_call_function_many()). In a
 * world with PCID, x86's tlb_gen rules pick who flushes what (model/switch.ts), and `arch`
 * decides should_flush_tlb() for a flush of one mm.
 */
export function flushTlbMulti(
  d: Draft<State>,
  fromCpu: number,
  cpumask: number,
  scope: FlushScope,
  broadcast = false,
  arch?: Arch,
): void {
  if (pcid(d as State)) {
    const mm = scope.mm ?? null;
    const vpages = scope.kind === 'all' ? null : scope.kind === 'page' ? [scope.vpage] : scope.vpages;
    flushTlbMultiPcid(d, fromCpu, cpumask, mm, vpages, arch);
    return;
  }
  d.cpus.forEach((cpu, i) => {
    if ((cpumask & bit(i)) === 0) return;
    // A broadcast TLBI (arm64) reaches other CPUs without interrupting them.
    if (i !== fromCpu && !broadcast) d.cost.ipis += 1;
    if (scope.kind === 'all') {
      cpu.tlb.fill(null);
      d.cost.fullFlushes += 1;
    } else if (scope.kind === 'page') {
      cpu.tlb[tlbSlot(d as State, scope.mm, scope.vpage)] = null;
      d.cost.pageFlushes += 1;
    } else
      for (const vpage of scope.vpages) {
        cpu.tlb[tlbSlot(d as State, scope.mm, vpage)] = null;
        d.cost.pageFlushes += 1;
      }
  });
}
