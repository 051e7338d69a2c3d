// Protocols checked in parallel, one per worker thread (default: one thread per core).
// The main thread only waits, so it stays free to draw progress and to take Ctrl-C: an
// interrupted check terminates its threads and keeps every verdict and count reached.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Action } from '../../model/actions.js';
import type { Variant } from '../../model/variant.js';
import { findInvariant, type Invariant } from '../../properties/invariants.js';
import { replay } from '../engine/trace.js';
import {
  type CheckOptions,
  type CheckProgress,
  defaultRuns,
  type Failure,
  type InvariantVerdict,
  type ProtocolVerdict,
  worldOf,
} from './check.js';

/** What a worker needs: plain data only (no functions, no invariant objects). */
export type WorkerOptions = Omit<CheckOptions, 'onProgress' | 'onDecided' | 'invariants' | 'variantFileOf'>;

export interface ToWorker {
  readonly index: number;
  readonly variantId: string;
  /** The --variant-file the protocol comes from; absent for the registry's. */
  readonly variantFile?: string;
  readonly invariantIds?: readonly string[];
  readonly options: WorkerOptions;
}

export type FromWorker =
  | { readonly type: 'progress'; readonly index: number; readonly progress: CheckProgress }
  | { readonly type: 'decided'; readonly index: number; readonly row: InvariantVerdict }
  | {
      readonly type: 'verdict';
      readonly index: number;
      readonly verdict: Omit<ProtocolVerdict, 'failures'>;
      readonly failures: readonly {
        readonly invariant: string;
        readonly actions: readonly Action[];
        readonly provenance: string;
      }[];
    }
  | { readonly type: 'error'; readonly index?: number; readonly message: string };

export interface PoolJob {
  readonly variant: Variant;
  readonly variantFile?: string;
  /** This job's own options, over the pool's (the manifest's rows differ in world and budget). */
  readonly options?: WorkerOptions;
  /** How long it takes, as a number to sort by (largest first); default: the random runs it asks. */
  readonly weight?: number;
}

export interface PoolHooks {
  readonly onProgress?: (index: number, p: CheckProgress) => void;
  readonly onDecided?: (index: number, row: InvariantVerdict) => void;
  readonly onStart?: (index: number) => void;
  readonly onVerdict?: (index: number, v: ProtocolVerdict) => void;
}

export interface PoolResult {
  /** By job; undefined where the check did not finish (interrupted). */
  readonly verdicts: readonly (ProtocolVerdict | undefined)[];
  readonly interrupted: boolean;
}

/** Threads to use by default: one per core, never more than there are protocols. */
export const defaultThreads = (jobs: number, perJob = 1): number =>
  Math.max(1, Math.min(jobs, Math.floor(availableParallelism() / Math.max(1, perJob))));

/**
 * Check `jobs` on `threads` worker threads. The longest campaigns start first (a job's
 * weight, else the runs asked of the random engine, as the measure), so one slow protocol
 * does not finish alone at the end.
 */
export function checkOnThreads(
  jobs: readonly PoolJob[],
  options: WorkerOptions,
  invariants: readonly Invariant[] | undefined,
  threads: number,
  hooks: PoolHooks = {},
  interrupt?: AbortSignal,
): Promise<PoolResult> {
  const verdicts: (ProtocolVerdict | undefined)[] = jobs.map(() => undefined);
  const optionsOf = (j: PoolJob): WorkerOptions =>
    j.options === undefined ? options : { ...options, ...j.options };
  const order = jobs
    .map((j, i) => ({ i, weight: j.weight ?? optionsOf(j).runs ?? defaultRuns(j.variant) }))
    .sort((a, b) => b.weight - a.weight || a.i - b.i)
    .map((x) => x.i);
  if (jobs.length === 0) return Promise.resolve({ verdicts, interrupted: false });
  const entry = new URL('./check-worker.mjs', import.meta.url);
  const workers: Worker[] = [];
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = 0;
    let settled = false;
    const finish = (interrupted: boolean) => {
      if (settled) return;
      settled = true;
      interrupt?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      resolve({ verdicts, interrupted });
    };
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      interrupt?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      reject(new Error(message));
    };
    const onAbort = () => finish(true);
    interrupt?.addEventListener('abort', onAbort);

    const dispatch = (worker: Worker): boolean => {
      if (next >= order.length) return false;
      const index = order[next++]!;
      const job = jobs[index]!;
      const message: ToWorker = {
        index,
        variantId: job.variant.id,
        ...(job.variantFile === undefined ? {} : { variantFile: job.variantFile }),
        ...(invariants === undefined ? {} : { invariantIds: invariants.map((i) => i.id) }),
        options: optionsOf(job),
      };
      running += 1;
      hooks.onStart?.(index);
      worker.postMessage(message);
      return true;
    };

    const count = Math.max(1, Math.min(threads, jobs.length));
    for (let t = 0; t < count && !settled; t++) {
      const worker = new Worker(entry);
      workers.push(worker);
      worker.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.type === 'progress') hooks.onProgress?.(m.index, m.progress);
        else if (m.type === 'decided') hooks.onDecided?.(m.index, m.row);
        else if (m.type === 'error') fail(m.message.split('\n')[0]!);
        else {
          const job = jobs[m.index]!;
          const verdict = { ...m.verdict, failures: rebuild(job.variant, optionsOf(job), m.failures) };
          verdicts[m.index] = verdict;
          running -= 1;
          hooks.onVerdict?.(m.index, verdict);
          if (!dispatch(worker) && running === 0) finish(false);
        }
      });
      worker.on('error', (e) => fail(e.message));
      worker.on('exit', (code) => {
        if (!settled && code !== 0) fail(`a check worker exited with code ${code}`);
      });
      dispatch(worker);
    }
    if (interrupt?.aborted) finish(true);
  });
}

/** The failures the reports need, replayed here from the actions a worker found. */
function rebuild(
  variant: Variant,
  options: WorkerOptions,
  failures: Extract<FromWorker, { type: 'verdict' }>['failures'],
): Failure[] {
  const config = options.config ?? worldOf(variant, options.engine ?? 'random', options.worlds);
  return failures.map((f) => {
    const invariant = findInvariant(f.invariant)!;
    const r = replay(variant, config, f.actions, { invariants: [invariant] });
    if (r.violation === null)
      throw new Error(`internal: ${variant.id}'s ${f.invariant} counterexample does not replay`);
    return {
      invariant,
      witness: r.violation.witness,
      actions: f.actions,
      replay: r,
      provenance: f.provenance,
    };
  });
}
