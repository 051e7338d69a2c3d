// The random engine: fast-check command sequences over the model's actions, every
// invariant checked after every step; a failing run is minimised on the concrete action
// list (delta debugging), not by fast-check's shrinker.

import fc from 'fast-check';
import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { allActions, enabledActions } from '../../model/enumerate.js';
import { initialState, type State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { type Pick, pickArbitrary, resolvePick } from '../../properties/arbitraries.js';
import type { Invariant, Witness } from '../../properties/invariants.js';
import { possibleTargets, type Target } from '../../properties/targets.js';
import { describeAction } from '../codec/format.js';
import { firstViolation, type ReplayResult, replay, step } from './trace.js';

/**
 * Longest action sequence per run. 50 found the seeds' 7-step bugs (PERFORMANCE-NOTES.md);
 * the races with system calls and migrc are 8-15 steps among jobs of three to eight kernel
 * steps each, and 100 found them in fewer runs: measured over six seeds, the median for
 * reclaim-batched-dirty-v4.12-no-batched-pending / noLostWrite fell from about 2,300 runs
 * to 1,000 and for migrc / noLostWrite from about 560 to 190. Minimising
 * brings the counterexample back down.
 */
export const DEFAULT_MAX_COMMANDS = 100;

export interface RandomOptions {
  readonly runs: number;
  readonly seed: number;
  /**
   * Long sequences at full size: with fast-check's default size a 7-step bug went
   * unfound in 10 of 10 seeds; size 'max' with 50 commands found it in 20 of 20
   * (PERFORMANCE-NOTES.md). Longer sequences take longer to minimise.
   */
  readonly maxCommands?: number;
  /** Called now and then (about every 200 ms) with the runs done so far. */
  readonly onProgress?: (p: RandomProgress) => void;
}

export interface RandomProgress {
  readonly runs: number;
  readonly total: number;
  /** Actions executed so far. */
  readonly steps: number;
  /** 'minimising' once a run has failed. */
  readonly phase: 'running' | 'minimising';
}

export interface RandomFailure {
  readonly invariant: Invariant;
  readonly witness: Witness;
  /** The counterexample: the failing run minimised, 1-minimal (see `minimise`). */
  readonly actions: readonly Action[];
  /** The failing run's length up to the violation, before minimising. */
  readonly foundLength: number;
  readonly replay: ReplayResult;
  /** fast-check's replay path for this seed. */
  readonly path: string;
}

export interface RandomResult {
  /** Runs fast-check executed before it stopped (all of them when nothing broke). */
  readonly runs: number;
  /** Actions executed over those runs, minimising excluded. */
  readonly steps: number;
  /** Share of commands whose guard failed (no action enabled at all). */
  readonly rejectedShare: number;
  readonly targetsHit: readonly string[];
  readonly failure: RandomFailure | null;
}

interface Model {
  state: State;
}

class InvariantBroken extends Error {
  constructor(
    readonly invariant: Invariant,
    readonly witness: Witness,
  ) {
    super(`${invariant.id}: ${witness.message}`);
  }
}

interface Run {
  readonly variant: Variant;
  readonly config: Config;
  readonly universe: readonly Action[];
  readonly invariants: readonly Invariant[];
  steps: number;
  checked: number;
  rejected: number;
  /** A run broke an invariant: fast-check stops there (endOnFailure). */
  failed: boolean;
  /** The targets this protocol can reach in this world, evaluated until hit. */
  readonly targets: readonly Target[];
  readonly targetsHit: Set<string>;
}

/** One step: pick an enabled action, take it, check every invariant. */
class PickCommand implements fc.Command<Model, object> {
  private last: Action | null = null;
  /** The menu `check` computed, reused by `run` on the same state. */
  private menu: { readonly state: State; readonly actions: readonly Action[] } | null = null;
  constructor(
    readonly pick: Pick,
    private readonly run_: Run,
  ) {}

  check(m: Readonly<Model>): boolean {
    const actions = enabledActions(this.run_.variant, this.run_.config, m.state, this.run_.universe);
    this.menu = { state: m.state, actions };
    const ok = actions.length > 0;
    if (!this.run_.failed) {
      this.run_.checked += 1;
      if (!ok) this.run_.rejected += 1;
    }
    return ok;
  }

  run(m: Model): void {
    const r = this.run_;
    const menu =
      this.menu?.state === m.state
        ? this.menu.actions
        : enabledActions(r.variant, r.config, m.state, r.universe);
    this.menu = null;
    const action = resolvePick(this.pick, menu);
    this.last = action;
    const pre = m.state;
    const post = step(r.variant, pre, action);
    m.state = post;
    const taken = { pre, action };
    if (!r.failed) {
      r.steps += 1;
      for (const target of r.targets)
        if (!r.targetsHit.has(target.id) && target.hit(post, taken)) r.targetsHit.add(target.id);
    }
    const broken = firstViolation(r.invariants, post, taken);
    if (broken) {
      r.failed = true;
      throw new InvariantBroken(broken.invariant, broken.witness);
    }
  }

  toString(): string {
    return this.last === null ? `pick(${this.pick.roll}, ${this.pick.index})` : describeAction(this.last);
  }
}

/** The concrete actions a list of picks takes from the initial state. */
export function resolvePicks(variant: Variant, config: Config, picks: readonly Pick[]): Action[] {
  const universe = allActions(variant, config);
  let state = initialState(config);
  const out: Action[] = [];
  for (const pick of picks) {
    const menu = enabledActions(variant, config, state, universe);
    if (menu.length === 0) continue;
    const action = resolvePick(pick, menu);
    out.push(action);
    state = step(variant, state, action);
  }
  return out;
}

/**
 * Simplify while the result (skipping actions that become disabled) still breaks the same
 * invariant, until no single action and no single page of a batch can go.
 */
export function minimise(
  variant: Variant,
  config: Config,
  invariants: readonly Invariant[],
  actions: readonly Action[],
  id: string,
): ReplayResult {
  const breaks = (list: readonly Action[]) => {
    const r = replay(variant, config, list, { invariants, skipDisabled: true });
    return r.violation?.invariant.id === id ? r : null;
  };
  let best = breaks(actions);
  if (best === null) throw new Error('internal: the counterexample does not replay');
  let changed = true;
  while (changed) {
    changed = false;
    const current = best.trace.steps.map((s) => s.action);
    for (const candidate of simpler(current)) {
      let r = breaks(candidate);
      // Dropping the steps that moved a page also changes which frame ends up free, and a
      // reuseFrame that named the old one no longer hits: try it on the others too.
      for (const renamed of reframed(candidate, config.frames)) {
        if (r !== null) break;
        r = breaks(renamed);
      }
      if (r !== null && size(r.trace.steps.map((s) => s.action)) < size(current)) {
        best = r;
        changed = true;
        break;
      }
    }
  }
  return best;
}

/** The list with one reuseFrame handing out another frame instead, each way there is. */
function* reframed(actions: readonly Action[], frames: number): Generator<Action[]> {
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.op !== 'reuseFrame') continue;
    for (let frame = 0; frame < frames; frame++)
      if (frame !== a.frame)
        yield [...actions.slice(0, i), { op: 'reuseFrame', frame }, ...actions.slice(i + 1)];
  }
}

