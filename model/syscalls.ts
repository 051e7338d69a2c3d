// The system calls that race with a deferred flush (mm/mprotect.c, mm/memory.c,
// mm/madvise.c, mm/mmap.c). Each is a job of the task on the caller's CPU: one step per
// page under its PTL, one flush for the range, and the return to the user, after which
// the promise it made (ghost.promised) must hold on every CPU.

import type { Draft } from 'immer';
import { dropMapping, folio_put } from './folio.js';
import { tlbLookup } from './hardware.js';
import { do_wp_page } from './memory.js';
import {
  anonExclusive,
  cowShared,
  homeValue,
  inIMmap,
  isolatingTask,
  mapsFolio,
  pageCacheFrame,
  pfnmapPage,
  readsFile,
  residentFrame,
  sharedFile,
} from './queries.js';
import { batchedPendingReset, flush_tlb_batched_pending } from './rmap.js';
import {
  type BatchFolio,
  emptyTlbUbc,
  type Job,
  type Prot,
  type State,
  SYSCALLS,
  type Syscall,
} from './state.js';
import { pcid } from './switch.js';
import { SYSCALL_TABLE } from './syscall-table.js';
import { flushTlbMulti } from './tlbflush.js';
import type { Arch, MmapLocking, Phase, Policy, TaskProgram } from './variant.js';

// (a key lookup, not a scan of SYSCALLS: page faults ask it of every task, in the explorer's step)
export const isSyscall = (job: Job): job is Syscall => Object.hasOwn(SYSCALL_TABLE, job);

/** Does the call take mmap_lock for write to start (mprotect, munmap: page faults in the mm wait); madvise reads it. */
export const takesMmapLockForWrite = (job: Job): boolean =>
  isSyscall(job) && SYSCALL_TABLE[job].mmapLockWrite;

/**
 * Does a task in `job` still hold mmap_lock for write? munmap() detaches its VMAs under the
 * write lock (startSyscall()) and zaps under the read lock it downgrades to
 * (__vm_munmap(..., true), dd2283f2605e, v4.20; vms_complete_munmap_vmas() today), unless
 * the policy models the kernel before (Policy.munmapZapLock 'write').
 */
export const holdsMmapLockForWrite = (job: Job, locking: MmapLocking): boolean =>
  takesMmapLockForWrite(job) && (job !== 'munmap' || locking.munmapZapLock === 'write');

/** The kernel's code for each call, as programs the shared task machinery runs. */
const mprotect: readonly Phase[] = [
  { each: ['change_pte_range'] },
  { once: 'flush_tlb_range' },
  { once: 'syscall_return' },
];
// tlb_flush_mmu_tlbonly() runs only after a dirty shared file PTE (BatchFolio.forceFlush).
const zap: readonly Phase[] = [
  { each: ['zap_pte_range', 'tlb_flush_mmu_tlbonly'] },
  { once: 'tlb_finish_mmu' },
  { once: 'syscall_return' },
];

// munmap(): unmap_region() (vms_clear_ptes() today) runs unmap_vmas(), then free_pgtables(),
// which unlinks the VMA from the file's i_mmap (unlink_file_vma(), under i_mmap_rwsem for
// write), then tlb_finish_mmu(): the flush comes after the unlink. Two steps, the lock's
// request and the unlink under it; a walk of i_mmap may start before the request, and
// after it until the queued writer sets RWSEM_FLAG_HANDOFF (Policy.rwsemHandoff). Steps
// only in sharedFile worlds, where an i_mmap walk can tell (task.ts's applies()).
const munmapProgram: readonly Phase[] = [
  { each: ['zap_pte_range', 'tlb_flush_mmu_tlbonly'] },
  { once: 'free_pgtables' },
  { once: 'unlink_file_vma' },
  { once: 'tlb_finish_mmu' },
  { once: 'syscall_return' },
];

