// A user access as a whole: the CPU's translation (model/hardware.ts), and when it faults,
// what the kernel's fault handler does (handle_mm_fault(): the VMA under mmap_lock or the
// VMA lock, then the handler for the PTE it finds), or why it must sleep.

import { allocatableFrame } from './folio.js';
import { type Translation, translate } from './hardware.js';
import { migrcPending } from './migrc.js';
import {
  folioLocked,
  mapsPrivate,
  pageCacheFrame,
  punching,
  readsFile,
  residentFrame,
  wpCopies,
} from './queries.js';
import type { State } from './state.js';
import { mmapLockedByFork, mmapLockHeld } from './syscalls.js';
import { type Arch, faultsDuringFork, type MmapLocking } from './variant.js';

/**
 * do_swap_page: an anonymous page back from swap (or zero-filled after mmap()).
 * filemap_fault: a shared file's page, from the page cache or read from disk into a new
 * folio, then mapped (do_read_fault() read-only, do_shared_fault() writable and dirty; in
 * a MAP_PRIVATE mm read-only either way, see filemap_fault()).
 * do_numa_page: a NUMA hinting fault on a PROT_NONE PTE that leaves the folio where it is
 * and maps it again; one that migrates it is the migrate_misplaced_folio action.
 */
export type FaultHandler = 'do_swap_page' | 'do_wp_page' | 'wp_page_copy' | 'filemap_fault' | 'do_numa_page';
export type WaitReason =
  | 'migration_entry_wait'
  | 'folio_lock'
  | 'out of memory'
  | 'mmap_lock'
  | 'invalidate_lock';

/** What one user load or store does, decided from the state before it. */
export type AccessOutcome =
  | Exclude<Translation, { readonly kind: 'fault' }>
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
 * `locking`: who holds mmap_lock for write, so that a fault waits (the variant's policy;
 * today's kernel if absent). A page fault in the parent runs while fork() copies its page
 * table with per-VMA locks before fb49c455323f (Policy.forkVmaStartWrite false), and while
 * munmap() zaps under the lock it downgraded (Policy.munmapZapLock, dd2283f2605e).
 */
export function accessOutcome(
  arch: Arch,
  s: State,
  cpu: number,
  vpage: number,
  write: boolean,
  locking: MmapLocking = {},
): AccessOutcome {
  const t = translate(arch, s, cpu, vpage, write);
  if (t.kind !== 'fault') return t;
  return faultOutcome(s, s.cpus[cpu]!.mm, vpage, write, t.dropTlb, locking);
}

function faultOutcome(
  s: State,
  mm: number,
  vpage: number,
  write: boolean,
  dropTlb: boolean,
  locking: MmapLocking,
): AccessOutcome {
  // The fault handler takes mmap_lock (or the VMA lock) to find the VMA.
  if (mmapLockHeld(s, mm, false, locking) && !(faultsDuringFork(locking) && mmapLockedByFork(s, mm, locking)))
    return { kind: 'wait', on: 'mmap_lock' };
  const vma = s.mms[mm]!.vma[vpage]!;
  if (vma === 'none' || (write && vma === 'ro')) return { kind: 'segv' };
  const pte = s.mms[mm]!.pte[vpage]!;
  switch (pte.kind) {
    case 'migration':
      return { kind: 'wait', on: 'migration_entry_wait' };
    case 'present': {
      // Any access faults on a PROT_NONE PTE, in a VMA that allows it (vma_is_accessible()).
      if (pte.protnone) return { kind: 'fault', handler: 'do_numa_page', dropTlb, frame: pte.frame };
      // Only a write faults on a present PTE: a write-protect fault. A folio fork() shared
      // is copied into a new one (wp_page_copy()), which needs a free frame, and so is the
      // page-cache folio a MAP_PRIVATE mapping reads (do_wp_page() finds no anon folio).
      const owner = s.frames[pte.frame]!.owner;
      if (!wpCopies(s.frames[pte.frame]!) && !(mapsPrivate(s, mm) && owner.kind === 'file')) {
        // A shared file page: wp_page_shared() -> do_page_mkwrite() locks the folio, so it
        // waits for the flusher's walk, and for a migration batch that holds the folio
        // (from migrate_folio_unmap() on, before try_to_migrate() reaches this mm).
        if (owner.kind === 'file' && folioLocked(s, pte.frame)) return { kind: 'wait', on: 'folio_lock' };
        return { kind: 'fault', handler: 'do_wp_page', dropTlb, frame: pte.frame };
      }
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
        // filemap_fault() locks the folio: it waits while a migration or the flusher holds it.
        if (cached >= 0 && folioLocked(s, cached)) return { kind: 'wait', on: 'folio_lock' };
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