/** Steps first, then pages named by batch starts: what a reader has to follow. */
const size = (actions: readonly Action[]) =>
  actions.length * 100 + actions.reduce((n, a) => n + ('vpages' in a ? a.vpages.length : 0), 0);

/** Lists one simplification away: one action dropped, or one page dropped from a batch. */
function* simpler(actions: readonly Action[]): Generator<Action[]> {
  // Whole runs of actions first (halves, quarters, ...), as delta debugging does: an
  // failing run is mostly noise, and one replay can drop a block of it.
  for (let chunk = actions.length >> 1; chunk >= 2; chunk >>= 1)
    for (let i = actions.length - chunk; i >= 0; i -= chunk)
      yield [...actions.slice(0, i), ...actions.slice(i + chunk)];
  for (let i = actions.length - 1; i >= 0; i--) yield [...actions.slice(0, i), ...actions.slice(i + 1)];
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (!('vpages' in a) || a.vpages.length < 2) continue;
    for (let j = 0; j < a.vpages.length; j++) {
      const smaller = [
        ...actions.slice(0, i),
        { ...a, vpages: a.vpages.filter((_, k) => k !== j) },
        ...actions.slice(i + 1),
      ];
      yield smaller;
      // A smaller batch has fewer kernel steps, so later actions must move up by one.
      for (let k = smaller.length - 1; k > i; k--) yield [...smaller.slice(0, k), ...smaller.slice(k + 1)];
    }
  }
}

