// Kernel tasks as PlusCal-style processes: each runs its variant's program one step at a
// time, so every user access and every other task can interleave between its steps.

import type { Draft } from 'immer';
import { unreachable } from './exhaustive.js';
import { numamigrate_isolate_folio } from './isolate.js';
import {
  _move_to_new_folio_prep,
  folio_mc_copy,
  migrate_folio_done,
  migrate_folio_undo_end,
  migrationLeft,
  move_to_new_folio,
  nextMigrationEntry,
  removeNextMigrationPte,
  undoNextMigrationPte,
} from './migrate.js';
import {
  migrc_expand_req,
  migrc_mark_folios,
  migrc_req_end,
  migrc_stop_in_batch,
  migrc_undo_folios,
  migrc_unmap_done,
} from './migrc.js';
import { inIMmap, sharedFile } from './queries.js';
import {
  batchedPendingFlush,
  try_to_unmap_flush,
  try_to_unmap_flush_dirty,
  unmapOne,
  walkPtlsFree,
} from './rmap.js';
import { type BatchFolio, idlePc, type Pc, type State, type Task } from './state.js';
import {
  change_pte_range,
  copy_present_pte,
  flush_tlb_mm,
  flush_tlb_range,
  follow_page_pte,
  free_pgtables,
  isSyscall,
  madvise_free_pte_range,
  move_ptes,
  syscall_return,
  syscallProgram,
  tlb_finish_mmu,
  tlb_flush_mmu_tlbonly,
  truncate_inode_folio,
  unpin_user_page,
  zap_pte_range,
} from './syscalls.js';
import type { Phase, Policy, StepName, TaskProgram } from './variant.js';
import { __remove_mapping, free_unref_folios, inSwapCache, pageout } from './vmscan.js';

export function jobPolicy(policy: Policy, task: Task): TaskProgram | null {
  if (isSyscall(task.job)) return syscallProgram(policy, task.job);
  return task.job === 'migrate' ? policy.migrate : task.job === 'reclaim' ? policy.reclaim : null;
}

const phaseSteps = (phase: Phase): readonly StepName[] => ('each' in phase ? phase.each : [phase.once]);

/** The kernel function the task runs next, or null when it is idle. */
export function currentStep(policy: Policy, task: Task): StepName | null {
  if (task.folios[0]?.unisolated) return 'numamigrate_isolate_folio';
  const job = jobPolicy(policy, task);
  if (job === null) return null;
  const phase = job.program[task.pc.phase];
  return phase === undefined ? null : (phaseSteps(phase)[task.pc.step] ?? null);
}

/** The folio a per-folio step works on; `once` steps name none. */
export function currentFolio(policy: Policy, task: Task): BatchFolio | null {
  if (task.folios[0]?.unisolated) return task.folios[0];
  const job = jobPolicy(policy, task);
  const phase = job?.program[task.pc.phase];
  return phase !== undefined && 'each' in phase ? (task.folios[task.pc.folio] ?? null) : null;
}

/**
 * A step with nothing to do is skipped, as the kernel skips it: pageout() and
 * try_to_unmap_flush_dirty() only for dirty folios, a flush with nothing pending
 * returns at once, and a folio whose copy failed has left the batch.
 */
