// The state's layout is declared once (model/state-schema.ts) and compiled per config into
// the encoding, the decoding, copyState() and both relabellings. One property over every
// named config checks that what was compiled agrees with the model: bytes round-trip,
// renumbering while encoding is relabelling then encoding, and in a frame-symmetric (lifo)
// twin of the world a relabelled state steps as its original does. A schema that forgets
// that a field names a frame is caught.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argsOf } from '../../model/action-table.js';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, type Config, defineConfig, worldConfig } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { byte, type Field, record } from '../../model/schema.js';
import { initialState, type State } from '../../model/state.js';
import { STATE_SCHEMA } from '../../model/state-schema.js';
import type { Variant } from '../../model/variant.js';
import { type Codec, compileCodec, relabelCpusOf, relabelFramesOf } from '../../src/codec/compile.js';
import { copyState, decode, encode, layoutOf } from '../../src/codec/encode.js';
import { variant } from '../support.js';

/** The variants that run in each named config: those whose own world it is, else the two base protocols. */
function variantsOf(config: Config): Variant[] {
  const own = VARIANTS.filter((v) =>
    (['random', 'exhaustive'] as const).some((e) => worldConfig(v.world, e).name === config.name),
  );
  return own.length > 0 ? own : [variant('migrate-batched'), variant('reclaim-batched-dirty')];
}

const ZERO_COST = { ipis: 0, fullFlushes: 0, pageFlushes: 0 };

/** States of a walk of `v` from the initial state, the enabled action picked by each number. */
function walk(v: Variant, config: Config, picks: readonly number[]): State[] {
  const universe = allActions(v, config);
  let s = initialState(config);
  const out = [s];
  for (const p of picks) {
    const menu = universe.filter((a) => enabled(v, s, a));
    if (menu.length === 0) break;
    s = next(v, s, menu[p % menu.length]!);
    out.push(s);
  }
  return out;
}

const inverse = (map: readonly number[]): number[] => {
  const out: number[] = new Array(map.length);
  map.forEach((to, from) => {
    out[to] = from;
  });
  return out;
};

const codecs = new Map<Field, Map<Config, Codec<State>>>();
function codecOf(schema: Field, config: Config): Codec<State> {
  const byConfig = codecs.get(schema) ?? new Map<Config, Codec<State>>();
  codecs.set(schema, byConfig);
  let codec = byConfig.get(config);
  if (codec === undefined) {
    codec = compileCodec<State>(schema, config);
    byConfig.set(config, codec);
  }
  return codec;
}

/** The first way the schema's compiled code and the model disagree on `s`, or null. */
function layoutProblem(
  schema: Field,
  v: Variant,
  config: Config,
  s: State,
  frames: readonly number[],
  cpus: readonly number[],
): string | null {
  const codec = codecOf(schema, config);
  const bytes = new Uint8Array(codec.size);
  const again = new Uint8Array(codec.size);
  codec.encode(s, bytes, 0, null, null);
  const back = codec.decode(bytes, 0);
  try {
    expect(back).toEqual({ ...s, cost: ZERO_COST });
  } catch {
    return 'decode(encode(s)) is not s';
  }
  codec.encode(back, again, 0, null, null);
  if (!again.every((x, k) => x === bytes[k])) return 'encode(decode(b)) is not b';
  try {
    expect(copyState(s)).toEqual(s);
  } catch {
    return 'copyState(s) is not s';
  }
  const moved = relabelCpusOf(schema, relabelFramesOf(schema, s, frames), cpus);
  codec.encode(s, bytes, 0, frames, cpus);
  codec.encode(moved, again, 0, null, null);
  if (!again.every((x, k) => x === bytes[k]))
    return 'encoding through a renumbering is not encoding the relabelled state';
  const home = relabelFramesOf(schema, relabelCpusOf(schema, moved, inverse(cpus)), inverse(frames));
  try {
    expect(home).toEqual(s);
  } catch {
    return 'relabelling there and back is not the state';
  }
  if (config.allocator !== 'lifo') return null;
  // Frames are alike with the lifo allocator: the relabelled state steps as s does, by the
  // same action (the one that names a frame, renumbered), into the relabelled successor.
  const relabelled = relabelFramesOf(schema, s, frames);
  for (const a of allActions(v, config)) {
    const b = withFramesRenumbered(a, frames);
    if (enabled(v, s, a) !== enabled(v, relabelled, b))
      return `${a.op} is enabled in one state and not in the other`;
    if (!enabled(v, s, a)) continue;
    codec.encode(next(v, relabelled, b), bytes, 0, null, null);
    codec.encode(next(v, s, a), again, 0, frames, null);
    if (!again.every((x, k) => x === bytes[k]))
      return `after ${a.op} the relabelled state is not the successor relabelled`;
  }
  return null;
}

/** The action with each argument that names a frame (reuseFrame's, dma_write's) renumbered. */
function withFramesRenumbered(a: Action, frames: readonly number[]): Action {
  const out: Record<string, unknown> = { ...a };
  for (const [name, kind, value] of argsOf(a)) if (kind === 'frame') out[name] = frames[value as number]!;
  return out as unknown as Action;
}

