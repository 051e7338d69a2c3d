// The exhaustive explorer on several cores (`--workers N`): the same breadth-first search,
// visited set of 64-bit fingerprints, invariants, targets and symmetry reduction as
// src/engine/explore.ts, with each level's states expanded by N worker threads. A level is
// finished before the next starts, so a counterexample is still a shortest one; which of
// the shortest ones comes out may vary from run to run, as may the number of states stored
// when a violation or budget stops the search early. A finished search stores exactly the
// states the serial one does. How the threads share the work: src/parallel-shared.ts.

import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { findVariant } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { possibleTargets, TARGETS } from '../../properties/targets.js';
import {
  BfsTree,
  type Budget,
  type ExploreOptions,
  type ExploreResult,
  type ExploreViolation,
  searchOf,
} from './explore.js';
import {
  CTL,
  grownTable,
  type QuitMessage,
  type RoundMessage,
  SHARED_MAX_LOAD,
  STOP,
  sharedAdd,
  W,
  WORKER_WORDS,
  type WorkerSetup,
} from './parallel-shared.js';
import { allocate, fingerprint, OutOfRoom } from './visited.js';

export interface ParallelOptions extends ExploreOptions {
  /** Worker threads (at least 1). */
  readonly workers: number;
  /** The file that exports the variant, when it is not in the registry (workers load it). */
  readonly variantFile?: string;
  /** Tests only: new states a worker's buffer holds, and the shared table's first size. */
  readonly bufferStates?: number;
  readonly tableSlots?: number;
}

/** States a range holds: small enough to share a level's tail between workers. */
const CHUNK = 128;
/** New states a worker's buffer holds before the main thread drains it. */
const CAPACITY = 1 << 16;

/** A growable array of numbers in a typed array. */
function grown<T extends Uint8Array | Uint16Array | Uint32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = allocate(a.constructor as new (n: number) => T, Math.max(need, Math.ceil(a.length * 1.5)));
  b.set(a);
  return b;
}

/** A SharedArrayBuffer, or OutOfRoom when memory does not allow it. */
function sharedBuffer(bytes: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new OutOfRoom(e.message);
    throw e;
  }
}

function rangesOf(pairs: readonly [number, number][]): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(Math.max(1, pairs.length) * 8);
  const r = new Int32Array(sab);
  pairs.forEach(([a, b], i) => {
    r[2 * i] = a;
    r[2 * i + 1] = b;
  });
  return sab;
}