function applies(s: State, step: StepName, task: Task, folio: BatchFolio | null): boolean {
  if (folio?.failed) return false;
  switch (step) {
    case 'pageout': // per-folio: jobPolicyProblem() keeps it out of a once phase
      return s.frames[folio!.src]!.dirty;
    case '__remove_mapping': // a lazily freed folio try_to_unmap_one() discarded is gone already
      return inSwapCache(s, folio!);
    case 'try_to_unmap_flush_dirty':
      return task.tlb_ubc.writable && (folio === null || s.frames[folio.src]!.dirty);
    case 'tlb_flush_mmu_tlbonly':
      return folio?.forceFlush === true;
    // unmap_mapping_range() zaps only the mappings its walk of i_mmap finds
    case 'zap_pte_range':
      return task.job !== 'punch_hole' || inIMmap(s, folio!.mm, folio!.vpage);
    // an i_mmap to unlink from: a sharedFile world's
    case 'free_pgtables':
    case 'unlink_file_vma':
      return sharedFile(s);
    case 'try_to_unmap_flush':
    case 'flush_tlb_range':
    case 'flush_tlb_mm':
      return task.tlb_ubc.flush_required;
    case 'can_migrc_system': // runs only when it fails: migrc stopped with a request started
      return task.mreq !== null && s.migrc.stopped === true;
    case 'flush_tlb_batched_pending':
    case 'change_pte_range':
    case 'copy_present_pte':
    case 'madvise_free_pte_range':
    case 'tlb_finish_mmu':
    case 'truncate_inode_folio':
    case 'move_ptes':
    case 'follow_page_pte':
    case 'unpin_user_page':
    case 'syscall_return':
    case 'numamigrate_isolate_folio':
    case 'migrc_mark_folios':
    case 'migrc_unmap_done':
    case 'migrc_expand_req':
    case 'migrc_req_end':
    case 'try_to_unmap_one':
    case 'try_to_migrate_one':
    case 'free_unref_folios':
    case 'move_to_new_folio':
    case '_move_to_new_folio_prep':
    case 'folio_mc_copy':
    case 'remove_migration_ptes':
    case 'migrate_folio_done':
      return true;
    default:
      return unreachable(step);
  }
}

/** The position after `pc` in program order; null past the end. */
function successor(program: readonly Phase[], pc: Pc, nFolios: number): Pc | null {
  const phase = program[pc.phase]!;
  if ('each' in phase) {
    if (pc.step + 1 < phase.each.length) return { ...pc, step: pc.step + 1 };
    if (pc.folio + 1 < nFolios) return { phase: pc.phase, folio: pc.folio + 1, step: 0 };
  }
  return pc.phase + 1 < program.length ? { phase: pc.phase + 1, folio: 0, step: 0 } : null;
}

/** Move the task to its next step that has work to do, or make it idle when the batch is done. */
function settle(d: Draft<State>, policy: Policy, index: number, from: Pc | null): void {
  const task = d.tasks[index]!;
  const job = jobPolicy(policy, task as Task)!;
  let pc: Pc | null = from;
  while (pc !== null) {
    task.pc = pc;
    const step = currentStep(policy, task as Task)!;
    if (applies(d as State, step, task as Task, currentFolio(policy, task as Task))) return;
    pc = successor(job.program, pc, task.folios.length);
  }
  endJob(d, index);
}

/** The task's job is over: it is idle, holding no folio. */
function endJob(d: Draft<State>, index: number): void {
  const task = d.tasks[index]!;
  task.job = 'idle';
  task.folios = [];
  task.pc = idlePc;
}

/** Steps that take the PTL of their folio's page (pte_offset_map_lock()) for their length. */
const TAKES_PTL: ReadonlySet<StepName> = new Set<StepName>([
  'try_to_unmap_one',
  'try_to_migrate_one',
  'remove_migration_ptes',
  'flush_tlb_batched_pending',
  'change_pte_range',
  'zap_pte_range',
  'madvise_free_pte_range',
  'copy_present_pte',
  'follow_page_pte',
]);

/**
 * The task that holds the PTL covering (mm, vpage) between two of its steps, or -1. Every
 * other step holds its lock only for its own length; a system call whose policy models the
 * window inside flush_tlb_batched_pending() takes the PTL there and keeps it through the
 * PTE step that follows, and a zap that cleared a dirty shared file PTE keeps it until its
 * force_flush.
 */
export function ptlHolder(s: State, policy: Policy, mm: number, vpage: number): number {
  if (policy.batchedPendingWindow === undefined && s.disk === undefined) return -1;
  const table = Math.floor(vpage / s.ptesPerTable);
  for (let i = 0; i < s.tasks.length; i++) {
    const t = s.tasks[i]!;
    if (!isSyscall(t.job)) continue;
    // Between zap_pte_range() and its force_flush (sharedFile worlds only).
    const zapped = t.folios[t.pc.folio];
    if (zapped?.forceFlush && zapped.mm === mm && Math.floor(zapped.vpage / s.ptesPerTable) === table)
      return i;
    if (policy.batchedPendingWindow === undefined || t.pc.step === 0) continue;
    const phase = jobPolicy(policy, t)!.program[t.pc.phase];
    if (phase === undefined || !('each' in phase) || phase.each[0] !== 'flush_tlb_batched_pending') continue;
    const f = t.folios[t.pc.folio]!;
    if (f.mm === mm && Math.floor(f.vpage / s.ptesPerTable) === table) return i;
  }
  return -1;
}

