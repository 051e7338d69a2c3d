// The one step relation every engine uses: an Action union, a guard `enabled` and an
// update `next`. Each action is one atomic step at the granularity of the lock the
// kernel holds for it. The step functions are the explorer's inner loop, so they switch
// with a compile-time exhaustiveness check (`unreachable`) rather than ts-pattern's
// match, which cost 40% of the time there.

import { type Draft, Immer } from 'immer';
import type { Action } from './action-table.js';
import { unreachable } from './exhaustive.js';
import { accessOutcome } from './fault.js';
import { removable, remove_mapping, writeback, writebackReady } from './filemap.js';
import { allocatableFrame, freeFrameCount, reuseFrame } from './folio.js';
import { tlbSlot } from './hardware.js';
import { isolateFolio, migrcBatchStart } from './isolate.js';
import {
  do_numa_page,
  do_swap_page,
  do_wp_page,
  filemap_fault,
  filemap_get_folio,
  migrcWriteFault,
  recordFileStore,
  recordStore,
  wp_page_copy,
  wp_page_copy_user,
} from './memory.js';
import { migrc_try_flush_free_folios, migrc_unpend_folio, migrcPending } from './migrc.js';
import { flush_tlb_local } from './migrc-gen.js';
import {
  anonExclusive,
  fileFolio,
  fileFolioLocked,
  flusherHolds,
  iMmapWriterWaits,
  isolatingTask,
  pageCacheFrame,
  pageLive,
  pfnmapPage,
  punching,
  sharedFile,
} from './queries.js';
import { afterSwitchDsb, localTlbisPending, switchToDsb } from './rmap.js';
import type { Job, State } from './state.js';
import { drainOldestStore, storesBuffered } from './store-buffer.js';
import {
  enter_lazy_tlb,
  inSwitch,
  load_new_mm_cr3,
  pcid,
  set_loaded_mm,
  switch_mm_irqs_off,
  userRunning,
} from './switch.js';
import {
  faultInFlight,
  isSyscall,
  mmap,
  mmapLockHeld,
  noteRevoked,
  pinnedFrame,
  startSyscall,
  takesMmapLockForWrite,
} from './syscalls.js';
import {
  copyFails,
  copyMayFail,
  iMmapWalked,
  kernelStep,
  ptlFree,
  ptlHolder,
  startJob,
  undoPtlFree,
  waitsForFlusher,
  waitsForIMmap,
} from './task.js';
import type { Policy, Variant } from './variant.js';

// The actions and their arguments are declared in ./action-table.ts.
export type { Action, Op } from './action-table.js';

const inRange = (i: number, n: number) => Number.isInteger(i) && i >= 0 && i < n;

/** Is `mm` the fork child while fork() still copies into it? Nothing runs in it until fork() returns. */
const unborn = (s: State, mm: number): boolean => mm === s.forkChild && s.tasks.some((t) => t.job === 'fork');

function batchStartable(
  s: State,
  policy: Policy,
  job: Job,
  task: number,
  mm: number,
  vpages: readonly number[],
) {
  const t = s.tasks[task];
  const pages = s.mms[mm]?.pte;
  if (t === undefined || t.job !== 'idle' || pages === undefined || vpages.length === 0) return false;
  if (new Set(vpages).size !== vpages.length) return false;
  const ok = vpages.every((v) => {
    const pte = pages[v];
    // isolate_lru_folio() fails on a folio another batch holds. A folio fork() shared, or
    // a shared file's, is migrated (its rmap walked in every mm that maps it) but not
    // reclaimed (the model's reclaim unmaps one mapping), and a file's not while a hole is
    // punched in its page nor while the flusher holds its folio lock (migrate_folio_unmap()
    // locks it first).
    if (!inRange(v, pages.length) || pte?.kind !== 'present' || isolatingTask(s, pte.frame) >= 0)
      return false;
    const owner = s.frames[pte.frame]!.owner;
    if (job === 'reclaim') return anonExclusive(owner);
    return owner.kind === 'anon' || (fileFolio(owner, v) && !punching(s, v) && !flusherHolds(s, pte.frame));
  });
  if (!ok) return false;
  // Migration needs a destination frame for every folio; migrc counts what it holds as free
  // (zone_watermark_fast() adds migrc_pending_nr_in_zone()) and frees it on demand.
  const held = policy.migrc === null ? 0 : migrcPending(s);
  return job === 'reclaim' || freeFrameCount(s) + held >= vpages.length;
}

