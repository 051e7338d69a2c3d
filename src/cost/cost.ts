// What each protocol costs: named workloads driven along one fixed schedule through the
// model's own `enabled` and `apply` (the recipe `next` wraps; no exploration, no
// randomness), counting IPIs and flushes from the model's cost counters, TLB refills from
// what each access does, and the frames a deferred flush keeps allocated.

import type { Draft } from 'immer';
import { type Action, apply, enabled } from '../../model/actions.js';
import { type Config, worldConfig } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';

export interface Workload {
  readonly id: string;
  readonly title: string;
  /** What it stands for in a running kernel. */
  readonly why: string;
  readonly job: 'migrate' | 'reclaim';
  /** Batches of all N pages, one after another. */
  readonly rounds: number;
  /** The mapping is read-only (VMA and PTEs), as a shared library's text or a read-only file. */
  readonly readOnly?: boolean;
  /** Every page is written before the batch, so reclaim must write it back. */
  readonly dirty?: boolean;
  /** The threads only load during the batch (a clean workload stays clean). */
  readonly loadsOnly?: boolean;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'migrate',
    title: 'migrate N pages of a process whose threads run on C CPUs',
    why: 'move_pages(2) or NUMA balancing moving one batch while every thread keeps loading and storing (seeds 000 and 002)',
    job: 'migrate',
    rounds: 1,
  },
  {
    id: 'migrate-readonly',
    title: 'migrate N read-only pages of a process on C CPUs',
    why: 'the same batch of a read-only mapping (library text, a read-only file): the case migrc skips the flush for (seed 001)',
    job: 'migrate',
    rounds: 1,
    readOnly: true,
  },
  {
    id: 'migration-storm',
    title: 'migrate N pages back and forth, 4 times',
    why: 'migratepages(8) moving a process between two nodes and back, as the seeds benchmarked; memory is tight, so what migrc holds must be flushed and freed for the next batch',
    job: 'migrate',
    rounds: 4,
  },
  {
    id: 'reclaim-clean',
    title: 'reclaim N clean pages of a process on C CPUs',
    why: 'kswapd reclaiming a batch of unmodified anonymous pages with a valid swap copy (seed 003)',
    job: 'reclaim',
    rounds: 1,
    loadsOnly: true,
  },
  {
    id: 'reclaim-dirty',
    title: 'reclaim N dirty pages of a process on C CPUs',
    why: 'kswapd reclaiming pages written since they were last swapped: each must be flushed before pageout() (d950c9477d51)',
    job: 'reclaim',
    rounds: 1,
    dirty: true,
  },
];

export function findWorkload(id: string): Workload | undefined {
  return WORKLOADS.find((w) => w.id === id);
}

/** The batch sizes and CPU counts the workloads are defined over. */
export const PAGE_COUNTS = [1, 8, 64, 512] as const;
export const CPU_COUNTS = [2, 4, 8, 16] as const;
/** Beyond this mm_cpumask and tlb_ubc.cpumask (32-bit masks) cannot count. */
export const MAX_COST_CPUS = 30;
export const COST_PAGE_LIMIT = 4096;
/** Rounds of user accesses after the last batch, so refills after the flush are counted. */
const TAIL_ROUNDS = 4;

export interface CostRow {
  readonly protocol: string;
  readonly workload: string;
  readonly pages: number;
  readonly cpus: number;
  /** Pages the workload moved or reclaimed (pages × rounds). */
  readonly moved: number;
  readonly ipis: number;
  readonly fullFlushes: number;
  readonly pageFlushes: number;
  /** Page walks that refilled a TLB entry after the batch began (warm-up excluded). */
  readonly refills: number;
  /** Frames kept allocated only because a flush is deferred: most at once, and per step. */
  readonly heldPeak: number;
  readonly heldAverage: number;
  /** Frames still held so when the workload ends (migrc keeps them until a later flush). */
  readonly heldAtEnd: number;
  /** Model steps taken after the warm-up. */
  readonly steps: number;
}

/** A world of `cpus` CPUs all running mm 0, with `pages` pages and room for a second copy. */
export function costConfig(pages: number, cpus: number): Config {
  return {
    name: `cost-${cpus}cpu-${pages}p`,
    why: 'a cost workload',
    cpus,
    cpuMm: Array.from({ length: cpus }, () => 0),
    mms: 1,
    pages,
    frames: 2 * pages + 1,
    values: 2,
    taskCpus: [0],
    batch: pages,
    ptesPerTable: pages,
  };
}

/** Does the workload apply to the variant: does it do the job at all? */
export const applies = (v: Variant, w: Workload): boolean =>
  (w.job === 'migrate' ? v.policy.migrate : v.policy.reclaim) !== null;

/** Frames allocated only because a flush has not happened yet. */
function heldFrames(s: State): number {
  const held = new Set<number>();
  for (const req of s.migrc.reqs) for (const f of req.srcs) held.add(f);
  for (const t of s.tasks) {
    // migrc: sources whose flush the batch's request has taken over
    for (const f of t.mreq?.srcs ?? []) held.add(f);
    if (!t.tlb_ubc.flush_required && !t.tlb_ubc_nowr.flush_required) continue;
    for (const f of t.folios) {
      const pte = s.mms[f.mm]!.pte[f.vpage]!;
      // unmapped (or turned into a migration entry) and waiting for the batch's flush
      if (!f.failed && !(pte.kind === 'present' && pte.frame === f.src)) held.add(f.src);
    }
  }
  for (const f of held) if (s.frames[f]!.owner.kind === 'free') held.delete(f);
  return held.size;
}

