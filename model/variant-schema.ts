// What a protocol variant is, declared once (zod, strict). The types (Policy, JobPolicy,
// Arch, MigrcPolicy, Variant, VariantSpec) are inferred from these schemas, defineVariant()
// parses every spec through them, and policyProblem()/variantProblem() check a built
// policy or variant against them: one place says what a variant may be. A key the schema
// does not know is refused with its path and the key meant, never dropped: a misspelled
// policy key silently dropped would check the base protocol under the user's id, a false
// "holds".
//
// This file is a leaf of model/: it imports nothing of the model, so every floor above it
// may read these types.

import { z } from 'zod';

/** Steps that act on one folio; the flushes act on the whole batch and may stand anywhere. */
export const PER_FOLIO_STEPS = [
  // migrc (model/migrc.ts)
  'migrc_mark_folios',
  'migrc_expand_req',
  'try_to_unmap_one',
  'try_to_migrate_one',
  'pageout',
  // shrink_folio_list(): the folio leaves the swap cache and is unlocked, before the flush
  '__remove_mapping',
  'free_unref_folios',
  'move_to_new_folio',
  // batch copy (seed 004): move_to_new_folio() split into its metadata and its copy
  '_move_to_new_folio_prep',
  'folio_mc_copy',
  'remove_migration_ptes',
  'migrate_folio_done',
] as const;

/** The steps a reclaim or migration program may name, each run under the lock the kernel holds. */
export const PROGRAM_STEPS = [
  ...PER_FOLIO_STEPS,
  'try_to_unmap_flush',
  'try_to_unmap_flush_dirty',
  'migrc_unmap_done',
  'migrc_req_end',
  // the test at the top of each folio of migrate_pages_batch() for migrc_stop_pending()
  'can_migrc_system',
] as const;

/** The system calls' steps (model/syscalls.ts): fixed programs, not a variant's to reorder. */
export const SYSCALL_STEPS = [
  'flush_tlb_batched_pending',
  'change_pte_range',
  'copy_present_pte',
  'madvise_free_pte_range',
  'flush_tlb_mm',
  'zap_pte_range',
  // zap_pte_range()'s force_flush of a dirty shared file PTE, before the PTL is dropped
  'tlb_flush_mmu_tlbonly',
  'flush_tlb_range',
  'tlb_finish_mmu',
  // munmap(): free_pgtables() takes i_mmap_rwsem for write, and unlink_file_vma() unlinks
  // the VMA from the file's i_mmap, before tlb_finish_mmu() flushes (CVE-2022-39188)
  'free_pgtables',
  'unlink_file_vma',
  // fallocate(PUNCH_HOLE): the folio leaves the page cache after every mapping is zapped
  'truncate_inode_folio',
  // mremap(): move the PTE to its new address under both PTLs (and flush there, or not)
  'move_ptes',
  // pin_user_pages(FOLL_WRITE | FOLL_LONGTERM): the GUP walk pins the folio under the PTL
  'follow_page_pte',
  'unpin_user_page',
  'syscall_return',
] as const;

export type ProgramStep = (typeof PROGRAM_STEPS)[number];
/**
 * Steps no program names: a NUMA hinting fault's isolation of its folio after it dropped
 * the PTL (Policy.numaIsolation 'after-unlock'), run before the migration's program.
 */
export const FAULT_STEPS = ['numamigrate_isolate_folio'] as const;

export type StepName = ProgramStep | (typeof SYSCALL_STEPS)[number] | (typeof FAULT_STEPS)[number];

const PHASE_SHAPE = 'a phase is { each: [...] } or { once: ... }, one of the two';

/** A phase runs its steps for each folio of the batch in turn, or one step once. */
function phaseOf<S extends readonly [string, ...string[]]>(steps: S) {
  const step = z.enum(steps);
  return z.union(
    [
      z
        .strictObject({ each: z.array(step).min(1, 'an each phase needs at least one step').readonly() })
        .readonly(),
      z
        .strictObject({ once: step })
        .refine((p) => !(PER_FOLIO_STEPS as readonly string[]).includes(p.once), {
          message: "acts on one folio, so it belongs in an 'each' phase",
          path: ['once'],
        })
        .readonly(),
    ],
    { error: PHASE_SHAPE },
  );
}

