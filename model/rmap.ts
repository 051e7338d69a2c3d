// Unmapping and the batched flush (mm/rmap.c).

import type { Draft } from 'immer';
import { dropMapping, folio_put } from './folio.js';
import { bit } from './hardware.js';
import { anonExclusive, firstEntry, mm_tlb_flush_pending } from './queries.js';
import type { BatchFolio, Pte, State } from './state.js';
import { inc_mm_tlb_gen, pcid } from './switch.js';
import { flushTlbMulti } from './tlbflush.js';
import type { Arch, TaskProgram } from './variant.js';
import type { MigrcPolicy } from './variant-schema.js';
import { leaveSwapCache, removesMapping } from './vmscan.js';

/**
 * should_defer_flush(): defer only under TTU_BATCH_FLUSH and only when some CPU other
 * than this one may cache the mm; a purely local flush is cheap (72b252aed506).
 */
export function should_defer_flush(s: State, job: TaskProgram, task: number, mm: number): boolean {
  return job.batchFlush && (s.mms[mm]!.mm_cpumask & ~bit(s.tasks[task]!.cpu)) !== 0;
}

/**
 * set_tlb_ubc_flush_pending(): remember which CPUs must flush before the batch is done.
 * `readOnly`: the entry goes to migrc's tlb_ubc_nowr. `marksMm`: announce the flush in
 * mm->tlb_flush_batched (TaskProgram.setsTlbFlushBatched).
 */
export function set_tlb_ubc_flush_pending(
  d: Draft<State>,
  task: number,
  mm: number,
  writable: boolean,
  readOnly: boolean,
  marksMm: boolean,
  arch: Arch,
): void {
  // migrc patch 1/3: a read-only entry's flush goes to tlb_ubc_nowr, for migrc to claim.
  const t = d.tasks[task]!;
  const ubc = readOnly ? t.tlb_ubc_nowr : t.tlb_ubc;
  // A new object, not an edit: the empty one is shared and frozen.
  const pending = {
    cpumask: ubc.cpumask | d.mms[mm]!.mm_cpumask,
    flush_required: true,
    // A dirty PTE may be cached writable: flush before IO (d950c9477d51).
    writable: ubc.writable || writable,
  };
  if (readOnly) t.tlb_ubc_nowr = pending;
  else t.tlb_ubc = pending;
  // arch_tlbbatch_add_pending(): a CPU the batched flush skips (lazy, or running another mm)
  // must see the mm's tlb_gen moved when it loads the mm again.
  if (pcid(d as State) && arch.batchBumpsTlbGen !== false) inc_mm_tlb_gen(d, mm);
  if (!marksMm) return;
  d.mms[mm]!.tlb_flush_batched = true;
  // atomic_inc(&mm->tlb_flush_batched): a flush_tlb_batched_pending() between its flush and
  // its cmpxchg now expects a value that is gone.
  for (const other of d.tasks)
    if (other.batched_clear === 1 && other.folios[0]?.mm === mm) other.batched_clear = 2;
}

/**
 * try_to_unmap_flush(): one full flush per CPU in tlb_ubc. Must run before the unmapped
 * pages are freed, "to prevent data leakage", and before IO on dirty ones.
 */
export function try_to_unmap_flush(d: Draft<State>, arch: Arch, task: number): void {
  const t = d.tasks[task]!;
  if (!t.tlb_ubc.flush_required) return;
  // arm64: the TLBIs went out at unmap time; the DSB here is what completes them.
  const broadcast = arch.tlbi === 'broadcast';
  flushTlbMulti(d, arch, { from: t.cpu, cpumask: t.tlb_ubc.cpumask, scope: { kind: 'all' }, broadcast });
  t.tlb_ubc = { cpumask: 0, flush_required: false, writable: false };
}

/** try_to_unmap_flush_dirty(): flush only if a deferred entry may be writable. */
export function try_to_unmap_flush_dirty(d: Draft<State>, arch: Arch, task: number): void {
  if (d.tasks[task]!.tlb_ubc.writable) try_to_unmap_flush(d, arch, task);
}

/**
 * What an unmap reads of the protocol: the task's program (whether it may defer), the
 * architecture (how the flush reaches other CPUs), and migrc's policy (none for reclaim).
 */
export interface UnmapContext {
  readonly job: TaskProgram;
  readonly arch: Arch;
  readonly migrc: MigrcPolicy | null;
  /** Policy.pinnedMigration: whether the walk gives up a pinned folio (undefined: 'unmap'). */
  readonly pinned?: 'unmap' | 'refcount' | 'ignore' | undefined;
}