/**
 * Can the thread on the task's CPU take a NUMA hinting fault on the page and migrate its
 * folio? Where its access would fault into do_numa_page() (its PTL free), and where
 * numamigrate_isolate_folio() can isolate the folio and a destination is free. The thread
 * waits in the fault while the task migrates; the model lets its CPU run user code
 * meanwhile, as it would run another thread of the mm.
 */
function numaMigratable(variant: Variant, s: State, a: Extract<Action, { op: 'migrate_misplaced_folio' }>) {
  const { policy } = variant;
  const t = s.tasks[a.task];
  if (policy.migrate === null || t === undefined || t.job !== 'idle') return false;
  if (
    !inRange(a.vpage, s.mms[0]!.pte.length) ||
    !userRunning(s, t.cpu) ||
    s.cpus[t.cpu]!.wp_copy !== undefined
  )
    return false;
  const mm = s.cpus[t.cpu]!.mm;
  const out = accessOutcome(policy.arch, s, t.cpu, a.vpage, false, policy);
  if (out.kind !== 'fault' || out.handler !== 'do_numa_page' || ptlHolder(s, policy, mm, a.vpage) >= 0)
    return false;
  return batchStartable(s, policy, 'migrate', a.task, mm, [a.vpage]);
}

/** Can the thread on the task's CPU make this call now? */
function syscallStartable(policy: Policy, s: State, a: Extract<Action, { op: 'syscall' }>): boolean {
  const t = s.tasks[a.task];
  const vma = s.mms[a.mm]?.vma;
  if (t === undefined || t.job !== 'idle' || vma === undefined || a.vpages.length === 0) return false;
  if (s.cpus[t.cpu]!.mm !== a.mm || !userRunning(s, t.cpu) || new Set(a.vpages).size !== a.vpages.length)
    return false;
  if (s.cpus[t.cpu]!.wp_copy !== undefined || unborn(s, a.mm)) return false;
  // fallocate(PUNCH_HOLE) needs only the file (one page, in a sharedFile world), and takes
  // i_rwsem: one at a time per page. It takes no mmap_lock, so a munmap() or mprotect() of
  // the caller's mm does not hold it up; its walk of i_mmap waits for a munmap() queued on
  // i_mmap_rwsem to unlink its VMA once that writer has set RWSEM_FLAG_HANDOFF.
  if (a.call === 'punch_hole')
    return (
      sharedFile(s) &&
      a.vpages.length === 1 &&
      inRange(a.vpages[0]!, vma.length) &&
      !punching(s, a.vpages[0]!) &&
      !fileFolioLocked(s, a.vpages[0]!) &&
      !iMmapWriterWaits(s, a.vpages[0]!)
    );
  // mmap_lock: a writer excludes everyone, a reader (madvise) only writers.
  const writer = takesMmapLockForWrite(a.call);
  if (mmapLockHeld(s, a.mm, writer, policy)) return false;
  // A fault in flight holds the lock (or its VMA's) for read; fork() before fb49c455323f
  // did not write-lock the VMAs, so it did not wait for a fault under the VMA lock.
  if (writer && faultInFlight(s, a.mm) && !(a.call === 'fork' && policy.forkVmaStartWrite === false))
    return false;
  // fork() fills the child only when no earlier child is left there.
  const child = s.forkChild;
  if (a.call === 'fork' && child !== undefined) {
    if (a.mm === child) return false;
    if (s.mms[child]!.vma.some((p) => p !== 'none') || s.ghost.promised[child]!.some((p) => p !== 'none'))
      return false;
  }
  // mremap() of a mapped page onto an unmapped one (the model offers no MREMAP_FIXED over a
  // mapping, whose do_munmap() would be a munmap() first)
  if (a.call === 'mremap') {
    const [from, to] = a.vpages;
    return (
      a.vpages.length === 2 &&
      inRange(from!, vma.length) &&
      inRange(to!, vma.length) &&
      vma[from!] !== 'none' &&
      vma[to!] === 'none' &&
      s.ghost.promised[a.mm]![to!] === 'none'
    );
  }
  // one pin per page at a time, on a present PTE; an unpin of a pinned page
  if (a.call === 'pin_user_pages' || a.call === 'unpin_user_pages')
    return a.vpages.every((v) => {
      if (!inRange(v, vma.length) || vma[v] === 'none') return false;
      const pinned = pinnedFrame(s, a.mm, v) >= 0;
      return a.call === 'pin_user_pages' ? !pinned && s.mms[a.mm]!.pte[v]!.kind === 'present' : pinned;
    });
  const wants = a.call === 'mprotect_ro' ? 'rw' : a.call === 'mprotect_rw' ? 'ro' : null;
  // fork() copies whatever the mm has mapped; the other calls need a mapped range.
  return a.vpages.every(
    (v) =>
      inRange(v, vma.length) &&
      (a.call === 'fork' || vma[v] !== 'none') &&
      (wants === null || vma[v] === wants),
  );
}