export function runRandom(
  variant: Variant,
  config: Config,
  invariants: readonly Invariant[],
  options: RandomOptions,
): RandomResult {
  const run: Run = {
    variant,
    config,
    universe: allActions(variant, config),
    invariants,
    steps: 0,
    checked: 0,
    rejected: 0,
    failed: false,
    targets: possibleTargets(variant, config),
    targetsHit: new Set(),
  };
  const initial = initialState(config);
  const atStart = firstViolation(invariants, initial);
  if (atStart) {
    const r = replay(variant, config, [], { invariants });
    return {
      runs: 0,
      steps: 0,
      rejectedShare: 0,
      targetsHit: [],
      failure: { ...atStart, actions: [], foundLength: 0, replay: r, path: '' },
    };
  }
  const command = pickArbitrary.map(
    (pick) => new PickCommand(pick, run),
    (value) => {
      if (value instanceof PickCommand) return value.pick;
      throw new Error('not a PickCommand');
    },
  );
  let runs = 0;
  let lastReport = Date.now();
  const property = fc.property(
    fc.commands([command], { maxCommands: options.maxCommands ?? DEFAULT_MAX_COMMANDS, size: 'max' }),
    (cmds) => {
      runs += 1;
      if (options.onProgress !== undefined && (runs & 15) === 0 && Date.now() - lastReport > 200) {
        lastReport = Date.now();
        options.onProgress({ runs, total: options.runs, steps: run.steps, phase: 'running' });
      }
      fc.modelRun(() => ({ model: { state: initial }, real: {} }), cmds);
    },
  );
  // endOnFailure: fast-check's own shrinking replays the command list from the start for
  // every candidate; on a 28-step failure in the shared-file world it ran 970,000
  // commands (12-20 s a counterexample, most of `npm run check`). Delta debugging on the
  // concrete actions (`minimise`) reaches 1-minimal counterexamples of the same lengths
  // in milliseconds (all 73 catalogue cases at most 18 steps, measured 2026-12-06).
  const details = fc.check(property, { numRuns: options.runs, seed: options.seed, endOnFailure: true });
  const targetsHit = [...run.targetsHit].sort();
  const rejectedShare = run.checked === 0 ? 0 : run.rejected / run.checked;
  if (!details.failed || details.counterexample === null)
    return { runs: details.numRuns, steps: run.steps, rejectedShare, targetsHit, failure: null };
  if (!(details.errorInstance instanceof InvariantBroken)) throw details.errorInstance;
  const [cmds] = details.counterexample;
  // fast-check wraps each command; the wrapper keeps ours as `cmd`.
  const picks = [...cmds]
    .map((c: object) => ('cmd' in c ? c.cmd : c))
    .filter((c): c is PickCommand => c instanceof PickCommand)
    .map((c) => c.pick);
  options.onProgress?.({
    runs: details.numRuns,
    total: options.runs,
    steps: run.steps,
    phase: 'minimising',
  });
  const found = replay(variant, config, resolvePicks(variant, config, picks), { invariants });
  const id = found.violation?.invariant.id ?? details.errorInstance.invariant.id;
  const best = minimise(
    variant,
    config,
    invariants,
    found.trace.steps.map((s) => s.action),
    id,
  );
  return {
    runs: details.numRuns,
    steps: run.steps,
    rejectedShare,
    targetsHit,
    failure: {
      invariant: best.violation!.invariant,
      witness: best.violation!.witness,
      actions: best.trace.steps.map((s) => s.action),
      foundLength: found.trace.steps.length,
      replay: best,
      path: details.counterexamplePath ?? '',
    },
  };
}
