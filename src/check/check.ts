// The verdict of a protocol against every invariant. An engine runs campaigns; each
// campaign checks the invariants still undecided and stops at the first one broken,
// which is then decided 'violated' and dropped, until a campaign finds nothing.
// The result is plain data, the same document `shootdown check --json` prints.

import type { Action } from '../../model/actions.js';
import { type Config, worldConfig } from '../../model/config.js';
import { pcidPolicyProblem } from '../../model/switch.js';
import type { Variant } from '../../model/variant.js';
import { schemaProblem, variantSchema } from '../../model/variant-schema.js';
import { INVARIANTS, type Invariant, type Witness } from '../../properties/invariants.js';
import { TARGETS } from '../../properties/targets.js';
import { describeChanges, describeStep, stepColumn } from '../codec/format.js';
import { type Budget, type ExploreProgress, explore } from '../engine/explore.js';
import { exploreParallel } from '../engine/explore-parallel.js';
import { type RandomProgress, runRandom } from '../engine/random.js';
import { type SwarmProgress, swarm } from '../engine/swarm.js';
import type { ReplayResult, Trace } from '../engine/trace.js';
import { VERSION } from '../version.js';
import { mergeVerdicts } from './merge.js';

export type EngineName = 'random' | 'exhaustive' | 'swarm' | 'bitstate';
export type Verdict = 'holds' | 'violated';
/**
 * 'incomplete': the explorer hit a budget before it found a violation or ran out of states,
 * or a deep search (swarm, bitstate) found none: those never prove one absent.
 */
export type Outcome = Verdict | 'incomplete';

/** The deep searches: depth-first with a bitstate visited set (src/engine/swarm.ts). */
export const isDeep = (engine: EngineName): engine is 'swarm' | 'bitstate' =>
  engine === 'swarm' || engine === 'bitstate';

/** The engines a seed draws (fast-check's runs, a swarm's searches): campaigns of several seeds split and merge. */
export const takesSeeds = (engine: EngineName | 'both'): engine is 'random' | 'swarm' =>
  engine === 'random' || engine === 'swarm';

/**
 * Is the row what the variant expects? A deep search cannot prove that an invariant holds,
 * so for it 'no violation found' is the answer to an expected 'holds'.
 */
export const asExpected = (engine: EngineName, row: InvariantVerdict): boolean =>
  row.verdict === row.expected ||
  (isDeep(engine) && row.verdict === 'incomplete' && row.expected === 'holds');

export interface CounterexampleStep {
  readonly action: Action;
  /** The CPU whose column the step belongs in; null for the kernel column. */
  readonly cpu: number | null;
  /** The step with kernel names, as the race report prints it. */
  readonly text: string;
  /** What it changed. */
  readonly changed: readonly string[];
}

export interface Counterexample {
  readonly length: number;
  readonly actions: readonly Action[];
  readonly steps: readonly CounterexampleStep[];
  readonly witness: Witness;
  /** Random engine: the run (1-based) that first broke the invariant. */
  readonly run?: number;
  /** Random engine: the failing run's length up to the violation, before minimising. */
  readonly foundLength?: number;
  /** Random engine: fast-check's replay path. */
  readonly path?: string;
  /** Random engine, in a campaign of several seeds (`--seeds`, `--shard`): the seed of that run. */
  readonly seed?: number;
  /** Exhaustive engine: breadth-first, so no shorter counterexample exists. */
  readonly shortest?: boolean;
  /** Swarm engine: the search (counted from 1) that found it. */
  readonly member?: number;
}

export interface InvariantVerdict {
  readonly invariant: string;
  readonly expected: Verdict;
  readonly verdict: Outcome;
  /** Random engine: runs and executed steps of the deciding campaign. */
  readonly runs?: number;
  readonly steps?: number;
  /** Exhaustive engine: distinct states, transitions and depth of the deciding search. */
  readonly states?: number;
  readonly transitions?: number;
  readonly depth?: number;
  /** The budget that ended an incomplete search, or 'interrupt' (Ctrl-C) for either engine. */
  readonly stoppedBy?: Budget | 'interrupt';
  /** Deep engines: searches run (1 for bitstate). */
  readonly members?: number;
  /**
   * Deep engines: the expected share of states a search wrongly took for visited (bitstate
   * hashing's omission estimate, the worst member's), so not searched.
   */
  readonly omission?: number;
  /** Bitstate engine: some path reached this depth bound and was cut there (`--max-depth`). */
  readonly cutAtDepth?: number;
  readonly counterexample: Counterexample | null;
}