/**
 * Can the kernel write the page for the thread now? Only into a live page whose folio is
 * mapped: one a batch holds is locked (the write waits), and a migration entry or a page
 * in swap would first have to be waited for or read in.
 */
function kernelWritable(s: State, a: Extract<Action, { op: 'write' }>): boolean {
  const t = s.tasks[a.task];
  if (t === undefined || t.job !== 'idle' || !inRange(a.value - 1, 255)) return false;
  if (!userRunning(s, t.cpu)) return false;
  // write(2) to the shared file: the page cache's folio, read in first if it is not cached;
  // it waits for a hole being punched there (i_rwsem).
  if (sharedFile(s))
    return (
      inRange(a.vpage, s.disk!.length) &&
      !punching(s, a.vpage) &&
      !fileFolioLocked(s, a.vpage) &&
      fileWriteFrame(s, a.vpage) >= 0
    );
  const mm = s.cpus[t.cpu]!.mm;
  const pte = s.mms[mm]!.pte[a.vpage];
  if (pte?.kind !== 'present' || !pageLive(s, mm, a.vpage)) return false;
  // GUP for write would first break a fork()'s sharing (FOLL_UNSHARE): not modelled.
  return isolatingTask(s, pte.frame) < 0 && anonExclusive(s.frames[pte.frame]!.owner);
}

/** The folio write(2) fills for the file's page `index`: the cached one, else a free frame, else none. */
function fileWriteFrame(s: State, index: number): number {
  const cached = pageCacheFrame(s, index);
  return cached >= 0 ? cached : allocatableFrame(s);
}

/**
 * The kernel writes the folio: dirty it (folio_mark_dirty()) and the page holds the value.
 * migrc: a PG_migrc folio may still be read through entries migrc did not flush, so with
 * `directWriteFlush` the write first gives up deferring, as do_wp_page() does.
 */
function kernelWrite(d: Draft<State>, policy: Policy, a: Extract<Action, { op: 'write' }>): void {
  const cpu = d.tasks[a.task]!.cpu;
  const mm = d.cpus[cpu]!.mm;
  if (sharedFile(d as State)) {
    // generic_perform_write(): copy into the folio and folio_mark_dirty().
    const frame = fileWriteFrame(d as State, a.vpage);
    if (policy.migrc?.directWriteFlush && d.frames[frame]!.migrc)
      migrc_unpend_folio(d, policy.arch, policy.migrc, cpu, frame);
    filemap_get_folio(d, a.vpage, frame);
    d.frames[frame]!.data = a.value;
    d.frames[frame]!.dirty = true;
    // the file's page, whichever mm the caller runs (a MAP_PRIVATE copy is not the file)
    recordFileStore(d, a.vpage, a.value);
    return;
  }
  const pte = d.mms[mm]!.pte[a.vpage]!;
  if (pte.kind !== 'present') return;
  if (policy.migrc?.directWriteFlush && d.frames[pte.frame]!.migrc)
    migrc_unpend_folio(d, policy.arch, policy.migrc, cpu, pte.frame);
  const folio = d.frames[pte.frame]!;
  folio.data = a.value;
  folio.dirty = true;
  recordStore(d, mm, a.vpage, a.value);
}