const programPhase = phaseOf(PROGRAM_STEPS);
const anyPhase = phaseOf([...PROGRAM_STEPS, ...SYSCALL_STEPS]);
/** A phase of a reclaim or migration program. */
export type ProgramPhase = z.infer<typeof programPhase>;
/** A phase of a batch program or of a system call's fixed program. */
export type Phase = z.infer<typeof anyPhase>;

export const jobSchema = z
  .strictObject({
    /** TTU_BATCH_FLUSH: should_defer_flush() may defer the flush into tlb_ubc. */
    batchFlush: z.boolean(),
    /** Defer entries whose PTE was dirty as well; if false they are flushed at once (2015). */
    deferDirty: z.boolean(),
    /**
     * A deferral sets mm->tlb_flush_batched (set_tlb_ubc_flush_pending()), so a system call's
     * flush_tlb_batched_pending() flushes for it. false: the flush owed is the job's alone,
     * issued after the PTL is dropped, as migrate_vma_collect_pmd() did before 60bae7370896.
     * Default true.
     */
    setsTlbFlushBatched: z.boolean().optional(),
    /** The order of the batch's steps. */
    program: z.array(programPhase).min(1, 'a program needs at least one phase').readonly(),
  })
  .readonly();
export type JobPolicy = z.infer<typeof jobSchema>;
/** The program a task runs: a batch job's policy, or a system call's fixed one. */
export type TaskProgram = Omit<JobPolicy, 'program'> & { readonly program: readonly Phase[] };

