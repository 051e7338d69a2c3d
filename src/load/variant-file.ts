// A user's variant file: a TypeScript or JavaScript module exporting variants. Loaded by
// the CLI and by every worker thread that checks one of its variants.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CONFIGS, type Config, configProblem } from '../../model/config.js';
import { findVariant } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { nearest } from '../../model/variant-schema.js';
import { variantProblem } from '../check/check.js';
import { UsageError } from '../usage-error.js';
import { registerVariantLoader, variantLoader } from './variant-loader.js';

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

/** How long a variant file may take to load (the model itself loads in about a second). */
export const LOAD_LIMIT_MS = 15_000;

/** One line for a load failure: a syntax error as file:line:column and esbuild's message. */
function loadFailure(path: string, message: string): string {
  const located = /^(.*):(\d+):(\d+): ERROR: (.*)$/m.exec(message);
  if (located !== null) return `${path}:${located[2]}:${located[3]}: ${located[4]}`;
  return `cannot load variant file ${path}: ${message.split('\n')[0]}`;
}

/** Import the file once in a worker thread, ended after `limitMs` (a loop at import never returns). */
function probe(url: string, path: string, limitMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const worker = new Worker(new URL('./variant-probe.mjs', import.meta.url), {
      workerData: { url, ...variantLoader() },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      fail(
        new UsageError(
          `variant file ${path} did not finish loading in ${limitMs / 1000} s (a loop at import?)`,
        ),
      );
    }, limitMs);
    const end = (f: () => void) => {
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    worker.once('message', (m: { ok: boolean; message?: string }) =>
      end(() => (m.ok ? done() : fail(new UsageError(loadFailure(path, m.message ?? ''))))),
    );
    worker.once('error', (e) => end(() => fail(new UsageError(loadFailure(path, e.message)))));
  });
}

/**
 * Variants from a user's file: its default export (a variant or a list) or its named
 * exports. The file is first imported in a worker thread under `limitMs`.
 */
export async function loadVariantFile(path: string, limitMs = LOAD_LIMIT_MS): Promise<Variant[]> {
  return (await loadVariantModule(path, limitMs)).variants;
}

/** A config-shaped export: a world of the file's own (built with defineConfig). */
function looksLikeConfig(x: unknown): x is Config {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Partial<Config>;
  return typeof c.name === 'string' && typeof c.cpus === 'number' && Array.isArray(c.cpuMm);
}

/** A variant file's variants, and the worlds it exports (configs its variants may name as `world`). */
export async function loadVariantModule(
  path: string,
  limitMs = LOAD_LIMIT_MS,
): Promise<{ variants: Variant[]; worlds: Config[] }> {
  const url = pathToFileURL(resolve(path)).href;
  if (!existsSync(path)) throw new UsageError(`cannot load variant file ${path}: no such file`);
  // 0: no probe (a worker thread of the CLI's, loading a file the CLI has already probed)
  if (limitMs > 0) await probe(url, path, limitMs);
  let mod: Record<string, unknown>;
  registerVariantLoader();
  try {
    mod = await import(url);
  } catch (e) {
    throw new UsageError(loadFailure(path, e instanceof Error ? e.message : String(e)));
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
  const everything = [...(mod.default === undefined ? [] : [mod.default].flat()), ...Object.values(mod)];
  const worlds = [...new Set(everything.filter(looksLikeConfig))];
  for (const w of worlds) {
    const problem = configProblem(w);
    if (problem !== null) throw new UsageError(`${path}: world '${w.name}': ${problem}`);
    if (Object.hasOwn(CONFIGS, w.name))
      throw new UsageError(
        `${path}: world '${w.name}' is a registered config's name; give yours one of its own`,
      );
  }
  // a world named nowhere would only fail once the check began, as an internal error
  const known = [...worlds.map((w) => w.name), ...Object.keys(CONFIGS)];
  for (const v of variants)
    if (!known.includes(v.world)) {
      const near = nearest(v.world, known);
      throw new UsageError(
        `${path}: variant ${v.id}: world '${v.world}' is neither a registered config nor one the file exports${near === null ? '' : ` (did you mean '${near}'?)`}`,
      );
    }
  return { variants, worlds };
}
