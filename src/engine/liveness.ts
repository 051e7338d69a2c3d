// Liveness on the explored graph. The whole reachable graph of a world is built (every
// enabled action an edge, to a state stored once), then each leads-to property P ~> Q of
// properties/liveness.ts is judged per instance: it fails when a state where P holds and
// Q does not can reach, through states where Q does not hold, either a strongly connected
// component a fair run can stay in for ever, or a deadlock. Weak fairness: an action of
// FAIR_OPS (a kernel task's next step, the end of a fault or of a context switch, the
// scheduler's next context switch) enabled in every state of a component must be taken
// inside it, or a fair run leaves. The counterexample is a lasso: the steps to the loop,
// then the loop, which visits every state a fairness argument needs.
//
// A deadlock is a state with no action enabled while something waits (a kernel task not
// done, a user access asleep; properties/liveness.ts `waiting`).

import type { Action } from '../../model/actions.js';
import { enabled } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { initialState, type State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { LEADS_TO, type LeadsTo, waiting } from '../../properties/liveness.js';
import { decode, encode } from '../codec/encode.js';
import { searchOf } from './explore.js';
import { LocalSteps } from './local-step.js';
import { StateIds } from './state-ids.js';
import { step } from './trace.js';
import { allocate } from './visited.js';

/**
 * Steps no run may put off for ever while they stay enabled: a kernel task's next step, a
 * fault finishing its copy (wp_page_copy), a context switch finishing (interrupts are off
 * in switch_mm_irqs_off()), an allocation returning, and, where CPUs switch context, the
 * next context switch (the scheduler tick comes).
 */
export const FAIR_OPS: ReadonlySet<Action['op']> = new Set([
  'kernelStep',
  'wp_page_copy',
  'load_new_mm_cr3',
  'set_loaded_mm',
  // x86 drains a store buffer in bounded time
  'drain_store_buffer',
  // the flusher goes on with its walk (it holds the folio lock), and writes back what is dirty
  'writeback',
  'migrc_resume_pending',
  'flush_tlb_local',
]);

/** Every state is kept whole (its encoding, in StateIds' arena), with its edges: about 27 µs and 350 bytes a state (migrc-fixed in tiny-migrc: 4.4M states, 118 s, 1.5 GB). */
export const DEFAULT_LIVENESS_STATES = 1_000_000;

export interface Lasso {
  /** From the initial state to the loop (or to the deadlock). */
  readonly prefix: readonly Action[];
  /** Repeated for ever; empty when the run ends in a deadlock. */
  readonly loop: readonly Action[];
  /** Step of the prefix after which P holds (0: in the initial state). */
  readonly pendingAt: number;
}

export interface LeadsToVerdict {
  readonly property: string;
  readonly verdict: 'holds' | 'violated' | 'incomplete';
  /** The instance that never gets there, in words. */
  readonly instance?: string;
  readonly lasso?: Lasso;
}

export interface LivenessResult {
  /** Every reachable state was expanded (false: the state budget ended the search). */
  readonly complete: boolean;
  readonly states: number;
  readonly edges: number;
  /** The shortest path to a deadlock, and what waits there; null when none was found. */
  readonly deadlock: { readonly waits: string; readonly path: readonly Action[] } | null;
  readonly properties: readonly LeadsToVerdict[];
}

export interface LivenessOptions {
  readonly maxStates?: number;
  readonly properties?: readonly LeadsTo[];
  /** The actions weak fairness covers (default FAIR_OPS); an empty set judges every run, fair or not. */
  readonly fair?: ReadonlySet<Action['op']>;
}

interface Graph {
  readonly count: number;
  /** Per property, per state: bit i set, instance i pending (P) / done (Q). */
  readonly pending: readonly Int32Array[];
  readonly done: readonly Int32Array[];
  /** What waits in each state that has no action, by state. */
  readonly stuck: ReadonlyMap<number, string>;
  /** Edges of state s: start[s] to start[s + 1] in `to` and `act`. */
  readonly start: Int32Array;
  readonly to: Int32Array;
  readonly act: Int32Array;
  readonly parent: Int32Array;
  readonly parentAct: Int32Array;
}

export function checkLiveness(
  variant: Variant,
  config: Config,
  options: LivenessOptions = {},
): LivenessResult {
  const properties = options.properties ?? LEADS_TO;
  const maxStates = options.maxStates ?? DEFAULT_LIVENESS_STATES;
  const search = searchOf(variant, config, [], false);
  const { universe, words, layout } = search;
  // The explorers' cheaper successor for a load, store or eviction (src/engine/local-step.ts)
  const local = LocalSteps.of(search);
  const byAction = new Float64Array(universe.length);
  const ids = new StateIds(words);
  const scratch = new Uint8Array(words * 4);
  const scratchWords = new Uint32Array(scratch.buffer);
  const parent = new Ints();
  const parentAct = new Ints();
  parent.push(-1);
  parentAct.push(-1);
  const start = new Ints();
  const to = new Ints();
  const act = new Ints();
  const add = (s: State): number => {
    encode(layout, s, scratch);
    return ids.intern(scratchWords, maxStates);
  };
  add(initialState(config));
  let complete = true;
  let deadlock: LivenessResult['deadlock'] = null;
  const pending = properties.map(() => new Ints());
  const done = properties.map(() => new Ints());
  const stuck = new Map<number, string>();
  const counts = properties.map((p) => p.instances(config));
  if (counts.some((k) => k > 31)) throw new Error('internal: more than 31 instances of a leads-to property');
  for (let head = 0; head < ids.count; head++) {
    start.push(to.length);
    const s = decode(layout, ids.bytes(), head * words * 4);
    properties.forEach((p, k) => {
      let pm = 0;
      let dm = 0;
      for (let i = 0; i < counts[k]!; i++) {
        if (p.pending(s, i)) pm |= 1 << i;
        if (p.done(s, i)) dm |= 1 << i;
      }
      pending[k]!.push(pm);
      done[k]!.push(dm);
    });
    let moves = 0;
    for (let ai = 0; ai < universe.length; ai++) {
      const a = universe[ai]!;
      if (!enabled(variant, s, a)) continue;
      moves += 1;
      const before = ids.count;
      const small =
        local === null ? null : local.step(s, ids.bytes(), head * words * 4, a, ai, byAction, scratch);
      // (a step that wrote nothing is back at its head)
      const id =
        small === s ? head : small !== null ? ids.intern(scratchWords, maxStates) : add(step(variant, s, a));
      if (id < 0) {
        complete = false;
        continue;
      }
      if (id === before) {
        parent.push(head);
        parentAct.push(ai);
      }
      to.push(id);
      act.push(ai);
    }
    if (moves === 0) {
      const waits = waiting(variant, s);
      if (waits !== null) {
        stuck.set(head, waits);
        deadlock ??= { waits, path: pathTo(parent.view(), parentAct.view(), head).map((i) => universe[i]!) };
      }
    }
  }
  start.push(to.length);
  const graph: Graph = {
    count: ids.count,
    pending: pending.map((x) => x.view()),
    done: done.map((x) => x.view()),
    stuck,
    start: start.view(),
    to: to.view(),
    act: act.view(),
    parent: parent.view(),
    parentAct: parentAct.view(),
  };
  const results = properties.map((p, k): LeadsToVerdict => {
    if (!complete) return { property: p.id, verdict: 'incomplete' };
    for (let i = 0; i < counts[k]!; i++) {
      const lasso = leadsToViolation(graph, universe, k, i, options.fair ?? FAIR_OPS);
      if (lasso !== null) return { property: p.id, verdict: 'violated', instance: p.name(config, i), lasso };
    }
    return { property: p.id, verdict: 'holds' };
  });
  return { complete, states: graph.count, edges: to.length, deadlock, properties: results };
}

/** A growing list of int32s: half the memory of a JS array of numbers, and no copy at the end. */
class Ints {
  private a = new Int32Array(1 << 12);
  length = 0;

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = allocate(Int32Array, this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  /** The list so far (shares memory with it). */
  view(): Int32Array {
    return this.a.subarray(0, this.length);
  }
}

/** Action indices of the BFS tree's path from the initial state to `s`. */
function pathTo(parent: ArrayLike<number>, parentAct: ArrayLike<number>, s: number): number[] {
  const out: number[] = [];
  for (let x = s; parent[x]! >= 0; x = parent[x]!) out.push(parentAct[x]!);
  return out.reverse();
}

/** The lasso by which instance i of p never gets done, or null. */
function leadsToViolation(
  g: Graph,
  universe: readonly Action[],
  k: number,
  i: number,
  fairOps: ReadonlySet<Action['op']>,
): Lasso | null {
  const n = g.count;
  // Q and P per state; R: the states where Q does not hold
  const inR = new Uint8Array(n);
  const isP = new Uint8Array(n);
  let any = false;
  const bit = 1 << i;
  for (let s = 0; s < n; s++) {
    if ((g.done[k]![s]! & bit) === 0) {
      inR[s] = 1;
      if ((g.pending[k]![s]! & bit) !== 0) {
        isP[s] = 1;
        any = true;
      }
    }
  }
  if (!any) return null;
  const fair = universe.map((a) => fairOps.has(a.op));
  const comp = sccs(g, inR);
  // Traps: states of a component a fair run may stay in for ever, or deadlocks in R.
  const trap = new Uint8Array(n);
  const members = new Map<number, number[]>();
  for (let s = 0; s < n; s++) {
    if (!inR[s]) continue;
    const c = members.get(comp[s]!);
    if (c === undefined) members.set(comp[s]!, [s]);
    else c.push(s);
  }
  for (const [, c] of members) {
    if (c.length === 1 && g.start[c[0]!] === g.start[c[0]! + 1]) {
      // no action at all: a deadlock, if something waits there
      if (g.stuck.has(c[0]!)) trap[c[0]!] = 1;
      continue;
    }
    if (fairComponent(g, comp, c, fair)) for (const s of c) trap[s] = 1;
  }
  // The states of R that reach a trap within R, by a backward search.
  const reaches = new Uint8Array(n);
  const back: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++)
    if (inR[s])
      for (let e = g.start[s]!; e < g.start[s + 1]!; e++) if (inR[g.to[e]!]) back[g.to[e]!]!.push(s);
  const queue: number[] = [];
  for (let s = 0; s < n; s++)
    if (trap[s]) {
      reaches[s] = 1;
      queue.push(s);
    }
  for (let k = 0; k < queue.length; k++)
    for (const s of back[queue[k]!]!)
      if (!reaches[s]) {
        reaches[s] = 1;
        queue.push(s);
      }
  // The first such P state in breadth-first order has the shortest way there.
  let from = -1;
  for (let s = 0; s < n && from < 0; s++) if (isP[s] && reaches[s]) from = s;
  if (from < 0) return null;
  const toFrom = pathTo(g.parent, g.parentAct, from);
  const [entry, onward] = shortest(
    g,
    from,
    (s) => trap[s] === 1,
    (s) => inR[s] === 1,
  );
  const loop = trapLoop(g, comp, entry, fair);
  return {
    prefix: [...toFrom, ...onward].map((a) => universe[a]!),
    loop: loop.map((a) => universe[a]!),
    pendingAt: toFrom.length,
  };
}

/** Can a fair run stay in component c for ever? It has a cycle, and each fair action enabled throughout it is taken inside. */
function fairComponent(g: Graph, comp: Int32Array, c: readonly number[], fair: readonly boolean[]): boolean {
  const id = comp[c[0]!]!;
  const enabledIn = new Map<number, number>();
  const takenInside = new Set<number>();
  let inner = false;
  for (const s of c) {
    const seen = new Set<number>();
    for (let e = g.start[s]!; e < g.start[s + 1]!; e++) {
      const a = g.act[e]!;
      if (comp[g.to[e]!] === id) {
        inner = true;
        if (fair[a]) takenInside.add(a);
      }
      if (fair[a] && !seen.has(a)) {
        seen.add(a);
        enabledIn.set(a, (enabledIn.get(a) ?? 0) + 1);
      }
    }
  }
  if (!inner) return false;
  for (const [a, k] of enabledIn) if (k === c.length && !takenInside.has(a)) return false;
  return true;
}

/** Strongly connected components of the graph restricted to `keep` (Tarjan, iterative); -1 outside. */
function sccs(g: Graph, keep: Uint8Array): Int32Array {
  const n = g.count;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const call: number[] = [];
  const edgeAt = new Int32Array(n);
  let next = 0;
  let comps = 0;
  for (let root = 0; root < n; root++) {
    if (!keep[root] || index[root] !== -1) continue;
    call.push(root);
    index[root] = low[root] = next++;
    edgeAt[root] = g.start[root]!;
    stack.push(root);
    onStack[root] = 1;
    while (call.length > 0) {
      const v = call[call.length - 1]!;
      if (edgeAt[v]! < g.start[v + 1]!) {
        const w = g.to[edgeAt[v]!]!;
        edgeAt[v]! += 1;
        if (!keep[w]) continue;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          edgeAt[w] = g.start[w]!;
          stack.push(w);
          onStack[w] = 1;
          call.push(w);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      call.pop();
      if (call.length > 0) {
        const u = call[call.length - 1]!;
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === index[v]) {
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = comps;
          if (w === v) break;
        }
        comps += 1;
      }
    }
  }
  return comp;
}

/** The shortest path from `from` to a state where `goal` holds, through states where `keep` holds: [end, actions]. */
function shortest(
  g: Graph,
  from: number,
  goal: (s: number) => boolean,
  keep: (s: number) => boolean,
): [number, number[]] {
  if (goal(from)) return [from, []];
  const prev = new Map<number, [number, number]>([[from, [-1, -1]]]);
  const queue = [from];
  for (let k = 0; k < queue.length; k++) {
    const s = queue[k]!;
    for (let e = g.start[s]!; e < g.start[s + 1]!; e++) {
      const t = g.to[e]!;
      if (prev.has(t) || !keep(t)) continue;
      prev.set(t, [s, g.act[e]!]);
      if (goal(t)) {
        const path: number[] = [];
        for (let x = t; x !== from; x = prev.get(x)![0]) path.push(prev.get(x)![1]);
        return [t, path.reverse()];
      }
      queue.push(t);
    }
  }
  throw new Error('internal: no path to a state the backward search reached');
}

/**
 * A loop from `entry` back to it inside its component that a fair run may repeat: it takes
 * each fair action enabled throughout the component and passes a state where each other
 * one is disabled. Empty for a deadlock.
 */
function trapLoop(g: Graph, comp: Int32Array, entry: number, fair: readonly boolean[]): number[] {
  if (g.start[entry] === g.start[entry + 1]) return [];
  const id = comp[entry]!;
  const inside = (s: number) => comp[s] === id;
  const c: number[] = [];
  for (let s = 0; s < g.count; s++) if (comp[s] === id) c.push(s);
  const has = (s: number, a: number) => {
    for (let e = g.start[s]!; e < g.start[s + 1]!; e++) if (g.act[e] === a) return true;
    return false;
  };
  const fairActs = new Set<number>();
  for (const s of c)
    for (let e = g.start[s]!; e < g.start[s + 1]!; e++) if (fair[g.act[e]!]) fairActs.add(g.act[e]!);
  const loop: number[] = [];
  let at = entry;
  const go = (goal: (s: number) => boolean) => {
    const [end, path] = shortest(g, at, goal, inside);
    loop.push(...path);
    at = end;
  };
  for (const a of fairActs) {
    const everywhere = c.every((s) => has(s, a));
    if (!everywhere) {
      go((s) => !has(s, a));
      continue;
    }
    // take an edge labelled a that stays inside
    go((s) => {
      for (let e = g.start[s]!; e < g.start[s + 1]!; e++) if (g.act[e] === a && inside(g.to[e]!)) return true;
      return false;
    });
    for (let e = g.start[at]!; e < g.start[at + 1]!; e++)
      if (g.act[e] === a && inside(g.to[e]!)) {
        loop.push(a);
        at = g.to[e]!;
        break;
      }
  }
  // back to the entry, with at least one step
  if (loop.length === 0) {
    for (let e = g.start[at]!; e < g.start[at + 1]!; e++)
      if (inside(g.to[e]!)) {
        loop.push(g.act[e]!);
        at = g.to[e]!;
        break;
      }
  }
  go((s) => s === entry);
  return loop;
}
