// A worker of the parallel explorer (src/engine/explore-parallel.ts): it expands the states of the
// ranges it claims with the same model functions, invariants and targets as the serial
// explorer, and writes the new ones to its buffer. See src/parallel-shared.ts.

import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { enabled } from '../../model/actions.js';
import { findVariant } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { TARGETS } from '../../properties/targets.js';
import { decode } from '../codec/encode.js';
import { loadVariantFile } from '../load/variant-file.js';
import { searchOf, successor } from './explore.js';
import { LocalSteps } from './local-step.js';
import {
  CTL,
  type RoundMessage,
  SHARED_MAX_LOAD,
  STOP,
  sharedAdd,
  W,
  WORKER_WORDS,
  type WorkerSetup,
} from './parallel-shared.js';
import { fingerprint } from './visited.js';

const setup = (workerData as { setup: WorkerSetup; port: MessagePort }).setup;
const port = (workerData as { setup: WorkerSetup; port: MessagePort }).port;

async function variantOf(s: WorkerSetup): Promise<Variant> {
  if (s.variantFile === undefined) return findVariant(s.variantId)!;
  // as the command line loads it (the main thread has already checked the file)
  return (await loadVariantFile(s.variantFile, 0)).find((v) => v.id === s.variantId)!;
}

const variant = await variantOf(setup);
const invariants = setup.invariantIds.map((id) => INVARIANTS.find((i) => i.id === id)!);
const search = searchOf(variant, setup.config, invariants, setup.symmetry);
const { layout, size, words, universe, stateInvariants, stepInvariants, represent } = search;
const local = LocalSteps.of(search);

const ctl = new Int32Array(setup.ctl);
const mine = CTL.workers + setup.index * WORKER_WORDS;
const targets = new Int32Array(setup.targets);
// this worker's own counts: plain += on a shared word would lose updates
const byAction = new Float64Array(setup.byAction, setup.index * universe.length * 8, universe.length);
const stats = new Float64Array(setup.stats, setup.index * 8, 1);
const outStates = new Uint8Array(setup.outStates);
const outParents = new Uint32Array(setup.outParents);
const outActions = new Uint16Array(setup.outActions);
const byStep = new Map<string, number>();
const scratch = new Uint8Array(size);
const scratchWords = new Uint32Array(scratch.buffer);
const fp = new Uint32Array(2);

let table: Int32Array = new Int32Array(0);
let slots = 0;
let frontier: Uint8Array = new Uint8Array(0);
let base = 0;
let ranges: Int32Array = new Int32Array(0);

/** Stop the round for `why` unless someone already did. */
const stopFor = (why: number) => Atomics.compareExchange(ctl, CTL.stop, STOP.none, why);

/** Expand the head at frontier index h; false when it found a violation. */
function expand(h: number): boolean {
  const pre = decode(layout, frontier, h * size);
  const head = base + h;
  for (let ai = 0; ai < universe.length; ai++) {
    const action = universe[ai]!;
    if (!enabled(variant, pre, action)) continue;
    // as the serial explorer takes it (./local-step.ts)
    const small = local === null ? null : local.step(pre, frontier, h * size, action, ai, byAction, scratch);
    const post = small ?? successor(variant, pre, action, ai, byAction, byStep);
    stats[0]! += 1;
    const step = { pre, action };
    for (let k = 0; k < TARGETS.length; k++)
      if (targets[k] === 0 && TARGETS[k]!.hit(post, step)) Atomics.store(targets, k, 1);
    for (const inv of stepInvariants)
      if (inv.check(post, step) !== null) return violated(head, ai, invariants.indexOf(inv));
    if (post === pre) continue; // back at its head, which is visited
    if (small === null) represent(post, scratch);
    fingerprint(scratchWords, words, fp);
    if (!sharedAdd(table, slots, ctl, fp[0]!, fp[1]!)) continue;
    for (const inv of stateInvariants)
      if (inv.check(post, step) !== null) return violated(head, ai, invariants.indexOf(inv));
    const n = ctl[mine + W.out]!;
    outStates.set(scratch, n * size);
    outParents[n] = head;
    outActions[n] = ai;
    ctl[mine + W.out] = n + 1;
  }
  return true;
}

function violated(head: number, action: number, invariant: number): false {
  ctl[mine + W.violationHead] = head;
  ctl[mine + W.violationAction] = action;
  ctl[mine + W.violationInvariant] = invariant;
  stopFor(STOP.violation);
  return false;
}

/** Work through claimed ranges until none is left or the round must stop. */
function round(): void {
  const cap = setup.capacity;
  const room = Math.floor(slots * SHARED_MAX_LOAD);
  for (;;) {
    const r = Atomics.add(ctl, CTL.next, 1);
    if (r >= Atomics.load(ctl, CTL.ranges)) return;
    const start = ranges[2 * r]!;
    const end = ranges[2 * r + 1]!;
    for (let h = start; h < end; h++) {
      // between two states only: the table, this buffer and the budget must have room for
      // every successor a state can have
      let why: number = Atomics.load(ctl, CTL.stop);
      if (why === STOP.none) {
        const count = Atomics.load(ctl, CTL.count);
        if (count >= setup.maxStates) why = STOP.budget;
        else if (count + universe.length * setup.workers > room || ctl[mine + W.out]! + universe.length > cap)
          why = STOP.room;
        if (why !== STOP.none) stopFor(why);
      }
      if (why !== STOP.none || !expand(h)) {
        // a state whose expansion found a violation is not left: the search ends
        ctl[mine + W.leftStart] = why !== STOP.none ? h : h + 1;
        ctl[mine + W.leftEnd] = end;
        return;
      }
    }
  }
}

let seen = 0;
for (;;) {
  Atomics.wait(ctl, CTL.round, seen);
  seen = Atomics.load(ctl, CTL.round);
  let quit = false;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message as RoundMessage;
    if (msg.table !== undefined) {
      table = new Int32Array(msg.table);
      slots = msg.slots!;
    }
    if (msg.frontier !== undefined) {
      frontier = new Uint8Array(msg.frontier);
      base = msg.base!;
    }
    if (msg.ranges !== undefined) ranges = new Int32Array(msg.ranges);
    if (msg.quit) quit = true;
  }
  if (quit) {
    port.postMessage({ byStep: [...byStep] });
    Atomics.add(ctl, CTL.done, 1);
    Atomics.notify(ctl, CTL.done);
    break;
  }
  ctl[mine + W.leftStart] = 0;
  ctl[mine + W.leftEnd] = 0;
  round();
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
port.close();