export const SYSCALL_PROGRAMS: Readonly<Record<Syscall, TaskProgram>> = {
  mprotect_ro: { batchFlush: false, deferDirty: false, program: mprotect },
  mprotect_rw: { batchFlush: false, deferDirty: false, program: mprotect },
  munmap: { batchFlush: false, deferDirty: false, program: munmapProgram },
  madvise_dontneed: { batchFlush: false, deferDirty: false, program: zap },
  // echo 4 > /proc/PID/clear_refs: write-protect every PTE so the next store faults and
  // sets soft-dirty (CRIU's dirty tracking). The VMA stays writable: a read-only PTE
  // under a writable VMA, which the next store upgrades in do_wp_page().
  clear_refs: { batchFlush: false, deferDirty: false, program: mprotect },
  // mmap_region() with MAP_FIXED: do_vmi_munmap() zaps the old range (unmap_region(), its
  // own mmu_gather and flush) and the new VMA goes in, all under mmap_lock for write, so
  // no thread sees the range unmapped; the new memory reads zero on first touch. (In a
  // sharedFile world the new VMA maps the file: the mm stays in i_mmap throughout, so the
  // old VMA's unlink is not a step.)
  mmap_fixed: { batchFlush: false, deferDirty: false, program: zap },
  // dup_mmap(), under mmap_lock of the parent for write: copy_page_range() write-protects
  // each private writable PTE (copy_present_pte(), under the PTL), and one flush_tlb_mm()
  // of the parent comes at the very end (kernel/fork.c, mm/mmap.c since v6.15).
  // madvise_free_single_vma(): tlb_gather_mmu(), madvise_free_pte_range() under each PTL,
  // then tlb_finish_mmu(), as since MADV_FREE came (854e9ed09ded, v4.5). Its gather
  // raises mm->tlb_flush_pending like a zap's, so a zap of the mm finishing meanwhile
  // flushes the whole mm (mm_tlb_flush_nested()), and so does this call if one is still
  // running. madvise takes mmap_lock for read and frees nothing.
  madvise_free: {
    batchFlush: false,
    deferDirty: false,
    program: [{ each: ['madvise_free_pte_range'] }, { once: 'tlb_finish_mmu' }, { once: 'syscall_return' }],
  },
  // truncate_pagecache_range(): unmap_mapping_range() zaps the page in every mm whose VMA
  // its walk of the file's i_mmap finds, under i_mmap_rwsem for read (the model gathers
  // them in one mmu_gather, where the kernel has one per VMA, each flushed under the lock),
  // then truncate_inode_pages_range() takes the folio out of the page cache
  // (truncate_inode_folio()), and the file system frees the block. In a pfnmap world: the
  // driver revoking its memory, unmap_mapping_range() and then the free.
  punch_hole: {
    batchFlush: false,
    deferDirty: false,
    program: [
      { each: ['zap_pte_range', 'tlb_flush_mmu_tlbonly'] },
      { once: 'tlb_finish_mmu' },
      { once: 'truncate_inode_folio' },
      { once: 'syscall_return' },
    ],
  },
  fork: {
    batchFlush: false,
    deferDirty: false,
    program: [{ each: ['copy_present_pte'] }, { once: 'flush_tlb_mm' }, { once: 'syscall_return' }],
  },
  // move_vma(): the new VMA, then move_page_tables(): move_ptes() under both PTLs, with its
  // flush of the old address there or (Policy.mremapFlush) after they are dropped; then the
  // old VMA goes (do_vmi_munmap(), which finds no PTE left). folios: [old page, new page].
  mremap: {
    batchFlush: false,
    deferDirty: false,
    program: [{ once: 'move_ptes' }, { once: 'flush_tlb_range' }, { once: 'syscall_return' }],
  },
  // change_prot_numa() -> change_protection(MM_CP_PROT_NUMA): change_pte_range() under each
  // PTL (after flush_tlb_batched_pending()), one flush of the range at the end, the gather
  // raising mm_tlb_flush_pending() meanwhile (an mmu_gather since 4a18419f71cd, v5.19;
  // inc/dec_tlb_flush_pending() around flush_tlb_range() before). 'syscall_return' is the
  // thread's return to user space, where task_numa_work() ran as task work.
  change_prot_numa: { batchFlush: false, deferDirty: false, program: mprotect },
  // __get_user_pages() -> follow_page_pte() under the PTL for each page; a page whose PTE
  // is read-only is first write-faulted (faultin_page(), do_wp_page()).
  pin_user_pages: {
    batchFlush: false,
    deferDirty: false,
    program: [{ each: ['follow_page_pte'] }, { once: 'syscall_return' }],
  },
  unpin_user_pages: {
    batchFlush: false,
    deferDirty: false,
    program: [{ each: ['unpin_user_page'] }, { once: 'syscall_return' }],
  },
};

// Where a policy models the window inside flush_tlb_batched_pending(), its flush is a step
// of its own before each PTE the call changes under the PTL (clear_refs and fork do not call it).
const withBatchedPendingStep = (job: TaskProgram): TaskProgram => ({
  ...job,
  program: job.program.map((phase) =>
    'each' in phase ? { each: ['flush_tlb_batched_pending', ...phase.each] as const } : phase,
  ),
});
const WINDOWED: Readonly<Record<Syscall, TaskProgram>> = Object.fromEntries(
  SYSCALLS.map((call) => [
    call,
    // (mremap's move_ptes() calls it whole: its once step has no folio to pair a step with)
    call === 'clear_refs' || call === 'fork' || call === 'punch_hole' || call === 'mremap'
      ? SYSCALL_PROGRAMS[call]
      : withBatchedPendingStep(SYSCALL_PROGRAMS[call]),
  ]),
) as Record<Syscall, TaskProgram>;

/** The program a system call runs under `policy`. */
export const syscallProgram = (policy: Policy, call: Syscall): TaskProgram =>
  policy.batchedPendingWindow !== undefined && policy.flushBatchedPending
    ? WINDOWED[call]
    : SYSCALL_PROGRAMS[call];