/** The mms whose mappings of the folio an rmap walk visits: its anon_vma's or its i_mmap's (0: only `folio.mm`). */
function rmapMms(s: State, folio: BatchFolio): number {
  const o = s.frames[folio.src]!.owner;
  return o.kind === 'file'
    ? (o.mapped ?? 0)
    : o.kind === 'anon' && o.shared !== undefined
      ? bit(o.mm) | o.shared
      : 0;
}

/** The first mm the walk has still to visit: one that maps the folio with a present PTE, or -1. */
const mappingLeft = (s: State, folio: BatchFolio): number =>
  firstEntry(s, folio, 'present', rmapMms(s, folio));

/**
 * Are the PTLs the walk's next step takes all free (`free(mm)`)? The next mapping's, and
 * before it every mm of the rmap it passes through, in order, where it has not left its
 * own entry yet (page_vma_mapped_walk() locks a VMA's PTL before it finds the PTE gone,
 * say zapped by a munmap() whose mmu_gather still holds the rmap).
 */
export function walkPtlsFree(s: State, folio: BatchFolio, free: (mm: number) => boolean): boolean {
  const next = nextMapping(s, folio);
  const mapped = rmapMms(s, folio);
  for (let mm = 0; mm < next; mm++) {
    if ((mapped & bit(mm)) === 0) continue;
    const pte = s.mms[mm]!.pte[folio.vpage]!;
    if ((pte.kind !== 'migration' || pte.frame !== folio.src) && !free(mm)) return false;
  }
  return free(next);
}

/** The mm whose mapping the walk takes next (and whose PTL it needs); `folio.mm` if none is left. */
export function nextMapping(s: State, folio: BatchFolio): number {
  const mm = mappingLeft(s, folio);
  return mm < 0 ? folio.mm : mm;
}

/**
 * try_to_unmap() / try_to_migrate() of one folio: rmap_walk() over every mapping, each
 * under its own PTL and each a step of its own, as the kernel takes one PTL per mapping
 * (page_vma_mapped_walk() in each VMA). An exclusive anonymous folio has one mapping,
 * `folio.mm`'s; one fork() shared, every mm of its anon_vma (the owner's mm and
 * `shared`); a shared file's folio, every mm its rmap names (i_mmap). Unmaps the next
 * mapping and says whether another is left, so the task stays at this step until none
 * is. A mapping cannot appear behind the walk: a fault on the page waits on the folio
 * lock or the migration entry, and fork() copies the parent's PTE, which the walk meets
 * first (the anon_vma chain keeps a parent's VMA before its child's).
 */
export function unmapOne(
  d: Draft<State>,
  ctx: UnmapContext,
  task: number,
  folio: BatchFolio,
  leave: 'none' | 'migration',
): boolean {
  const several = rmapMms(d as State, folio) !== 0;
  if (refusesPinned(d as State, ctx, leave, folio)) {
    giveUp(d, task, folio);
    return false;
  }
  const mm = nextMapping(d as State, folio);
  // (an exclusive folio's one mapping is judged by migrc_mark_folios() from tlb_ubc)
  if (unmapMapping(d, ctx, task, folio, mm, leave) && several)
    d.tasks[task]!.folios[d.tasks[task]!.pc.folio]!.migrcRefused = true;
  return mappingLeft(d as State, folio) >= 0;
}

/**
 * pte_accessible(mm, pte) (x86 and arm64 alike): a present PTE may be cached; a PROT_NONE
 * one only while mm_tlb_flush_pending(mm), since the flush that followed its change may
 * not have run yet (20841405940e, v3.13). Arch.protnoneAccessible 'never': never, as
 * before that fix.
 */
export function pte_accessible(s: State, arch: Arch, mm: number, pte: Pte & { kind: 'present' }): boolean {
  if (pte.protnone !== true) return true;
  return arch.protnoneAccessible !== 'never' && mm_tlb_flush_pending(s, mm);
}

/**
 * folio_try_share_anon_rmap_pte() in try_to_migrate_one() and try_to_unmap_one() (since
 * 6c287605fd56, v5.19): an exclusive anonymous folio that may be pinned
 * (folio_maybe_dma_pinned()) cannot be unmapped, whose pin would lose its page. The kernel
 * clears the PTE, flushes it and sets it back; the model leaves it, the flush only dropping
 * entries that still name the right frame. Reclaim refuses under 'refcount' too: before
 * v5.19 its __remove_mapping() failed to freeze the pinned folio's refcount and kept it in
 * the swap cache, which the model does not have.
 */
