// A user's variant file: a TypeScript or JavaScript module exporting variants. Loaded by
// the CLI and by every worker thread that checks one of its variants.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findVariant } from '../model/registry.js';
import type { Variant } from '../model/variant.js';
import { variantProblem } from './check.js';
import { UsageError } from './usage-error.js';

function looksLikeVariant(x: unknown): x is Variant {
  if (typeof x !== 'object' || x === null) return false;
  const v = x as Partial<Variant>;
  return (
    typeof v.id === 'string' &&
    typeof v.policy === 'object' &&
    Array.isArray(v.violates) &&
    Array.isArray(v.reaches)
  );
}

/** Variants from a user's file: its default export (a variant or a list) or its named exports. */
export async function loadVariantFile(path: string): Promise<Variant[]> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(resolve(path)).href);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UsageError(`cannot load variant file ${path}: ${why}`);
  }
  const exported = mod.default !== undefined ? [mod.default].flat() : Object.values(mod);
  const variants = exported.filter(looksLikeVariant);
  if (variants.length === 0)
    throw new UsageError(
      `variant file ${path} exports no variant (build one with defineVariant and export it)`,
    );
  for (const v of variants) {
    const problem = variantProblem(v);
    if (problem !== null) throw new UsageError(`${path}: ${problem}`);
    // a file's variant would otherwise replace the registered one of that id, unannounced
    if (findVariant(v.id) !== undefined)
      throw new UsageError(
        `${path}: variant id '${v.id}' is a registered protocol's; give yours an id of its own`,
      );
  }
  return variants;
}