/** The VMA protection a call leaves, set when it starts (under mmap_lock) and promised when it returns. */
export function protAfter(job: Syscall, before: Prot): Prot {
  switch (job) {
    case 'mprotect_ro':
      return 'ro';
    case 'mprotect_rw':
      return 'rw';
    case 'munmap':
      return 'none';
    case 'mmap_fixed':
      return 'rw';
    case 'mremap': // (startSyscall() moves the VMA)
    case 'fork':
    case 'punch_hole':
    case 'madvise_free':
    case 'madvise_dontneed':
    case 'clear_refs':
    case 'change_prot_numa':
    case 'pin_user_pages':
    case 'unpin_user_pages':
      return before;
  }
}

/**
 * flush_tlb_batched_pending() at the top of a PTE walk under the PTL: whole, or, where the
 * policy models its window, only its reset (its flush was the step before).
 */
function batchedPendingUnderPtl(d: Draft<State>, policy: Policy, task: number, mm: number): void {
  if (!policy.flushBatchedPending) return;
  if (policy.batchedPendingWindow === undefined)
    flush_tlb_batched_pending(d, policy.arch, d.tasks[task]!.cpu, mm);
  else batchedPendingReset(d, policy.batchedPendingWindow, task, mm);
}

/** The mmu_gather: remember that this task changed a PTE other CPUs may cache. */
function gatherFlush(d: Draft<State>, task: number, mm: number): void {
  const t = d.tasks[task]!;
  // A new object, not an edit: the empty one is shared and frozen.
  t.tlb_ubc = { ...t.tlb_ubc, cpumask: t.tlb_ubc.cpumask | d.mms[mm]!.mm_cpumask, flush_required: true };
}

/** change_pte_range(): under the PTL, make one PTE (or migration entry) match the new protection. */
export function change_pte_range(d: Draft<State>, policy: Policy, task: number, folio: BatchFolio): void {
  const t = d.tasks[task]!;
  const { mm, vpage } = folio;
  // clear_refs_pte_range() takes the PTL but does not call flush_tlb_batched_pending().
  if (t.job !== 'clear_refs') batchedPendingUnderPtl(d, policy, task, mm);
  const pte = d.mms[mm]!.pte[vpage]!;
  if (t.job === 'clear_refs') {
    if (pte.kind !== 'present' || !pte.writable) return;
    pte.writable = false;
    gatherFlush(d, task, mm);
  } else if (t.job === 'change_prot_numa') {
    // A writable migration entry is made read-only, as for mprotect(); a present PTE of an
    // exclusive anonymous folio becomes PROT_NONE (a COW folio mapped shared is skipped).
    if (pte.kind === 'migration') pte.writable = false;
    if (pte.kind !== 'present' || pte.protnone || !anonExclusive(d.frames[pte.frame]!.owner)) return;
    pte.protnone = true;
    pte.writable = false;
    gatherFlush(d, task, mm);
  } else if (t.job === 'mprotect_ro') {
    // pte_modify() to the new protection ends a NUMA hinting PROT_NONE (no flush: it grants)
    if (pte.kind === 'present') delete pte.protnone;
    if (pte.kind === 'none' || !pte.writable) return;
    // A writable migration entry becomes a readable one; remove_migration_ptes() maps it read-only.
    pte.writable = false;
    if (pte.kind === 'present') gatherFlush(d, task, mm);
  } else if (
    pte.kind === 'present' &&
    (pte.protnone || !pte.writable) &&
    anonExclusive(d.frames[pte.frame]!.owner)
  ) {
    delete pte.protnone;
    // can_change_pte_writable(): an exclusive anonymous page is made writable at once, with
    // no fault and no flush (an upgrade needs none); one fork() shared stays read-only.
    pte.writable = true;
  }
}

/** The frame a long-term pin holds for (mm, vpage), or -1. */
export function pinnedFrame(s: State, mm: number, vpage: number): number {
  return s.frames.findIndex((f) => f.pinned?.mm === mm && f.pinned.vpage === vpage);
}

/**
 * follow_page_pte() with FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM, under the PTL: a present
 * writable PTE's folio gets the pin's reference (the kernel's GUP_PIN_COUNTING_BIAS, one
 * reference here), so folio_maybe_dma_pinned() holds until the unpin. A read-only PTE in a
 * writable VMA is not pinned here: can_follow_write_pte() fails, the PTL is dropped, and
 * faultin_page() write-faults the page (do_wp_page(), where migrc flushes) under a PTL of
 * its own; __get_user_pages() then retries follow_page_pte(). So this step, when it faults,
 * stays for the retry (returns true), and anything may run between the fault and the pin:
 * the retry faults again if the PTE is read-only again. A page not present, in a read-only
 * VMA, or not exclusive is not pinned (the model neither faults a page in nor unshares one:
 * the call pins fewer pages). A folio a batch has isolated may be pinned: isolation leaves
 * its PTE as it was.
 */
