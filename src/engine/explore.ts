// The exhaustive explorer: breadth-first search over every enabled action from the
// initial state, so the first violation found has a shortest counterexample. It steps
// the model's own recipe (`apply`) on fresh copies of states decoded from canonical bytes, keeps
// 64-bit fingerprints of those bytes as its visited set, and replays every
// counterexample through `next` (immer) before reporting it. With `por` it skips the
// transitions sleep sets prove redundant (SleepSets, below).

import { totalmem } from 'node:os';
import type { Draft } from 'immer';
import { type Action, apply, enabled, next } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import {
  EVERYTHING,
  footprint,
  independent,
  type Locations,
  type localWrites,
  locationsOf,
} from '../../model/footprint.js';
import { initialState, type State } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import type { Variant } from '../../model/variant.js';
import { INVARIANTS, type Invariant, type Witness } from '../../properties/invariants.js';
import { possibleTargets } from '../../properties/targets.js';
import { copyState, decode, encode, type Layout, layoutOf } from '../codec/encode.js';
import { LocalSteps } from './local-step.js';
import { CpuSymmetry, canonicalPermutation, cpuClasses } from './symmetry.js';
import { type ReplayResult, replay } from './trace.js';
import { allocate, FingerprintSet, fingerprint, OutOfRoom } from './visited.js';

export interface ExploreProgress {
  readonly depth: number;
  readonly generated: number;
  readonly distinct: number;
  readonly queue: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly memoryMb: number;
}

export interface ExploreOptions {
  readonly invariants?: readonly Invariant[];
  /** Stop after this many distinct states. */
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** Stop before the process's resident memory passes this (default: 3/4 of the machine's). */
  readonly maxMemoryMb?: number;
  readonly onProgress?: (p: ExploreProgress) => void;
  readonly progressEveryMs?: number;
  /** Store one state per class of frame renumberings (needs the config's allocator 'lifo'). */
  readonly symmetry?: boolean;
  /**
   * Partial-order reduction by sleep sets: a transition that commutes with one already
   * taken from an ancestor is not taken again. Every reachable state is still visited at
   * its shortest distance; only transitions are saved.
   */
  readonly por?: boolean;
  /** Internal, for tests that show a wrong declaration is caught: the footprint to use. */
  readonly footprint?: typeof footprint;
  /**
   * Take the steps that write little (loads, stores, evictions) on a copy of what they
   * write only (./local-step.ts); default true. false: every step copies and encodes the
   * whole state (to compare, and to measure what it saves).
   */
  readonly localSteps?: boolean;
  /** Internal, for tests: check every local step against the whole one. */
  readonly checkLocalSteps?: boolean;
  /** Internal, for tests that show a wrong declaration is caught: the one to use. */
  readonly localWrites?: typeof localWrites;
}

export type Budget = 'max-states' | 'max-seconds' | 'memory';

export interface ExploreViolation {
  readonly invariant: Invariant;
  readonly witness: Witness;
  /** A shortest action sequence from the initial state that breaks it. */
  readonly actions: readonly Action[];
  readonly replay: ReplayResult;
}

export interface ExploreResult {
  /** Every reachable state was visited (and no violation stopped the search). */
  readonly complete: boolean;
  readonly stoppedBy: Budget | null;
  readonly distinct: number;
  /** Transitions taken, including those into states already visited. */
  readonly generated: number;
  /** The deepest BFS level reached. */
  readonly depth: number;
  readonly seconds: number;
  /** Bytes of the visited set. */
  readonly visitedBytes: number;
  /** Bytes kept to rebuild counterexamples (about two a state). */
  readonly treeBytes: number;
  readonly violation: ExploreViolation | null;
  /** How often each action (kernel steps by function name) fired. */
  readonly coverage: Readonly<Record<string, number>>;
  readonly targetsHit: readonly string[];
  /** With `por`: transitions not taken because their action was asleep. */
  readonly slept: number;
}