export function exploreParallel(variant: Variant, config: Config, options: ParallelOptions): ExploreResult {
  const n = options.workers;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`workers must be a whole number of at least 1, not ${n}`);
  if (options.variantFile === undefined && findVariant(variant.id) !== variant)
    throw new Error(
      `protocol '${variant.id}' is not in the registry: worker threads load it by name, so pass the file that exports it (--variant-file)`,
    );
  const search = searchOf(variant, config, options.invariants ?? INVARIANTS, options.symmetry ?? false);
  const { size, words, universe, initial, invariants, represent, caught } = search;
  const started = performance.now();
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxMs = (options.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  const maxRss = options.maxMemoryMb === undefined ? totalmem() * 0.75 : options.maxMemoryMb * 1048576;
  const progressEvery = options.progressEveryMs ?? 3000;
  const elapsed = () => (performance.now() - started) / 1000;

  const ctl = new Int32Array(new SharedArrayBuffer((CTL.workers + n * WORKER_WORDS) * 4));
  // room for every successor of one state at least, or a worker could never finish one
  const capacity = Math.max(options.bufferStates ?? CAPACITY, universe.length);
  let slots = options.tableSlots ?? 1 << 16;
  let table: Int32Array = new Int32Array(new SharedArrayBuffer(slots * 8));
  const targets = new Int32Array(new SharedArrayBuffer(TARGETS.length * 4));
  // 2: a target this protocol cannot reach here (Target.possible), which no worker evaluates
  const possible = new Set(possibleTargets(variant, config));
  TARGETS.forEach((t, k) => {
    if (!possible.has(t)) targets[k] = 2;
  });
  const byActionSab = new SharedArrayBuffer(n * universe.length * 8);
  const statsSab = new SharedArrayBuffer(n * 8);
  const outStates: Uint8Array[] = [];
  const outParents: Uint32Array[] = [];
  const outActions: Uint16Array[] = [];

  // The BFS tree as the serial explorer keeps it (about two bytes a state): each level's
  // states are given ids in the order of their parents, so no parent pointer is stored.
  const tree = new BfsTree(universe.length > 0xff);
  let count = 1;
  let depth = 0;
  let violation: ExploreViolation | null = null;

  const scratch = new Uint8Array(size);
  const fp = new Uint32Array(2);
  const finish = (stoppedBy: Budget | null, byStep: Map<string, number>): ExploreResult => {
    const coverage: Record<string, number> = Object.fromEntries(byStep);
    const byAction = new Float64Array(byActionSab);
    universe.forEach((a, i) => {
      let k = 0;
      for (let w = 0; w < n; w++) k += byAction[w * universe.length + i]!;
      if (k > 0) coverage[a.op] = (coverage[a.op] ?? 0) + k;
    });
    const generated = new Float64Array(statsSab).reduce((x, y) => x + y, 0);
    return {
      complete: stoppedBy === null && violation === null,
      stoppedBy,
      distinct: Math.max(count, Atomics.load(ctl, CTL.count)),
      generated,
      slept: 0,
      depth,
      seconds: elapsed(),
      visitedBytes: slots * 8,
      treeBytes: tree.bytes,
      violation,
      coverage,
      targetsHit: TARGETS.filter((_, k) => targets[k] === 1)
        .map((t) => t.id)
        .sort(),
    };
  };

  for (const inv of invariants)
    if (inv.check(initial) !== null) {
      violation = caught([], inv);
      return finish(null, new Map());
    }
  represent(initial, scratch);
  fingerprint(new Uint32Array(scratch.buffer), words, fp);
  sharedAdd(table, slots, ctl, fp[0]!, fp[1]!);

  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const entry = new URL('./explore-worker.mjs', import.meta.url);
  for (let i = 0; i < n; i++) {
    const st = new SharedArrayBuffer(capacity * size);
    const pa = new SharedArrayBuffer(capacity * 4);
    const ac = new SharedArrayBuffer(capacity * 2);
    outStates.push(new Uint8Array(st));
    outParents.push(new Uint32Array(pa));
    outActions.push(new Uint16Array(ac));
    const setup: WorkerSetup = {
      variantId: variant.id,
      ...(options.variantFile === undefined ? {} : { variantFile: resolve(options.variantFile) }),
      config,
      invariantIds: invariants.map((i) => i.id),
      symmetry: search.symmetry,
      maxStates,
      index: i,
      workers: n,
      ctl: ctl.buffer as SharedArrayBuffer,
      targets: targets.buffer as SharedArrayBuffer,
      byAction: byActionSab,
      stats: statsSab,
      capacity,
      outStates: st,
      outParents: pa,
      outActions: ac,
    };
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(entry, { workerData: { setup, port: port2 }, transferList: [port2] });
    // a search that ends early must not leave the process waiting for its threads
    worker.unref();
    workers.push(worker);
    ports.push(port1);
  }
  const stopAll = (): void => {
    for (const w of workers) void w.terminate();
  };

  let lastProgress = started;
  let budget: Budget | null = null;
  /** Post `msg` to every worker, run one round, and wait for all of them. */
  const runRound = (msg: RoundMessage, nRanges: number): void => {
    for (const p of ports) p.postMessage(msg);
    Atomics.store(ctl, CTL.next, 0);
    Atomics.store(ctl, CTL.done, 0);
    Atomics.store(ctl, CTL.stop, STOP.none);
    Atomics.store(ctl, CTL.ranges, nRanges);
    for (let w = 0; w < n; w++) ctl[CTL.workers + w * WORKER_WORDS + W.violationHead] = -1;
    Atomics.add(ctl, CTL.round, 1);
    Atomics.notify(ctl, CTL.round);
    for (;;) {
      const done = Atomics.load(ctl, CTL.done);
      if (done >= n) break;
      Atomics.wait(ctl, CTL.done, done, 200);
      if (Atomics.load(ctl, CTL.error) !== 0) {
        const why = ports
          .map((p) => (receiveMessageOnPort(p)?.message as { error?: string })?.error)
          .find(Boolean);
        stopAll();
        throw new Error(`internal: an explorer worker failed: ${why ?? 'no message'}`);
      }
      const now = performance.now();
      if (budget === null) {
        if (now - started > maxMs) budget = 'max-seconds';
        else if (process.memoryUsage.rss() > maxRss) budget = 'memory';
        if (budget !== null) Atomics.compareExchange(ctl, CTL.stop, STOP.none, STOP.budget);
      }
      if (options.onProgress !== undefined && now - lastProgress >= progressEvery) {
        lastProgress = now;
        const distinct = Atomics.load(ctl, CTL.count);
        options.onProgress({
          depth,
          generated: new Float64Array(statsSab).reduce((x, y) => x + y, 0),
          distinct,
          queue: distinct - count,
          seconds: elapsed(),
          statesPerSecond: distinct / Math.max(elapsed(), 1e-9),
          memoryMb: process.memoryUsage.rss() / 1048576,
        });
      }
    }
  };
  const quit = (): Map<string, number> => {
    runRound({ quit: true }, 0);
    const byStep = new Map<string, number>();
    for (const p of ports) {
      const m = receiveMessageOnPort(p)?.message as QuitMessage | undefined;
      for (const [k, v] of m?.byStep ?? []) byStep.set(k, (byStep.get(k) ?? 0) + v);
    }
    stopAll();
    return byStep;
  };

  let frontierSab = new SharedArrayBuffer(size);
  new Uint8Array(frontierSab).set(scratch);
  let frontierCount = 1;
  let base = 0;
  let tableChanged = true;
  try {
    for (;;) {
      // the next level as the workers' buffers are drained; ids are given at its end
      let lvStates = new Uint8Array(Math.max(size, frontierCount * size));
      let lvParents = new Uint32Array(Math.max(16, frontierCount));
      let lvVia = new Uint16Array(Math.max(16, frontierCount));
      let lvCount = 0;
      const pairs: [number, number][] = [];
      for (let h = 0; h < frontierCount; h += CHUNK) pairs.push([h, Math.min(frontierCount, h + CHUNK)]);
      let msg: RoundMessage = { frontier: frontierSab, base, ranges: rangesOf(pairs) };
      let nRanges = pairs.length;
      for (;;) {
        if (tableChanged) msg = { ...msg, table: table.buffer as SharedArrayBuffer, slots };
        tableChanged = false;
        runRound(msg, nRanges);
        // drain the buffers
        for (let w = 0; w < n; w++) {
          const k = ctl[CTL.workers + w * WORKER_WORDS + W.out]!;
          if (k === 0) continue;
          lvStates = grown(lvStates, (lvCount + k) * size);
          lvStates.set(outStates[w]!.subarray(0, k * size), lvCount * size);
          lvParents = grown(lvParents, lvCount + k);
          lvVia = grown(lvVia, lvCount + k);
          lvParents.set(outParents[w]!.subarray(0, k), lvCount);
          lvVia.set(outActions[w]!.subarray(0, k), lvCount);
          lvCount += k;
          ctl[CTL.workers + w * WORKER_WORDS + W.out] = 0;
        }
        const found = violationFound();
        if (found !== null) {
          violation = caught(found.path, found.invariant);
          return finish(null, quit());
        }
        if (Atomics.load(ctl, CTL.stop) === STOP.budget || budget !== null)
          return finish(budget ?? 'max-states', quit());
        const left: [number, number][] = [];
        for (let w = 0; w < n; w++) {
          const a = ctl[CTL.workers + w * WORKER_WORDS + W.leftStart]!;
          const b = ctl[CTL.workers + w * WORKER_WORDS + W.leftEnd]!;
          if (b > a) left.push([a, b]);
        }
        for (let r = Math.min(Atomics.load(ctl, CTL.next), nRanges); r < nRanges; r++) {
          const ranges = new Int32Array(msg.ranges!);
          left.push([ranges[2 * r]!, ranges[2 * r + 1]!]);
        }
        // room for every worker to add every successor of a state, twice over
        while (Atomics.load(ctl, CTL.count) + 2 * n * universe.length > slots * SHARED_MAX_LOAD) {
          ({ table, slots } = grownTable(table, slots, ctl));
          tableChanged = true;
        }
        if (left.length === 0) break;
        msg = { ranges: rangesOf(left) };
        nRanges = left.length;
      }
      if (lvCount === 0) return finish(null, quit());
      // a counting sort by parent: the ids, the next frontier and the tree in parent order
      const starts = new Uint32Array(frontierCount + 1);
      for (let i = 0; i < lvCount; i++) starts[lvParents[i]! - base + 1]! += 1;
      for (let h = 0; h < frontierCount; h++) starts[h + 1]! += starts[h]!;
      const order = new Uint32Array(lvCount);
      for (let i = 0; i < lvCount; i++) order[starts[lvParents[i]! - base]!++] = i;
      frontierSab = sharedBuffer(lvCount * size);
      const frontier = new Uint8Array(frontierSab);
      for (let at = 0; at < lvCount; at++) {
        const i = order[at]!;
        frontier.set(lvStates.subarray(i * size, (i + 1) * size), at * size);
        tree.found(count + at, lvParents[i]!, lvVia[i]!);
      }
      base = count;
      count += lvCount;
      frontierCount = lvCount;
      if (count >= maxStates) return finish('max-states', quit());
      depth += 1;
    }
  } catch (e) {
    // a buffer or table larger than memory allows ends the search like the memory budget,
    // as in the serial explorer; anything else is a bug
    if (e instanceof OutOfRoom) return finish('memory', quit());
    stopAll();
    throw e;
  }

  /** The first violation a worker found this round (the lowest head), as a path of actions. */
  function violationFound(): { path: Action[]; invariant: (typeof invariants)[number] } | null {
    let best = -1;
    for (let w = 0; w < n; w++) {
      const h = ctl[CTL.workers + w * WORKER_WORDS + W.violationHead]!;
      if (h >= 0 && (best < 0 || h < ctl[CTL.workers + best * WORKER_WORDS + W.violationHead]!)) best = w;
    }
    if (best < 0) return null;
    const at = CTL.workers + best * WORKER_WORDS;
    // the head's level was given its ids last: they end where this level's will start
    const path = tree.path(ctl[at + W.violationHead]!, base - 1, count).map((i) => universe[i]!);
    path.push(universe[ctl[at + W.violationAction]!]!);
    return { path, invariant: invariants[ctl[at + W.violationInvariant]!]! };
  }
}
