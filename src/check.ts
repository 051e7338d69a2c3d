// The verdict of a protocol against every invariant: one random-engine campaign per
// round, each round dropping the invariant the last one broke, until the rest hold.
// The result is plain data, the same document `shootdown check --json` prints.

import type { Action } from '../model/actions.js';
import type { Config } from '../model/config.js';
import type { Variant } from '../model/variant.js';
import { INVARIANTS, type Invariant, type Witness } from '../properties/invariants.js';
import { TARGETS } from '../properties/targets.js';
import { describeChanges, describeStep, stepColumn } from './format.js';
import { type RandomFailure, runRandom } from './random.js';
import type { Trace } from './trace.js';
import { VERSION } from './version.js';

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

export type Verdict = 'holds' | 'violated';

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
  /** Steps in the minimised counterexample. */
  readonly length: number;
  /** Steps as fast-check's shrinker left it. */
  readonly shrunkLength: number;
  readonly actions: readonly Action[];
  readonly steps: readonly CounterexampleStep[];
  readonly witness: Witness;
  /** The run (1-based) of the campaign that first broke the invariant. */
  readonly run: number;
  readonly path: string;
}

export interface InvariantVerdict {
  readonly invariant: string;
  readonly expected: Verdict;
  readonly verdict: Verdict;
  /** Runs and executed steps of the campaign that decided this verdict. */
  readonly runs: number;
  readonly steps: number;
  readonly counterexample: Counterexample | null;
}

export interface TargetVerdict {
  readonly target: string;
  readonly hit: boolean;
}

export interface ProtocolVerdict {
  readonly protocol: string;
  readonly title: string;
  readonly invariants: readonly InvariantVerdict[];
  /** The variant's reachability targets, as hit by the last campaign (the one that found nothing). */
  readonly targets: readonly TargetVerdict[];
  /** Every verdict as expected and every target hit. */
  readonly ok: boolean;
  /** The failures themselves, for reports; not part of the JSON document. */
  readonly failures: readonly RandomFailure[];
}

export interface CheckOptions {
  readonly config: Config;
  readonly runs: number;
  readonly seed: number;
  /** Check only these invariants (default: all). */
  readonly invariants?: readonly Invariant[];
  readonly maxCommands?: number;
}

/** Unknown invariant or target ids in a variant, as one line, or null. */
export function variantProblem(variant: Variant): string | null {
  const unknownInvariant = variant.violates.find((id) => !INVARIANTS.some((i) => i.id === id));
  if (unknownInvariant)
    return `variant ${variant.id} expects to violate unknown invariant '${unknownInvariant}'`;
  const unknownTarget = variant.reaches.find((id) => !TARGETS.some((t) => t.id === id));
  if (unknownTarget) return `variant ${variant.id} names unknown reachability target '${unknownTarget}'`;
  return null;
}

export function checkVariant(variant: Variant, options: CheckOptions): ProtocolVerdict {
  const problem = variantProblem(variant);
  if (problem !== null) throw new Error(problem);
  const chosen = options.invariants ?? INVARIANTS;
  const random = {
    runs: options.runs,
    seed: options.seed,
    ...(options.maxCommands ? { maxCommands: options.maxCommands } : {}),
  };
  const decided = new Map<string, InvariantVerdict>();
  const failures: RandomFailure[] = [];
  let remaining = [...chosen];
  let targetsHit: readonly string[] = [];
  let lastRound = true;
  while (remaining.length > 0) {
    const r = runRandom(variant, options.config, remaining, random);
    if (r.failure === null) {
      for (const inv of remaining) decided.set(inv.id, row(variant, inv.id, 'holds', r.runs, r.steps, null));
      targetsHit = r.targetsHit;
      break;
    }
    const f = r.failure;
    failures.push(f);
    decided.set(
      f.invariant.id,
      row(variant, f.invariant.id, 'violated', r.runs, r.steps, {
        length: f.actions.length,
        shrunkLength: f.shrunkLength,
        actions: f.actions,
        steps: describeTrace(variant, f.replay.trace),
        witness: f.witness,
        run: r.runs,
        path: f.path,
      }),
    );
    remaining = remaining.filter((i) => i.id !== f.invariant.id);
    lastRound = remaining.length > 0;
  }
  const invariants = chosen.map((i) => decided.get(i.id)!);
  // With every invariant broken no campaign ran to the end; targets are then moot.
  const targets = lastRound ? variant.reaches.map((t) => ({ target: t, hit: targetsHit.includes(t) })) : [];
  const ok = invariants.every((v) => v.verdict === v.expected) && targets.every((t) => t.hit);
  return { protocol: variant.id, title: variant.title, invariants, targets, ok, failures };
}

function row(
  variant: Variant,
  invariant: string,
  verdict: Verdict,
  runs: number,
  steps: number,
  counterexample: Counterexample | null,
): InvariantVerdict {
  const expected: Verdict = variant.violates.includes(invariant) ? 'violated' : 'holds';
  return { invariant, expected, verdict, runs, steps, counterexample };
}

export interface CheckDocument {
  readonly tool: 'shootdown';
  readonly version: string;
  readonly engine: 'random';
  readonly config: Config;
  readonly runs: number;
  readonly seed: number;
  readonly protocols: readonly Omit<ProtocolVerdict, 'failures'>[];
  readonly ok: boolean;
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
  const document: CheckDocument = {
    tool: 'shootdown',
    version: VERSION,
    engine: 'random',
    config: options.config,
    runs: options.runs,
    seed: options.seed,
    protocols: verdicts.map(({ failures: _, ...rest }) => rest),
    ok: verdicts.every((v) => v.ok),
  };
  return { document, verdicts };
}