const identity = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const rotation = (n: number): number[] => Array.from({ length: n }, (_, k) => (k + 1) % n);

const lifoTwin = (c: Config): Config =>
  c.allocator === 'lifo' ? c : defineConfig({ ...c, name: `${c.name} (lifo twin)`, allocator: 'lifo' });

/** A walk in one of the config's variants, a renumbering of its frames and one of its CPUs. */
const arbitraryCase = (config: Config) =>
  fc.record({
    which: fc.nat(),
    picks: fc.array(fc.nat(), { maxLength: 40 }),
    at: fc.nat(),
    frames: fc.shuffledSubarray(
      Array.from({ length: config.frames }, (_, k) => k),
      { minLength: config.frames },
    ),
    cpus: fc.shuffledSubarray(
      Array.from({ length: config.cpus }, (_, k) => k),
      { minLength: config.cpus },
    ),
  });

describe('the state layout compiled from its schema', () => {
  for (const named of Object.values(CONFIGS))
    for (const config of named.allocator === 'lifo' ? [named] : [named, lifoTwin(named)]) {
      const variants = variantsOf(named);
      it(`round-trips, copies and relabels every state of ${config.name} (${variants.length} protocols)`, () => {
        fc.assert(
          fc.property(arbitraryCase(config), ({ which, picks, at, frames, cpus }) => {
            const v = variants[which % variants.length]!;
            const states = walk(v, config, picks);
            const s = states[at % states.length]!;
            const problem = layoutProblem(STATE_SCHEMA, v, config, s, frames, cpus);
            expect(problem, `${v.id}`).toBeNull();
          }),
          { numRuns: 15, seed: 23 },
        );
      });
    }

  it('will not compile a record that leaves out a field of its type (npm run typecheck fails otherwise)', () => {
    // @ts-expect-error: `b` has no field, and an optional key needs one too
    const r = record<{ a: number; b?: number }>({ a: byte });
    expect(r.kind).toBe('record');
  });

  it('packs the state into fewer bytes than a byte a field would take', () => {
    // a byte per leaf in small would be over 100
    expect(layoutOf(CONFIGS.small).size).toBeLessThan(80);
    const s = initialState(CONFIGS.small);
    const b = new Uint8Array(layoutOf(CONFIGS.small).size);
    encode(layoutOf(CONFIGS.small), s, b);
    expect(decode(layoutOf(CONFIGS.small), b)).toEqual(s);
  });

  it('catches a schema that forgets a field names a frame (the PTE frame declared as a plain byte)', () => {
    const forgetful = withPteFrame(STATE_SCHEMA, byte);
    const config = CONFIGS['tiny-lifo'];
    const v = variant('migrate-batched');
    const problems = walk(
      v,
      config,
      Array.from({ length: 30 }, (_, k) => k * 7),
    ).map((s) => layoutProblem(forgetful, v, config, s, rotation(config.frames), identity(config.cpus)));
    expect(problems.find((p) => p !== null)).toMatch(/relabelled|enabled/);
    // and the real schema passes the same states
    const fine = walk(
      v,
      config,
      Array.from({ length: 30 }, (_, k) => k * 7),
    ).map((s) => layoutProblem(STATE_SCHEMA, v, config, s, rotation(config.frames), identity(config.cpus)));
    expect(fine.every((p) => p === null)).toBe(true);
  });

  it('catches a field too narrow for its values (an mm number in no bits)', () => {
    const config = CONFIGS['two-mms'];
    const narrow = withCpuMm(STATE_SCHEMA, { kind: 'uint', max: () => 0 });
    const v = variant('migrate-batched');
    const s = initialState(config);
    expect(layoutProblem(narrow, v, config, s, identity(config.frames), identity(config.cpus))).toBe(
      'decode(encode(s)) is not s',
    );
  });
});

// Surgery on the schema for the seeded mistakes above.
type Rec = Extract<Field, { kind: 'record' }>;
type Arr = Extract<Field, { kind: 'array' }>;
type Uni = Extract<Field, { kind: 'union' }>;

function withPteFrame(schema: Field, frame: Field): Field {
  const state = schema as Rec;
  const mms = state.fields.mms as Arr;
  const mm = mms.of as Rec;
  const pte = (mm.fields.pte as Arr).of as Uni;
  const variants = Object.fromEntries(
    Object.entries(pte.variants).map(([k, fs]) => [k, 'frame' in fs ? { ...fs, frame } : fs]),
  );
  const newPte: Field = { ...pte, variants };
  const newMm: Field = { ...mm, fields: { ...mm.fields, pte: { ...(mm.fields.pte as Arr), of: newPte } } };
  return { ...state, fields: { ...state.fields, mms: { ...mms, of: newMm } } };
}

function withCpuMm(schema: Field, mm: Field): Field {
  const state = schema as Rec;
  const cpus = state.fields.cpus as Arr;
  const cpu = cpus.of as Rec;
  return {
    ...state,
    fields: { ...state.fields, cpus: { ...cpus, of: { ...cpu, fields: { ...cpu.fields, mm } } } },
  };
}