export function enabled(variant: Variant, s: State, action: Action): boolean {
  const { policy } = variant;
  switch (action.op) {
    case 'load':
    case 'store': {
      if (!inRange(action.cpu, s.cpus.length) || !inRange(action.vpage, s.mms[0]!.pte.length)) return false;
      if (action.op === 'store' && !inRange(action.value - 1, 255)) return false;
      if (!userRunning(s, action.cpu) || s.cpus[action.cpu]!.wp_copy !== undefined) return false;
      if (unborn(s, s.cpus[action.cpu]!.mm)) return false;
      const seen = afterSwitchDsb(s, policy.arch, action.cpu);
      const kind = accessOutcome(
        policy.arch,
        seen,
        action.cpu,
        action.vpage,
        action.op === 'store',
        policy,
      ).kind;
      if (kind === 'wait' || kind === 'segv') return false;
      // A fault handler takes the page's PTL: it waits while a task holds it across steps.
      return kind !== 'fault' || ptlHolder(s, policy, s.cpus[action.cpu]!.mm, action.vpage) < 0;
    }
    case 'tlbEvict':
      if (!inRange(action.cpu, s.cpus.length) || !inRange(action.mm, s.mms.length)) return false;
      if (!inRange(action.vpage, s.mms[0]!.pte.length)) return false;
      return s.cpus[action.cpu]!.tlb[tlbSlot(s, action.mm, action.vpage)] !== null;
    case 'reuseFrame':
      return s.frames[action.frame]?.owner.kind === 'free';
    case 'migrate_pages':
      return (
        policy.migrate !== null && batchStartable(s, policy, 'migrate', action.task, action.mm, action.vpages)
      );
    case 'migrate_misplaced_folio':
      return numaMigratable(variant, s, action);
    case 'shrink_folio_list':
      return (
        policy.reclaim !== null && batchStartable(s, policy, 'reclaim', action.task, action.mm, action.vpages)
      );
    case 'flush_tlb_local':
      return inRange(action.cpu, s.cpus.length);
    case 'switch_mm': {
      if (!switchable(s, action.cpu) || !inRange(action.mm, s.mms.length)) return false;
      // Not to the mm it runs, unless it comes back from lazy mode.
      return action.mm !== s.cpus[action.cpu]!.mm || s.cpus[action.cpu]!.lazy === true;
    }
    case 'load_new_mm_cr3':
      return s.cpus[action.cpu]?.loaded_mm !== undefined;
    case 'set_loaded_mm':
      return s.cpus[action.cpu]?.switching === true;
    case 'enter_lazy_tlb':
      return switchable(s, action.cpu) && s.cpus[action.cpu]!.lazy !== true;
    case 'drain_store_buffer':
      return storesBuffered(s, action.cpu);
    // One allocator in the slow path at a time: the atomic count migrc_stop is then 0 or 1.
    case 'migrc_stop_pending':
      return policy.migrc !== null && s.migrc.stopped !== true;
    case 'migrc_resume_pending':
      return s.migrc.stopped === true;
    case 'syscall':
      return syscallStartable(policy, s, action);
    case 'mmap': {
      const mm = s.mms[action.mm];
      if (mm === undefined || action.vpages.length === 0 || mmapLockHeld(s, action.mm, true, policy))
        return false;
      if (faultInFlight(s, action.mm) || unborn(s, action.mm)) return false;
      // vma_link() links a file VMA into i_mmap under i_mmap_rwsem for write (vma_link_file(),
      // mm/vma.c), so it waits for a walk in flight. (Queued, it would also hold back new
      // walks; one step here, it lets them start: interleavings more, never fewer.)
      if (sharedFile(s) && action.vpages.some((v) => iMmapWalked(s, policy, v))) return false;
      // Over a range munmap() has finished with (MAP_FIXED over a live range is not modelled).
      return action.vpages.every((v) => mm.vma[v] === 'none' && s.ghost.promised[action.mm]![v] === 'none');
    }
    case 'kernelStep':
      return (
        s.tasks[action.task] !== undefined &&
        s.tasks[action.task]!.job !== 'idle' &&
        // Interrupts are off while the task's CPU switches mm.
        !inSwitch(s, s.tasks[action.task]!.cpu) &&
        ptlFree(s, policy, action.task) &&
        !waitsForFlusher(s, policy, action.task) &&
        !waitsForIMmap(s, policy, action.task)
      );
    case 'dma_write':
      return s.frames[action.frame]?.pinned !== undefined && inRange(action.value - 1, 255);
    case 'write':
      // The walk that finds the folio takes the PTL (follow_page_pte()).
      return (
        kernelWritable(s, action) &&
        ptlHolder(s, policy, s.cpus[s.tasks[action.task]!.cpu]!.mm, action.vpage) < 0
      );
    case 'copyFails':
      return (
        s.tasks[action.task] !== undefined &&
        !inSwitch(s, s.tasks[action.task]!.cpu) &&
        copyMayFail(s, policy, s.tasks[action.task]!) &&
        undoPtlFree(s, policy, action.task)
      );
    case 'wp_page_copy': {
      const copy = s.cpus[action.cpu]?.wp_copy;
      return copy !== undefined && ptlHolder(s, policy, s.cpus[action.cpu]!.mm, copy.vpage) < 0;
    }
    // (a device's VM_PFNMAP memory has no page cache to write back or reclaim)
    case 'writeback':
      return (
        sharedFile(s) &&
        !pfnmapPage(s, action.index) &&
        inRange(action.index, s.disk!.length) &&
        writebackReady(s, action.index, (mm) => ptlHolder(s, policy, mm, action.index) >= 0)
      );
    case 'remove_mapping':
      return (
        sharedFile(s) &&
        !pfnmapPage(s, action.index) &&
        inRange(action.index, s.disk!.length) &&
        removable(s, action.index)
      );
    default:
      return unreachable(action);
  }
}

