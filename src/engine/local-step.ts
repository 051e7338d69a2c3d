// The explorers' cheaper successor for the steps that write little: a user load or store
// that hits in the TLB or walks the page table, and a TLB eviction (most of the transitions:
// 85% in small). The model declares which parts of the state such a step writes
// (model/footprint.ts `localWrites`: a CPU's record, an mm's, the frames, the ghost); only
// those are copied before the model's own recipe (`apply`) runs, the rest shared with the
// parent, and only their bytes are encoded again, into a copy of the parent's bytes. A load
// that hits writes nothing: its successor is the parent itself. Every other action takes
// the whole copy and encoding.
//
// The same recipe runs either way, so the model stays the one definition. What could go
// wrong is the declaration (a part written that is not declared would be written in the
// parent): test/src/local-step.test.ts checks it in states random walks reach in every
// catalogue world, and `check` below, which the tests switch on, checks every transition
// an explorer takes against the whole copy and encoding.

import type { Draft } from 'immer';
import { type Action, apply } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import { LOCAL_SECTIONS, localWrites } from '../../model/footprint.js';
import type { State } from '../../model/state.js';
import { STATE_SCHEMA } from '../../model/state-schema.js';
import { compileSections, type Sections } from '../codec/compile.js';
import { copyState, encode } from '../codec/encode.js';
import type { Search } from './explore.js';

// Compiled once per config, as its layout is: a search of a few states would otherwise pay
// for compiling, and run unoptimised, code a longer one warms up.
const compiled = new WeakMap<Config, Sections<State> | null>();
function sectionsOf(config: Config): Sections<State> | null {
  if (!compiled.has(config))
    compiled.set(config, compileSections<State>(STATE_SCHEMA, config, LOCAL_SECTIONS));
  return compiled.get(config)!;
}

export class LocalSteps {
  private readonly whole: Uint8Array;

  private constructor(
    private readonly search: Search,
    private readonly sections: Sections<State>,
    private readonly check: boolean,
    private readonly writes: typeof localWrites,
  ) {
    this.whole = new Uint8Array(search.size);
  }

  /**
   * For a search without symmetry (whose bytes are the state's own encoding, not a
   * representative's), unless a declared field shares a byte with another in this config.
   * `check`: every local step is also taken the whole way and compared; `writes`: the
   * declaration to use (both for tests).
   */
  static of(search: Search, check = false, writes = localWrites): LocalSteps | null {
    if (search.symmetry) return null;
    const sections = sectionsOf(search.config);
    return sections === null ? null : new LocalSteps(search, sections, check, writes);
  }

  /**
   * The successor of `pre`, whose bytes are bytes[at, at + size), by `action` (enabled there),
   * with its bytes written to `out`; null when the action is not local (take the whole step).
   * The parent itself when the step writes nothing. Counts the action for coverage.
   */
  step(
    pre: State,
    bytes: Uint8Array,
    at: number,
    action: Action,
    ai: number,
    byAction: Float64Array,
    out: Uint8Array,
  ): State | null {
    const { variant, size } = this.search;
    const mask = this.writes(variant.policy, pre, action);
    if (mask < 0) return null;
    byAction[ai]! += 1;
    if (mask === 0) {
      if (this.check) this.compare(pre, bytes, at, action, bytes, at);
      return pre;
    }
    // (a loop: a subarray() to copy from is an allocation per step)
    for (let k = 0; k < size; k++) out[k] = bytes[at + k]!;
    const post = this.sections.copy(pre, mask);
    apply(variant, post as Draft<State>, action);
    this.sections.encode(post, out, 0, mask);
    if (this.check) this.compare(pre, bytes, at, action, out, 0);
    return post;
  }

  /** The whole step gives the bytes got[from, from + size), and the parent is as it was. */
  private compare(
    pre: State,
    bytes: Uint8Array,
    at: number,
    action: Action,
    got: Uint8Array,
    from: number,
  ): void {
    const { variant, layout } = this.search;
    const whole = copyState(pre);
    apply(variant, whole as Draft<State>, action);
    const say = (what: string) =>
      new Error(
        `internal: a local step (${JSON.stringify(action)}) ${what}: model/footprint.ts localWrites() says too little`,
      );
    this.whole.fill(0);
    encode(layout, pre, this.whole);
    if (this.whole.some((b, k) => b !== bytes[at + k])) throw say('changed its parent');
    this.whole.fill(0);
    encode(layout, whole, this.whole);
    if (this.whole.some((b, k) => b !== got[from + k])) throw say('gives other bytes than the whole step');
  }
}