export function follow_page_pte(d: Draft<State>, policy: Policy, task: number, folio: BatchFolio): boolean {
  const { mm, vpage } = folio;
  const pte = d.mms[mm]!.pte[vpage]!;
  if (pte.kind !== 'present' || pinnedFrame(d as State, mm, vpage) >= 0) return false;
  if (!anonExclusive(d.frames[pte.frame]!.owner)) return false;
  if (!pte.writable) {
    if (d.mms[mm]!.vma[vpage] !== 'rw') return false;
    do_wp_page(d, policy, d.tasks[task]!.cpu, mm, vpage);
    return true;
  }
  const f = d.frames[pte.frame]!;
  f.refcount += 1;
  f.pinned = { mm, vpage };
  return false;
}

/** unpin_user_page(): the pin's reference goes; a folio nothing else holds is freed. */
export function unpin_user_page(d: Draft<State>, folio: BatchFolio): void {
  const frame = pinnedFrame(d as State, folio.mm, folio.vpage);
  if (frame < 0) return;
  delete d.frames[frame]!.pinned;
  folio_put(d, frame);
}

/**
 * madvise_free_pte_range(): under the PTL (after flush_tlb_batched_pending()), a folio
 * this task can lock (none a batch holds) loses its swap slot and PG_dirty and becomes
 * lazily freeable; its PTE is made clean and old, and the mmu_gather will flush it, so a
 * later store re-walks and dirties the PTE again.
 */
export function madvise_free_pte_range(
  d: Draft<State>,
  policy: Policy,
  task: number,
  folio: BatchFolio,
): void {
  const { mm, vpage } = folio;
  batchedPendingUnderPtl(d, policy, task, mm);
  const pte = d.mms[mm]!.pte[vpage]!;
  if (pte.kind !== 'present' || isolatingTask(d as State, pte.frame) >= 0) return;
  const f = d.frames[pte.frame]!;
  // A folio mapped by more than one mm (fork()) is left alone (folio_mapcount() != 1).
  if (f.owner.kind !== 'anon' || cowShared(f.owner)) return;
  d.mms[mm]!.swap[vpage] = 0;
  f.dirty = false;
  f.lazyfree = true;
  if (pte.dirty || pte.accessed) {
    pte.dirty = false;
    pte.accessed = false;
    gatherFlush(d, task, mm);
  }
}

/**
 * copy_present_pte() for a COW mapping: the parent's PTE is write-protected so that both
 * mms share the page until one writes. Where the world models the child
 * (State.forkChild), the child gets the same folio read-only (folio_dup_file_rmap /
 * folio_try_dup_anon_rmap: one more reference and mapping) and the same VMA, and a page
 * in swap the same swap copy; it cannot run until fork() returns. Otherwise the child is
 * taken to exit or exec at once, so the parent's next store reuses the page in do_wp_page().
 */
export function copy_present_pte(d: Draft<State>, task: number, folio: BatchFolio): void {
  const { mm, vpage } = folio;
  const pte = d.mms[mm]!.pte[vpage]!;
  const child = d.forkChild;
  if (child !== undefined) {
    const c = d.mms[child]!;
    c.vma[vpage] = d.mms[mm]!.vma[vpage]!;
    c.swap[vpage] = d.mms[mm]!.swap[vpage]!;
    // copy_nonpresent_pte(): a migration entry is copied, read-only in both mms; the
    // child joins dst's rmap when remove_migration_ptes() maps it. A writable one made
    // read-only needs the flush at the end as much as a write-protected PTE: the batch
    // may not have flushed the entry it replaced yet.
    if (pte.kind === 'migration') {
      const entry = { kind: 'migration' as const, frame: pte.frame, writable: false, dirty: pte.dirty };
      d.mms[mm]!.pte[vpage] = entry;
      c.pte[vpage] = { ...entry };
      if (pte.writable) gatherFlush(d, task, mm);
    }
    if (pte.kind === 'present') {
      const f = d.frames[pte.frame]!;
      if (f.owner.kind === 'anon')
        f.owner = { ...f.owner, shared: (f.owner.shared ?? 0) | (1 << child), cowed: true };
      f.refcount += 1;
      c.pte[vpage] = {
        kind: 'present',
        frame: pte.frame,
        writable: false,
        dirty: pte.dirty,
        accessed: false,
      };
    }
  }
  if (pte.kind !== 'present' || !pte.writable) return;
  pte.writable = false;
  gatherFlush(d, task, mm);
}

/** flush_tlb_mm(oldmm) at the end of dup_mmap(): every CPU of the parent flushes it whole. */
export function flush_tlb_mm(d: Draft<State>, task: number, arch: Arch): void {
  const t = d.tasks[task]!;
  // A full flush of every CPU gathered, as a batch's; with PCID, of this mm's ASID only.
  if (t.tlb_ubc.flush_required)
    flushTlbMulti(d, arch, {
      from: t.cpu,
      cpumask: t.tlb_ubc.cpumask,
      scope: { kind: 'all', mm: t.folios[0]!.mm },
      broadcast: false,
    });
  t.tlb_ubc = { cpumask: 0, flush_required: false, writable: false };
}