export interface TargetVerdict {
  readonly target: string;
  readonly hit: boolean;
}

/** A counterexample as the reports need it. */
export interface Failure {
  readonly invariant: Invariant;
  readonly witness: Witness;
  readonly actions: readonly Action[];
  readonly replay: ReplayResult;
  /** How the engine got it, in a few words. */
  readonly provenance: string;
}

export interface ProtocolVerdict {
  readonly protocol: string;
  readonly title: string;
  readonly engine: EngineName;
  /** The config it was checked in. */
  readonly config: string;
  readonly invariants: readonly InvariantVerdict[];
  /** The variant's reachability targets, as hit by the last campaign (the one that found nothing). */
  readonly targets: readonly TargetVerdict[];
  /** Every verdict as expected and every target hit. */
  readonly ok: boolean;
  /** Cut short by Ctrl-C: the verdicts decided by then, the rest 'incomplete'. */
  readonly interrupted?: boolean;
  /** The failures themselves, for reports; not part of the JSON document. */
  readonly failures: readonly Failure[];
}

export interface CheckOptions {
  /** The world to check in; default: each variant's own (`world`), sized for the engine. */
  readonly config?: Config;
  readonly engine?: EngineName;
  /** Random engine. */
  readonly runs?: number;
  readonly seed?: number;
  /**
   * Random engine: a campaign per seed, merged into one verdict (src/check/merge.ts);
   * `seed` is then ignored.
   */
  readonly seeds?: readonly number[];
  readonly maxCommands?: number;
  /** Exhaustive engine budgets. */
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxMemoryMb?: number;
  /** Exhaustive engine: symmetry reduction over frames (allocator 'lifo') and interchangeable CPUs. */
  readonly symmetry?: boolean;
  /**
   * Exhaustive engine: partial-order reduction by sleep sets (src/engine/explore.ts). Every
   * state is still visited, at its distance; only transitions that commute are saved.
   */
  readonly por?: boolean;
  /** Exhaustive engine: worker threads (more than 1: the parallel explorer). */
  readonly workers?: number;
  /** Deep engines: log2 of the bit array's bits. */
  readonly hashBits?: number;
  /** Deep engines: the longest path a search follows (swarm: the most a member draws). */
  readonly maxDepth?: number;
  /** The --variant-file a variant came from, for the parallel explorer's workers to load it. */
  readonly variantFileOf?: (v: Variant) => string | undefined;
  /** Now and then, while a campaign or a search runs. */
  readonly onProgress?: (p: CheckProgress) => void;
  /** Each invariant's verdict as soon as it is decided (a partial verdict if the check is cut short). */
  readonly onDecided?: (row: InvariantVerdict) => void;
  /** Check only these invariants (default: all). */
  readonly invariants?: readonly Invariant[];
  /** Worlds a variant file exported, by name: a variant whose `world` names one is checked there. */
  readonly worlds?: Readonly<Record<string, Config>>;
}

/** The config a variant's verdicts are judged in by an engine: a world of its file's, else a registered one. */
export function worldOf(
  variant: Variant,
  engine: EngineName,
  worlds: Readonly<Record<string, Config>> | undefined,
): Config {
  const own =
    worlds !== undefined && Object.hasOwn(worlds, variant.world) ? worlds[variant.world] : undefined;
  return own ?? worldConfig(variant.world, engine);
}

/** Where a check is: its engine's own progress, and how many invariants are still undecided. */
export type CheckProgress =
  | ({ readonly engine: 'random'; readonly undecided: number } & RandomProgress)
  | ({ readonly engine: 'exhaustive'; readonly undecided: number } & ExploreProgress)
  | ({ readonly engine: 'swarm' | 'bitstate'; readonly undecided: number } & SwarmProgress);

export const DEFAULT_RUNS = 2000;
export const DEFAULT_SEED = 1;

/** What is wrong with a variant (a key the model does not read, unknown ids), as one line, or null. */
export function variantProblem(variant: Variant): string | null {
  const id = typeof (variant as { id?: unknown }).id === 'string' ? ` ${JSON.stringify(variant.id)}` : '';
  const schema = variantSchema(
    INVARIANTS.map((i) => i.id),
    TARGETS.map((t) => t.id),
  );
  const problem = schemaProblem(schema, variant, '');
  return problem === null ? null : `variant${id}: ${problem}`;
}