/** A growable byte queue of fixed-size records; records behind the head can be dropped. */
class Arena {
  private buf: Uint8Array;
  private base = 0; // id of the first record still held
  constructor(private readonly size: number) {
    this.buf = new Uint8Array(size * 4096);
  }
  offset(id: number): number {
    return (id - this.base) * this.size;
  }
  get bytes(): Uint8Array {
    return this.buf;
  }
  /** Make room for record `id`, dropping records before `keepFrom` if that is enough. */
  reserve(id: number, keepFrom: number): void {
    const need = (id - this.base + 1) * this.size;
    if (need <= this.buf.length) return;
    const live = (id - keepFrom) * this.size;
    if (keepFrom > this.base && live * 2 <= this.buf.length) {
      this.buf.copyWithin(0, (keepFrom - this.base) * this.size, (id - this.base) * this.size);
      this.base = keepFrom;
      return;
    }
    const bigger = allocate(Uint8Array, Math.max(need, this.buf.length * 2));
    bigger.set(this.buf.subarray(0, (id - this.base) * this.size));
    this.buf = bigger;
  }
}

/**
 * The BFS tree, for counterexamples, in about two bytes a state. States get ids in the
 * order they are found, so a state's parent is the head being expanded when it was
 * found: storing how many new states each head produced (one byte: at most one per
 * action) gives every parent back by one backward pass, without a 4-byte pointer.
 */
export class BfsTree {
  private children: Uint8Array | Uint16Array;
  private via: Uint8Array | Uint16Array;
  constructor(wide: boolean) {
    this.children = wide ? new Uint16Array(1 << 16) : new Uint8Array(1 << 16);
    this.via = wide ? new Uint16Array(1 << 16) : new Uint8Array(1 << 16);
  }
  get bytes(): number {
    return this.children.byteLength + this.via.byteLength;
  }
  private static grown<T extends Uint8Array | Uint16Array>(a: T, i: number): T {
    if (i < a.length) return a;
    const b = allocate(a.constructor as new (n: number) => T, Math.ceil(a.length * 1.5));
    b.set(a);
    return b;
  }
  /** State `id` was found by action `action` from the head being expanded. */
  found(id: number, head: number, action: number): void {
    this.via = BfsTree.grown(this.via, id);
    this.via[id] = action;
    this.children = BfsTree.grown(this.children, head);
    this.children[head]! += 1;
  }
  /** The action indices from the initial state to `id`, while `head` is expanded and `nextId` is unused. */
  path(id: number, head: number, nextId: number): number[] {
    const out: number[] = [];
    let target = id;
    // The children of head h have ids start(h) .. start(h+1)-1; start(head+1) is nextId.
    let start = nextId;
    for (let h = head; h >= 0 && target > 0; h--) {
      start -= this.children[h]!;
      if (start <= target) {
        out.push(this.via[target]!);
        target = h;
      }
    }
    return out.reverse();
  }
}

/**
 * The successor of `pre` by universe action `ai` (enabled there), as a fresh state, with the
 * action counted for coverage: kernel steps by the step's name, the rest by index. Both
 * explorers, serial and parallel, step every transition through here.
 */
export function successor(
  variant: Variant,
  pre: State,
  action: Action,
  ai: number,
  byAction: Float64Array,
  byStep: Map<string, number>,
): State {
  const post = copyState(pre);
  if (action.op === 'kernelStep') {
    const name = currentStep(variant.policy, pre.tasks[action.task]!) ?? 'idle';
    byStep.set(name, (byStep.get(name) ?? 0) + 1);
  } else byAction[ai]! += 1;
  apply(variant, post as Draft<State>, action);
  return post;
}

/** What both explorers (and the parallel one's workers) derive from protocol, config and options. */
export interface Search {
  readonly variant: Variant;
  readonly config: Config;
  readonly layout: Layout;
  /** Bytes a stored state takes: the encoding padded to whole 32-bit words, which the fingerprint reads. */
  readonly size: number;
  readonly words: number;
  readonly universe: readonly Action[];
  readonly initial: State;
  readonly invariants: readonly Invariant[];
  readonly stateInvariants: readonly Invariant[];
  readonly stepInvariants: readonly Invariant[];
  readonly symmetry: boolean;
  /** Write the bytes of x's representative (x itself without symmetry). */
  readonly represent: (x: State, out: Uint8Array) => void;
  /** The violation a path of stored states' actions leads to, in real numbers, replayed through next(). */
  readonly caught: (path: readonly Action[], invariant: Invariant) => ExploreViolation;
}