/**
 * flush_tlb_range() at the end of change_protection(), when some PTE lost a permission; and
 * mremap()'s, of the old address only (folios[0]), in move_ptes() or after it.
 */
export function flush_tlb_range(d: Draft<State>, task: number, arch: Arch): void {
  const t = d.tasks[task]!;
  const range = t.job === 'mremap' ? t.folios.slice(0, 1) : t.folios;
  // With PCID, one flush_tlb_mm_range() for the range, as the kernel makes: its one tlb_gen
  // bump decides whether a CPU flushes pages or its whole ASID.
  if (t.tlb_ubc.flush_required && pcid(d as State)) {
    const vpages = range.map((f) => f.vpage);
    flushTlbMulti(d, arch, {
      from: t.cpu,
      cpumask: t.tlb_ubc.cpumask,
      scope: { kind: 'range', mm: t.folios[0]!.mm, vpages },
      broadcast: false,
    });
  } else if (t.tlb_ubc.flush_required)
    for (const f of range)
      flushTlbMulti(d, arch, {
        from: t.cpu,
        cpumask: t.tlb_ubc.cpumask,
        scope: { kind: 'page', mm: f.mm, vpage: f.vpage },
        broadcast: false,
      });
  t.tlb_ubc = { cpumask: 0, flush_required: false, writable: false };
}

/**
 * zap_pte_range(): under the PTL, clear the PTE and free its swap entry. A mapped folio
 * goes into the mmu_gather, to be freed only after the flush (tlb_finish_mmu()); one
 * that reclaim or migration holds no longer backs the page either.
 */
export function zap_pte_range(d: Draft<State>, policy: Policy, task: number, folio: BatchFolio): void {
  const t = d.tasks[task]!;
  const { mm, vpage } = folio;
  batchedPendingUnderPtl(d, policy, task, mm);
  const pte = d.mms[mm]!.pte[vpage]!;
  const frame = residentFrame(d as State, mm, vpage);
  // A dirty PTE of a shared file folio: folio_mark_dirty(), and (since 1cf35d47712d)
  // force_flush, so the flush comes before the PTL is dropped; with delay_rmap
  // (5df397dec7c4) the rmap stays until that flush, so folio_mkclean() waits for it.
  const zapDirtyShared = policy.zapDirtyShared ?? 'flush-then-rmap';
  // VM_PFNMAP (Config.pfnmap): vm_normal_page() finds no page, so the zap only clears the
  // PTE and gathers its flush: no dirtying, no force_flush, no reference held for the free.
  const page = !pfnmapPage(d as State, vpage);
  const forceFlush =
    page &&
    pte.kind === 'present' &&
    pte.dirty &&
    d.frames[frame]!.owner.kind === 'file' &&
    zapDirtyShared !== 'after-unlock';
  if (pte.kind === 'present') {
    if (pte.dirty && page) d.frames[frame]!.dirty = true;
    if (page) t.folios[t.pc.folio]!.src = frame;
    if (forceFlush) t.folios[t.pc.folio]!.forceFlush = true;
    gatherFlush(d, task, mm);
  }
  // Every folio that still backs the page (this one, one reclaim holds in the swap cache,
  // both ends of a migration in flight) backs nothing now, unless another mm shares it.
  if (!(forceFlush && zapDirtyShared === 'flush-then-rmap'))
    for (let frame = 0; frame < d.frames.length; frame++)
      if (mapsFolio(d.frames[frame]!.owner, mm, vpage)) dropMapping(d, frame, mm);
  d.mms[mm]!.pte[vpage] = { kind: 'none' };
  d.mms[mm]!.swap[vpage] = 0;
  // A MAP_PRIVATE page's own copy is gone with its PTE: the page reads the file again.
  const anonCopy = d.mms[mm]!.anonCopy;
  if (anonCopy !== undefined) anonCopy[vpage] = false;
}

/**
 * zap_pte_range()'s force_flush, still under the PTL: tlb_flush_mmu_tlbonly() flushes
 * every page the gather holds so far and resets its range, then (delay_rmap) the rmap of
 * the dirty folio is removed (tlb_flush_rmaps()), unless the zap removed it already
 * ('rmap-then-flush'). The folios stay in the gather until tlb_finish_mmu() frees them.
 */
export function tlb_flush_mmu_tlbonly(d: Draft<State>, task: number, arch: Arch): void {
  const t = d.tasks[task]!;
  const at = t.pc.folio;
  if (t.tlb_ubc.flush_required)
    for (const f of t.folios.slice(0, at + 1))
      flushTlbMulti(d, arch, {
        from: t.cpu,
        cpumask: t.tlb_ubc.cpumask,
        scope: { kind: 'page', mm: f.mm, vpage: f.vpage },
        broadcast: false,
      });
  t.tlb_ubc = emptyTlbUbc;
  const folio = t.folios[at]!;
  delete folio.forceFlush;
  dropMapping(d, folio.src, folio.mm);
}