function describeTrace(variant: Variant, trace: Trace): CounterexampleStep[] {
  let pre = trace.initial;
  return trace.steps.map(({ action, state }) => {
    const step = {
      action,
      cpu: stepColumn(pre, action),
      text: describeStep(variant, pre, action),
      changed: describeChanges(pre, state),
    };
    pre = state;
    return step;
  });
}

interface Campaign {
  readonly failure: (Failure & { readonly extra: Partial<Counterexample> }) | null;
  /** Evidence fields for every row this campaign decides. */
  readonly evidence: Partial<InvariantVerdict>;
  /** With no failure: did it cover everything it set out to (false: a budget ended it)? */
  readonly complete: boolean;
  readonly targetsHit: readonly string[];
}

type Resolved = CheckOptions & { readonly config: Config };

/** Runs per campaign when none are asked for: the default, or more where a variant needs them. */
export const defaultRuns = (variant: Variant): number => Math.max(DEFAULT_RUNS, variant.randomRuns ?? 0);

function randomCampaign(variant: Variant, o: Resolved, invariants: readonly Invariant[]): Campaign {
  const r = runRandom(variant, o.config, invariants, {
    runs: o.runs ?? defaultRuns(variant),
    seed: o.seed ?? DEFAULT_SEED,
    ...(o.maxCommands ? { maxCommands: o.maxCommands } : {}),
    ...(o.onProgress === undefined
      ? {}
      : {
          onProgress: (p: RandomProgress) =>
            o.onProgress!({ engine: 'random', undecided: invariants.length, ...p }),
        }),
  });
  const f = r.failure;
  return {
    evidence: { runs: r.runs, steps: r.steps },
    complete: true,
    targetsHit: r.targetsHit,
    failure:
      f === null
        ? null
        : {
            ...f,
            provenance: `found in run ${r.runs} after ${f.foundLength} steps, minimised to ${f.actions.length}`,
            extra: { run: r.runs, foundLength: f.foundLength, path: f.path },
          },
  };
}

function exhaustiveCampaign(variant: Variant, o: Resolved, invariants: readonly Invariant[]): Campaign {
  const options = {
    invariants,
    ...(o.maxStates === undefined ? {} : { maxStates: o.maxStates }),
    ...(o.maxSeconds === undefined ? {} : { maxSeconds: o.maxSeconds }),
    ...(o.maxMemoryMb === undefined ? {} : { maxMemoryMb: o.maxMemoryMb }),
    ...(o.onProgress === undefined
      ? {}
      : {
          onProgress: (p: ExploreProgress) =>
            o.onProgress!({ engine: 'exhaustive', undecided: invariants.length, ...p }),
          progressEveryMs: 250,
        }),
    ...(o.symmetry ? { symmetry: true } : {}),
    ...(o.por ? { por: true } : {}),
  };
  const file = o.variantFileOf?.(variant);
  const r =
    (o.workers ?? 1) > 1
      ? exploreParallel(variant, o.config, {
          ...options,
          workers: o.workers!,
          ...(file === undefined ? {} : { variantFile: file }),
        })
      : explore(variant, o.config, options);
  const v = r.violation;
  return {
    evidence: {
      states: r.distinct,
      transitions: r.generated,
      depth: r.depth,
      ...(r.stoppedBy === null ? {} : { stoppedBy: r.stoppedBy }),
    },
    complete: r.complete,
    targetsHit: r.targetsHit,
    failure:
      v === null
        ? null
        : {
            ...v,
            provenance: `no shorter one exists; found after ${r.distinct} states`,
            extra: { shortest: true },
          },
  };
}

/** Seconds a deep search runs when no budget is given. */
export const DEFAULT_DEEP_SECONDS = 60;