/** Can task `index` run its current step, or does it wait for a PTL another task holds? */
export function ptlFree(s: State, policy: Policy, index: number): boolean {
  if (policy.batchedPendingWindow === undefined && s.disk === undefined) return true;
  const task = s.tasks[index]!;
  const step = currentStep(policy, task);
  const folio = currentFolio(policy, task);
  if (folio?.undoing) return undoPtlFree(s, policy, index);
  if (step === null || folio === null || !TAKES_PTL.has(step)) return true;
  // An rmap walk takes the PTL of the mapping it visits next (a shared file's folio, or one
  // fork() shared, has one in each mm).
  if (step === 'try_to_unmap_one' || step === 'try_to_migrate_one')
    return walkPtlsFree(s, folio, (mm) => ptlFreeFor(s, policy, index, mm, folio.vpage));
  const mm = step === 'remove_migration_ptes' ? nextMigrationEntry(s, folio) : folio.mm;
  return ptlFreeFor(s, policy, index, mm, folio.vpage);
}

/**
 * Does task `index` wait for the flusher's folio lock? truncate_inode_folio() locks the
 * punched page's folio, which the flusher holds through its walk.
 */
export function waitsForFlusher(s: State, policy: Policy, index: number): boolean {
  const task = s.tasks[index]!;
  if (s.flusher === undefined || currentStep(policy, task) !== 'truncate_inode_folio') return false;
  return task.folios[0]?.vpage === s.flusher.index;
}

/**
 * Does task `index` wait for i_mmap_rwsem? unlink_file_vma() runs under it for write, so it
 * waits while unmap_mapping_range() of the same page walks i_mmap (iMmapWalked()). Its
 * first step while waiting is the end of RWSEM_WAIT_TIMEOUT, which sets RWSEM_FLAG_HANDOFF
 * (Policy.rwsemHandoff, lockedIMmap()); after that, or with no handoff at all, it waits.
 */
export function waitsForIMmap(s: State, policy: Policy, index: number): boolean {
  const task = s.tasks[index]!;
  if (!lockedIMmap(s, policy, task)) return false;
  return task.handoff === true || policy.rwsemHandoff === false;
}

/** Is task `task` in unlink_file_vma() while a walk of i_mmap holds i_mmap_rwsem for its page? */
function lockedIMmap(s: State, policy: Policy, task: Task): boolean {
  if (!sharedFile(s) || currentStep(policy, task) !== 'unlink_file_vma') return false;
  return task.folios.some((f) => iMmapWalked(s, policy, f.vpage));
}

/**
 * Does unmap_mapping_range() of the shared file's page `index` walk i_mmap, under
 * i_mmap_rwsem for read? From the punch's start through its tlb_finish_mmu() (the kernel
 * flushes each VMA under the lock). A writer of the rwsem waits meanwhile: munmap()'s
 * unlink_file_vma() and mmap()'s vma_link().
 */
export function iMmapWalked(s: State, policy: Policy, index: number): boolean {
  return s.tasks.some((t) => {
    if (t.job !== 'punch_hole' || t.folios[0]?.vpage !== index) return false;
    const step = currentStep(policy, t);
    return step === 'zap_pte_range' || step === 'tlb_flush_mmu_tlbonly' || step === 'tlb_finish_mmu';
  });
}

/** Is the PTL of (mm, vpage) free, or held by task `index` itself? */
function ptlFreeFor(s: State, policy: Policy, index: number, mm: number, vpage: number): boolean {
  const holder = ptlHolder(s, policy, mm, vpage);
  return holder < 0 || holder === index;
}

