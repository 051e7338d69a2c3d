// `shootdown manifest`: recompute expected/manifest.json and name every difference
// (--check, the default), or rewrite it (--update). Protocols run on worker threads.

import { existsSync, readFileSync } from 'node:fs';
import { VARIANTS } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { DEFAULT_SEED } from '../check/check.js';
import { checkOnThreads, defaultThreads } from '../check/check-pool.js';
import {
  DEFAULT_MANIFEST_STATES,
  expectationProblems,
  formatManifest,
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
import type { Io } from './io.js';
import { checkOutputPath, writeOutput } from './output.js';

export const MANIFEST_PATH = 'expected/manifest.json';

export interface ManifestFlags {
  file: string;
  protocol?: string[];
  update?: boolean;
  jobs?: number;
}

function readManifest(file: string): Manifest {
  try {
    return parseManifest(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Every row of `variants`, both engines; an explorer row with the budget `budgets` names. */
export async function computeRows(
  variants: readonly Variant[],
  budgets: ReadonlyMap<string, number>,
  threads: number,
  onDone: (done: number) => void = () => {},
): Promise<ManifestRow[]> {
  const rows: ManifestRow[] = [];
  let done = 0;
  const run = async (group: readonly Variant[], engine: 'random' | 'exhaustive', maxStates?: number) => {
    // (each random campaign takes its protocol's own runs: the worker's default)
    const options =
      engine === 'random'
        ? { engine, seed: DEFAULT_SEED }
        : { engine, maxStates: maxStates ?? DEFAULT_MANIFEST_STATES };
    const result = await checkOnThreads(
      group.map((variant) => ({ variant })),
      options,
      undefined,
      threads,
      { onVerdict: () => onDone(++done) },
    );
    result.verdicts.forEach((v, i) => {
      rows.push(rowOf(v!, rowOptions(group[i]!, engine, maxStates)));
    });
  };
  await run(variants, 'random');
  const byBudget = new Map<number, Variant[]>();
  for (const v of variants) {
    const b = budgets.get(v.id) ?? DEFAULT_MANIFEST_STATES;
    byBudget.set(b, [...(byBudget.get(b) ?? []), v]);
  }
  for (const [budget, group] of byBudget) await run(group, 'exhaustive', budget);
  return rows;
}

export async function runManifest(flags: ManifestFlags, io: Io): Promise<number> {
  const exists = existsSync(flags.file);
  if (!exists && !flags.update)
    throw new UsageError(`${flags.file}: no such file (write it with shootdown manifest --update)`);
  if (flags.update) checkOutputPath(flags.file, '--file');
  const recorded: Manifest = exists
    ? readManifest(flags.file)
    : { format: MANIFEST_FORMAT, version: 1, rows: [] };
  const variants = flags.protocol === undefined ? VARIANTS : selectProtocols(flags.protocol, []);
  const ids = new Set(variants.map((v) => v.id));
  const budgets = new Map(
    recorded.rows.filter((r) => r.engine === 'exhaustive').map((r) => [r.protocol, r.maxStates!]),
  );
  const status = new StatusLine(io.status);
  const total = variants.length * 2;
  const rows = await computeRows(variants, budgets, flags.jobs ?? defaultThreads(total), (done) =>
    status.set(`manifest: ${done}/${total} rows, ${formatDuration(status.elapsedMs)}`),
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
  const mine: Manifest = { ...recorded, rows: recorded.rows.filter((r) => ids.has(r.protocol)) };
  const problems = [...manifestDifferences(mine, actual), ...expectationProblems(actual)];
  for (const p of problems) io.out(p);
  io.out(
    problems.length === 0
      ? `${flags.file}: ${rows.length} rows, every one as recorded and as its protocol expects`
      : `${flags.file}: ${problems.length} differences`,
  );
  return problems.length === 0 ? 0 : 1;
}