const archSchema = z
  .strictObject({
    name: z.string(),
    /**
     * A store through a clean cached entry re-walks to set D and faults if the PTE is gone
     * or read-only (Intel SDM vol. 3, 4.8; the comment above should_defer_flush()).
     */
    dirtyBitTrap: z.boolean(),
    /**
     * How a deferred flush reaches the other CPUs. x86 ('ipi'): try_to_unmap_flush() sends an
     * IPI to each CPU in the batch. arm64 ('broadcast', 43b3dfdd0455, v6.6): each unmap issues
     * a broadcast TLBI at once and arch_tlbbatch_flush() is a DSB on the issuing CPU that
     * waits for them all, so no IPIs; until that DSB the entries may still be used. Default 'ipi'.
     */
    tlbi: z.enum(['ipi', 'broadcast']).optional(),
    /**
     * arm64 v6.6 to v6.15: arch_flush_tlb_batched_pending() is a DSB on the calling CPU, which
     * completes only the TLBIs this CPU issued, not a reclaim's on another CPU; fixed by
     * 4b634918384c (flush_tlb_mm()).
     */
    batchedPendingDsbOnly: z.boolean().optional(),
    /**
     * x86 with PCID (worlds with Config.pcid only): should_flush_tlb() sends a flush of one
     * mm to a CPU whose loaded_mm is LOADED_MM_SWITCHING, which may already use that mm's
     * entries (fea4e317f9e7, CVE-2025-37964). false: it skipped such a CPU. Default true.
     */
    ipiSwitchingCpus: z.boolean().optional(),
    /**
     * x86 with PCID: switch_mm_irqs_off() writes LOADED_MM_SWITCHING before it reads the next
     * mm's tlb_gen (be88a1dd6112, v6.15). false: after, just before load_new_mm_cr3(), as
     * v6.14 and the stable trees had it, so loaded_mm still names the old mm when the read
     * is made. Default true.
     */
    switchingBeforeTlbGen: z.boolean().optional(),
    /**
     * x86 with PCID, seen only where stores wait in a store buffer (Config.tso):
     * switch_mm_irqs_off() has a full barrier between its LOADED_MM_SWITCHING store and its
     * read of the next mm's tlb_gen in every switch: cpumask_set_cpu()'s locked instruction,
     * or, when the CPU is already in mm_cpumask, an smp_mb() (83b0177a6c48, v6.18-rc2,
     * CVE-2025-40174). false: only when cpumask_set_cpu() runs, as from 209954cbc7d0
     * ("x86/mm/tlb: Update mm_cpumask lazily") until that fix. Default true.
     */
    switchMmBarrier: z.boolean().optional(),
    /**
     * x86 with PCID: arch_tlbbatch_add_pending() bumps the mm's tlb_gen, so a CPU the batched
     * flush skips (lazy) flushes when it returns to the mm (f39681ed0f48, v4.14). false: it
     * does not (a seeded bug). Default true.
     */
    batchBumpsTlbGen: z.boolean().optional(),
    /**
     * x86 with PCID: flush_tlb_func() takes the batched flush, whose new_tlb_gen is 0, as
     * already done and flushes nothing (aa44284960d5 until 8f1d56f64f8d, tip x86/mm, 2022).
     * Default false.
     */
    batchFlushTlbGenZero: z.boolean().optional(),
    /**
     * pte_accessible() of a PROT_NONE (NUMA hinting) PTE, which decides whether
     * ptep_clear_flush() flushes it and set_tlb_ubc_flush_pending() defers its flush.
     * 'while-flush-pending' (20841405940e, v3.13 on): while mm_tlb_flush_pending(), since
     * change_prot_numa() may not have flushed it yet. 'never': only a present PTE may be
     * cached, as from Rik van Riel's "mm: Only flush the TLB when clearing an
     * accessible pte" (v3.8) until that fix. Default 'while-flush-pending'. (The batch's
     * early return came with 4d4b6d66db63, v6.4; before it, the batch deferred the flush of
     * every PTE, which flushes more, never less.)
     */
    protnoneAccessible: z.enum(['while-flush-pending', 'never']).optional(),
    /**
     * Does tlb_end_vma() leave the flush to tlb_finish_mmu(), the mmu_gather's range running
     * on across VMAs? true (the default): x86, s390, powerpc and sparc, each with an empty
     * tlb_end_vma() of its own until CONFIG_MMU_GATHER_MERGE_VMAS replaced them (v6.0).
     * false: the generic tlb_end_vma() flushes each VMA's range at its end (arm64 has always
     * done so, as have arm and riscv), so munmap() flushes before free_pgtables() unlinks
     * any VMA, device memory or not, and CVE-2022-39188 could not happen there. The model
     * gives it that flush in munmap() alone: a zap's flush at tlb_finish_mmu() comes later
     * than the VMA's end, never earlier.
     */
    mergeVmas: z.boolean().optional(),
  })
  // a DSB completes only broadcast TLBIs: with IPIs the switch would mean nothing
  .refine((a) => !a.batchedPendingDsbOnly || a.tlbi === 'broadcast', {
    message: "needs tlbi 'broadcast' (a DSB completes only broadcast TLBIs)",
    path: ['batchedPendingDsbOnly'],
  })
  .readonly();
export type Arch = z.infer<typeof archSchema>;

