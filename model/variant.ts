// A protocol is data: a policy the shared kernel code reads. Shared code never tests a
// variant's id. A new protocol is one file under model/variants/ and one registry line.

/** The kernel steps a batch program is made of; each runs under the lock the kernel holds. */
import type { MigrcPolicy } from './migrc.js';
import {
  MIGRC_FIELDS,
  PER_FOLIO_STEPS as PER_FOLIO_ONLY,
  PROGRAM_STEPS,
  policySchema,
  schemaProblem,
  variantSpecSchema,
} from './variant-schema.js';

export type StepName =
  | 'try_to_unmap_one'
  | 'try_to_migrate_one'
  | 'try_to_unmap_flush'
  | 'try_to_unmap_flush_dirty'
  | 'pageout'
  | 'free_unref_folios'
  | 'move_to_new_folio'
  // batch copy (seed 004): move_to_new_folio() split into its metadata and its copy
  | '_move_to_new_folio_prep'
  | 'folio_mc_copy'
  | 'remove_migration_ptes'
  | 'migrate_folio_done'
  // migrc (model/migrc.ts)
  | 'migrc_mark_folios'
  | 'migrc_unmap_done'
  | 'migrc_expand_req'
  | 'migrc_req_end'
  // the test at the top of each folio of migrate_pages_batch() for migrc_stop_pending()
  | 'can_migrc_system'
  // System calls (model/syscalls.ts): fixed programs, not a variant's to reorder.
  | 'flush_tlb_batched_pending'
  | 'change_pte_range'
  | 'copy_present_pte'
  | 'madvise_free_pte_range'
  | 'flush_tlb_mm'
  | 'zap_pte_range'
  // zap_pte_range()'s force_flush of a dirty shared file PTE, before the PTL is dropped
  | 'tlb_flush_mmu_tlbonly'
  | 'flush_tlb_range'
  | 'tlb_finish_mmu'
  // fallocate(PUNCH_HOLE): the folio leaves the page cache after every mapping is zapped
  | 'truncate_inode_folio'
  | 'syscall_return';

/** A phase runs its steps for each folio of the batch in turn, or one step once. */
export type Phase = { readonly each: readonly StepName[] } | { readonly once: StepName };

export interface JobPolicy {
  /** TTU_BATCH_FLUSH: should_defer_flush() may defer the flush into tlb_ubc. */
  readonly batchFlush: boolean;
  /** Defer entries whose PTE was dirty as well; if false they are flushed at once (2015). */
  readonly deferDirty: boolean;
  /**
   * A deferral sets mm->tlb_flush_batched (set_tlb_ubc_flush_pending()), so a system call's
   * flush_tlb_batched_pending() flushes for it. false: the flush owed is the job's alone,
   * issued after the PTL is dropped, as migrate_vma_collect_pmd() did before 60bae7370896.
   * Default true.
   */
  readonly setsTlbFlushBatched?: boolean;
  /** The order of the batch's steps. */
  readonly program: readonly Phase[];
}