/**
 * May `cpu` be switched now? Only in a world with PCID, not in the middle of a switch, and
 * not while the thread on it is inside a system call (its mm must stay put until it returns).
 */
function switchable(s: State, cpu: number): boolean {
  if (!inRange(cpu, s.cpus.length) || !pcid(s) || inSwitch(s, cpu)) return false;
  return !s.tasks.some((t) => t.cpu === cpu && isSyscall(t.job));
}

function userAccess(d: Draft<State>, policy: Policy, cpu: number, vpage: number, value: number | null): void {
  const s = d as State;
  if (localTlbisPending(s, policy.arch, cpu)) switchToDsb(d, cpu);
  const mm = s.cpus[cpu]!.mm;
  const slot = tlbSlot(s, mm, vpage);
  const out = accessOutcome(policy.arch, s, cpu, vpage, value !== null, policy);
  let wrote = -1; // the frame the access writes, if it is a store that completes
  switch (out.kind) {
    case 'hit':
      wrote = out.frame;
      break;
    case 'setDirty': {
      const pte = d.mms[mm]!.pte[vpage]!;
      if (pte.kind === 'present') {
        pte.dirty = true;
        pte.accessed = true;
      }
      // TLB entries are replaced, never edited: engines share them between states.
      d.cpus[cpu]!.tlb[slot] = { ...d.cpus[cpu]!.tlb[slot]!, dirty: true };
      wrote = out.frame;
      break;
    }
    case 'noTrapWrite':
      d.cpus[cpu]!.tlb[slot] = { ...d.cpus[cpu]!.tlb[slot]!, dirty: true };
      wrote = out.frame;
      break;
    case 'walk': {
      const pte = d.mms[mm]!.pte[vpage]!;
      if (pte.kind !== 'present') return;
      pte.accessed = true;
      if (value !== null) pte.dirty = true;
      d.cpus[cpu]!.tlb[slot] = { frame: out.frame, writable: pte.writable, dirty: pte.dirty };
      wrote = out.frame;
      break;
    }
    case 'fault':
      // x86 invalidates the entry that faulted; the access itself re-executes later.
      if (out.dropTlb) d.cpus[cpu]!.tlb[slot] = null;
      if (out.handler === 'do_swap_page') {
        // get_page_from_freelist() under pressure: migrc gives back what it holds first.
        let frame = out.frame;
        if (frame < 0 && policy.migrc !== null) {
          migrc_try_flush_free_folios(d, policy.arch, policy.migrc, cpu);
          frame = allocatableFrame(s);
        }
        do_swap_page(d, mm, vpage, frame);
      } else if (out.handler === 'do_numa_page') {
        do_numa_page(d, mm, vpage);
      } else if (out.handler === 'filemap_fault') {
        filemap_fault(d, mm, vpage, out.frame, value !== null);
      } else if (out.handler === 'wp_page_copy') {
        const pte = s.mms[mm]!.pte[vpage]!;
        if (pte.kind === 'present') {
          migrcWriteFault(d, policy, cpu, pte.frame);
          wp_page_copy_user(d, cpu, vpage, pte.frame, out.frame);
        }
      } else do_wp_page(d, policy, cpu, mm, vpage);
      return;
    case 'wait':
    case 'segv':
      throw new Error('next() on a disabled access');
    default:
      unreachable(out);
  }
  if (value === null) return;
  d.frames[wrote]!.data = value;
  // (A write after MADV_FREE makes the contents stick.)
  recordStore(d, mm, vpage, value);
}

function startBatch(
  d: Draft<State>,
  policy: Policy,
  job: Job,
  task: number,
  mm: number,
  vpages: readonly number[],
) {
  startJob(
    d,
    policy,
    task,
    job,
    vpages.map((vpage) => isolateFolio(d, policy, job, task, mm, vpage)),
  );
  migrcBatchStart(d, policy, task);
}