function refusesPinned(s: State, ctx: UnmapContext, leave: 'none' | 'migration', folio: BatchFolio): boolean {
  const f = s.frames[folio.src]!;
  if (f.pinned === undefined || !anonExclusive(f.owner) || ctx.pinned === 'ignore') return false;
  return ctx.pinned !== 'refcount' || leave === 'none';
}

/** The walk failed: the folio leaves the batch (putback), its isolation reference and dst dropped. */
function giveUp(d: Draft<State>, task: number, folio: BatchFolio): void {
  const t = d.tasks[task]!;
  t.folios[t.pc.folio]!.failed = true;
  folio_put(d, folio.src);
  if (folio.dst >= 0) folio_put(d, folio.dst);
}

/**
 * The body shared by try_to_unmap_one() and try_to_migrate_one(): under the PTL, clear
 * `mm`'s PTE (or replace it with a migration entry), then flush now or defer the flush.
 * True when, for migrc, this mapping rules the folio out (MigrcPolicy.everyWritableMapping).
 */
function unmapMapping(
  d: Draft<State>,
  { job, arch, migrc }: UnmapContext,
  task: number,
  folio: BatchFolio,
  mm: number,
  leave: 'none' | 'migration',
): boolean {
  const { vpage, src } = folio;
  const pteval = d.mms[mm]!.pte[vpage]!;
  if (pteval.kind !== 'present' || pteval.frame !== src) return false; // page_vma_mapped_walk() finds no mapping
  const { writable, dirty } = pteval;
  // pte_accessible() of the PTE just cleared: may a CPU cache it? Not for a PROT_NONE PTE
  // once its own flush has run, so neither ptep_clear_flush() nor the batch flushes it.
  const accessible = pte_accessible(d as State, arch, mm, pteval);
  d.mms[mm]!.pte[vpage] =
    leave === 'migration' ? { kind: 'migration', frame: src, writable, dirty } : { kind: 'none' };
  const here = d.tasks[task]!.cpu;
  let deferred = false;
  if (!accessible) {
    // set_tlb_ubc_flush_pending() returns at once, ptep_clear_flush() does not flush
  } else if (should_defer_flush(d as State, job, task, mm)) {
    // The PTE is cleared but not flushed: a remote CPU may still write the page through a
    // cached entry. A clean entry must trap on its first write (the dirty-bit assist).
    if (dirty && !job.deferDirty)
      flushTlbMulti(d, arch, {
        from: here,
        cpumask: d.mms[mm]!.mm_cpumask,
        scope: { kind: 'page', mm, vpage },
        broadcast: false,
      });
    else {
      // migrc keeps read-only entries apart (or, if it defers writable ones too, every entry).
      const apart = migrc !== null && leave === 'migration' && (!writable || !migrc.readOnlyOnly);
      set_tlb_ubc_flush_pending(d, task, mm, dirty, apart, job.setsTlbFlushBatched !== false, arch);
      deferred = true;
    }
  } else {
    // ptep_clear_flush()
    flushTlbMulti(d, arch, {
      from: here,
      cpumask: d.mms[mm]!.mm_cpumask,
      scope: { kind: 'page', mm, vpage },
      broadcast: false,
    });
  }
  // migrc_cond2: a writable mapping rules the folio out if the check sees it. v3 sees only
  // one whose flush was deferred (nr_flush_required() moved).
  const refused =
    migrc !== null &&
    leave === 'migration' &&
    migrc.readOnlyOnly &&
    writable &&
    (deferred || migrc.everyWritableMapping);
  // Move the dirty bit to the folio now the PTE is gone.
  if (dirty) d.frames[src]!.dirty = true;
  // MADV_FREE check: a lazily freed folio written since is swap-backed again. (The kernel
  // puts the PTE back and keeps the folio; the model writes it back and frees it, which
  // keeps the data just as well.)
  if (d.frames[src]!.lazyfree && d.frames[src]!.dirty) delete d.frames[src]!.lazyfree;
  // page_remove_rmap() of a page-cache folio: this mm maps it no more.
  if (d.frames[src]!.owner.kind === 'file') dropMapping(d, src, mm);
  d.frames[src]!.refcount -= 1;
  // A clean lazily freed folio is discarded here ("goto discard"): its PTE is left none,
  // not a swap entry, so a fault maps a zero page at once, with no folio lock to wait on.
  // Where the program keeps the folio findable until the free (no __remove_mapping step),
  // so does the discard.
  if (d.frames[src]!.lazyfree && leave === 'none' && removesMapping(job)) leaveSwapCache(d, folio);
  return refused;
}