const migrcSchema = z
  .strictObject({
    /** folio_get(src) in migrc_mark_folios(): the read copy outlives the batch. */
    keepSrc: z.boolean(),
    /** migrc_cond2: only folios with no writable mapping (unmapOne() decides); otherwise every deferred entry. */
    readOnlyOnly: z.boolean(),
    /** do_wp_page() flushes the pending requests before a PG_migrc folio becomes writable. */
    wpFaultFlush: z.boolean(),
    /** arch_migrc_adj(): skip CPUs whose migrc_done is not before the request's gen. */
    skipFlushedCpus: z.boolean(),
    /** A flush also covers requests still being built by a batch in flight (not in v3). */
    flushInFlight: z.boolean(),
    /**
     * migrc_cond2 also asks mm_tlb_flush_pending(): a PTE read-only under a write-protect
     * whose flush has not run yet (mprotect, clear_refs) may still be cached writable (not in v3).
     */
    checkFlushPending: z.boolean(),
    /**
     * migrc_expand_req() takes the folios this batch marked, remembered in the batch. v3
     * re-derives it from both page flags (migrc_marked_folios()), so a write fault that
     * unpends dst first leaves src's extra reference behind.
     */
    rememberMarked: z.boolean(),
    /**
     * dup_mmap() raises mm_tlb_flush_pending() from its first write-protect to its
     * flush_tlb_mm(), so checkFlushPending sees fork too. No kernel does: copy_page_range()
     * write-protects under mm->write_protect_seq, which is even again before the flush.
     */
    forkFlushPending: z.boolean(),
    /**
     * A kernel write into a PG_migrc folio through the direct map (write(2) to a page-cache
     * page, process_vm_writev(2), an O_DIRECT read) first flushes the pending requests, as
     * do_wp_page() does: no user write fault warns migrc of this write (not in v3).
     */
    directWriteFlush: z.boolean(),
    /**
     * When a batch sees migrc_stop_pending() between two folios, the flush its request has
     * taken over goes back to tlb_ubc, so the batch's own try_to_unmap_flush() covers the
     * folios already marked (not in v3: migrc_req_end_if_started() frees the request).
     */
    stopKeepsFlush: z.boolean(),
    /**
     * migrc_cond2's "no writable mapping at all" sees every writable mapping the rmap walk
     * replaced (can_migrc_fail() in try_to_migrate_one(), as Byungchul Park's later series
     * has it: linux-mm, 2024-04-18, 20240418061536.11645-9-byungchul@sk.com). v3 compares
     * nr_flush_required() before and after the walk, which counts only the writable flushes
     * it deferred: a writable mapping in an mm that no other CPU runs is flushed at once
     * (ptep_clear_flush(), should_defer_flush() false) and goes unseen.
     */
    everyWritableMapping: z.boolean(),
    /**
     * migrc_gen and migrc_done are 64-bit, so they never wrap in a machine's life, and a
     * world's narrow counter (Config.migrcGenBits) does not apply. v3 has them as int and
     * compares them with before(), a - b < 0: once migrc_gen runs more than 2^31 ahead of a
     * CPU's migrc_done (a CPU that has done no full local flush since, as with PCID or a
     * nohz_full CPU running one task), that CPU counts as flushed and arch_migrc_adj() drops
     * it from every request (Nadav Amit on seed 001: "Any concern about overflow?").
     */
    wideGen: z.boolean(),
    /**
     * When move_to_new_folio() fails for good, migrate_folio_move() undoes the folio
     * (migrate_folio_undo_src()) and migrc's marking with it: migrc_undo_folios() clears
     * PG_migrc on both and drops the extra reference on src. v3 calls migrc_undo_folios()
     * only for the folios still on the unmap list when the batch ends (those that kept
     * failing with -EAGAIN), so a folio whose move failed otherwise keeps PG_migrc and the
     * extra reference: it is never freed once unmapped.
     */
    undoOnMoveFailure: z.boolean(),
    /**
     * migrc_expand_req() with no request undoes the marking (migrc_undo_folios()). A batch
     * that saw migrc_stop_pending() has freed its request (migrc_req_end_if_started()) after
     * marking some folios; v3's migrc_expand_req() then returns at `if (!req)`, and the folio
     * keeps PG_migrc and the extra reference migrc_mark_folios() took, on no request's list:
     * it is never freed (found by the swarm engine in migrc-pressure, 21 steps).
     */
    undoWithoutRequest: z.boolean(),
  })
  .readonly();
/** How migration defers read-only flushes (migrc, seed 001; model/migrc.ts). */
export type MigrcPolicy = z.infer<typeof migrcSchema>;

/** The switches of a migrc policy, each a boolean. */
export const MIGRC_FIELDS = migrcSchema.unwrap().keyof().options;

