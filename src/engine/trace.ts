// Stepping the model along a list of actions, checking invariants after every step.
// Shared by the random engine's counterexamples, replays and reports.

import type { Draft } from 'immer';
import { type Action, apply, enabled } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { initialState, type State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { INVARIANTS, type Invariant, type Step, type Witness } from '../../properties/invariants.js';
import { copyState } from '../codec/encode.js';

/**
 * The state after `action`: the model's `next()` without immer. A plain copy of the
 * pre-state stepped in place by the same recipes (`apply`), as the explorer steps it;
 * equal to `next()`'s result, key order included (test/src/trace.test.ts), and four to
 * five times faster, which is most of a random campaign's time.
 */
export function step(variant: Variant, pre: State, action: Action): State {
  const post = copyState(pre);
  apply(variant, post as Draft<State>, action);
  return post;
}

export interface TraceStep {
  readonly action: Action;
  /** The state after the action. */
  readonly state: State;
}

export interface Trace {
  readonly initial: State;
  readonly steps: readonly TraceStep[];
}

export interface Violation {
  readonly invariant: Invariant;
  readonly witness: Witness;
  /** How many steps were taken when it broke: 0 means the initial state. */
  readonly atStep: number;
}

export function firstViolation(
  invariants: readonly Invariant[],
  s: State,
  step?: Step,
): { invariant: Invariant; witness: Witness } | null {
  for (const invariant of invariants) {
    const witness = invariant.check(s, step);
    if (witness !== null) return { invariant, witness };
  }
  return null;
}

export interface ReplayResult {
  readonly trace: Trace;
  readonly violation: Violation | null;
  /** Index (into the given actions) of the first action that was not enabled, if any. */
  readonly disabledAt: number | null;
}

/**
 * Step `actions` from the initial state. Stops at the first violation, or at the first
 * action whose guard fails unless `skipDisabled` (fast-check skips such commands, so its
 * counterexamples are replayed that way).
 */
export function replay(
  variant: Variant,
  config: Config,
  actions: readonly Action[],
  options: { invariants?: readonly Invariant[]; skipDisabled?: boolean } = {},
): ReplayResult {
  const invariants = options.invariants ?? INVARIANTS;
  const initial = initialState(config);
  const steps: TraceStep[] = [];
  const atStart = firstViolation(invariants, initial);
  if (atStart) return { trace: { initial, steps }, violation: { ...atStart, atStep: 0 }, disabledAt: null };
  let state = initial;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    if (!enabled(variant, state, action)) {
      if (options.skipDisabled) continue;
      return { trace: { initial, steps }, violation: null, disabledAt: i };
    }
    const pre = state;
    state = step(variant, pre, action);
    steps.push({ action, state });
    const broken = firstViolation(invariants, state, { pre, action });
    if (broken)
      return { trace: { initial, steps }, violation: { ...broken, atStep: steps.length }, disabledAt: null };
  }
  return { trace: { initial, steps }, violation: null, disabledAt: null };
}