export interface Arch {
  readonly name: string;
  /**
   * A store through a clean cached entry re-walks to set D and faults if the PTE is gone
   * or read-only (Intel SDM vol. 3, 4.8; the comment above should_defer_flush()).
   */
  readonly dirtyBitTrap: boolean;
  /**
   * How a deferred flush reaches the other CPUs. x86 ('ipi'): try_to_unmap_flush() sends an
   * IPI to each CPU in the batch. arm64 ('broadcast', 43b3dfdd0455, v6.6): each unmap issues
   * a broadcast TLBI at once and arch_tlbbatch_flush() is a DSB on the issuing CPU that
   * waits for them all, so no IPIs; until that DSB the entries may still be used. Default 'ipi'.
   */
  readonly tlbi?: 'ipi' | 'broadcast';
  /**
   * arm64 v6.6 to v6.15: arch_flush_tlb_batched_pending() is a DSB on the calling CPU, which
   * completes only the TLBIs this CPU issued, not a reclaim's on another CPU; fixed by
   * 4b634918384c (flush_tlb_mm()).
   */
  readonly batchedPendingDsbOnly?: boolean;
  /**
   * x86 with PCID (worlds with Config.pcid only): should_flush_tlb() sends a flush of one
   * mm to a CPU whose loaded_mm is LOADED_MM_SWITCHING, which may already use that mm's
   * entries (fea4e317f9e7, CVE-2025-37964). false: it skipped such a CPU. Default true.
   */
  readonly ipiSwitchingCpus?: boolean;
  /**
   * x86 with PCID: switch_mm_irqs_off() writes LOADED_MM_SWITCHING before it reads the next
   * mm's tlb_gen (be88a1dd6112, v6.15). false: after, just before load_new_mm_cr3(), as
   * v6.14 and the stable trees had it, so loaded_mm still names the old mm when the read
   * is made. Default true.
   */
  readonly switchingBeforeTlbGen?: boolean;
  /**
   * x86 with PCID: arch_tlbbatch_add_pending() bumps the mm's tlb_gen, so a CPU the batched
   * flush skips (lazy) flushes when it returns to the mm (f39681ed0f48, v4.14). false: it
   * does not (a seeded bug). Default true.
   */
  readonly batchBumpsTlbGen?: boolean;
  /**
   * x86 with PCID: flush_tlb_func() takes the batched flush, whose new_tlb_gen is 0, as
   * already done and flushes nothing (aa44284960d5 until 8f1d56f64f8d, tip x86/mm, 2022).
   * Default false.
   */
  readonly batchFlushTlbGenZero?: boolean;
}

export interface Policy {
  readonly arch: Arch;
  /** How shrink_folio_list() reclaims a batch; null: the variant does not reclaim. */
  readonly reclaim: JobPolicy | null;
  /** How migrate_pages() moves a batch; null: the variant does not migrate. */
  readonly migrate: JobPolicy | null;
  /**
   * mprotect, munmap and madvise call flush_tlb_batched_pending() under the PTL before
   * they change a PTE, so a flush reclaim deferred cannot outlive them (3ea277194daa, v4.13).
   */
  readonly flushBatchedPending: boolean;
  /**
   * Model the window inside flush_tlb_batched_pending() between its flush and its reset of
   * mm->tlb_flush_batched, in which reclaim under another PTL may defer a new flush:
   * 'flag' resets a bool regardless (3ea277194daa as written), 'generations' resets only
   * if no deferral came since (the pending/flushed atomic_t that replaced it). Absent: the
   * flush and the reset are one step, the window closed by assumption.
   */
  readonly batchedPendingWindow?: 'flag' | 'generations';
  /** migrc (seed 001): how migration defers read-only flushes; null: not at all. */
  readonly migrc: MigrcPolicy | null;
  /**
   * dup_mmap() write-locks each VMA of the parent (vma_start_write(), fb49c455323f, v6.5),
   * so a page fault under the per-VMA lock waits for fork() as one under mmap_lock does.
   * false: v6.4, where such a fault ran while fork() copied the page table. Default true.
   */
  readonly forkVmaStartWrite?: boolean;
  /**
   * wp_page_copy() clears the old PTE and flushes it (ptep_clear_flush()) before it sets the
   * new one. false: it sets the new PTE without the flush (a seeded bug). Default true.
   */
  readonly wpCopyFlush?: boolean;
  /**
   * wp_page_copy() sets the new PTE first and flushes the old one after, as a step of its
   * own (ptep_establish() until 2.6.18; Suresh Siddha, "mm: fix a race condition under SMC
   * + COW", 2006). Default false.
   */
  readonly wpCopySetBeforeFlush?: boolean;
  /**
   * How zap_pte_range() handles a dirty PTE of a shared file folio, which folio_mkclean()
   * must not miss (sharedFile worlds). 'flush-then-rmap' (the default, 5df397dec7c4,
   * 2022): force_flush, so the TLB is flushed before the PTL is dropped, and the rmap is
   * removed only after that flush (delay_rmap). 'rmap-then-flush' (1cf35d47712d, 2014, to
   * 5df397dec7c4): the flush is still under the PTL, but page_remove_rmap() came first, so
   * folio_mkclean() sees the folio unmapped and does not wait for the PTL. 'after-unlock'
   * (before 1cf35d47712d): no force_flush; the flush comes in tlb_finish_mmu().
   */
  readonly zapDirtyShared?: 'flush-then-rmap' | 'rmap-then-flush' | 'after-unlock';
  /**
   * page_mkclean_one() flushes the PTE it write-protects and cleans. false: it does not (a
   * seeded bug). Default true.
   */
  readonly mkcleanFlush?: boolean;
}

