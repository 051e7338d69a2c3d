// Parsing shared by the subcommands: numbers, names of configs, invariants and protocols,
// variant files. Each refuses bad input in one line (UsageError).

import { InvalidArgumentError } from 'commander';
import { CONFIGS, type Config } from '../../model/config.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { findInvariant, INVARIANTS, type Invariant } from '../../properties/invariants.js';
import { loadVariantModule } from '../load/variant-file.js';
import { UsageError } from '../usage-error.js';

export function wholeNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}`);
    return n;
  };
}

/** `--shard i/N`: shard i (1 to N) of N. */
export function shardArg(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (m === null) throw new InvalidArgumentError('--shard must be i/N, for example 2/8');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100_000) throw new InvalidArgumentError('--shard i/N: N must be from 1 to 100000');
  if (index < 1 || index > count)
    throw new InvalidArgumentError(`--shard i/N: i must be from 1 to N (${count})`);
  return { index, count };
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A registered config, or a world a variant file exports. */
export function pickConfig(name: string, worlds: Readonly<Record<string, Config>> = {}): Config {
  // own keys only: '__proto__' or 'toString' is an unknown config, not Object's
  const table = { ...worlds, ...CONFIGS } as Record<string, Config>;
  const config = Object.hasOwn(table, name) ? table[name] : undefined;
  if (config === undefined)
    throw new UsageError(`unknown config '${name}' (known: ${Object.keys(table).join(', ')})`);
  return config;
}

export function pickInvariants(ids: readonly string[] | undefined): Invariant[] | undefined {
  if (ids === undefined) return undefined;
  return ids.map((id) => {
    const inv = findInvariant(id);
    if (inv === undefined)
      throw new UsageError(`unknown invariant '${id}' (known: ${INVARIANTS.map((i) => i.id).join(', ')})`);
    return inv;
  });
}

/** The variants of every --variant-file, the file each came from, and the worlds the files export. */
export async function loadVariantFiles(files: readonly string[] | undefined): Promise<{
  fromFiles: Variant[];
  fileOf: Map<Variant, string>;
  worlds: Record<string, Config>;
}> {
  const fromFiles: Variant[] = [];
  const fileOf = new Map<Variant, string>();
  const worlds: Record<string, Config> = {};
  for (const file of files ?? []) {
    const loaded = await loadVariantModule(file);
    for (const v of loaded.variants) {
      fromFiles.push(v);
      fileOf.set(v, file);
    }
    for (const w of loaded.worlds) worlds[w.name] = w;
  }
  return { fromFiles, fileOf, worlds };
}

export function selectProtocols(
  ids: readonly string[] | undefined,
  fromFiles: readonly Variant[],
): Variant[] {
  if (ids === undefined) return fromFiles.length > 0 ? [...fromFiles] : [...VARIANTS];
  const known = [...VARIANTS, ...fromFiles];
  return ids.map((id) => {
    const v = fromFiles.find((f) => f.id === id) ?? findVariant(id);
    if (v === undefined)
      throw new UsageError(`unknown protocol '${id}' (known: ${known.map((k) => k.id).join(', ')})`);
    return v;
  });
}

/** A comma-separated list of whole numbers, each from `min` to `max`. */
export function numberList(name: string, min: number, max: number) {
  return (value: string): number[] => {
    const items = value.split(',');
    if (items.some((x) => !/^\d+$/.test(x.trim())))
      throw new InvalidArgumentError(`${name} must be whole numbers separated by commas`);
    const ns = items.map((x) => Number(x.trim()));
    if (ns.some((n) => n < min || n > max))
      throw new InvalidArgumentError(`${name} must each be from ${min} to ${max}`);
    return [...new Set(ns)].sort((a, b) => a - b);
  };
}