export function searchOf(
  variant: Variant,
  config: Config,
  invariants: readonly Invariant[],
  symmetry: boolean,
): Search {
  const layout = layoutOf(config);
  const size = Math.ceil(layout.size / 4) * 4;
  // Frames are interchangeable with the lifo allocator only; CPUs where cpuClasses() says.
  const frameSymmetry = symmetry && config.allocator === 'lifo';
  const classes = symmetry ? cpuClasses(config) : [];
  if (symmetry && !frameSymmetry && classes.length === 0)
    throw new Error(
      `nothing to reduce in config ${config.name}: symmetry over frames needs the 'lifo' allocator (with '${config.allocator ?? 'lowest-free'}' frame numbers matter), and no two CPUs are interchangeable (the same mm, no kernel task)`,
    );
  const cpuSymmetry = classes.length > 0 ? new CpuSymmetry(layout, classes) : null;
  const represent = (x: State, out: Uint8Array): void => {
    const frames = frameSymmetry ? canonicalPermutation(x) : null;
    encode(layout, x, out, 0, frames, cpuSymmetry === null ? null : cpuSymmetry.permutation(x, frames));
  };
  const universe = allActions(variant, config);
  if (universe.length > 0xffff) throw new Error('internal: more actions than a Uint16 can name');
  const initial = initialState(config);
  // With symmetry the path's actions apply to representatives (decoded from the stored
  // bytes), which number frames and CPUs their own way. Walk the real states alongside and
  // take, at each step, an action whose successor has the same representative as the
  // path's: it exists because the model is symmetric, and it leads to the same class.
  const concretePath = (path: readonly Action[]): Action[] => {
    const want = new Uint8Array(size);
    const got = new Uint8Array(size);
    represent(initial, want);
    let rep = decode(layout, want);
    let x = initial;
    const out: Action[] = [];
    for (const a of path) {
      represent(next(variant, rep, a), want);
      const b = universe.find((c) => {
        if (!enabled(variant, x, c)) return false;
        represent(next(variant, x, c), got);
        return got.every((v, k) => v === want[k]);
      });
      if (b === undefined) throw new Error('internal: a symmetric step has no concrete twin');
      out.push(b);
      x = next(variant, x, b);
      rep = decode(layout, want);
    }
    return out;
  };
  const caught = (path: readonly Action[], invariant: Invariant): ExploreViolation => {
    const actions = symmetry ? concretePath(path) : [...path];
    const r = replay(variant, config, actions, { invariants: [invariant] });
    if (r.violation === null || r.disabledAt !== null)
      throw new Error(
        `internal: the explorer's counterexample for ${invariant.id} does not replay through next()`,
      );
    return { invariant, witness: r.violation.witness, actions, replay: r };
  };
  return {
    variant,
    config,
    layout,
    size,
    words: size / 4,
    universe,
    initial,
    invariants,
    stateInvariants: invariants.filter((i) => i.over === 'state'),
    stepInvariants: invariants.filter((i) => i.over === 'step'),
    symmetry,
    represent,
    caught,
  };
}

