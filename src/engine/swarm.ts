// Deep search for worlds too large to exhaust: depth-first search with a bitstate
// (supertrace) visited set, and a swarm of such searches, each diversified.
//
// Bitstate hashing (Holzmann, "An analysis of bitstate hashing", 1998) keeps a state as k
// bits of one large bit array, not as its bytes: memory is fixed in advance, and a state
// whose k bits are already set by others is wrongly taken for visited, so part of the
// space may be missed. What is found is real (every counterexample replays through
// next()); what is not found is not proven absent, so these engines never say "holds".
//
// Depth first, not breadth first: memory is the bit array and the current path, so the
// search goes as deep as the bound lets it, where the explorer's queue would have to keep
// every state of a level. The price is that a state first stored at the depth bound is not
// expanded when reached later by a shorter path; diversification makes up for it.
//
// A swarm (Holzmann, Joshi, Groce, "Swarm verification", 2008) runs many small searches
// that differ in the order they try actions (shuffled at every state), in which actions
// they leave out (swarm testing: a search without half the accesses and evictions goes
// deeper into the rest), in their depth bound, in a bound on preemptions and in their hash
// functions, so that each covers a different part of a space none could cover alone.

import type { Draft } from 'immer';
import type { Action } from '../../model/action-table.js';
import { apply, enabled } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import type { State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import type { Invariant } from '../../properties/invariants.js';
import { possibleTargets } from '../../properties/targets.js';
import { copyState, decode } from '../codec/encode.js';
import { type ExploreViolation, type Search, searchOf } from './explore.js';
import { minimise } from './random.js';
import { fingerprint } from './visited.js';

/** Bits a state sets in the bit array (Spin's default, -k3). */
export const HASH_FUNCTIONS = 3;

/** A bit array of 2^log2 bits; a state sets HASH_FUNCTIONS of them. */
export class BitState {
  readonly words: Int32Array;
  private readonly mask: number;
  /** States stored (each new one set at least one bit). */
  stored = 0;
  constructor(readonly log2: number) {
    if (!Number.isInteger(log2) || log2 < 10 || log2 > 35)
      throw new RangeError(`hash bits must be an integer from 10 to 35, not ${log2}`);
    this.words = new Int32Array(2 ** (log2 - 5));
    this.mask = 2 ** log2 - 1;
  }
  get bits(): number {
    return this.mask + 1;
  }
  get bytes(): number {
    return this.words.byteLength;
  }
  clear(): void {
    this.words.fill(0);
    this.stored = 0;
  }
  /** Set the state's bits; false when all were already set (taken as visited). */
  add(h1: number, h2: number): boolean {
    // Double hashing (Kirsch and Mitzenmacher): bit i is h1 + i * h2, as good as k hashes.
    let fresh = false;
    const step = h2 | 1;
    for (let i = 0; i < HASH_FUNCTIONS; i++) {
      // Beyond 2^32 bits the high part comes from the other hash.
      const low = (h1 + Math.imul(i, step)) >>> 0;
      const bit =
        this.mask > 0xffffffff ? (low + (h2 >>> 29) * 4294967296) % (this.mask + 1) : low & this.mask;
      const w = Math.floor(bit / 32);
      const b = 1 << (bit & 31);
      if ((this.words[w]! & b) === 0) {
        this.words[w]! |= b;
        fresh = true;
      }
    }
    if (fresh) this.stored += 1;
    return fresh;
  }
  /**
   * The chance that a new state is wrongly taken for visited now, (1 - e^(-kn/m))^k, and
   * its mean over the states stored so far: the expected share of them that were lost.
   * Holzmann's estimate; it assumes the hashes are independent and uniform.
   */
  omission(): { readonly now: number; readonly mean: number } {
    const k = HASH_FUNCTIONS;
    const m = this.bits;
    const n = this.stored;
    const at = (x: number) => (1 - Math.exp((-k * x) / m)) ** k;
    if (n === 0) return { now: 0, mean: 0 };
    // The mean of at(x) for x in [0, n], by Simpson's rule (at is smooth and increasing).
    const steps = 64;
    let sum = at(0) + at(n);
    for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * at((n * i) / steps);
    return { now: at(n), mean: sum / (3 * steps) };
  }
}

/** How one depth-first search of a swarm differs from the others. */
export interface Member {
  /** Seeds the action order and the hash functions. */
  readonly seed: number;
  /** Paths stop growing at this many actions. */
  readonly maxDepth: number;
  /** Try the enabled actions of each state in a random order (else the universe's). */
  readonly shuffle: boolean;
  /** Actions (universe indices) this search never takes; kernel steps are never left out. */
  readonly omit: readonly number[];
  /** Stop after storing this many states. */
  readonly maxStates: number;
  /**
   * At most this many preemptions on a path; null: no bound. A preemption is a step by
   * anyone else while a kernel task is in the middle of a job it could go on with
   * (context bounding: Musuvathi and Qadeer, PLDI 2007, found most concurrency bugs
   * need very few). A task that is idle or waits for a lock gives way for free, and so
   * does a user access, a single step.
   */
  readonly preemptions: number | null;
}

export interface MemberResult {
  readonly member: Member;
  readonly states: number;
  readonly transitions: number;
  /** Some path reached the depth bound (so the search could not be complete). */
  readonly truncated: boolean;
  readonly stoppedBy: 'max-states' | 'deadline' | null;
  /** The deepest path taken. */
  readonly depth: number;
  readonly omission: { readonly now: number; readonly mean: number };
  /** The path to a violation, as the search found it (not minimised), and what it broke. */
  readonly found: { readonly actions: readonly Action[]; readonly invariant: Invariant } | null;
}

/** A small fast generator (mulberry32): members must be reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Frame {
  /**
   * The state's canonical bytes (its representative's, with symmetry), kept only where the
   * decoded state may be dropped (at KEEP_DECODED and deeper).
   */
  readonly bytes: Uint8Array | null;
  /** The state, decoded from `bytes`; dropped for frames deeper than KEEP_DECODED. */
  state: State | null;
  /** Universe indices of the actions still to try here, in order. */
  readonly order: readonly number[];
  next: number;
  /** The universe index of the action that led here (-1 at the root). */
  readonly via: number;
  /** Preemptions on the path here, and who took the last step (`actorOf`; -1: no one). */
  readonly preempted: number;
  readonly actor: number;
}

