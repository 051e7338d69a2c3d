// `shootdown check`'s run: protocols on worker threads, a status line while they run,
// each verdict printed in the order asked as soon as it and those before it are in, and
// on Ctrl-C the verdicts and counts reached so far, marked interrupted.

import { INVARIANTS, type Invariant } from '../../properties/invariants.js';
import {
  type CheckProgress,
  expectedVerdict,
  type InvariantVerdict,
  type ProtocolVerdict,
  worldOf,
} from '../check/check.js';
import { checkOnThreads, type PoolJob, type WorkerOptions } from '../check/check-pool.js';
import { count, estimateLeft, formatDuration, StatusLine, type StatusSink } from '../progress.js';

export interface CheckRunIo {
  /** A terminal's stderr for the status line; undefined for none (a pipe, --json). */
  readonly status?: StatusSink;
  /** Calls back on Ctrl-C; returns the function that stops listening. */
  readonly onInterrupt?: (cb: () => void) => () => void;
  /** Each verdict, in the jobs' order (interrupted ones last, partial); the status line is erased meanwhile. */
  readonly onVerdict: (v: ProtocolVerdict) => void;
}

export interface CheckRun {
  /** Finished verdicts in the jobs' order, then (if interrupted) the partial ones. */
  readonly verdicts: ProtocolVerdict[];
  readonly interrupted: boolean;
}

export async function checkWithProgress(
  jobs: readonly PoolJob[],
  options: WorkerOptions,
  invariants: readonly Invariant[] | undefined,
  threads: number,
  io: CheckRunIo,
): Promise<CheckRun> {
  const status = new StatusLine(io.status);
  const engine = options.engine ?? 'random';
  const started = new Map<number, number>();
  const progress = new Map<number, CheckProgress>();
  const decided = new Map<number, InvariantVerdict[]>();
  const done: (ProtocolVerdict | undefined)[] = jobs.map(() => undefined);
  let printed = 0;
  let finished = 0;

  const line = (): string => {
    const parts = [`${engine}: ${finished}/${jobs.length} protocols, ${formatDuration(status.elapsedMs)}`];
    for (const [i, at] of started) {
      const p = progress.get(i);
      const id = jobs[i]!.variant.id;
      if (p === undefined) parts.push(`${id}: starting`);
      else if (p.engine === 'random') {
        const left = estimateLeft(p.runs, p.total, Date.now() - at);
        parts.push(
          p.phase === 'minimising'
            ? `${id}: minimising a counterexample`
            : `${id}: ${count(p.runs)}/${count(p.total)} runs${left === null ? '' : `, ~${formatDuration(left)} left`} (${p.undecided} undecided)`,
        );
      } else if (p.engine === 'exhaustive')
        parts.push(
          `${id}: ${count(p.distinct)} states, depth ${p.depth}, ${count(p.statesPerSecond)}/s (${p.undecided} undecided)`,
        );
      else
        parts.push(
          `${id}: ${p.members} ${p.engine === 'swarm' ? 'searches' : 'search'}, ${count(p.states)} states, depth ${p.depth}, ${count(p.statesPerSecond)}/s (${p.undecided} undecided)`,
        );
    }
    return parts.join(' | ');
  };
  const print = (v: ProtocolVerdict) => {
    status.clear();
    io.onVerdict(v);
    status.redraw();
  };

  const controller = new AbortController();
  const stopListening = io.onInterrupt?.(() => controller.abort()) ?? (() => {});
  const ticker = setInterval(() => status.set(line()), 500);
  try {
    const result = await checkOnThreads(
      jobs,
      options,
      invariants,
      threads,
      {
        onStart: (i) => started.set(i, Date.now()),
        onProgress: (i, p) => {
          progress.set(i, p);
          status.set(line());
        },
        onDecided: (i, row) => decided.set(i, [...(decided.get(i) ?? []), row]),
        onVerdict: (i, v) => {
          done[i] = v;
          started.delete(i);
          finished += 1;
          while (printed < jobs.length && done[printed] !== undefined) print(done[printed++]!);
          status.set(line());
        },
      },
      controller.signal,
    );
    status.clear();
    const verdicts = done.filter((v): v is ProtocolVerdict => v !== undefined);
    if (!result.interrupted) return { verdicts, interrupted: false };
    // Those not printed yet (finished after an unfinished one), then the partial ones.
    for (let i = printed; i < jobs.length; i++) if (done[i] !== undefined) print(done[i]!);
    for (const i of [...started.keys()].sort((a, b) => a - b)) {
      const partial = partialVerdict(jobs[i]!, options, invariants, decided.get(i) ?? [], progress.get(i));
      verdicts.push(partial);
      print(partial);
    }
    return { verdicts, interrupted: true };
  } finally {
    clearInterval(ticker);
    stopListening();
    status.clear();
  }
}

/** What a protocol cut short by Ctrl-C has: its decided rows, and the rest incomplete with the counts reached. */
function partialVerdict(
  job: PoolJob,
  options: WorkerOptions,
  invariants: readonly Invariant[] | undefined,
  decided: readonly InvariantVerdict[],
  p: CheckProgress | undefined,
): ProtocolVerdict {
  const v = job.variant;
  const engine = options.engine ?? 'random';
  const evidence: Partial<InvariantVerdict> =
    p === undefined
      ? engine === 'random'
        ? { runs: 0, steps: 0 }
        : { states: 0, transitions: 0, depth: 0 }
      : p.engine === 'random'
        ? { runs: p.runs, steps: p.steps }
        : p.engine === 'exhaustive'
          ? { states: p.distinct, transitions: p.generated, depth: p.depth }
          : { states: p.states, transitions: p.transitions, depth: p.depth, members: p.members };
  const rows = (invariants ?? INVARIANTS).map(
    ({ id }) =>
      decided.find((r) => r.invariant === id) ?? {
        invariant: id,
        expected: expectedVerdict(v, engine, id),
        verdict: 'incomplete' as const,
        ...evidence,
        stoppedBy: 'interrupt' as const,
        counterexample: null,
      },
  );
  return {
    protocol: v.id,
    title: v.title,
    engine,
    config: (options.config ?? worldOf(v, engine, options.worlds)).name,
    invariants: rows,
    targets: [],
    ok: false,
    interrupted: true,
    failures: [],
  };
}