export interface Variant {
  readonly id: string;
  readonly title: string;
  /** Who proposed it, when, and where: a commit or a thread. */
  readonly source: string;
  /** The variant this one changes, or null for a root. */
  readonly base: string | null;
  /** What the model abstracts away, or the mistake a seeded bug makes. */
  readonly notes: string;
  readonly policy: Policy;
  /** Invariant ids this variant is expected to violate; every other one must hold. */
  readonly violates: readonly string[];
  /** Reachability targets a run must hit, so the variant cannot pass vacuously. */
  readonly reaches: readonly string[];
  /** The config its expected verdicts are judged in by default: the smallest world for its race. */
  readonly world: string;
  /** A historical or seeded bug: the variant that fixes it, which must hold where this one fails. */
  readonly fixedBy: string | null;
  /**
   * Random runs per campaign this variant needs by default, where its rarest race is found
   * later than the engine's default (a measured figure, stated where it is set); --runs
   * overrides it.
   */
  readonly randomRuns?: number;
  /**
   * Invariants among `violates` that only the explorer is expected to break: the race
   * needs an interleaving the random engine does not reach in its runs (a measured figure,
   * stated where it is set), so the random engine's expected verdict on them is holds.
   */
  readonly explorerOnly?: readonly string[];
}

export interface VariantSpec {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly base?: Variant;
  readonly notes?: string;
  readonly policy?: {
    readonly arch?: Arch;
    readonly reclaim?: Partial<JobPolicy> | null;
    readonly migrate?: Partial<JobPolicy> | null;
    readonly flushBatchedPending?: boolean;
    readonly batchedPendingWindow?: 'flag' | 'generations';
    readonly migrc?: Partial<MigrcPolicy> | null;
    readonly forkVmaStartWrite?: boolean;
    readonly wpCopyFlush?: boolean;
    readonly wpCopySetBeforeFlush?: boolean;
    readonly zapDirtyShared?: 'flush-then-rmap' | 'rmap-then-flush' | 'after-unlock';
    readonly mkcleanFlush?: boolean;
  };
  /** Defaults to []: a correct protocol. Not inherited from the base. */
  readonly violates?: readonly string[];
  /** Defaults to the base's. */
  readonly reaches?: readonly string[];
  /** Defaults to the base's, else 'small'. */
  readonly world?: string;
  readonly fixedBy?: string;
  /** Not inherited. */
  readonly randomRuns?: number;
  /** Not inherited. */
  readonly explorerOnly?: readonly string[];
}

/** Does the policy let a page fault run while fork() copies the page table (v6.4)? */
export const faultsDuringFork = (p: Policy): boolean => p.forkVmaStartWrite === false;

export const X86: Arch = { name: 'x86', dirtyBitTrap: true };
export const NO_DIRTY_TRAP: Arch = { name: 'no-dirty-trap', dirtyBitTrap: false };
/** arm64 with batched TLB flush (v6.6 on, after 4b634918384c); DBM assumed to fault on a cleared PTE like x86. */
export const ARM64: Arch = { name: 'arm64', dirtyBitTrap: true, tlbi: 'broadcast' };

function mergeJob(
  base: JobPolicy | null | undefined,
  over: Partial<JobPolicy> | null | undefined,
  id: string,
  job: string,
): JobPolicy | null {
  if (over === null) return null;
  if (over === undefined) return base ?? null;
  const merged = { ...base, ...over };
  if (merged.batchFlush === undefined || merged.deferDirty === undefined || merged.program === undefined)
    throw new Error(`variant ${id}: ${job} policy needs batchFlush, deferDirty and program (or a base)`);
  return merged as JobPolicy;
}

function mergeMigrc(
  base: MigrcPolicy | null | undefined,
  over: Partial<MigrcPolicy> | null | undefined,
  id: string,
): MigrcPolicy | null {
  if (over === null) return null;
  if (over === undefined) return base ?? null;
  const merged = { ...base, ...over };
  if (MIGRC_FIELDS.some((f) => merged[f] === undefined))
    throw new Error(`variant ${id}: a migrc policy needs ${MIGRC_FIELDS.join(', ')} (or a base)`);
  return merged as MigrcPolicy;
}