/**
 * Frames this deep keep their state decoded; deeper ones keep only its bytes and decode
 * them again when the search comes back. A decoded state of small is some kilobytes: a
 * single search to depth 100,000 took 1.2 GB with every state decoded; bytes take 68.
 */
const KEEP_DECODED = 1000;

/**
 * Who takes an action: a kernel task (its index) for its steps and its start; the user
 * thread on a CPU (TASK_ACTORS + cpu) for an access; -1 for the rest (the allocator,
 * an eviction, another CPU's allocation).
 */
const actorOf = (a: Action): number =>
  'task' in a ? a.task : a.op === 'load' || a.op === 'store' ? TASK_ACTORS + a.cpu : -1;
const TASK_ACTORS = 64;

/**
 * One depth-first search with a bitstate visited set. Steps the same model functions as the
 * explorer (`enabled`, `apply` on a copy, the same canonical bytes) and checks every
 * invariant on every transition, stopping at the first violation.
 */
export function searchMember(
  search: Search,
  member: Member,
  bits: BitState,
  deadline: number,
  targetsHit: Set<string>,
  /** Called about every 4,096 transitions with the states stored and transitions taken so far. */
  tick?: (states: number, transitions: number, depth: number) => void,
): MemberResult {
  const { variant, universe, size, words, stateInvariants, stepInvariants, represent, layout, symmetry } =
    search;
  const random = rng(member.seed);
  const salt = member.seed === 0 ? 0 : Math.floor(random() * 4294967296) | 1;
  const omitted = new Set(member.omit);
  const allowed = universe.map((a, i) => !omitted.has(i) || a.op === 'kernelStep');
  const scratch = new Uint8Array(size);
  const scratchWords = new Uint32Array(scratch.buffer);
  const fp = new Uint32Array(2);
  const unhit = possibleTargets(search.variant, search.config).filter((t) => !targetsHit.has(t.id));

  const orderOf = (s: State): number[] => {
    const out: number[] = [];
    for (let i = 0; i < universe.length; i++)
      if (allowed[i] && enabled(variant, s, universe[i]!)) out.push(i);
    if (member.shuffle)
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = out[i]!;
        out[i] = out[j]!;
        out[j] = t;
      }
    return out;
  };
  const bound = member.preemptions;
  // With a bound the same state reached with other preemptions left, or after another
  // task's step, has other futures: both go into its hash.
  const store = (s: State, preempted: number, actor: number): boolean => {
    represent(s, scratch);
    const context = bound === null ? 0 : Math.imul(preempted * 256 + actor + 2, 0x9e3779b1);
    fingerprint(scratchWords, words, fp, salt ^ context);
    return bits.add(fp[0]!, fp[1]!);
  };
  // Each task's kernelStep action, found once: asked on every transition under a bound.
  const kernelStepOf: Action[] = [];
  for (const a of universe) if (a.op === 'kernelStep') kernelStepOf[a.task] = a;
  /** Preemptions after taking `ai` from frame `f`: one more if it leaves a task that could go on. */
  const preemptedBy = (f: Frame, pre: State, ai: number): number => {
    if (bound === null || f.actor < 0 || f.actor >= TASK_ACTORS || actorOf(universe[ai]!) === f.actor)
      return f.preempted;
    return enabled(variant, pre, kernelStepOf[f.actor]!) ? f.preempted + 1 : f.preempted;
  };
  // The search goes on from what it stored: with symmetry the representative, decoded, so
  // a path is a path of representatives, as the explorer's is (search.caught() maps it back).
  const frame = (s: State, via: number, preempted: number, actor: number): Frame => {
    const bytes = stack.length >= KEEP_DECODED ? scratch.slice() : null;
    const state = symmetry ? decode(layout, scratch) : s;
    return { bytes, state, order: orderOf(state), next: 0, via, preempted, actor };
  };

  let transitions = 0;
  let truncated = false;
  let depth = 0;
  let stoppedBy: MemberResult['stoppedBy'] = null;
  let found: MemberResult['found'] = null;
  const startStored = bits.stored;
  const stack: Frame[] = [];
  const pathWith = (ai: number): Action[] => [...stack.slice(1).map((f) => universe[f.via]!), universe[ai]!];

  if (store(search.initial, 0, -1)) stack.push(frame(search.initial, -1, 0, -1));
  outer: while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.order.length) {
      stack.pop();
      continue;
    }
    if (top.state === null) top.state = decode(layout, top.bytes!);
    const pre = top.state;
    if ((transitions & 4095) === 0 && transitions > 0) {
      if (performance.now() > deadline) {
        stoppedBy = 'deadline';
        break;
      }
      tick?.(bits.stored - startStored, transitions, depth);
    }
    const ai = top.order[top.next++]!;
    const action = universe[ai]!;
    const preempted = preemptedBy(top, pre, ai);
    if (bound !== null && preempted > bound) continue;
    const actor = actorOf(action) === -1 ? top.actor : actorOf(action);
    const post = copyState(pre);
    apply(variant, post as Draft<State>, action);
    transitions += 1;
    const taken = { pre, action };
    for (let k = 0; k < unhit.length; k++)
      if (unhit[k]!.hit(post, taken)) {
        targetsHit.add(unhit[k]!.id);
        unhit.splice(k--, 1);
      }
    for (const inv of stepInvariants)
      if (inv.check(post, taken) !== null) {
        found = { actions: pathWith(ai), invariant: inv };
        break outer;
      }
    if (!store(post, preempted, actor)) continue;
    for (const inv of stateInvariants)
      if (inv.check(post, taken) !== null) {
        found = { actions: pathWith(ai), invariant: inv };
        break outer;
      }
    if (stack.length > depth) depth = stack.length;
    if (bits.stored - startStored >= member.maxStates) {
      stoppedBy = 'max-states';
      break;
    }
    if (stack.length >= member.maxDepth) {
      truncated = true;
      continue;
    }
    if (stack.length > KEEP_DECODED) top.state = null;
    stack.push(frame(post, ai, preempted, actor));
  }
  return {
    member,
    states: bits.stored - startStored,
    transitions,
    truncated,
    stoppedBy,
    depth,
    omission: bits.omission(),
    found,
  };
}

