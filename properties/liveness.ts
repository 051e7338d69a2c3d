// What must eventually happen: leads-to properties (P ~> Q: whenever P holds, Q holds then
// or later) judged on the explored graph under weak fairness (src/engine/liveness.ts), and
// what a deadlock is. Each property is a family of instances (one per task, one per page),
// so a report names which task's flush or which page's migration entry never ends.

import type { Config } from '../model/config.js';
import { accessOutcome } from '../model/fault.js';
import type { State } from '../model/state.js';
import { isSyscall } from '../model/syscalls.js';
import type { Variant } from '../model/variant.js';

export interface LeadsTo {
  readonly id: string;
  /** What it promises, in one sentence. */
  readonly why: string;
  /** How many instances a world has (tasks, pages). */
  readonly instances: (config: Config) => number;
  /** P of instance i. */
  readonly pending: (s: State, i: number) => boolean;
  /** Q of instance i: what P must lead to. */
  readonly done: (s: State, i: number) => boolean;
  /** Instance i in words. */
  readonly name: (config: Config, i: number) => string;
}

const flushPending = (s: State, t: number): boolean => {
  const task = s.tasks[t]!;
  return task.tlb_ubc.flush_required || task.tlb_ubc_nowr.flush_required;
};

const migrationEntry = (s: State, i: number): boolean => {
  const pages = s.mms[0]!.pte.length;
  return s.mms[Math.floor(i / pages)]!.pte[i % pages]!.kind === 'migration';
};

export const LEADS_TO: readonly LeadsTo[] = [
  {
    id: 'deferredFlushDone',
    why: 'a flush set_tlb_ubc_flush_pending() deferred is done (try_to_unmap_flush()) eventually, or the stale entries it covers live for ever',
    instances: (c) => c.taskCpus.length,
    pending: flushPending,
    done: (s, t) => !flushPending(s, t),
    name: (_c, t) => `task ${t}'s deferred flush (tlb_ubc)`,
  },
  {
    id: 'migrationEntryRemoved',
    why: 'a fault that sleeps in migration_entry_wait() is woken: remove_migration_ptes() replaces every migration entry eventually',
    instances: (c) => c.mms * c.pages,
    pending: migrationEntry,
    done: (s, i) => !migrationEntry(s, i),
    name: (c, i) => `the migration entry of mm ${Math.floor(i / c.pages)} p${i % c.pages}`,
  },
  {
    id: 'syscallReturns',
    why: 'a system call that has started returns: no lock it waits for (i_mmap_rwsem, a folio lock, a PTL) is held or retaken for ever',
    instances: (c) => c.taskCpus.length,
    pending: (s, t) => isSyscall(s.tasks[t]!.job),
    done: (s, t) => !isSyscall(s.tasks[t]!.job),
    name: (_c, t) => `task ${t}'s system call`,
  },
];

export const findLeadsTo = (id: string): LeadsTo | undefined => LEADS_TO.find((p) => p.id === id);

/**
 * What waits in `s`, in words, or null: a kernel task not done with its job, or a user
 * access that sleeps (on a migration entry, a folio lock, mmap_lock). An access that
 * finds no free frame is not counted: the kernel would reclaim or OOM-kill, which the
 * model leaves out, so a world that runs out of frames ends there without a deadlock.
 */
export function waiting(variant: Variant, s: State): string | null {
  const busy = s.tasks.findIndex((t) => t.job !== 'idle');
  if (busy >= 0) return `task ${busy} in ${s.tasks[busy]!.job}`;
  const pages = s.mms[0]!.pte.length;
  for (let cpu = 0; cpu < s.cpus.length; cpu++)
    for (let vpage = 0; vpage < pages; vpage++)
      for (const store of [false, true]) {
        const o = accessOutcome(variant.policy.arch, s, cpu, vpage, store, variant.policy);
        if (o.kind === 'wait' && o.on !== 'out of memory')
          return `CPU ${cpu}'s ${store ? 'store' : 'load'} of p${vpage} sleeps in ${o.on}`;
      }
  return null;
}
