// Isolating folios for a batch (folio_isolate_lru()): the reference isolation takes and,
// for a migration, the destination allocated for it. Shared by the batches that actions
// start and by the NUMA hinting fault that isolates after dropping the PTL.

import type { Draft } from 'immer';
import { allocAnon, allocatableFrame, allocUnmapped, folio_put } from './folio.js';
import { migrc_req_start, migrc_try_flush_free_folios, migrcPending } from './migrc.js';
import { isolatingTask } from './queries.js';
import type { BatchFolio, Job, State } from './state.js';
import type { Policy } from './variant.js';

/**
 * Isolate the folio mapped at (mm, vpage) for a batch: one more reference, and a migration's
 * destination (migrc frees what it holds on demand when none is free).
 */
export function isolateFolio(
  d: Draft<State>,
  policy: Policy,
  job: Job,
  task: number,
  mm: number,
  vpage: number,
): BatchFolio {
  const pte = d.mms[mm]!.pte[vpage]!;
  const src = pte.kind === 'present' ? pte.frame : -1;
  d.frames[src]!.refcount += 1;
  let dst = -1;
  if (job === 'migrate') {
    if (allocatableFrame(d as State) < 0 && policy.migrc !== null)
      migrc_try_flush_free_folios(d, policy.arch, policy.migrc, d.tasks[task]!.cpu);
    dst = allocatableFrame(d as State);
    // A page-cache folio's dst joins the page cache only when the mapping moves.
    if (d.frames[src]!.owner.kind === 'file') allocUnmapped(d, dst);
    else allocAnon(d, dst, mm, vpage, 0);
  }
  return { mm, vpage, src, dst };
}

/**
 * migrc_req_start(): migrc applies to migration only (NUMA balancing, demotion), and only
 * while no allocation has stopped it (migrc_cond1 = can_migrc_system() && ...).
 */
export function migrcBatchStart(d: Draft<State>, policy: Policy, task: number): void {
  if (policy.migrc !== null && d.tasks[task]!.job === 'migrate' && d.migrc.stopped !== true)
    migrc_req_start(d, task);
}

/**
 * migrate_misplaced_folio() before ee86814b0562 (v6.11), after do_numa_page() dropped the
 * PTL: numamigrate_isolate_folio() checks that the node has a free page
 * (migrate_balanced_pgdat()) and isolates the folio from the LRU, and the fault's own
 * reference (numa_migrate_prep()'s folio_get()) goes. Isolation fails on a folio another
 * batch isolated meanwhile, or one it migrated (no longer mapped, so off the LRU): the
 * fault drops its reference and returns. Returns whether the folio is isolated, its batch
 * to run; if not, the caller ends the task's job.
 */
export function numamigrate_isolate_folio(d: Draft<State>, policy: Policy, index: number): boolean {
  const task = d.tasks[index]!;
  const { mm, vpage, src } = task.folios[0]!;
  const pte = d.mms[mm]!.pte[vpage]!;
  const free = allocatableFrame(d as State) >= 0 || (policy.migrc !== null && migrcPending(d as State) > 0);
  const mapped = pte.kind === 'present' && pte.frame === src;
  if (!free || !mapped || isolatingTask(d as State, src) >= 0) {
    folio_put(d, src);
    return false;
  }
  task.folios[0] = isolateFolio(d, policy, 'migrate', index, mm, vpage);
  folio_put(d, src);
  migrcBatchStart(d, policy, index);
  return true;
}