/**
 * free_pgtables() of munmap()'s VMAs, in a sharedFile world, up to its request for
 * i_mmap_rwsem: from here on a new walk of i_mmap may start only until the request sets
 * RWSEM_FLAG_HANDOFF (iMmapWriterWaits()).
 * On an arch that does not merge VMAs (Arch.mergeVmas false) tlb_end_vma() has flushed the
 * range. Else Policy.pfnmapFlushBeforeUnlink (b67fbebd4cf9, v5.19, in tlb_end_vma(); tlb_free_vma()
 * today): if one of the VMAs is VM_PFNMAP, the gathered flush comes first, since the
 * mmu_gather holds no reference to keep the memory from the driver. 'first-vma': only if
 * the first one is (the stable backports before Jann Horn's fixup, September 2022).
 * The flush and the request are one step, where the kernel has a window between them; a
 * walk starting in that window is the model's walk starting before this step (its start
 * reads nothing the flush changes, and this step does not wait for a walk).
 * unlink_file_vma, the next step, is the unlink: inIMmap() reads the munmap()'s phase, so
 * that step changes nothing else; it waits for a walk in flight (waitsForIMmap()).
 */
export function free_pgtables(d: Draft<State>, policy: Policy, task: number): void {
  // Arch.mergeVmas false: tlb_end_vma() has flushed each VMA already, whatever maps it.
  if (policy.arch.mergeVmas === false) {
    flush_tlb_range(d, task, policy.arch);
    return;
  }
  const flush = policy.pfnmapFlushBeforeUnlink ?? true;
  if (flush === false) return;
  const pages = d.tasks[task]!.folios.map((f) => f.vpage);
  // (each page its own VMA: the first is the lowest address)
  const checked = flush === 'first-vma' ? [Math.min(...pages)] : pages;
  if (checked.some((v) => pfnmapPage(d as State, v))) flush_tlb_range(d, task, policy.arch);
}

/** tlb_finish_mmu(): flush what the zap cleared, then free the gathered folios. */
export function tlb_finish_mmu(d: Draft<State>, task: number, arch: Arch, nestedFlush = true): void {
  flush_tlb_range(d, task, arch);
  const t = d.tasks[task]!;
  // mm_tlb_flush_nested() (99baac21e458, v4.13; Policy.nestedFlush): another zap of the same
  // mm, under a lock this one does not exclude (madvise()'s mmap_lock for read, or a hole
  // punched through the file's i_mmap), may have cleared a PTE this zap then found empty,
  // its flush still to come; so the whole mm is flushed before this call can return.
  // (A hole punched zapped, and so flushes, only the mms its walk of i_mmap found.)
  if (nestedFlush)
    for (let mm = 0; mm < d.mms.length; mm++)
      if (
        t.folios.some((f) => f.mm === mm && (t.job !== 'punch_hole' || inIMmap(d as State, mm, f.vpage))) &&
        d.tasks.some(
          (o, i) =>
            i !== task && zaps(o.job) && o.tlb_ubc.flush_required && o.folios.some((f) => f.mm === mm),
        )
      )
        flushTlbMulti(d, arch, {
          from: t.cpu,
          cpumask: d.mms[mm]!.mm_cpumask,
          scope: { kind: 'all', mm },
          broadcast: false,
        });
  for (const f of t.folios) if (f.src >= 0) folio_put(d, f.src);
}

/** Does this job change PTEs through an mmu_gather (tlb_gather_mmu() ... tlb_finish_mmu())? */
const zaps = (job: Job): boolean =>
  job === 'munmap' ||
  job === 'madvise_dontneed' ||
  job === 'mmap_fixed' ||
  job === 'punch_hole' ||
  job === 'madvise_free';