/**
 * flush_tlb_batched_pending(): a PTE change under the PTL must not let a flush that
 * reclaim deferred outlive it, so if this mm has one pending, flush the whole mm now
 * (Mel Gorman, 3ea277194daa, "mm, mprotect: flush TLB if potentially racing with a
 * parallel reclaim leaving stale TLB entries", v4.13). The flush and the reset of
 * mm->tlb_flush_batched in one step, unless the policy opens the window between them.
 */
export function flush_tlb_batched_pending(d: Draft<State>, arch: Arch, cpu: number, mm: number): void {
  // reads mm->tlb_flush_batched and flushes only if it is set
  batchedPendingFlush(d, arch, cpu, mm);
  d.mms[mm]!.tlb_flush_batched = false;
}

/** The first half of flush_tlb_batched_pending(): read mm->tlb_flush_batched and flush. */
export function batchedPendingFlush(
  d: Draft<State>,
  arch: Arch,
  cpu: number,
  mm: number,
  task?: number,
): void {
  if (!d.mms[mm]!.tlb_flush_batched) return;
  if (arch.batchedPendingDsbOnly) {
    // arm64 before 4b634918384c: dsb(ish) waits only for the TLBIs this CPU issued, so a
    // batch deferred by a task on this CPU completes; one on another CPU does not.
    for (const t of d.tasks)
      if (t.cpu === cpu && t.tlb_ubc.flush_required)
        flushTlbMulti(d, arch, {
          from: cpu,
          cpumask: t.tlb_ubc.cpumask,
          scope: { kind: 'all' },
          broadcast: true,
        });
  } else
    flushTlbMulti(d, arch, {
      from: cpu,
      cpumask: d.mms[mm]!.mm_cpumask,
      scope: { kind: 'all', mm },
      broadcast: arch.tlbi === 'broadcast',
    });
  if (task !== undefined) d.tasks[task]!.batched_clear = 1;
}

/**
 * The second half: reset mm->tlb_flush_batched. A bool is reset even if reclaim under
 * another PTL deferred a new flush since the first half read it, and that flush is then
 * forgotten by every later caller ('flag'); the pending/flushed generations' cmpxchg fails
 * instead and leaves it pending ('generations', "to avoid losing flushing").
 */
export function batchedPendingReset(
  d: Draft<State>,
  window: 'flag' | 'generations',
  task: number,
  mm: number,
): void {
  const t = d.tasks[task]!;
  if (t.batched_clear === undefined) return;
  if (t.batched_clear === 1 || window === 'flag') d.mms[mm]!.tlb_flush_batched = false;
  delete t.batched_clear;
}

/**
 * arm64: does a kernel task on `cpu` have broadcast TLBIs in flight? A user access on that
 * CPU means a context switch from the task to the thread, and __switch_to() issues
 * dsb(ish), which completes them.
 */
export function localTlbisPending(s: State, arch: Arch, cpu: number): boolean {
  return arch.tlbi === 'broadcast' && s.tasks.some((t) => t.cpu === cpu && t.tlb_ubc.flush_required);
}

/** Empty, in `cpus`, every TLB that a task on `cpu` has TLBIs in flight to. */
function completeTlbisOf(tasks: State['tasks'], cpus: { tlb: unknown[] }[], cpu: number): void {
  for (const t of tasks)
    if (t.cpu === cpu && t.tlb_ubc.flush_required)
      cpus.forEach((c, i) => {
        if ((t.tlb_ubc.cpumask & bit(i)) !== 0) c.tlb.fill(null);
      });
}

/** The context switch's DSB: this CPU's TLBIs complete everywhere; nothing new is flushed. */
export function switchToDsb(d: Draft<State>, cpu: number): void {
  completeTlbisOf(d.tasks as State['tasks'], d.cpus, cpu);
}

/** The state a user access on `cpu` sees: after the context switch's DSB where one is due. */
export function afterSwitchDsb(s: State, arch: Arch, cpu: number): State {
  if (!localTlbisPending(s, arch, cpu)) return s;
  const cpus = s.cpus.map((c) => ({ ...c, tlb: [...c.tlb] }));
  completeTlbisOf(s.tasks, cpus, cpu);
  return { ...s, cpus };
}