export function explore(variant: Variant, config: Config, options: ExploreOptions = {}): ExploreResult {
  const por = options.por ?? false;
  if (por && options.symmetry) throw new Error('--por does not combine with --symmetry yet');
  const search = searchOf(variant, config, options.invariants ?? INVARIANTS, options.symmetry ?? false);
  const {
    layout,
    size,
    words,
    universe,
    initial,
    invariants,
    stateInvariants,
    stepInvariants,
    represent,
    caught,
  } = search;
  const wide = universe.length > 0xff;
  const started = performance.now();
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxMs = (options.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  const maxRss = options.maxMemoryMb === undefined ? totalmem() * 0.75 : options.maxMemoryMb * 1048576;
  const progressEvery = options.progressEveryMs ?? 3000;
  let lastProgress = started;

  const visited = new FingerprintSet();
  const arena = new Arena(size);
  const tree = new BfsTree(wide);
  // Counted per action of the universe (and per kernel step), turned into names at the end:
  // a string-keyed update on every transition showed in the profile.
  const byAction = new Float64Array(universe.length);
  const byStep = new Map<string, number>();
  const targetsHit = new Set<string>();
  // Only the targets not hit yet are evaluated; once hit, a target costs nothing more.
  const unhit = [...possibleTargets(variant, config)];
  const scratch = new Uint8Array(size);
  const scratchWords = new Uint32Array(scratch.buffer);
  const fp = new Uint32Array(2);

  let generated = 0;
  let slept = 0;
  let depth = 0;
  let violation: ExploreViolation | null = null;

  const elapsed = () => (performance.now() - started) / 1000;
  const coverageOf = (): Record<string, number> => {
    const out: Record<string, number> = Object.fromEntries(byStep);
    universe.forEach((a, i) => {
      if (byAction[i]! > 0) out[a.op] = (out[a.op] ?? 0) + byAction[i]!;
    });
    return out;
  };
  const finish = (stoppedBy: Budget | null, distinct: number): ExploreResult => ({
    complete: stoppedBy === null && violation === null,
    stoppedBy,
    distinct,
    generated,
    depth,
    seconds: elapsed(),
    visitedBytes: visited.bytes,
    treeBytes: tree.bytes,
    violation,
    coverage: coverageOf(),
    targetsHit: [...targetsHit].sort(),
    slept,
  });

  // The path to the head being expanded; its children so far end at `count`.
  const pathTo = (head: number, count: number): Action[] =>
    tree.path(head, head, count).map((i) => universe[i]!);
  for (const inv of invariants) {
    if (inv.check(initial) !== null) {
      violation = caught([], inv);
      return finish(null, 1);
    }
  }
  arena.reserve(0, 0);
  represent(initial, scratch);
  fingerprint(scratchWords, words, fp);
  visited.add(fp[0]!, fp[1]!);
  arena.bytes.set(scratch, 0);

  const sleep = por ? new SleepSets(search, options.footprint ?? footprint) : null;
  const local =
    options.localSteps === false ? null : LocalSteps.of(search, options.checkLocalSteps, options.localWrites);
  let count = 1;
  let levelEnd = 1;
  try {
    for (let head = 0; head < count; head++) {
      if (head === levelEnd) {
        depth += 1;
        if (sleep !== null) sleep.nextLevel(levelEnd, count);
        levelEnd = count;
      }
      if ((head & 255) === 0) {
        const now = performance.now();
        if (now - started > maxMs) return finish('max-seconds', count);
        // Stop cleanly well before the kernel's OOM killer would.
        if ((head & 4095) === 0 && process.memoryUsage.rss() > maxRss) return finish('memory', count);
        if (now - lastProgress >= progressEvery) {
          lastProgress = now;
          const rss = process.memoryUsage.rss();
          options.onProgress?.({
            depth,
            generated,
            distinct: count,
            queue: count - head,
            seconds: elapsed(),
            statesPerSecond: count / Math.max(elapsed(), 1e-9),
            memoryMb: rss / 1048576,
          });
        }
      }
      const pre = decode(layout, arena.bytes, arena.offset(head));
      // With sleep sets the actions are the enabled ones, listed with their footprints;
      // those asleep are not taken, and each new state gets the actions it need not take.
      const n = sleep === null ? universe.length : sleep.expand(pre, head);
      for (let j = 0; j < n; j++) {
        let ai = j;
        if (sleep !== null) {
          ai = sleep.enabled[j]!;
          if (sleep.asleep(ai)) {
            slept += 1;
            continue;
          }
        }
        const action = universe[ai]!;
        if (sleep === null && !enabled(variant, pre, action)) continue;
        // A local step writes its bytes into scratch; a whole one is encoded below. (The head's
        // offset moves when storing a new state compacts the arena.)
        const small =
          local === null
            ? null
            : local.step(pre, arena.bytes, arena.offset(head), action, ai, byAction, scratch);
        const post = small ?? successor(variant, pre, action, ai, byAction, byStep);
        generated += 1;
        const step = { pre, action };
        for (let k = 0; k < unhit.length; k++)
          if (unhit[k]!.hit(post, step)) {
            targetsHit.add(unhit[k]!.id);
            unhit.splice(k--, 1);
          }
        for (const inv of stepInvariants) {
          if (inv.check(post, step) !== null) {
            violation = caught([...pathTo(head, count), action], inv);
            return finish(null, count);
          }
        }
        // a step that wrote nothing is back at its head, which is visited
        if (post === pre) continue;
        if (small === null) represent(post, scratch);
        fingerprint(scratchWords, words, fp);
        if (!visited.add(fp[0]!, fp[1]!)) continue;
        for (const inv of stateInvariants) {
          if (inv.check(post, step) !== null) {
            violation = caught([...pathTo(head, count), action], inv);
            return finish(null, count + 1);
          }
        }
        arena.reserve(count, head);
        arena.bytes.set(scratch, arena.offset(count));
        tree.found(count, head, ai);
        if (sleep !== null) sleep.store(j, count);
        count += 1;
        if (count >= maxStates) return finish('max-states', count);
      }
    }
  } catch (e) {
    // A queue or table larger than a typed array holds ends the search like the memory budget.
    if (e instanceof OutOfRoom) return finish('memory', count);
    throw e;
  }
  return finish(null, count);
}

/**
 * Sleep sets for the breadth-first explorer (Godefroid's sleep sets, kept along the BFS
 * tree). Expanding state p, the successor by action a need not take an action y that
 * commutes with a in p (model/footprint.ts) and that p took before a, or did not take
 * itself: p's successor by y reaches the same states through y's branch. A state's sleep
 * set is the one its first discovery proposes; later arrivals change nothing.
 *
 * Why every reachable state is still found, at its shortest distance. Order paths by their
 * actions' indices, lexicographically, and take for a state t the least of its shortest
 * paths. By induction on the level: (1) every state of the level is first found along the
 * last edge of its least path, and (2) the level's ids are in the order of those paths
 * (the heads are expanded in id order and their actions in index order, so a first
 * discovery is the least (parent, action) among the edges taken). For t at the next level
 * with least path through u and last action x: suppose x were asleep in u. Then x commutes
 * with the action a into u, in u's parent, and either comes before a or is asleep in the
 * parent too. Going up the path, x reaches an ancestor where it comes before the action on
 * the path, and moving x up to there gives a path to t as short as the least and less than
 * it: a contradiction. So the edge is taken, and (1) and (2) follow for t's level.
 *
 * Why no step invariant is missed: a transition not taken, (u, x), has a twin (v, x) taken
 * at an ancestor v on u's least path (the first, going up, where x is not asleep), and
 * every action between commutes with x, so x's footprint holds the same before and after
 * in both. The step invariants judge an access or an eviction only by what lies in its
 * footprint (test/model/footprint.test.ts checks this), and the twin's counterexample is
 * no longer.
 */
class SleepSets {
  private readonly words: number;
  private readonly where: Locations;
  /** The actions enabled in the state being expanded, in the universe's order. */
  readonly enabled: Uint16Array;
  private readonly masks: Int32Array;
  /** Sleep sets of the level being expanded (from `curStart`) and of the next (from `nextStart`). */
  private cur: Uint32Array;
  private next: Uint32Array;
  private curStart = 0;
  private nextStart = 1;
  private base = 0;
  private n = 0;

  constructor(
    private readonly search: Search,
    private readonly footprintOf: typeof footprint,
  ) {
    const u = search.universe.length;
    this.words = Math.ceil(u / 32);
    this.where = locationsOf(search.config);
    this.enabled = new Uint16Array(u);
    this.masks = new Int32Array(u * 2);
    this.cur = new Uint32Array(this.words);
    this.next = new Uint32Array(this.words * 1024);
  }

  /** The explorer moves on to the level [start, end): what was next is now current. */
  nextLevel(start: number, end: number): void {
    this.cur = this.next;
    this.curStart = start;
    this.nextStart = end;
    this.next = new Uint32Array(Math.max(this.words * 1024, this.cur.length));
  }

  /** List the actions enabled in `pre` (state `head`) with their footprints; how many. */
  expand(pre: State, head: number): number {
    const { variant, universe } = this.search;
    this.base = (head - this.curStart) * this.words;
    let n = 0;
    for (let ai = 0; ai < universe.length; ai++) {
      const action = universe[ai]!;
      if (!enabled(variant, pre, action)) continue;
      this.enabled[n] = ai;
      this.footprintOf(variant.policy, this.where, pre, action, this.masks, n * 2);
      n += 1;
    }
    this.n = n;
    return n;
  }

  /** Is universe action `ai` asleep in the state being expanded? */
  asleep(ai: number): boolean {
    return ((this.cur[this.base + (ai >>> 5)]! >>> (ai & 31)) & 1) === 1;
  }

  /** New state `id`, found by the j-th enabled action: its sleep set. */
  store(j: number, id: number): void {
    const at = (id - this.nextStart) * this.words;
    if (at + this.words > this.next.length) {
      const bigger = allocate(Uint32Array, Math.max(at + this.words, this.next.length * 2));
      bigger.set(this.next);
      this.next = bigger;
    }
    const m = this.masks;
    const access = m[j * 2]!;
    const writes = m[j * 2 + 1]!;
    if (access === EVERYTHING) return;
    for (let i = 0; i < this.n; i++) {
      if (i === j) continue;
      const y = this.enabled[i]!;
      if (i > j && !this.asleep(y)) continue;
      if (independent(m[i * 2]!, m[i * 2 + 1]!, access, writes)) this.next[at + (y >>> 5)]! |= 1 << (y & 31);
    }
  }
}