/** Steps that act on one folio; the flushes act on the whole batch and may stand anywhere. */
export const PER_FOLIO_STEPS: readonly StepName[] = PER_FOLIO_ONLY;

/** The steps a reclaim or migration program may use (declared with the spec's schema). */
const ALL_STEPS: readonly StepName[] = PROGRAM_STEPS;

/** What is wrong with a job policy (it may come from a user's untyped file), or null. */
export function jobPolicyProblem(job: unknown): string | null {
  if (job === null) return null;
  if (typeof job !== 'object') return 'a job policy must be an object or null';
  const j = job as Partial<JobPolicy>;
  if (typeof j.batchFlush !== 'boolean' || typeof j.deferDirty !== 'boolean')
    return 'a job policy needs batchFlush and deferDirty (true or false)';
  if (j.setsTlbFlushBatched !== undefined && typeof j.setsTlbFlushBatched !== 'boolean')
    return 'setsTlbFlushBatched must be true or false';
  if (!Array.isArray(j.program) || j.program.length === 0) return 'a job policy needs a non-empty program';
  for (const phase of j.program as unknown[]) {
    // A phase with neither key would pass the step check below: find() cannot report an undefined step.
    if (typeof phase !== 'object' || phase === null || !('each' in phase || 'once' in phase))
      return 'each phase of a program is { each: [...] } or { once: ... }';
    const steps = 'each' in phase ? (phase as { each: unknown }).each : [(phase as { once?: unknown }).once];
    if (!Array.isArray(steps) || steps.length === 0) return 'an each phase needs at least one step';
    const unknown = steps.find((st) => !ALL_STEPS.includes(st as StepName));
    if (unknown !== undefined)
      return `unknown kernel step '${String(unknown)}' (known: ${ALL_STEPS.join(', ')})`;
    if ('once' in phase && PER_FOLIO_STEPS.includes((phase as { once: StepName }).once))
      return `${(phase as { once: StepName }).once} acts on one folio, so it belongs in an 'each' phase`;
  }
  return null;
}

/** What is wrong with a whole policy, or null. */
export function policyProblem(policy: unknown): string | null {
  if (typeof policy !== 'object' || policy === null) return 'policy must be an object';
  const p = policy as Partial<Policy>;
  if (typeof p.arch !== 'object' || p.arch === null || typeof p.arch.dirtyBitTrap !== 'boolean')
    return 'policy.arch needs dirtyBitTrap (true or false)';
  if (p.arch.tlbi !== undefined && p.arch.tlbi !== 'ipi' && p.arch.tlbi !== 'broadcast')
    return "policy.arch.tlbi must be 'ipi' or 'broadcast'";
  if (p.arch.batchedPendingDsbOnly && p.arch.tlbi !== 'broadcast')
    return "policy.arch.batchedPendingDsbOnly needs tlbi 'broadcast' (a DSB completes only broadcast TLBIs)";
  for (const field of [
    'ipiSwitchingCpus',
    'switchingBeforeTlbGen',
    'batchBumpsTlbGen',
    'batchFlushTlbGenZero',
  ] as const)
    if (p.arch[field] !== undefined && typeof p.arch[field] !== 'boolean')
      return `policy.arch.${field} must be true or false`;
  for (const job of ['reclaim', 'migrate'] as const) {
    const problem = jobPolicyProblem(p[job] ?? null);
    if (problem !== null) return `policy.${job}: ${problem}`;
  }
  if (typeof p.flushBatchedPending !== 'boolean') return 'policy.flushBatchedPending must be true or false';
  if (
    p.batchedPendingWindow !== undefined &&
    p.batchedPendingWindow !== 'flag' &&
    p.batchedPendingWindow !== 'generations'
  )
    return "policy.batchedPendingWindow must be 'flag' or 'generations'";
  if (
    p.zapDirtyShared !== undefined &&
    !(['flush-then-rmap', 'rmap-then-flush', 'after-unlock'] as unknown[]).includes(p.zapDirtyShared)
  )
    return "policy.zapDirtyShared must be 'flush-then-rmap', 'rmap-then-flush' or 'after-unlock'";
  for (const field of ['forkVmaStartWrite', 'wpCopyFlush', 'wpCopySetBeforeFlush', 'mkcleanFlush'] as const)
    if (p[field] !== undefined && typeof p[field] !== 'boolean')
      return `policy.${field} must be true or false`;
  if (p.migrc !== null && p.migrc !== undefined) {
    const m = p.migrc as unknown as Record<string, unknown>;
    const missing = MIGRC_FIELDS.find((f) => typeof m[f] !== 'boolean');
    if (missing !== undefined) return `policy.migrc.${missing} must be true or false`;
  }
  // and no key the model does not read (a misspelling would be ignored)
  return schemaProblem(policySchema, policy, 'policy');
}