function deepCampaign(variant: Variant, o: Resolved, invariants: readonly Invariant[]): Campaign {
  const engine = o.engine === 'bitstate' ? 'bitstate' : 'swarm';
  const r = swarm(variant, o.config, {
    invariants,
    maxSeconds: o.maxSeconds ?? DEFAULT_DEEP_SECONDS,
    seed: o.seed ?? DEFAULT_SEED,
    single: engine === 'bitstate',
    ...(o.maxStates === undefined ? {} : { maxStates: o.maxStates }),
    ...(o.hashBits === undefined ? {} : { hashBits: o.hashBits }),
    ...(o.maxDepth === undefined ? {} : { maxDepth: o.maxDepth }),
    ...(o.symmetry ? { symmetry: true } : {}),
    ...(o.onProgress === undefined
      ? {}
      : { onProgress: (p: SwarmProgress) => o.onProgress!({ engine, undecided: invariants.length, ...p }) }),
  });
  const v = r.violation;
  return {
    evidence: {
      states: r.states,
      transitions: r.transitions,
      depth: r.depth,
      members: r.members.length,
      omission: r.members.reduce((worst, m) => Math.max(worst, m.omission.mean), 0),
      ...(engine === 'bitstate' && r.truncated ? { cutAtDepth: r.members[0]!.member.maxDepth } : {}),
      ...(r.stoppedBy === null ? {} : { stoppedBy: r.stoppedBy }),
    },
    // never a proof: bitstate hashing may have lost states, and depth bounds cut paths
    complete: false,
    targetsHit: r.targetsHit,
    failure:
      v === null
        ? null
        : {
            ...v,
            provenance: `found by ${engine === 'swarm' ? `swarm search ${v.member}` : 'the bitstate search'} after ${v.foundLength} steps, minimised to ${v.actions.length}`,
            extra: { foundLength: v.foundLength, ...(engine === 'swarm' ? { member: v.member } : {}) },
          },
  };
}

/** The verdict a variant expects of an invariant from an engine. */
export function expectedVerdict(variant: Variant, engine: EngineName, id: string): Verdict {
  // the random engine is expected not to reach what the variant finds by the explorer only
  return variant.violates.includes(id) && !(engine === 'random' && variant.explorerOnly?.includes(id))
    ? 'violated'
    : 'holds';
}

export function checkVariant(variant: Variant, options: CheckOptions): ProtocolVerdict {
  const { seeds, ...one } = options;
  const engine = options.engine ?? 'random';
  if (seeds === undefined || !takesSeeds(engine)) return checkOneSeed(variant, one);
  if (seeds.length === 0) throw new Error('a campaign of no seeds');
  return seeds
    .map((seed) => withSeed(checkOneSeed(variant, { ...one, seed }), seed))
    .reduce((a, b) => mergeVerdicts(a, b));
}

/** The verdict with each counterexample marked with the seed that found it. */
function withSeed(v: ProtocolVerdict, seed: number): ProtocolVerdict {
  return {
    ...v,
    invariants: v.invariants.map((i) =>
      i.counterexample === null ? i : { ...i, counterexample: { ...i.counterexample, seed } },
    ),
  };
}

function checkOneSeed(variant: Variant, options: CheckOptions): ProtocolVerdict {
  const problem = variantProblem(variant);
  if (problem !== null) throw new Error(problem);
  const engine = options.engine ?? 'random';
  const campaign = engine === 'random' ? randomCampaign : isDeep(engine) ? deepCampaign : exhaustiveCampaign;
  const config = options.config ?? worldOf(variant, engine, options.worlds);
  const pcid = config.pcid ? pcidPolicyProblem(variant.policy) : null;
  if (pcid !== null) throw new Error(`variant ${variant.id} in config ${config.name}: ${pcid}`);
  const resolved: Resolved = { ...options, config };
  const chosen = options.invariants ?? INVARIANTS;
  const expected = (id: string): Verdict => expectedVerdict(variant, engine, id);
  const decided = new Map<string, InvariantVerdict>();
  const failures: Failure[] = [];
  let remaining = [...chosen];
  let targetsHit: readonly string[] = [];
  let lastRound = true;
  while (remaining.length > 0) {
    const c = campaign(variant, resolved, remaining);
    if (c.failure === null) {
      const verdict: Outcome = c.complete ? 'holds' : 'incomplete';
      for (const inv of remaining) {
        const row: InvariantVerdict = {
          invariant: inv.id,
          expected: expected(inv.id),
          verdict,
          ...c.evidence,
          counterexample: null,
        };
        decided.set(inv.id, row);
        options.onDecided?.(row);
      }
      targetsHit = c.targetsHit;
      break;
    }
    const { extra, ...f } = c.failure;
    failures.push(f);
    const row: InvariantVerdict = {
      invariant: f.invariant.id,
      expected: expected(f.invariant.id),
      verdict: 'violated',
      ...c.evidence,
      counterexample: {
        length: f.actions.length,
        actions: f.actions,
        steps: describeTrace(variant, f.replay.trace),
        witness: f.witness,
        ...extra,
      },
    };
    decided.set(f.invariant.id, row);
    options.onDecided?.(row);
    remaining = remaining.filter((i) => i.id !== f.invariant.id);
    lastRound = remaining.length > 0;
  }
  const invariants = chosen.map((i) => decided.get(i.id)!);
  // With every invariant broken no campaign ran to the end; targets are then moot.
  const targets = lastRound ? variant.reaches.map((t) => ({ target: t, hit: targetsHit.includes(t) })) : [];
  const ok = invariants.every((v) => asExpected(engine, v)) && targets.every((t) => t.hit);
  return {
    protocol: variant.id,
    title: variant.title,
    engine,
    config: config.name,
    invariants,
    targets,
    ok,
    failures,
  };
}