/** The policy fields that are plain switches; the rest are objects, enums or null. */
const policyFields = {
  /**
   * mprotect, munmap and madvise call flush_tlb_batched_pending() under the PTL before
   * they change a PTE, so a flush reclaim deferred cannot outlive them (3ea277194daa, v4.13).
   */
  flushBatchedPending: z.boolean(),
  /**
   * Model the window inside flush_tlb_batched_pending() between its flush and its reset of
   * mm->tlb_flush_batched, in which reclaim under another PTL may defer a new flush:
   * 'flag' resets a bool regardless (3ea277194daa as written), 'generations' resets only
   * if no deferral came since (the pending/flushed atomic_t that replaced it). Absent: the
   * flush and the reset are one step, the window closed by assumption.
   */
  batchedPendingWindow: z.enum(['flag', 'generations']).optional(),
  /**
   * dup_mmap() write-locks each VMA of the parent (vma_start_write(), fb49c455323f, v6.5),
   * so a page fault under the per-VMA lock waits for fork() as one under mmap_lock does.
   * false: v6.4, where such a fault ran while fork() copied the page table. Default true.
   */
  forkVmaStartWrite: z.boolean().optional(),
  /**
   * wp_page_copy() clears the old PTE and flushes it (ptep_clear_flush()) before it sets the
   * new one. false: it sets the new PTE without the flush (a seeded bug). Default true.
   */
  wpCopyFlush: z.boolean().optional(),
  /**
   * wp_page_copy() sets the new PTE first and flushes the old one after, as a step of its
   * own (ptep_establish() until 2.6.18; Suresh Siddha, "mm: fix a race condition under SMC
   * + COW", 2006). Default false.
   */
  wpCopySetBeforeFlush: z.boolean().optional(),
  /**
   * How zap_pte_range() handles a dirty PTE of a shared file folio, which folio_mkclean()
   * must not miss (sharedFile worlds). 'flush-then-rmap' (the default, 5df397dec7c4,
   * 2022): force_flush, so the TLB is flushed before the PTL is dropped, and the rmap is
   * removed only after that flush (delay_rmap). 'rmap-then-flush' (1cf35d47712d, 2014, to
   * 5df397dec7c4): the flush is still under the PTL, but page_remove_rmap() came first, so
   * folio_mkclean() sees the folio unmapped and does not wait for the PTL. 'after-unlock'
   * (before 1cf35d47712d): no force_flush; the flush comes in tlb_finish_mmu().
   */
  zapDirtyShared: z.enum(['flush-then-rmap', 'rmap-then-flush', 'after-unlock']).optional(),
  /**
   * page_mkclean_one() flushes the PTE it write-protects and cleans. false: it does not (a
   * seeded bug). Default true.
   */
  mkcleanFlush: z.boolean().optional(),
  /**
   * tlb_finish_mmu() flushes the whole mm when another zap of it still owes a flush
   * (mm_tlb_flush_nested(), Minchan Kim, 99baac21e458, v4.13). false: only what this zap
   * cleared, as through v4.12, so a call that found the PTE already cleared by a racing
   * zap returns with the entry still cached. Default true.
   */
  nestedFlush: z.boolean().optional(),
  /**
   * When mremap()'s move_ptes() flushes the old address of a PTE it moved. 'under-ptl' (the
   * default, eb66ae030829, v4.19, CVE-2018-18281): for every present PTE, before the PTLs
   * are dropped. 'dirty-under-ptl' (5d1904204c99, v4.9, to v4.18): under the PTLs only if
   * a moved PTE was dirty; a clean one's flush comes after they are dropped. 'after-unlock'
   * (through v4.8): every flush after the PTLs are dropped (move_page_tables()).
   */
  mremapFlush: z.enum(['under-ptl', 'dirty-under-ptl', 'after-unlock']).optional(),
  /**
   * What migration does with a folio a long-term pin holds (worlds with 'pin').
   * 'unmap' (6c287605fd56, v5.19, the default): try_to_migrate_one() and try_to_unmap_one()
   * find the exclusive anonymous folio maybe pinned (folio_try_share_anon_rmap_pte()), leave
   * the PTE and give the folio up. 'refcount' (before it): the unmap goes ahead and
   * folio_migrate_mapping()'s refcount check fails the move, which is undone
   * (remove_migration_ptes(src, src)). 'ignore': migrated anyway (a seeded bug).
   */
  pinnedMigration: z.enum(['unmap', 'refcount', 'ignore']).optional(),
  /**
   * When a NUMA hinting fault that migrates isolates the folio (worlds with 'numa').
   * 'under-ptl' (the default, ee86814b0562, v6.11): do_numa_page() isolates it
   * (migrate_misplaced_folio_prepare()) before it drops the PTL. 'after-unlock' (before
   * it): numa_migrate_prep() takes a reference under the PTL, the PTL is dropped, and
   * migrate_misplaced_folio() isolates it later (numamigrate_isolate_folio()), or fails to
   * and drops the reference, while other CPUs fault on the page and other tasks run.
   */
  numaIsolation: z.enum(['under-ptl', 'after-unlock']).optional(),
  /**
   * The mmap_lock munmap() zaps under. 'read' (the default, dd2283f2605e, v4.20): it takes
   * the lock for write, detaches the VMAs, downgrades (mmap_write_downgrade(), today in
   * vms_complete_munmap_vmas()) and zaps and flushes under the read lock, so page faults on
   * other pages and other readers (madvise(), GUP) run meanwhile. 'write' (before it): the
   * write lock is held to the end.
   */
  munmapZapLock: z.enum(['read', 'write']).optional(),
  /**
   * munmap() of a VM_PFNMAP mapping (Config.pfnmap) flushes the range it zapped before
   * free_pgtables() unlinks the VMA from the file's i_mmap. true (the default): b67fbebd4cf9
   * ("mmu_gather: Force tlb-flush VM_PFNMAP vmas", v5.19, CVE-2022-39188) flushed in
   * tlb_end_vma(); since Roman Gushchin's "mmu_gather: move tlb flush for
   * VM_PFNMAP/VM_MIXEDMAP vmas into free_pgtables()" (2025) tlb_free_vma() does, just before
   * the unlink. false (x86 before v5.19, where tlb_end_vma() did nothing): the flush waits for
   * tlb_finish_mmu(), so an unmap_mapping_range() after the unlink finds no VMA of this mm,
   * flushes nothing, and the driver frees memory this mm's CPUs still cache. 'first-vma':
   * the first stable backports (4.9.y to 5.15.y, 2022), which looked at the first VMA of
   * the munmap() only, until Jann Horn's "mm: Fix TLB flush for not-first PFNMAP mappings in
   * unmap_region()" (September 2022: 5.15.69, 5.10.144, 4.19.259, 4.14.294).
   */
  pfnmapFlushBeforeUnlink: z
    .union([z.boolean(), z.literal('first-vma')], { error: "expected true, false or 'first-vma'" })
    .optional(),
  /**
   * i_mmap_rwsem hands itself to a writer that has waited long enough: a munmap() queued in
   * unlink_file_vma() while a walk of i_mmap runs may be overtaken by new walks (readers
   * take the lock ahead of a queued writer: optimistic spinning since the rwsem rework of
   * v5.3, lock stealing since 1a728dff855a, v5.11) until it sets RWSEM_FLAG_HANDOFF after
   * RWSEM_WAIT_TIMEOUT (4f23dbc1e657, v5.3), from which no new reader starts. The timeout is
   * a step of the waiting munmap(): fair, so it comes, after any number of overtaking walks.
   * false: readers overtake a queued writer for ever, a seeded liveness bug (a lock with no
   * handoff) whose munmap() can starve while everything else runs. Default true.
   */
  rwsemHandoff: z.boolean().optional(),
};