export interface SwarmOptions {
  readonly invariants: readonly Invariant[];
  /** Stop after this long (the whole swarm). */
  readonly maxSeconds: number;
  /** Stop after storing this many states over all members. */
  readonly maxStates?: number;
  /** Seeds the members: the same seed, the same swarm (on the same machine speed). */
  readonly seed?: number;
  /** log2 of the bit array's bits. */
  readonly hashBits?: number;
  /** States a member stores before the next member starts. */
  readonly memberStates?: number;
  /** Depth bounds are drawn from [DEFAULT_MIN_DEPTH, maxDepth]. */
  readonly maxDepth?: number;
  readonly symmetry?: boolean;
  /** One search: no shuffling, nothing left out, the given depth bound (`--engine bitstate`). */
  readonly single?: boolean;
  readonly onProgress?: (p: SwarmProgress) => void;
}

export interface SwarmProgress {
  readonly members: number;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export interface SwarmResult {
  readonly members: readonly MemberResult[];
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  /** Some search was cut at its depth bound (for a single search: it could not be complete). */
  readonly truncated: boolean;
  /** What ended a search that found nothing; null: the single search finished. */
  readonly stoppedBy: 'max-seconds' | 'max-states' | null;
  /** `member` counts from 1. */
  readonly violation: (ExploreViolation & { readonly foundLength: number; readonly member: number }) | null;
  readonly targetsHit: readonly string[];
}

/** The member `index` of the swarm seeded `seed`. */
export function memberOf(search: Search, options: SwarmOptions, index: number): Member {
  const maxStates = options.memberStates ?? DEFAULT_MEMBER_STATES;
  if (options.single)
    return {
      seed: 0,
      maxDepth: options.maxDepth ?? DEFAULT_BITSTATE_DEPTH,
      shuffle: false,
      omit: [],
      maxStates: options.maxStates ?? Number.POSITIVE_INFINITY,
      preemptions: null,
    };
  const random = rng(((options.seed ?? 1) * 0x9e3779b1 + index * 0x85ebca77) >>> 0);
  const lo = DEFAULT_MIN_DEPTH;
  const hi = Math.max(lo, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  // Member 0 leaves nothing out; each later one leaves out each action but kernel steps with
  // chance OMIT_CHANCE.
  const omit: number[] = [];
  if (index > 0)
    search.universe.forEach((a, i) => {
      if (a.op !== 'kernelStep' && random() < OMIT_CHANCE) omit.push(i);
    });
  const seed = Math.floor(random() * 4294967295) + 1;
  const maxDepth = lo + Math.floor(random() * (hi - lo + 1));
  // Half the searches bound preemptions, from 0 to MAX_PREEMPTIONS.
  const preemptions = index > 0 && random() < 0.5 ? Math.floor(random() * (MAX_PREEMPTIONS + 1)) : null;
  return { seed, maxDepth, shuffle: true, omit, maxStates, preemptions };
}

/**
 * States a swarm search stores before the next begins. Depth first, a search spends most of
 * its states below the first path it took; many small searches vary that path more. In
 * migrc-pressure searches of 200,000 and of 50,000 found the 20-step stop race in 76 s and
 * 78 s (43rd and 133rd search); see BENCHMARKS.md for the runs that led here.
 */
export const DEFAULT_MEMBER_STATES = 200_000;
/** The chance that a search (but the first) leaves out a given action. */
export const OMIT_CHANCE = 0.5;
export const DEFAULT_MIN_DEPTH = 20;
export const DEFAULT_MAX_DEPTH = 40;
export const DEFAULT_HASH_BITS = 28;
export const MAX_PREEMPTIONS = 4;
/**
 * One bitstate search's depth bound. Depth first, paths grow long: in tiny-migrc a bound of
 * 10,000 (Spin's default) was reached and cut a fifth of the states off, and on small one of
 * 100,000 cut 4% off. A frame that deep keeps the state's bytes (about 200 bytes with its
 * action list), so a million of them take some 200 MB.
 */
export const DEFAULT_BITSTATE_DEPTH = 1_000_000;

export function swarm(variant: Variant, config: Config, options: SwarmOptions): SwarmResult {
  const search = searchOf(variant, config, options.invariants, options.symmetry ?? false);
  const started = performance.now();
  const deadline = started + options.maxSeconds * 1000;
  const bits = new BitState(options.hashBits ?? DEFAULT_HASH_BITS);
  const targetsHit = new Set<string>();
  const members: MemberResult[] = [];
  let states = 0;
  let transitions = 0;
  let depth = 0;
  const seconds = () => (performance.now() - started) / 1000;
  const result = (
    stoppedBy: SwarmResult['stoppedBy'],
    violation: SwarmResult['violation'] = null,
  ): SwarmResult => ({
    members,
    states,
    transitions,
    depth,
    seconds: seconds(),
    truncated: members.some((m) => m.truncated),
    stoppedBy,
    violation,
    targetsHit: [...targetsHit].sort(),
  });
  for (const inv of options.invariants)
    if (inv.check(search.initial) !== null)
      return result(null, { ...search.caught([], inv), foundLength: 0, member: 1 });
  for (let index = 0; ; index++) {
    const left = options.maxStates === undefined ? Number.POSITIVE_INFINITY : options.maxStates - states;
    if (left <= 0) return result('max-states');
    if (performance.now() > deadline) return result('max-seconds');
    const m = memberOf(search, options, index);
    const member = { ...m, maxStates: Math.min(m.maxStates, left) };
    // Each member starts from an empty bit array: its hash functions are its own.
    if (!options.single) bits.clear();
    let lastTick = performance.now();
    const progress = (memberStates: number, memberTransitions: number, memberDepth: number) =>
      options.onProgress?.({
        members: members.length + 1,
        states: states + memberStates,
        transitions: transitions + memberTransitions,
        depth: Math.max(depth, memberDepth),
        seconds: seconds(),
        statesPerSecond: (states + memberStates) / Math.max(seconds(), 1e-9),
      });
    const tick = (n: number, t: number, d: number) => {
      const now = performance.now();
      if (now - lastTick < 250) return;
      lastTick = now;
      progress(n, t, d);
    };
    const r = searchMember(search, member, bits, deadline, targetsHit, tick);
    progress(r.states, r.transitions, r.depth);
    members.push(r);
    states += r.states;
    transitions += r.transitions;
    depth = Math.max(depth, r.depth);
    if (r.found !== null) {
      const caught = search.caught(r.found.actions, r.found.invariant);
      // Minimised against its own invariant: another one may break at the same step, and a
      // replay against all of them would report whichever comes first in the list.
      const best = minimise(variant, config, [r.found.invariant], caught.actions, r.found.invariant.id);
      return result(null, {
        invariant: best.violation!.invariant,
        witness: best.violation!.witness,
        actions: best.trace.steps.map((s) => s.action),
        replay: best,
        foundLength: r.found.actions.length,
        member: index + 1,
      });
    }
    if (options.single) return result(r.stoppedBy === 'deadline' ? 'max-seconds' : r.stoppedBy);
  }
}