export interface CheckDocument {
  readonly tool: 'shootdown';
  readonly version: string;
  readonly engine: EngineName;
  /** The config every protocol was checked in; absent when each was checked in its own world. */
  readonly config?: Config;
  readonly runs?: number;
  readonly seed?: number;
  /** Swarm engine: the budget of each seed's campaign. */
  readonly maxSeconds?: number;
  readonly maxStates?: number;
  /** A campaign of several seeds: seed, seed + 1, ... (`--seeds`). */
  readonly seeds?: number;
  /** This document is one shard of that campaign (`--shard index/count`), for `shootdown merge`. */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly protocols: readonly Omit<ProtocolVerdict, 'failures'>[];
  readonly ok: boolean;
  /** Cut short by Ctrl-C: `protocols` holds what was decided by then; not a verdict. */
  readonly interrupted?: true;
}

/** Check every variant; the document is what `shootdown check --json` prints. */
export function checkDocument(
  variants: readonly Variant[],
  options: CheckOptions,
  onVerdict?: (v: ProtocolVerdict) => void,
): { document: CheckDocument; verdicts: ProtocolVerdict[] } {
  const verdicts = variants.map((v) => {
    const verdict = checkVariant(v, options);
    onVerdict?.(verdict);
    return verdict;
  });
  return { document: documentOf(verdicts, options), verdicts };
}

/** The JSON document of verdicts already reached (an interrupted check's too). */
export function documentOf(
  verdicts: readonly ProtocolVerdict[],
  options: Pick<CheckOptions, 'engine' | 'config' | 'runs' | 'seed' | 'maxSeconds' | 'maxStates'>,
  interrupted = false,
  campaign: Pick<CheckDocument, 'seeds' | 'shard'> = {},
): CheckDocument {
  const engine = options.engine ?? 'random';
  return {
    tool: 'shootdown',
    version: VERSION,
    engine,
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(engine === 'random'
      ? { runs: options.runs ?? DEFAULT_RUNS, seed: options.seed ?? DEFAULT_SEED, ...campaign }
      : engine === 'swarm'
        ? {
            seed: options.seed ?? DEFAULT_SEED,
            maxSeconds: options.maxSeconds ?? DEFAULT_DEEP_SECONDS,
            ...(options.maxStates === undefined ? {} : { maxStates: options.maxStates }),
            ...campaign,
          }
        : {}),
    protocols: verdicts.map(({ failures: _, ...rest }) => rest),
    ok: !interrupted && verdicts.every((v) => v.ok),
    ...(interrupted ? { interrupted: true as const } : {}),
  };
}

/**
 * Where the engines disagree: a verdict the explorer decided that the random engine did not
 * match, or a random counterexample shorter than the explorer's shortest one.
 */
export function disagreements(
  random: readonly ProtocolVerdict[],
  exhaustive: readonly ProtocolVerdict[],
): string[] {
  const out: string[] = [];
  for (const r of random) {
    const e = exhaustive.find((x) => x.protocol === r.protocol);
    if (e === undefined) continue;
    for (const ri of r.invariants) {
      const ei = e.invariants.find((x) => x.invariant === ri.invariant)!;
      // the variant expects the engines to differ here (Variant.explorerOnly)
      if (ei.verdict === 'incomplete' || ei.expected !== ri.expected) continue;
      if (ei.verdict !== ri.verdict)
        out.push(`${r.protocol} / ${ri.invariant}: exhaustive says ${ei.verdict}, random says ${ri.verdict}`);
      else if (ei.counterexample && ri.counterexample && ri.counterexample.length < ei.counterexample.length)
        out.push(
          `${r.protocol} / ${ri.invariant}: random found ${ri.counterexample.length} steps, shorter than the explorer's ${ei.counterexample.length}`,
        );
    }
  }
  return out;
}