/** A built policy: every field the shared kernel code reads, and nothing else. */
export const policySchema = z
  .strictObject({
    arch: archSchema,
    /** How shrink_folio_list() reclaims a batch; null: the variant does not reclaim. */
    reclaim: jobSchema.nullable(),
    /** How migrate_pages() moves a batch; null: the variant does not migrate. */
    migrate: jobSchema.nullable(),
    /** migrc (seed 001): how migration defers read-only flushes; null: not at all. */
    migrc: migrcSchema.nullable(),
    ...policyFields,
  })
  .readonly();
export type Policy = z.infer<typeof policySchema>;

/** A policy as a spec gives it: every field may come from the base. */
const policySpecSchema = z
  .strictObject({
    arch: archSchema.optional(),
    reclaim: jobSchema.unwrap().partial().readonly().nullable().optional(),
    migrate: jobSchema.unwrap().partial().readonly().nullable().optional(),
    migrc: migrcSchema.unwrap().partial().readonly().nullable().optional(),
    ...policyFields,
    flushBatchedPending: z.boolean().optional(),
  })
  .readonly();

// ids name trace files and appear in commands: no spaces, slashes or control characters
const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only');
const names = z.array(z.string()).readonly();

/** What a variant expects, and where: the same in a spec and in a built variant. */
const expectationFields = {
  /** Invariant ids this variant is expected to violate; every other one must hold. */
  violates: names,
  /** Reachability targets a run must hit, so the variant cannot pass vacuously. */
  reaches: names,
  /** The config its expected verdicts are judged in by default: the smallest world for its race. */
  world: z.string(),
  /**
   * Random runs per campaign this variant needs by default, where its rarest race is found
   * later than the engine's default (a measured figure, stated where it is set); --runs
   * overrides it.
   */
  randomRuns: z.number().int().positive().optional(),
  /**
   * Invariants among `violates` that only the explorer is expected to break: the race
   * needs an interleaving the random engine does not reach in its runs (a measured figure,
   * stated where it is set), so the random engine's expected verdict on them is holds.
   */
  explorerOnly: names.optional(),
};