/** A fresh state the schedule may edit in place (nothing in it is shared or frozen). */
function startState(config: Config, w: Workload): Draft<State> {
  const d = initialState(config) as Draft<State>;
  if (w.readOnly)
    d.mms[0]!.pte.forEach((pte, v) => {
      if (pte.kind === 'present') pte.writable = false;
      d.mms[0]!.vma[v] = 'ro';
      d.ghost.promised[0]![v] = 'ro';
    });
  return d;
}

/**
 * Drive `variant` through `workload` with `pages` pages on `cpus` CPUs: every CPU loads
 * every page (and, for a dirty workload, stores to it); then each batch of all pages runs
 * to the end, one kernel step at a time, with every CPU making one access between steps;
 * then a few more rounds of accesses. An access the model does not allow now (a fault
 * that waits, a store to a read-only page) is skipped, as the thread would block.
 * One schedule needs no history, so the recipe runs in place: copying a 512-page state
 * at every step (immer's `next`) took 90% of the time.
 */
export function runWorkload(variant: Variant, workload: Workload, pages: number, cpus: number): CostRow {
  if (!applies(variant, workload)) throw new Error(`${variant.id} does not ${workload.job}`);
  const config = costConfig(pages, cpus);
  const arch = variant.policy.arch;
  const s = startState(config, workload);
  let counting = false;
  let refills = 0;
  let steps = 0;
  let heldPeak = 0;
  let heldSum = 0;
  const take = (a: Action): boolean => {
    if (!enabled(variant, s, a)) return false;
    if (counting && (a.op === 'load' || a.op === 'store'))
      if (accessOutcome(arch, s, a.cpu, a.vpage, a.op === 'store', variant.policy).kind === 'walk')
        refills += 1;
    apply(variant, s, a);
    if (counting) {
      const held = heldFrames(s);
      heldPeak = Math.max(heldPeak, held);
      heldSum += held;
      steps += 1;
    }
    return true;
  };
  // Threads spread over the pages, each CPU starting at its own page; stores on odd rounds.
  const stride = Math.max(1, Math.floor(pages / cpus));
  let round = 0;
  const accesses = () => {
    const store = !workload.readOnly && !workload.loadsOnly && round % 2 === 1;
    for (let cpu = 0; cpu < cpus; cpu++) {
      const vpage = (round + cpu * stride) % pages;
      take(store ? { op: 'store', cpu, vpage, value: 1 + (round % 2) } : { op: 'load', cpu, vpage });
    }
    round += 1;
  };

  for (let cpu = 0; cpu < cpus; cpu++)
    for (let vpage = 0; vpage < pages; vpage++) take({ op: 'load', cpu, vpage });
  if (workload.dirty)
    for (let vpage = 0; vpage < pages; vpage++) take({ op: 'store', cpu: vpage % cpus, vpage, value: 1 });

  counting = true;
  const before = { ...s.cost };
  const all = Array.from({ length: pages }, (_, v) => v);
  for (let r = 0; r < workload.rounds; r++) {
    const start: Action =
      workload.job === 'migrate'
        ? { op: 'migrate_pages', task: 0, mm: 0, vpages: all }
        : { op: 'shrink_folio_list', task: 0, mm: 0, vpages: all };
    if (!take(start)) throw new Error(`${variant.id}: ${workload.id} round ${r + 1} cannot start its batch`);
    for (let guard = 0; s.tasks[0]!.job !== 'idle'; guard++) {
      if (guard > 100 * pages + 100) throw new Error(`${variant.id}: ${workload.id} batch never finishes`);
      take({ op: 'kernelStep', task: 0 });
      accesses();
    }
  }
  for (let k = 0; k < TAIL_ROUNDS; k++) accesses();

  return {
    protocol: variant.id,
    workload: workload.id,
    pages,
    cpus,
    moved: pages * workload.rounds,
    ipis: s.cost.ipis - before.ipis,
    fullFlushes: s.cost.fullFlushes - before.fullFlushes,
    pageFlushes: s.cost.pageFlushes - before.pageFlushes,
    refills,
    heldPeak,
    heldAverage: steps === 0 ? 0 : heldSum / steps,
    heldAtEnd: heldFrames(s),
    steps,
  };
}

/**
 * The protocols a workload's table shows by default: sync, the baseline, and every
 * registered variant that changes how its job is done from its base (or, for a batched
 * job, the arch it runs on), buggy ones included, so a protocol that is cheap but unsafe
 * shows as both.
 */
export function costedProtocols(w: Workload, from: readonly Variant[] = VARIANTS): Variant[] {
  const byId = new Map(from.map((v) => [v.id, v]));
  const jobOf = (v: Variant) => {
    const job = w.job === 'migrate' ? v.policy.migrate : v.policy.reclaim;
    return JSON.stringify([
      job,
      w.job === 'migrate' ? v.policy.migrc : null,
      job?.batchFlush ? v.policy.arch : null,
    ]);
  };
  return from.filter((v) => {
    if (!applies(v, w)) return false;
    // The workloads run without PCID, where a protocol of a PCID world is its base again.
    if (worldConfig(v.world, 'random').pcid) return false;
    const base = v.base === null ? undefined : byId.get(v.base);
    return base === undefined || jobOf(base) !== jobOf(v);
  });
}