function checkProgram(id: string, job: JobPolicy | null): void {
  const problem = jobPolicyProblem(job);
  if (problem !== null) throw new Error(`variant ${id}: ${problem}`);
}

const batchedPendingWindow = (w: Policy['batchedPendingWindow']) =>
  w === undefined ? {} : { batchedPendingWindow: w };
/** An optional boolean policy field, present only when the spec or its base sets it. */
const optional = <K extends 'forkVmaStartWrite' | 'wpCopyFlush' | 'wpCopySetBeforeFlush' | 'mkcleanFlush'>(
  key: K,
  value: boolean | undefined,
) => (value === undefined ? {} : ({ [key]: value } as Record<K, boolean>));

const zapDirtyShared = (z: Policy['zapDirtyShared']) => (z === undefined ? {} : { zapDirtyShared: z });

/** Build a variant from a spec, inheriting every policy field it does not set from its base. */
export function defineVariant(spec: VariantSpec): Variant {
  const problem = schemaProblem(variantSpecSchema, spec, 'variant');
  if (problem !== null) {
    const id = typeof (spec as { id?: unknown }).id === 'string' ? ` ${JSON.stringify(spec.id)}` : '';
    throw new Error(`variant${id}: ${problem.replace(/^variant\./, '')}`);
  }
  const base = spec.base;
  const reclaim = mergeJob(base?.policy.reclaim, spec.policy?.reclaim, spec.id, 'reclaim');
  const migrate = mergeJob(base?.policy.migrate, spec.policy?.migrate, spec.id, 'migrate');
  checkProgram(spec.id, reclaim);
  checkProgram(spec.id, migrate);
  return {
    id: spec.id,
    title: spec.title,
    source: spec.source,
    base: base?.id ?? null,
    notes: spec.notes ?? '',
    policy: {
      arch: spec.policy?.arch ?? base?.policy.arch ?? X86,
      reclaim,
      migrate,
      flushBatchedPending: spec.policy?.flushBatchedPending ?? base?.policy.flushBatchedPending ?? true,
      ...batchedPendingWindow(spec.policy?.batchedPendingWindow ?? base?.policy.batchedPendingWindow),
      migrc: mergeMigrc(base?.policy.migrc, spec.policy?.migrc, spec.id),
      ...optional('forkVmaStartWrite', spec.policy?.forkVmaStartWrite ?? base?.policy.forkVmaStartWrite),
      ...optional('wpCopyFlush', spec.policy?.wpCopyFlush ?? base?.policy.wpCopyFlush),
      ...optional(
        'wpCopySetBeforeFlush',
        spec.policy?.wpCopySetBeforeFlush ?? base?.policy.wpCopySetBeforeFlush,
      ),
      ...optional('mkcleanFlush', spec.policy?.mkcleanFlush ?? base?.policy.mkcleanFlush),
      ...zapDirtyShared(spec.policy?.zapDirtyShared ?? base?.policy.zapDirtyShared),
    },
    violates: spec.violates ?? [],
    reaches: spec.reaches ?? base?.reaches ?? [],
    world: spec.world ?? base?.world ?? 'small',
    fixedBy: spec.fixedBy ?? null,
    ...(spec.randomRuns === undefined ? {} : { randomRuns: spec.randomRuns }),
    ...(spec.explorerOnly === undefined ? {} : { explorerOnly: spec.explorerOnly }),
  };
}
