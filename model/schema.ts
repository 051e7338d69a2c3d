// The language the state's layout is declared in (model/state-schema.ts). A schema says,
// field by field, what each part of the state holds: how many values a number takes, which
// numbers name a frame or a CPU (so a renumbering moves them), which fields may be absent,
// and how long each array is in a given config. src/codec/compile.ts compiles it, per
// config, into the encoding, the decoding, the copy and both relabellings; nothing else
// describes the state's shape, so a field cannot be encoded and forgotten by a relabelling.

import type { Config } from './config.js';

/** A number fixed by the config: an array's length, a field's largest value. */
export type Size = (config: Config) => number;

export type Field =
  /** A whole number from 0 to max. With frameIf, the number names a frame when frameIf(parent) holds. */
  | {
      readonly kind: 'uint';
      readonly max: Size;
      readonly frameIf?: (parent: never) => boolean;
    }
  | { readonly kind: 'bool' }
  /** true, or absent (false is the same as absent: decoding leaves it out). */
  | { readonly kind: 'flag' }
  /** A frame number; with none, -1 (NO_FRAME) too. */
  | { readonly kind: 'frame'; readonly none: boolean }
  | { readonly kind: 'cpu' }
  /** Bit i: CPU i. */
  | { readonly kind: 'cpumask' }
  | { readonly kind: 'enum'; readonly values: readonly unknown[] }
  /**
   * replaced: the model's recipes assign a new object, never edit this one in place, so a
   * copy of the state may share it.
   */
  | { readonly kind: 'record'; readonly fields: Readonly<Record<string, Field>>; readonly replaced: boolean }
  /** Records told apart by their `kind`. */
  | {
      readonly kind: 'union';
      readonly variants: Readonly<Record<string, Readonly<Record<string, Field>>>>;
      readonly replaced: boolean;
    }
  /**
   * `length` elements. index: element i belongs to frame i or CPU i, so a renumbering moves
   * the elements themselves.
   */
  | { readonly kind: 'array'; readonly length: Size; readonly of: Field; readonly index?: 'frame' | 'cpu' }
  /** At most `max` elements. */
  | { readonly kind: 'list'; readonly max: Size; readonly of: Field }
  /** A record field that may be absent. With absentIs, that value means absent (decoding leaves it out). */
  | { readonly kind: 'optional'; readonly of: Field; readonly absentIs?: number }
  | { readonly kind: 'nullable'; readonly of: Field }
  /**
   * A record field that exists only in some configs (and, in an array's element, only at
   * some indices of that array). A predicate declared with two parameters reads the index:
   * the compiler then lays that array's elements out one by one (it reads `present.length`).
   */
  | {
      readonly kind: 'when';
      readonly present: (config: Config, index: number) => boolean;
      readonly of: Field;
    }
  /** Fixed by the config and never changed by a step, so not encoded; absent when value gives undefined. */
  | { readonly kind: 'config'; readonly value: (config: Config) => unknown }
  /** A counter no guard or invariant reads (what a protocol costs): not encoded, zero after decoding. */
  | { readonly kind: 'counter' };

/** A field for every key of T, optional keys included: the compiler says which is missing. */
export type Fields<T> = { readonly [K in keyof T]-?: Field };

export const uint = (max: Size): Field => ({ kind: 'uint', max });
export const byte: Field = uint(() => 255);
export const bool: Field = { kind: 'bool' };
export const flag: Field = { kind: 'flag' };
export const frame: Field = { kind: 'frame', none: false };
export const frameOrNone: Field = { kind: 'frame', none: true };
export const cpu: Field = { kind: 'cpu' };
export const cpumask: Field = { kind: 'cpumask' };
export const counter: Field = { kind: 'counter' };

export const oneOf = (values: readonly unknown[]): Field => ({ kind: 'enum', values });

export const record = <T>(fields: Fields<T>, options: { replaced?: boolean } = {}): Field => ({
  kind: 'record',
  fields: fields as Record<string, Field>,
  replaced: options.replaced === true,
});

type Variants<T extends { kind: string }> = {
  readonly [K in T['kind']]: Fields<Omit<Extract<T, { kind: K }>, 'kind'>>;
};

export const union = <T extends { kind: string }>(
  variants: Variants<T>,
  options: { replaced?: boolean } = {},
): Field => ({
  kind: 'union',
  variants: variants as Record<string, Record<string, Field>>,
  replaced: options.replaced === true,
});

export const array = (length: Size, of: Field, index?: 'frame' | 'cpu'): Field =>
  index === undefined ? { kind: 'array', length, of } : { kind: 'array', length, of, index };
export const list = (max: Size, of: Field): Field => ({ kind: 'list', max, of });
export const optional = (of: Field, absentIs?: number): Field =>
  absentIs === undefined ? { kind: 'optional', of } : { kind: 'optional', of, absentIs };
export const nullable = (of: Field): Field => ({ kind: 'nullable', of });
export const when = (present: (config: Config, index: number) => boolean, of: Field): Field => ({
  kind: 'when',
  present,
  of,
});
export const fromConfig = (value: (config: Config) => unknown): Field => ({ kind: 'config', value });

/** A number that names a frame when `frameIf(parent)` holds (a foreign page-cache page's index). */
export const uintOrFrame = <P>(max: Size, frameIf: (parent: P) => boolean): Field => ({
  kind: 'uint',
  max,
  frameIf: frameIf as (parent: never) => boolean,
});
