// `shootdown manifest`: recompute expected/manifest.json and name every difference
// (--check, the default), or rewrite it (--update). Protocols run on worker threads.

import { existsSync, readFileSync } from 'node:fs';
import { CONFIGS, type Config, worldConfig } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { nearest } from '../../model/variant-schema.js';
import { DEFAULT_SEED, defaultRuns } from '../check/check.js';
import { checkOnThreads, defaultThreads } from '../check/check-pool.js';
import {
  DEFAULT_MANIFEST_STATES,
  expectationProblems,
  formatManifest,
  isOwnRow,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestRow,
  manifestDifferences,
  parseManifest,
  rowOf,
  rowOptions,
} from '../check/manifest.js';
import { formatDuration, StatusLine } from '../progress.js';
import { UsageError } from '../usage-error.js';
import { selectProtocols } from './args.js';
import { type Io, printable } from './io.js';
import { checkOutputPath, writeOutput } from './output.js';

export const MANIFEST_PATH = 'expected/manifest.json';

export interface ManifestFlags {
  file: string;
  protocol?: string[];
  update?: boolean;
  check?: boolean;
  jobs?: number;
  /** With --update: add (or recompute) an explorer row of each protocol in this named world. */
  world?: string;
  symmetry?: boolean;
  maxStates?: number;
  /** With --check: leave out each protocol's own explorer row (another check recomputes it). */
  skipOwnExplorer?: boolean;
}

