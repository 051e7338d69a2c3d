// One manifest of expected results (expected/manifest.json): for every protocol, in its own
// world, what each engine finds for each invariant; and, for the worlds a test or a study
// also searches a protocol in (another named world, or with symmetry reduction), what the
// explorer finds there. The random engine's row records the run
// that first broke an invariant and the minimised length, or the runs and steps that found
// nothing; the explorer's row the shortest length and the states searched until then, or
// the states, transitions and depth of a search that found nothing, complete or cut by the
// row's state budget. `shootdown manifest --check` recomputes it and names each difference;
// `--update` rewrites it. A changed number is a signal to investigate (the model changed).

import { z } from 'zod';
import { type Config, worldConfig } from '../../model/config.js';
import { findVariant } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { schemaProblem } from '../../model/variant-schema.js';
import {
  type CheckOptions,
  DEFAULT_SEED,
  defaultRuns,
  type EngineName,
  expectedVerdict,
  isDeep,
  type ProtocolVerdict,
} from './check.js';

export const MANIFEST_FORMAT = 'shootdown-manifest';
/** The explorer's state budget for a row that names none (as the engines-agree test had it). */
export const DEFAULT_MANIFEST_STATES = 300_000;

export type ManifestCell =
  | {
      readonly verdict: 'violated';
      /** Steps of the counterexample: the shortest (explorer) or the minimised one (random). */
      readonly length: number;
      /** Random engine: the run that first broke it. */
      readonly run?: number;
      /** Explorer: distinct states searched until it was found. */
      readonly states?: number;
    }
  | {
      readonly verdict: 'holds' | 'incomplete';
      readonly runs?: number;
      readonly steps?: number;
      readonly states?: number;
      readonly transitions?: number;
      readonly depth?: number;
    };

/**
 * The engines the manifest records. The deep searches run to a time budget, so what they
 * reach depends on the machine: no row of theirs could be recomputed exactly.
 */
export type ManifestEngine = Exclude<EngineName, 'swarm' | 'bitstate'>;

export interface ManifestRow {
  readonly protocol: string;
  readonly engine: ManifestEngine;
  /**
   * The named world the engine checks the protocol in: its own, sized for the engine, or
   * (explorer only) another one a row was added for (`shootdown manifest --update --world`).
   */
  readonly world: string;
  /** Explorer: searched with symmetry reduction. */
  readonly symmetry?: true;
  /** Random engine: runs per campaign and seed. */
  readonly runs?: number;
  readonly seed?: number;
  /** Explorer: the most distinct states a search may visit. */
  readonly maxStates?: number;
  readonly invariants: Readonly<Record<string, ManifestCell>>;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  readonly rows: readonly ManifestRow[];
}

/** The options a row is computed with: in its own world unless `config` names another. */
export function rowOptions(
  variant: Variant,
  engine: ManifestEngine,
  maxStates?: number,
  elsewhere: { readonly config?: Config; readonly symmetry?: boolean } = {},
): CheckOptions {
  if (engine === 'random') return { engine, runs: defaultRuns(variant), seed: DEFAULT_SEED };
  return {
    engine,
    maxStates: maxStates ?? DEFAULT_MANIFEST_STATES,
    ...(elsewhere.config === undefined ? {} : { config: elsewhere.config }),
    ...(elsewhere.symmetry === true ? { symmetry: true } : {}),
  };
}

/** Is the row its protocol's own: the engine's own world, no reduction? */
export function isOwnRow(r: ManifestRow): boolean {
  const v = findVariant(r.protocol);
  return v !== undefined && r.symmetry !== true && r.world === worldConfig(v.world, r.engine).name;
}

/** A verdict as a manifest row. */
export function rowOf(v: ProtocolVerdict, options: CheckOptions): ManifestRow {
  const invariants: Record<string, ManifestCell> = {};
  for (const i of v.invariants) {
    // (a violated verdict always carries its counterexample: checkVariant sets them together)
    const cx = i.counterexample!;
    invariants[i.invariant] =
      i.verdict === 'violated'
        ? {
            verdict: 'violated',
            length: cx.length,
            ...(cx.run === undefined ? {} : { run: cx.run }),
            ...(i.states === undefined ? {} : { states: i.states }),
          }
        : {
            verdict: i.verdict,
            ...(i.runs === undefined ? {} : { runs: i.runs, steps: i.steps! }),
            ...(i.states === undefined
              ? {}
              : { states: i.states, transitions: i.transitions!, depth: i.depth! }),
          };
  }
  if (isDeep(v.engine)) throw new Error(`internal: the manifest records no ${v.engine} rows`);
  return {
    protocol: v.protocol,
    engine: v.engine,
    world: v.config,
    ...(options.symmetry === true ? { symmetry: true as const } : {}),
    ...(v.engine === 'random'
      ? { runs: options.runs!, seed: options.seed! }
      : { maxStates: options.maxStates! }),
    invariants,
  };
}

