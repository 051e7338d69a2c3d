// A protocol is data: a policy the shared kernel code reads. Shared code never tests a
// variant's id. A new protocol is one file under model/variants/ and one registry line.

import {
  type Arch,
  type JobPolicy,
  type JobSpec,
  jobSchema,
  MIGRC_FIELDS,
  type MigrcPolicy,
  type MigrcSpec,
  type Policy,
  policySchema,
  schemaProblem,
  type Variant,
  type VariantSpec,
  variantSpecSchema,
} from './variant-schema.js';

export type {
  Arch,
  JobPolicy,
  MigrcPolicy,
  Phase,
  Policy,
  ProgramPhase,
  StepName,
  TaskProgram,
  Variant,
  VariantSpec,
} from './variant-schema.js';
// The types are inferred from the schemas in ./variant-schema.ts, the one place that says
// what a variant may be.
export { PER_FOLIO_STEPS } from './variant-schema.js';

/** Does the policy let a page fault run while fork() copies the page table (v6.4)? */
export const faultsDuringFork = (p: Pick<Policy, 'forkVmaStartWrite'>): boolean =>
  p.forkVmaStartWrite === false;

/** The policy fields that say who holds mmap_lock for write, and when a page fault must wait for it. */
export type MmapLocking = Pick<Policy, 'forkVmaStartWrite' | 'munmapZapLock'>;

export const X86: Arch = { name: 'x86', dirtyBitTrap: true };
export const NO_DIRTY_TRAP: Arch = { name: 'no-dirty-trap', dirtyBitTrap: false };
/**
 * arm64 with batched TLB flush (v6.6 on, after 4b634918384c); DBM assumed to fault on a
 * cleared PTE like x86. Its tlb_end_vma() flushes each VMA (the generic one, never merged).
 */
export const ARM64: Arch = { name: 'arm64', dirtyBitTrap: true, tlbi: 'broadcast', mergeVmas: false };

/** The fields a spec sets: one written as undefined keeps the base's. */
const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function mergeJob(
  base: JobPolicy | null | undefined,
  over: JobSpec | null | undefined,
  id: string,
  job: string,
): JobPolicy | null {
  if (over === null) return null;
  if (over === undefined) return base ?? null;
  const merged = { ...base, ...defined(over) };
  if (merged.batchFlush === undefined || merged.deferDirty === undefined || merged.program === undefined)
    throw new Error(`variant ${id}: ${job} policy needs batchFlush, deferDirty and program (or a base)`);
  return merged as JobPolicy;
}

function mergeMigrc(
  base: MigrcPolicy | null | undefined,
  over: MigrcSpec | null | undefined,
  id: string,
): MigrcPolicy | null {
  if (over === null) return null;
  if (over === undefined) return base ?? null;
  const merged: Record<string, unknown> = { ...base, ...defined(over) };
  if (MIGRC_FIELDS.some((f) => merged[f] === undefined))
    throw new Error(`variant ${id}: a migrc policy needs ${MIGRC_FIELDS.join(', ')} (or a base)`);
  return merged as MigrcPolicy;
}

/** What is wrong with a job policy (it may come from a user's untyped file), or null. */
export function jobPolicyProblem(job: unknown): string | null {
  return schemaProblem(jobSchema.nullable(), job, 'job');
}

/** What is wrong with a whole policy (a key the model does not read included), or null. */
export function policyProblem(policy: unknown): string | null {
  return schemaProblem(policySchema, policy, 'policy');
}

const batchedPendingWindow = (w: Policy['batchedPendingWindow']) =>
  w === undefined ? {} : { batchedPendingWindow: w };
/** An optional boolean policy field, present only when the spec or its base sets it. */
const optional = <
  K extends 'forkVmaStartWrite' | 'wpCopyFlush' | 'wpCopySetBeforeFlush' | 'mkcleanFlush' | 'nestedFlush',
>(
  key: K,
  value: boolean | undefined,
) => (value === undefined ? {} : ({ [key]: value } as Record<K, boolean>));
const pinnedMigration = (p: Policy['pinnedMigration']) => (p === undefined ? {} : { pinnedMigration: p });
const numaIsolation = (n: Policy['numaIsolation']) => (n === undefined ? {} : { numaIsolation: n });
const munmapZapLock = (m: Policy['munmapZapLock']) => (m === undefined ? {} : { munmapZapLock: m });
const pfnmapFlushBeforeUnlink = (p: Policy['pfnmapFlushBeforeUnlink']) =>
  p === undefined ? {} : { pfnmapFlushBeforeUnlink: p };

const zapDirtyShared = (z: Policy['zapDirtyShared']) => (z === undefined ? {} : { zapDirtyShared: z });
const mremapFlush = (m: Policy['mremapFlush']) => (m === undefined ? {} : { mremapFlush: m });
const rwsemHandoff = (h: Policy['rwsemHandoff']) => (h === undefined ? {} : { rwsemHandoff: h });

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
  const built: Variant = {
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
      ...optional('nestedFlush', spec.policy?.nestedFlush ?? base?.policy.nestedFlush),
      ...zapDirtyShared(spec.policy?.zapDirtyShared ?? base?.policy.zapDirtyShared),
      ...mremapFlush(spec.policy?.mremapFlush ?? base?.policy.mremapFlush),
      ...pinnedMigration(spec.policy?.pinnedMigration ?? base?.policy.pinnedMigration),
      ...numaIsolation(spec.policy?.numaIsolation ?? base?.policy.numaIsolation),
      ...munmapZapLock(spec.policy?.munmapZapLock ?? base?.policy.munmapZapLock),
      ...pfnmapFlushBeforeUnlink(
        spec.policy?.pfnmapFlushBeforeUnlink ?? base?.policy.pfnmapFlushBeforeUnlink,
      ),
      ...rwsemHandoff(spec.policy?.rwsemHandoff ?? base?.policy.rwsemHandoff),
    },
    violates: spec.violates ?? [],
    reaches: spec.reaches ?? base?.reaches ?? [],
    world: spec.world ?? base?.world ?? 'small',
    fixedBy: spec.fixedBy ?? null,
    ...(spec.randomRuns === undefined ? {} : { randomRuns: spec.randomRuns }),
    ...(spec.explorerOnly === undefined ? {} : { explorerOnly: spec.explorerOnly }),
  };
  // a base written by hand, not by defineVariant, may still bring a malformed policy
  const merged = policyProblem(built.policy);
  if (merged !== null) throw new Error(`variant ${JSON.stringify(spec.id)}: ${merged}`);
  return built;
}