/**
 * The NUMA hinting fault that migrates (do_numa_page() -> migrate_misplaced_folio()), a
 * batch of one on the faulting thread's task. Since ee86814b0562 (v6.11) the folio is
 * isolated before the PTL is dropped; before it (Policy.numaIsolation 'after-unlock'),
 * numa_migrate_prep() takes a reference under the PTL and isolation is the task's first
 * step, numamigrate_isolate_folio(), after the PTL is dropped.
 */
function migrateMisplaced(d: Draft<State>, policy: Policy, task: number, vpage: number) {
  const mm = d.cpus[d.tasks[task]!.cpu]!.mm;
  if (policy.numaIsolation !== 'after-unlock') {
    startBatch(d, policy, 'migrate', task, mm, [vpage]);
    return;
  }
  const pte = d.mms[mm]!.pte[vpage]!;
  const src = pte.kind === 'present' ? pte.frame : -1;
  d.frames[src]!.refcount += 1;
  startJob(d, policy, task, 'migrate', [{ mm, vpage, src, dst: -1, unisolated: true }]);
}

/** The update as an immer recipe: it mutates a draft, so any engine can apply it to its own copy. */
export function apply(variant: Variant, d: Draft<State>, action: Action): void {
  const { policy } = variant;
  switch (action.op) {
    case 'load':
      userAccess(d, policy, action.cpu, action.vpage, null);
      return;
    case 'store':
      userAccess(d, policy, action.cpu, action.vpage, action.value);
      return;
    case 'tlbEvict':
      d.cpus[action.cpu]!.tlb[tlbSlot(d as State, action.mm, action.vpage)] = null;
      return;
    case 'reuseFrame':
      reuseFrame(d, action.frame);
      return;
    case 'migrate_pages':
      startBatch(d, policy, 'migrate', action.task, action.mm, action.vpages);
      return;
    case 'migrate_misplaced_folio':
      migrateMisplaced(d, policy, action.task, action.vpage);
      return;
    case 'shrink_folio_list':
      startBatch(d, policy, 'reclaim', action.task, action.mm, action.vpages);
      return;
    case 'syscall':
      startJob(d, policy, action.task, action.call, startSyscall(d, action.call, action.mm, action.vpages));
      noteRevoked(d, action.task, action.call, action.mm, action.vpages);
      return;
    case 'mmap':
      mmap(d, action.mm, action.vpages);
      return;
    case 'flush_tlb_local':
      flush_tlb_local(d, policy.migrc, action.cpu);
      return;
    case 'switch_mm':
      switch_mm_irqs_off(d, policy.arch, action.cpu, action.mm);
      return;
    case 'load_new_mm_cr3':
      load_new_mm_cr3(d, action.cpu);
      return;
    case 'set_loaded_mm':
      set_loaded_mm(d, action.cpu);
      return;
    case 'enter_lazy_tlb':
      enter_lazy_tlb(d, action.cpu);
      return;
    case 'drain_store_buffer':
      drainOldestStore(d, action.cpu);
      return;
    case 'migrc_stop_pending':
      d.migrc.stopped = true;
      return;
    case 'migrc_resume_pending':
      delete d.migrc.stopped;
      return;
    case 'kernelStep':
      kernelStep(d, policy, action.task);
      return;
    case 'write':
      kernelWrite(d, policy, action);
      return;
    case 'dma_write': {
      // the device writes the folio and the driver dirties it (unpin_user_pages_dirty_lock())
      const f = d.frames[action.frame]!;
      f.data = action.value;
      f.dirty = true;
      recordStore(d, f.pinned!.mm, f.pinned!.vpage, action.value);
      return;
    }
    case 'copyFails':
      copyFails(d, policy, action.task);
      return;
    case 'wp_page_copy':
      wp_page_copy(d, policy, action.cpu);
      return;
    case 'writeback':
      writeback(d, policy.arch, action.index, policy.mkcleanFlush !== false);
      return;
    case 'remove_mapping':
      remove_mapping(d, action.index);
      return;
    default:
      unreachable(action);
  }
}

const immer = new Immer({ autoFreeze: true });

/** The successor state. The caller must have checked `enabled`. */
export function next(variant: Variant, s: State, action: Action): State {
  return immer.produce(s, (d) => apply(variant, d, action));
}