/** The call returns to the user: from now on its promise must hold on every CPU. */
export function syscall_return(d: Draft<State>, task: number): void {
  const t = d.tasks[task]!;
  if (t.revokes !== undefined) t.revokes = [];
  for (const f of t.folios) {
    // A hole punched promises nothing for an mm whose VMA munmap() had already unlinked:
    // its walk never saw that mm, whose entries are munmap()'s to flush before it returns.
    if (t.job !== 'punch_hole' || inIMmap(d as State, f.mm, f.vpage))
      d.ghost.promised[f.mm]![f.vpage] = d.mms[f.mm]!.vma[f.vpage]!;
    // What a page holds after MADV_DONTNEED is whatever the call left (zeroes, or a store
    // that faulted a new page in meanwhile): user code racing with it gets either.
    // (A shared file's page keeps the file's contents through both calls, and a MAP_PRIVATE
    // page that has lost its copy reads them again, unless a store copied it anew.)
    const anon = !sharedFile(d as State);
    if (t.job === 'madvise_dontneed' && anon)
      d.ghost.memory[f.mm]![f.vpage] = homeValue(d as State, f.mm, f.vpage);
    if ((t.job === 'madvise_dontneed' || t.job === 'mmap_fixed') && !anon) rereadFile(d, f.mm, f.vpage);
    // After MAP_FIXED the range is new memory: zero, whatever the old mapping held.
    if (t.job === 'mmap_fixed' && anon) d.ghost.memory[f.mm]![f.vpage] = 0;
    // After a hole is punched the file's page reads zeroes, in every mm.
    if (t.job === 'punch_hole') for (const row of d.ghost.memory) row[f.vpage] = 0;
    // After MADV_FREE the page may read its contents or zeroes until it is written again.
    if (t.job === 'madvise_free' && d.mms[f.mm]!.vma[f.vpage] !== 'none') d.ghost.lazy[f.mm]![f.vpage] = true;
    // The child starts to run with what its pages hold now: a store that raced with the
    // copy (through an entry fork() had not flushed yet) may or may not be in it.
    const child = d.forkChild;
    if (t.job === 'fork' && child !== undefined) {
      d.ghost.promised[child]![f.vpage] = d.mms[child]!.vma[f.vpage]!;
      d.ghost.memory[child]![f.vpage] = homeValue(d as State, child, f.vpage);
      d.ghost.lazy[child]![f.vpage] = d.ghost.lazy[f.mm]![f.vpage]!;
    }
  }
}

/**
 * move_ptes(): under the old and the new PTL (mm/mremap.c), after flush_tlb_batched_pending(),
 * ptep_get_and_clear() the old PTE (or swap or migration entry) and set it at the new
 * address. Policy.mremapFlush: 'under-ptl' (eb66ae030829) flushes a present PTE's old
 * address before either PTL is dropped. 'dirty-under-ptl' (5d1904204c99) flushes a dirty
 * one's only after the new PTL is dropped, under the old one alone, so in this step only
 * where both addresses share one PTL; a clean one's, and with 'after-unlock' every one's,
 * after both are dropped (need_flush). A flush not made here is the next step; the old PTL
 * it may still hold guards only other pages of that table, and the model lets it go.
 * One step: the PTLs exclude every other PTE writer, and a user access in between goes
 * through an entry to the same frame, or walks a cleared PTE and faults, to wait for the
 * mmap_lock this call holds for write.
 * The model's rmap is (mm, vpage): the folio, and any reclaim or migration batch holding
 * it, now names the new page, where the kernel's rmap walk finds it (vma_address()).
 */
export function move_ptes(d: Draft<State>, policy: Policy, task: number): void {
  const t = d.tasks[task]!;
  const { mm, vpage: from } = t.folios[0]!;
  const to = t.folios[1]!.vpage;
  // since 3ea277194daa (v4.13): a flush reclaim deferred for this mm comes first
  if (policy.flushBatchedPending) flush_tlb_batched_pending(d, policy.arch, t.cpu, mm);
  const m = d.mms[mm]!;
  const pte = m.pte[from]!;
  m.pte[to] = pte;
  m.pte[from] = { kind: 'none' };
  m.swap[to] = m.swap[from]!;
  m.swap[from] = 0;
  for (const f of d.frames)
    if (f.owner.kind === 'anon' && f.owner.mm === mm && f.owner.vpage === from)
      f.owner = { ...f.owner, vpage: to };
  for (const other of d.tasks)
    if (!isSyscall(other.job))
      for (const f of other.folios) if (f.mm === mm && f.vpage === from) f.vpage = to;
  if (pte.kind !== 'present') return;
  gatherFlush(d, task, mm);
  const flush = policy.mremapFlush ?? 'under-ptl';
  const onePtl = Math.floor(from / d.ptesPerTable) === Math.floor(to / d.ptesPerTable);
  if (flush === 'under-ptl' || (flush === 'dirty-under-ptl' && pte.dirty && onePtl))
    flush_tlb_range(d, task, policy.arch);
}

/** The call starts: the VMA changes under mmap_lock before any PTE does. */
/** The calls whose return promises the page's old contents are gone (Config.perCallPromises). */
export const revokesContents = (job: Syscall): boolean =>
  job === 'munmap' || job === 'madvise_dontneed' || job === 'mmap_fixed';

/**
 * Config.perCallPromises: a call that discards its pages notes, as it starts, the frames
 * their contents are in: the PTE's (or its migration entry's), and any a CPU still caches
 * (a zap or reclaim whose flush is still to come). Its return must leave none cached.
 */
