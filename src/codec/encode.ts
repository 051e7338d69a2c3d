// A canonical byte encoding of a state: everything but the cost counters, in a fixed
// layout per config, so equal states have equal bytes and a fingerprint of the bytes
// identifies the state. decode() is its exact inverse and gives a fresh, mutable state
// that the model's recipes (model/actions.ts `apply`) can step in place. All of it is
// compiled from the state's schema (model/state-schema.ts) by ./compile.ts.

import type { Config } from '../../model/config.js';
import type { Cpu, State } from '../../model/state.js';
import { CPU_SCHEMA, STATE_SCHEMA } from '../../model/state-schema.js';
import { type Codec, compileCodec, compileCopy, compileCpumaskBits, cpumaskCount } from './compile.js';

export { cm } from './compile.js';

export interface Layout {
  readonly config: Config;
  /** Bytes a state takes. */
  readonly size: number;
  readonly state: Codec<State>;
  /** One CPU alone (symmetry over CPUs orders CPUs by these bytes). */
  readonly cpu: Codec<Cpu>;
  /** How many cpumasks a state holds at most, and a CPU's bit of each, one byte apiece. */
  readonly cpumasks: number;
  readonly cpumaskBits: (s: State, cpu: number, out: Uint8Array, at: number) => void;
}

const layouts = new WeakMap<Config, Layout>();

export function layoutOf(config: Config): Layout {
  let layout = layouts.get(config);
  if (layout === undefined) {
    const state = compileCodec<State>(STATE_SCHEMA, config);
    layout = {
      config,
      size: state.size,
      state,
      cpu: compileCodec<Cpu>(CPU_SCHEMA, config),
      cpumasks: cpumaskCount(STATE_SCHEMA, config),
      cpumaskBits: compileCpumaskBits<State>(STATE_SCHEMA, config),
    };
    layouts.set(config, layout);
  }
  return layout;
}

/**
 * Write the state's bytes at `at`. With `map` (old frame number -> new, a permutation),
 * write them as for the state with its frames renumbered: the same bytes as
 * encode(relabel(s, map)) without building that state (symmetry reduction does this on
 * every transition); likewise `cpus` for CPUs.
 */
export function encode(
  layout: Layout,
  s: State,
  out: Uint8Array,
  at = 0,
  map: readonly number[] | null = null,
  cpus: readonly number[] | null = null,
): void {
  layout.state.encode(s, out, at, map, cpus);
}

/** The state the bytes encode, as fresh plain objects; cost counters start at zero. */
export function decode(layout: Layout, b: Uint8Array, at = 0): State {
  return layout.state.decode(b, at);
}

/**
 * A fresh, mutable deep copy of a state (cheaper than decoding the bytes again). What the
 * recipes only ever replace (the schema's `replaced` records) is shared.
 */
export const copyState: (s: State) => State = compileCopy<State>(STATE_SCHEMA);