/** Start a batch on an idle task at the first step of its program. */
export function startJob(
  d: Draft<State>,
  policy: Policy,
  index: number,
  job: Task['job'],
  folios: BatchFolio[],
): void {
  const task = d.tasks[index]!;
  task.job = job;
  task.folios = folios;
  settle(d, policy, index, idlePc);
}

/** Run the task's current step, then move it on. */
export function kernelStep(d: Draft<State>, policy: Policy, index: number): void {
  const task = d.tasks[index]! as Task;
  const job = jobPolicy(policy, task)!;
  const step = currentStep(policy, task)!;
  const folio = currentFolio(policy, task);
  const f = folio!; // per-folio steps always have one; `once` steps ignore it
  // the undo of a failed copy or move, one mapping a step, at the step that failed
  if (folio?.undoing) {
    if (!undoNextMigrationPte(d, f)) undoDone(d, policy, index);
    return;
  }
  switch (step) {
    // one mapping a step: the task stays here while the rmap walk has another to visit
    case 'try_to_unmap_one':
      if (
        unmapOne(d, { job, arch: policy.arch, migrc: null, pinned: policy.pinnedMigration }, index, f, 'none')
      )
        return;
      break;
    case 'try_to_migrate_one':
      if (
        unmapOne(
          d,
          { job, arch: policy.arch, migrc: policy.migrc, pinned: policy.pinnedMigration },
          index,
          f,
          'migration',
        )
      )
        return;
      break;
    case 'try_to_unmap_flush':
      try_to_unmap_flush(d, policy.arch, index);
      break;
    case 'try_to_unmap_flush_dirty':
      try_to_unmap_flush_dirty(d, policy.arch, index);
      break;
    case 'pageout':
      pageout(d, f);
      break;
    case '__remove_mapping':
      __remove_mapping(d, f);
      break;
    case 'free_unref_folios':
      free_unref_folios(d, f);
      break;
    case 'move_to_new_folio':
    case '_move_to_new_folio_prep':
      // before 6c287605fd56 a pinned folio got this far: folio_migrate_mapping() finds its
      // refcount above what the batch expects and the move fails (-EAGAIN, until the
      // batch gives up), undone as any failed move is
      if (policy.pinnedMigration === 'refcount' && d.frames[f.src]!.pinned !== undefined) {
        copyFails(d, policy, index);
        return;
      }
      if (step === 'move_to_new_folio') move_to_new_folio(d, f);
      else _move_to_new_folio_prep(d, f);
      break;
    case 'folio_mc_copy':
      folio_mc_copy(d, f);
      break;
    case 'remove_migration_ptes':
      if (removeNextMigrationPte(d, f)) return;
      break;
    case 'migrate_folio_done':
      migrate_folio_done(d, f);
      break;
    case 'flush_tlb_batched_pending':
      batchedPendingFlush(d, policy.arch, task.cpu, f.mm, index);
      break;
    case 'change_pte_range':
      change_pte_range(d, policy, index, f);
      break;
    // Without a migrc policy these are the kernel's stubs (CONFIG_MIGRC=n): no-ops.
    case 'migrc_mark_folios':
      if (policy.migrc !== null) migrc_mark_folios(d, policy.migrc, index, f);
      break;
    case 'migrc_unmap_done':
      migrc_unmap_done(d, policy.migrc, index);
      break;
    case 'migrc_expand_req':
      if (policy.migrc !== null) migrc_expand_req(d, policy.migrc, index, f);
      break;
    case 'migrc_req_end':
      migrc_req_end(d, policy.migrc, index);
      break;
    case 'can_migrc_system':
      if (policy.migrc !== null) migrc_stop_in_batch(d, policy.arch, policy.migrc, index);
      break;
    case 'zap_pte_range':
      zap_pte_range(d, policy, index, f);
      break;
    case 'tlb_flush_mmu_tlbonly':
      tlb_flush_mmu_tlbonly(d, index, policy.arch);
      break;
    case 'flush_tlb_range':
      flush_tlb_range(d, index, policy.arch);
      break;
    case 'copy_present_pte':
      copy_present_pte(d, index, f);
      break;
    case 'madvise_free_pte_range':
      madvise_free_pte_range(d, policy, index, f);
      break;
    case 'flush_tlb_mm':
      flush_tlb_mm(d, index, policy.arch);
      break;
    case 'tlb_finish_mmu':
      tlb_finish_mmu(d, index, policy.arch, policy.nestedFlush !== false);
      break;
    case 'free_pgtables':
      free_pgtables(d, policy, index);
      break;
    // (inIMmap() reads the phase this step leaves.) Queued behind a walk: the wait times out
    // and the munmap() sets RWSEM_FLAG_HANDOFF (rwsem_try_write_lock()), and stays queued.
    case 'unlink_file_vma':
      if (lockedIMmap(d as State, policy, task)) {
        d.tasks[index]!.handoff = true;
        return;
      }
      delete d.tasks[index]!.handoff;
      break;
    case 'truncate_inode_folio':
      truncate_inode_folio(d, index);
      break;
    case 'move_ptes':
      move_ptes(d, policy, index);
      break;
    // the write fault of a read-only PTE: the task stays here for __get_user_pages()'s retry
    case 'follow_page_pte':
      if (follow_page_pte(d, policy, index, f)) return;
      break;
    case 'unpin_user_page':
      unpin_user_page(d, f);
      break;
    // the hinting fault's isolation, before the batch's program: an idle task if it fails
    case 'numamigrate_isolate_folio':
      if (numamigrate_isolate_folio(d, policy, index)) settle(d, policy, index, idlePc);
      else endJob(d, index);
      return;
    case 'syscall_return':
      syscall_return(d, index);
      break;
    default:
      unreachable(step);
  }
  settle(d, policy, index, successor(job.program, d.tasks[index]!.pc, task.folios.length));
}