const variantFields = {
  id: idSchema,
  title: z.string(),
  /** Who proposed it, when, and where: a commit or a thread. */
  source: z.string(),
  /** The variant this one changes, or null for a root. */
  base: z.string().nullable(),
  /** What the model abstracts away, or the mistake a seeded bug makes. */
  notes: z.string(),
  policy: policySchema,
  ...expectationFields,
  /** A historical or seeded bug: the variant that fixes it, which must hold where this one fails. */
  fixedBy: z.string().nullable(),
};

const builtVariant = z.strictObject(variantFields).readonly();
/** A protocol: a policy the shared kernel code reads, and the verdicts it is expected to get. */
export type Variant = z.infer<typeof builtVariant>;

/**
 * A built variant, its expectations named from `invariants` and `targets` (the properties'
 * ids: the model does not know them, so the checker passes them in).
 */
export function variantSchema(invariants: readonly string[], targets: readonly string[]) {
  const known = (ids: readonly string[]) => z.array(z.enum(ids as [string, ...string[]])).readonly();
  return z
    .strictObject({ ...variantFields, violates: known(invariants), reaches: known(targets) })
    .superRefine((v, ctx) => {
      v.explorerOnly?.forEach((id, i) => {
        if (!v.violates.includes(id))
          ctx.addIssue({
            code: 'custom',
            path: ['explorerOnly', i],
            message: `'${id}' is found by the explorer only, but the variant does not expect to violate it`,
          });
      });
    });
}

export const variantSpecSchema = z
  .strictObject({
    id: idSchema,
    title: z.string(),
    source: z.string(),
    base: z
      .custom<Variant>((b) => typeof b === 'object' && b !== null && 'policy' in b && 'id' in b, {
        message: 'the base is a variant (defineVariant) or absent',
      })
      .optional(),
    notes: z.string().optional(),
    policy: policySpecSchema.optional(),
    /** Defaults to []: a correct protocol. Not inherited from the base. */
    violates: expectationFields.violates.optional(),
    /** Defaults to the base's. */
    reaches: expectationFields.reaches.optional(),
    /** Defaults to the base's, else 'small'. */
    world: expectationFields.world.optional(),
    fixedBy: z.string().optional(),
    /** Not inherited. */
    randomRuns: expectationFields.randomRuns,
    /** Not inherited. */
    explorerOnly: expectationFields.explorerOnly,
  })
  .readonly();