export function noteRevoked(
  d: Draft<State>,
  task: number,
  job: Syscall,
  mm: number,
  vpages: readonly number[],
) {
  const t = d.tasks[task]!;
  if (t.revokes === undefined || !revokesContents(job)) return;
  const frames = new Set<number>();
  for (const vpage of vpages) {
    const pte = d.mms[mm]!.pte[vpage]!;
    if (pte.kind !== 'none') frames.add(pte.frame);
    for (let cpu = 0; cpu < d.cpus.length; cpu++) {
      const entry = tlbLookup(d as State, cpu, mm, vpage);
      if (entry !== null) frames.add(entry.frame);
    }
  }
  // In the order found, not by number: symmetry reduction renumbers frames, and a list
  // sorted by number would not stay sorted (the relabelled successor must be the successor
  // of the relabelled state).
  t.revokes = [...frames];
}

export function startSyscall(
  d: Draft<State>,
  job: Syscall,
  mm: number,
  vpages: readonly number[],
): BatchFolio[] {
  // mremap(): the VMA moves (the page is inaccessible at both ends until the PTE moves: a
  // fault on either waits for mmap_lock), and what the user sees of the page with it.
  if (job === 'mremap') {
    const [from, to] = vpages as [number, number];
    const m = d.mms[mm]!;
    m.vma[to] = m.vma[from]!;
    m.vma[from] = 'none';
    d.ghost.promised[mm]![to] = m.vma[to]!;
    d.ghost.memory[mm]![to] = d.ghost.memory[mm]![from]!;
    d.ghost.lazy[mm]![to] = d.ghost.lazy[mm]![from]!;
    d.ghost.lazy[mm]![from] = false;
    return vpages.map((vpage) => ({ mm, vpage, src: -1, dst: -1 }));
  }
  for (const v of vpages) {
    d.mms[mm]!.vma[v] = protAfter(job, d.mms[mm]!.vma[v]!);
    // A permission granted may be used at once (a racing store may land); one revoked
    // is promised only when the call returns.
    if (job === 'mprotect_rw') d.ghost.promised[mm]![v] = 'rw';
  }
  // A hole is punched in the file: unmap_mapping_range() zaps every mapping of the page its
  // walk of i_mmap finds (an mm whose VMA is no longer there is skipped: applies()).
  if (job === 'punch_hole') return d.mms.map((_, m) => ({ mm: m, vpage: vpages[0]!, src: -1, dst: -1 }));
  return vpages.map((vpage) => ({ mm, vpage, src: -1, dst: -1 }));
}

/**
 * truncate_inode_folio(): the page-cache folio of the punched page (if any is cached) leaves
 * the page cache, dirty or not, and its page-cache reference is dropped; the file system
 * frees the block, which reads zero.
 */
export function truncate_inode_folio(d: Draft<State>, task: number): void {
  const index = d.tasks[task]!.folios[0]!.vpage;
  const frame = pageCacheFrame(d as State, index);
  if (frame >= 0) {
    const f = d.frames[frame]!;
    f.owner = { kind: 'unmapped' };
    f.dirty = false;
    folio_put(d, frame);
  }
  d.disk![index] = 0;
}

/**
 * mmap() over an unmapped range: of anonymous memory, zero-filled on first touch; in a
 * sharedFile world, MAP_SHARED of the file again, whose pages hold what they held.
 */
export function mmap(d: Draft<State>, mm: number, vpages: readonly number[]): void {
  const anon = !sharedFile(d as State);
  for (const v of vpages) {
    d.mms[mm]!.vma[v] = 'rw';
    d.ghost.promised[mm]![v] = 'rw';
    if (!anon) {
      rereadFile(d, mm, v);
      continue;
    }
    d.mms[mm]!.swap[v] = 0;
    d.ghost.memory[mm]![v] = 0;
  }
}

/** A MAP_PRIVATE page with no copy of its own holds what the file holds (ghost.file). */
function rereadFile(d: Draft<State>, mm: number, vpage: number): void {
  if (d.ghost.file !== undefined && readsFile(d as State, mm, vpage))
    d.ghost.memory[mm]![vpage] = d.ghost.file[vpage]!;
}

/** Is every task that holds `mm`'s mmap_lock for write in fork()? */
export function mmapLockedByFork(s: State, mm: number, locking: MmapLocking): boolean {
  return s.tasks.every(
    (t) => t.job === 'fork' || !(t.folios[0]?.mm === mm && holdsMmapLockForWrite(t.job, locking)),
  );
}

/** Is a thread of `mm` inside a write fault's wp_page_copy() (holding mmap_lock or the VMA lock for read)? */
export const faultInFlight = (s: State, mm: number): boolean =>
  s.cpus.some((c) => c.wp_copy !== undefined && c.mm === mm);

/** Does a task in a system call hold `mm`'s mmap_lock for write (or, `anyHolder`, at all)? */
export function mmapLockHeld(s: State, mm: number, anyHolder: boolean, locking: MmapLocking): boolean {
  // (fallocate(PUNCH_HOLE) takes the file's locks, no mm's mmap_lock)
  return s.tasks.some(
    (t) =>
      isSyscall(t.job) &&
      t.job !== 'punch_hole' &&
      t.folios[0]?.mm === mm &&
      (anyHolder || holdsMmapLockForWrite(t.job, locking)),
  );
}