/**
 * Can the task's current step fail now? A copy can (folio_mc_copy()), and, in a world
 * where moving may fail, move_to_new_folio() (its copy, since v6.11).
 */
export function copyMayFail(s: State, policy: Policy, task: Task): boolean {
  if (task.job !== 'migrate' || currentFolio(policy, task)?.undoing) return false;
  const step = currentStep(policy, task);
  return step === 'folio_mc_copy' || (step === 'move_to_new_folio' && s.moveMayFail === true);
}

/**
 * The task's folio_mc_copy() or move_to_new_folio() fails instead of running: the batch
 * undoes that folio (migrate_folio_undo_src(), one mapping a step) and moves on. migrc: with
 * undoOnMoveFailure, migrc's marking is undone too (migrc_undo_folios()).
 */
export function copyFails(d: Draft<State>, policy: Policy, index: number): void {
  const task = d.tasks[index]!;
  const folio = task.folios[task.pc.folio]!;
  if (policy.migrc?.undoOnMoveFailure) migrc_undo_folios(d, policy.migrc, folio as BatchFolio);
  // migrate_folio_undo_src(): the first mapping now, any other in a step of its own
  if (undoNextMigrationPte(d, folio as BatchFolio)) folio.undoing = true;
  else undoDone(d, policy, index);
}

/** The undo's walk is over: src back, dst freed, and the batch goes on without the folio. */
function undoDone(d: Draft<State>, policy: Policy, index: number): void {
  const task = d.tasks[index]!;
  const folio = task.folios[task.pc.folio]!;
  migrate_folio_undo_end(d, folio as BatchFolio);
  delete folio.undoing;
  folio.failed = true;
  const job = jobPolicy(policy, task as Task)!;
  settle(d, policy, index, successor(job.program, task.pc, task.folios.length));
}

/**
 * May the undo of task `index`'s failed folio restore its next mapping now? It takes that
 * mapping's PTL. (copyFails restores the first one, a kernel step each of the others.)
 */
export function undoPtlFree(s: State, policy: Policy, index: number): boolean {
  const folio = currentFolio(policy, s.tasks[index]!);
  const mm = folio === null ? -1 : migrationLeft(s, folio);
  // (a walk that finds no entry of the folio takes no PTL)
  return mm < 0 || ptlFreeFor(s, policy, index, mm, folio!.vpage);
}