function readManifest(file: string): Manifest {
  try {
    return parseManifest(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A row to compute: a protocol, an engine, where and with what budget. */
export interface RowSpec {
  readonly variant: Variant;
  readonly engine: 'random' | 'exhaustive';
  /** Another named world than the protocol's own; absent: its own. */
  readonly world?: string;
  readonly maxStates?: number;
  readonly symmetry?: boolean;
}

/** Each protocol's own rows (both engines, an explorer budget as recorded), then the rows recorded elsewhere. */
export function rowSpecs(variants: readonly Variant[], recorded: readonly ManifestRow[]): RowSpec[] {
  const ids = new Set(variants.map((v) => v.id));
  const own = (v: Variant, engine: 'random' | 'exhaustive') =>
    recorded.find((r) => r.protocol === v.id && r.engine === engine && isOwnRow(r));
  return [
    ...variants.flatMap((variant): RowSpec[] => [
      { variant, engine: 'random' },
      { variant, engine: 'exhaustive', ...maxStatesOf(own(variant, 'exhaustive')) },
    ]),
    ...recorded
      .filter((r) => ids.has(r.protocol) && !isOwnRow(r))
      .map(
        (r): RowSpec => ({
          variant: variants.find((v) => v.id === r.protocol)!,
          engine: r.engine,
          world: r.world,
          ...maxStatesOf(r),
          ...(r.symmetry === true ? { symmetry: true } : {}),
        }),
      ),
  ];
}

const maxStatesOf = (r: { readonly maxStates?: number } | undefined) =>
  r?.maxStates === undefined ? {} : { maxStates: r.maxStates };

/**
 * The rows `specs` ask for, computed on worker threads: every row one job of one pool, each
 * with its own world and budget, the largest explorer rows first (by the states `recorded`
 * says they took), so that no row runs alone at the end while a core idles.
 */
export async function computeRows(
  specs: readonly RowSpec[],
  threads: number,
  onDone: (done: number) => void = () => {},
  recorded: readonly ManifestRow[] = [],
): Promise<ManifestRow[]> {
  let done = 0;
  const jobs = specs.map((spec) => {
    const { variant, engine, world, maxStates, symmetry } = spec;
    const config = world === undefined ? undefined : namedConfig(world);
    const elsewhere = { ...(config === undefined ? {} : { config }), ...(symmetry ? { symmetry } : {}) };
    // (each random campaign takes its protocol's own runs: the worker's default)
    const options =
      engine === 'random'
        ? { engine, seed: DEFAULT_SEED }
        : { engine, maxStates: maxStates ?? DEFAULT_MANIFEST_STATES, ...elsewhere };
    return { variant, options, weight: weightOf(spec, recorded), elsewhere };
  });
  const result = await checkOnThreads(jobs, {}, undefined, threads, { onVerdict: () => onDone(++done) });
  return result.verdicts.map((v, i) =>
    rowOf(v!, rowOptions(specs[i]!.variant, specs[i]!.engine, specs[i]!.maxStates, jobs[i]!.elsewhere)),
  );
}

/**
 * The order rows start in: explorer rows first, by the states recorded (its budget if the
 * row is new), then the random campaigns, short jobs that fill the cores at the end.
 */
function weightOf(spec: RowSpec, recorded: readonly ManifestRow[]): number {
  if (spec.engine === 'random') return defaultRuns(spec.variant);
  const row = recorded.find(
    (r) =>
      r.protocol === spec.variant.id &&
      r.engine === spec.engine &&
      (spec.world === undefined ? isOwnRow(r) : r.world === spec.world && !r.symmetry === !spec.symmetry),
  );
  const states = row === undefined ? [] : Object.values(row.invariants).map((c) => c.states ?? 0);
  return 1e12 + (row === undefined ? (spec.maxStates ?? DEFAULT_MANIFEST_STATES) : Math.max(0, ...states));
}

function namedConfig(world: string): Config {
  const config = Object.hasOwn(CONFIGS, world) ? (CONFIGS as Record<string, Config>)[world] : undefined;
  if (config === undefined)
    throw new UsageError(
      `unknown world '${printable(world)}' (one of ${Object.keys(CONFIGS).join(', ')})${didYouMean(world, Object.keys(CONFIGS))}`,
    );
  return config;
}

const didYouMean = (x: string, names: readonly string[]): string => {
  const n = nearest(x, names);
  return n === null ? '' : ` (did you mean '${n}'?)`;
};

export async function runManifest(flags: ManifestFlags, io: Io): Promise<number> {
  if (flags.check && flags.update) throw new UsageError('--check and --update: give one');
  if (!flags.update && (flags.world !== undefined || flags.symmetry || flags.maxStates !== undefined))
    throw new UsageError('--world, --symmetry and --max-states add rows: use them with --update');
  if (flags.update && flags.skipOwnExplorer)
    throw new UsageError('--skip-own-explorer checks fewer rows: not with --update, which rewrites them all');
  if (flags.world === undefined && (flags.symmetry || flags.maxStates !== undefined))
    throw new UsageError('--symmetry and --max-states say how to search a --world: give one');
  const exists = existsSync(flags.file);
  if (!exists && !flags.update)
    throw new UsageError(`${flags.file}: no such file (write it with shootdown manifest --update)`);
  if (flags.update) checkOutputPath(flags.file, '--file');
  const recorded: Manifest = exists
    ? readManifest(flags.file)
    : { format: MANIFEST_FORMAT, version: 1, rows: [] };
  const variants = flags.protocol === undefined ? VARIANTS : selectProtocols(flags.protocol, []);
  const ids = new Set(variants.map((v) => v.id));
  const ownExplorer = (engine: string, world: string | undefined) =>
    flags.skipOwnExplorer === true && engine === 'exhaustive' && world === undefined;
  const specs = rowSpecs(variants, recorded.rows).filter((s) => !ownExplorer(s.engine, s.world));
  if (flags.world !== undefined) {
    const world = namedConfig(flags.world).name;
    for (const variant of variants) {
      if (!flags.symmetry && worldConfig(variant.world, 'exhaustive').name === world) {
        // its own world: the row it has, with the budget asked
        const at = specs.findIndex(
          (s) => s.variant === variant && s.engine === 'exhaustive' && s.world === undefined,
        );
        if (flags.maxStates !== undefined) specs[at] = { ...specs[at]!, maxStates: flags.maxStates };
        continue;
      }
      const spec: RowSpec = {
        variant,
        engine: 'exhaustive',
        world,
        ...(flags.maxStates === undefined ? {} : { maxStates: flags.maxStates }),
        ...(flags.symmetry ? { symmetry: true } : {}),
      };
      // the same row recorded before is computed once, with the budget asked now
      const same = (s: RowSpec) =>
        s.variant === variant &&
        s.engine === 'exhaustive' &&
        s.world === world &&
        !s.symmetry === !flags.symmetry;
      const at = specs.findIndex(same);
      if (at >= 0) specs[at] = { ...spec, ...(flags.maxStates === undefined ? maxStatesOf(specs[at]) : {}) };
      else specs.push(spec);
    }
  }
  const status = new StatusLine(io.status);
  const total = specs.length;
  const rows = await computeRows(
    specs,
    flags.jobs ?? defaultThreads(total),
    (done) => status.set(`manifest: ${done}/${total} rows, ${formatDuration(status.elapsedMs)}`),
    recorded.rows,
  );
  status.clear();
  const actual: Manifest = { format: MANIFEST_FORMAT, version: 1, rows };
  if (flags.update) {
    const kept = recorded.rows.filter(
      (r) => !ids.has(r.protocol) && VARIANTS.some((v) => v.id === r.protocol),
    );
    const written: Manifest = { ...actual, rows: [...kept, ...rows] };
    writeOutput(flags.file, formatManifest(written));
    io.out(`wrote ${flags.file}: ${written.rows.length} rows`);
    const problems = expectationProblems(written);
    for (const p of problems) io.out(`not as the protocol expects: ${p}`);
    return problems.length === 0 ? 0 : 1;
  }
  const mine: Manifest = {
    ...recorded,
    rows: recorded.rows.filter(
      (r) => ids.has(r.protocol) && !ownExplorer(r.engine, isOwnRow(r) ? undefined : r.world),
    ),
  };
  const problems = [...manifestDifferences(mine, actual), ...expectationProblems(actual)];
  for (const p of problems) io.out(p);
  io.out(
    problems.length === 0
      ? `${flags.file}: ${rows.length} rows${flags.skipOwnExplorer ? ' (each protocol’s own explorer row left out)' : ''}, every one as recorded and as its protocol expects`
      : `${flags.file}: ${problems.length} differences`,
  );
  return problems.length === 0 ? 0 : 1;
}