/** What defineVariant() takes: a variant's differences from its base. */
export type VariantSpec = z.input<typeof variantSpecSchema>;
type PolicySpec = NonNullable<VariantSpec['policy']>;
/** A job's policy as a spec gives it: any field may come from the base. */
export type JobSpec = NonNullable<PolicySpec['reclaim']>;
/** A migrc policy as a spec gives it: any switch may come from the base. */
export type MigrcSpec = NonNullable<PolicySpec['migrc']>;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** The closest of `known` to `word`, if close enough to be what was meant. */
export function nearest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** The keys the object schemas allow at `path` (through wrappers, arrays and unions). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodReadonly)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else break;
  }
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap((o) => keysAt(o, path));
  if (path.length === 0) return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
  const [key, ...rest] = path;
  if (s instanceof z.ZodArray) return keysAt(s.element as z.ZodType, rest);
  if (s instanceof z.ZodObject) {
    const next = (s.shape as Record<string, z.ZodType>)[String(key)];
    return next === undefined ? [] : keysAt(next, rest);
  }
  return [];
}

const valueAt = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as never)[k] : undefined), value);

// JSON.stringify escapes control characters: a value from a user's file never reaches the terminal raw
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

type Issue = z.core.$ZodIssue;

/**
 * Of a union's failed branches, the one the value was meant for: the branch with the
 * fewest problems, if one has fewer than the others; else a key no branch knows, if every
 * branch names it; else null (the union's own message says what the shapes are).
 */
function branchMeant(issue: Issue & { code: 'invalid_union' }): readonly Issue[] | null {
  const branches = issue.errors;
  const fewest = Math.min(...branches.map((b) => b.length));
  const best = branches.filter((b) => b.length === fewest);
  if (best.length === 1) return best[0]!;
  const unknownKeys = branches.map(
    (b) => new Set(b.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []))),
  );
  const shared = [...(unknownKeys[0] ?? [])].find((k) => unknownKeys.every((keys) => keys.has(k)));
  return shared === undefined
    ? null
    : [{ ...branches[0]!.find((i) => i.code === 'unrecognized_keys')!, keys: [shared] } as Issue];
}

/** The first problem `schema` finds in `value`, as one line naming the key's path; null if none. */
export function schemaProblem(schema: z.ZodType, value: unknown, root: string): string | null {
  const r = schema.safeParse(value);
  if (r.success) return null;
  const where = (p: readonly PropertyKey[]) =>
    [root, ...p.map((k) => (typeof k === 'number' ? `[${k}]` : String(k)))]
      .filter((part) => part !== '')
      .join('.')
      .replace(/\.\[/g, '[') || '(the whole value)';
  const describe = (issue: Issue, prefix: readonly PropertyKey[]): string => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const meant = branchMeant(issue)?.[0];
      // a key no shape knows and none is close to: the shapes say more than "unknown key"
      // (or a key another shape has: then the value mixes two shapes)
      const near = meant?.code === 'unrecognized_keys' ? nearest(meant.keys[0]!, keysAt(schema, path)) : '';
      const unhelpful = near === null || (meant?.code === 'unrecognized_keys' && near === meant.keys[0]);
      if (meant !== undefined && !unhelpful) return describe(meant, path);
    }
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const near = nearest(key, keysAt(schema, path));
      return `${where([...path, key])}: unknown key${near === null ? '' : ` (did you mean '${near}'?)`}`;
    }
    const got = valueAt(value, path);
    if (issue.code === 'invalid_value') {
      const known = issue.values.map(String);
      const near = typeof got === 'string' ? nearest(got, known) : null;
      return `${where(path)}: ${show(got)} is not one of ${known.join(', ')}${near === null ? '' : ` (did you mean '${near}'?)`}`;
    }
    if (issue.code === 'invalid_type')
      return `${where(path)}: expected ${issue.expected}, got ${got === undefined ? 'nothing' : show(got)}`;
    if (issue.code === 'custom' && issue.path.at(-1) === 'once')
      return `${where(path)}: ${show(got)} ${issue.message}`;
    return `${where(path)}: ${issue.message}`;
  };
  return describe(r.error.issues[0]!, []);
}