/** How a row is named: protocol, engine, world and reduction tell rows apart. */
export const rowKey = (r: Pick<ManifestRow, 'protocol' | 'engine' | 'world' | 'symmetry'>): string =>
  `${r.protocol} (${r.engine}, ${r.world}${r.symmetry === true ? ', symmetry' : ''})`;
const key = rowKey;
const show = (x: unknown) => JSON.stringify(x);

/** Every difference between the recorded manifest and a recomputed one, one line each. */
export function manifestDifferences(recorded: Manifest, actual: Manifest): string[] {
  const out: string[] = [];
  const theirs = new Map(actual.rows.map((r) => [key(r), r]));
  const mine = new Map(recorded.rows.map((r) => [key(r), r]));
  for (const [k, r] of mine) {
    const a = theirs.get(k);
    if (a === undefined) {
      out.push(`${k}: recorded, not computed`);
      continue;
    }
    for (const field of ['runs', 'seed', 'maxStates'] as const)
      if (r[field] !== a[field]) out.push(`${k}: ${field} ${show(r[field])} recorded, ${show(a[field])} now`);
    for (const inv of new Set([...Object.keys(r.invariants), ...Object.keys(a.invariants)])) {
      const before = r.invariants[inv];
      const now = a.invariants[inv];
      if (show(before) !== show(now)) out.push(`${k} ${inv}: ${show(before)} recorded, ${show(now)} now`);
    }
  }
  for (const k of theirs.keys()) if (!mine.has(k)) out.push(`${k}: computed, not recorded (run --update)`);
  return out;
}

/**
 * Where a row of a protocol's own world disagrees with its declared expectations: a
 * violation the protocol does not expect, or an expected one that the search decided holds.
 * (An incomplete search contradicts nothing; an explorer-only bug is expected to hold for
 * the random engine. In another world a bug may not be reachable at all: those rows are
 * their own expectation.)
 */
export function expectationProblems(m: Manifest): string[] {
  const out: string[] = [];
  for (const r of m.rows) {
    const v = findVariant(r.protocol);
    if (v === undefined) {
      out.push(`${key(r)}: no such protocol`);
      continue;
    }
    if (!isOwnRow(r)) continue;
    for (const [inv, cell] of Object.entries(r.invariants)) {
      const expected = expectedVerdict(v, r.engine, inv);
      if (cell.verdict !== 'incomplete' && cell.verdict !== expected)
        out.push(`${key(r)} ${inv}: ${cell.verdict}, but the protocol expects ${expected}`);
    }
  }
  return out;
}

/** The manifest as committed: a row per line, so a change reads as a one-line diff. */
export function formatManifest(m: Manifest): string {
  const rows = [...m.rows].sort((a, b) => key(a).localeCompare(key(b)));
  return `{\n  "format": ${show(m.format)},\n  "version": ${m.version},\n  "rows": [\n${rows
    .map((r) => `    ${show(r)}`)
    .join(',\n')}\n  ]\n}\n`;
}

const count = z.number().int().nonnegative();
const found = {
  runs: count.optional(),
  steps: count.optional(),
  states: count.optional(),
  transitions: count.optional(),
  depth: count.optional(),
};
const cellSchema = z.discriminatedUnion('verdict', [
  z.strictObject({
    verdict: z.literal('violated'),
    length: count,
    run: count.optional(),
    states: count.optional(),
  }),
  z.strictObject({ verdict: z.literal('holds'), ...found }),
  z.strictObject({ verdict: z.literal('incomplete'), ...found }),
]);
const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  rows: z.array(
    z.strictObject({
      protocol: z.string(),
      engine: z.enum(['random', 'exhaustive']),
      world: z.string(),
      symmetry: z.literal(true).optional(),
      runs: count.optional(),
      seed: count.optional(),
      maxStates: count.optional(),
      invariants: z.record(z.string(), cellSchema),
    }),
  ),
});

/** A manifest read back; a one-line reason when it is not one. */
export function parseManifest(text: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = doc as Partial<Manifest>;
  if (typeof doc !== 'object' || doc === null || m.format !== MANIFEST_FORMAT || m.version !== 1)
    throw new Error(`not a ${MANIFEST_FORMAT} of version 1`);
  const problem = schemaProblem(manifestSchema, doc, '');
  if (problem !== null) throw new Error(problem);
  const seen = new Set<string>();
  (doc as Manifest).rows.forEach((r, i) => {
    if (seen.has(rowKey(r))) throw new Error(`rows[${i}]: a second row for ${rowKey(r)}`);
    seen.add(rowKey(r));
  });
  return doc as Manifest;
}
