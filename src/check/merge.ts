// A random or swarm campaign of several seeds, split into shards that run anywhere (a core,
// a node of a cluster) and merged back into one verdict. Each seed is a campaign of its own
// (`--runs` fast-check runs, or a swarm of searches drawn from the seed); shard i of N takes
// the seeds S+j with j mod N = i-1. Merging
// is associative and commutative, so shards and seeds may come back in any order: a
// violation found in any campaign wins, the shortest counterexample (then the lowest seed)
// is kept, and an invariant holds only if it held in every campaign. The scheduler that
// runs the shards (GNU parallel, a Slurm job array, a Kubernetes indexed Job) is the
// distributed engine; nothing here talks to another machine.

import { asExpected, type Failure, type InvariantVerdict, type ProtocolVerdict } from './check.js';

/** A verdict as a document carries it: without the failures' replays, or with them. */
export type MergeableVerdict = Omit<ProtocolVerdict, 'failures'> & { readonly failures?: readonly Failure[] };

/** The seeds shard `index` (1-based) of `count` runs in a campaign of `seeds` seeds from `seed`. */
export function shardSeeds(seed: number, seeds: number, index: number, count: number): number[] {
  const out: number[] = [];
  for (let j = index - 1; j < seeds; j += count) out.push(seed + j);
  return out;
}

/** Which of two violated rows to keep: the shorter counterexample, then the lower seed. */
function better(a: InvariantVerdict, b: InvariantVerdict): InvariantVerdict {
  const la = a.counterexample!.length;
  const lb = b.counterexample!.length;
  if (la !== lb) return la < lb ? a : b;
  return (a.counterexample!.seed ?? 0) <= (b.counterexample!.seed ?? 0) ? a : b;
}

function mergeRow(a: InvariantVerdict, b: InvariantVerdict): InvariantVerdict {
  if (a.verdict === 'violated' && b.verdict === 'violated') return better(a, b);
  if (a.verdict === 'violated') return a;
  if (b.verdict === 'violated') return b;
  const stoppedBy = a.stoppedBy ?? b.stoppedBy;
  const { counterexample: _, ...rest } = a;
  const sum = (k: 'runs' | 'steps' | 'states' | 'transitions' | 'members') =>
    a[k] === undefined && b[k] === undefined ? {} : { [k]: (a[k] ?? 0) + (b[k] ?? 0) };
  const most = (k: 'depth' | 'omission') =>
    a[k] === undefined && b[k] === undefined ? {} : { [k]: Math.max(a[k] ?? 0, b[k] ?? 0) };
  return {
    ...rest,
    verdict: a.verdict === 'holds' && b.verdict === 'holds' ? 'holds' : 'incomplete',
    ...sum('runs'),
    ...sum('steps'),
    // a swarm's searches: every seed's count, the deepest and the worst estimate of loss
    ...sum('states'),
    ...sum('transitions'),
    ...sum('members'),
    ...most('depth'),
    ...most('omission'),
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
    counterexample: null,
  };
}

/** One protocol's verdicts from two campaigns (seeds or shards) as one. */
export function mergeVerdicts<T extends MergeableVerdict>(a: T, b: T): T {
  if (a.protocol !== b.protocol || a.engine !== b.engine || a.config !== b.config)
    throw new Error(
      `cannot merge ${a.protocol} (${a.engine}, ${a.config}) with ${b.protocol} (${b.engine}, ${b.config})`,
    );
  const invariants = a.invariants.map((x) => {
    const y = b.invariants.find((i) => i.invariant === x.invariant);
    if (y === undefined)
      throw new Error(`cannot merge ${a.protocol}: ${x.invariant} is checked in one campaign only`);
    return mergeRow(x, y);
  });
  if (b.invariants.length !== a.invariants.length)
    throw new Error(`cannot merge ${a.protocol}: the campaigns check different invariants`);
  // A campaign that broke every invariant ran none to the end: its targets are moot (empty).
  const targets =
    a.targets.length === 0
      ? b.targets
      : b.targets.length === 0
        ? a.targets
        : a.targets.map((t) => ({
            ...t,
            hit: t.hit || b.targets.some((u) => u.target === t.target && u.hit),
          }));
  const interrupted = a.interrupted === true || b.interrupted === true;
  const ok = !interrupted && invariants.every((v) => asExpected(a.engine, v)) && targets.every((t) => t.hit);
  const failures =
    a.failures === undefined || b.failures === undefined
      ? undefined
      : invariants.flatMap((v) => {
          if (v.verdict !== 'violated') return [];
          const from = a.invariants.includes(v) ? a.failures! : b.failures!;
          return from.filter((f) => f.invariant.id === v.invariant);
        });
  return {
    ...a,
    invariants,
    targets,
    ok,
    ...(interrupted ? { interrupted: true } : {}),
    ...(failures === undefined ? {} : { failures }),
  };
}
