// `shootdown check`: protocols against every invariant, verdicts against expectations.

import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { pcidPolicyProblem } from '../../model/switch.js';
import {
  asExpected,
  type CheckDocument,
  DEFAULT_DEEP_SECONDS,
  DEFAULT_RUNS,
  disagreements,
  documentOf,
  type EngineName,
  type InvariantVerdict,
  isDeep,
  type ProtocolVerdict,
  takesSeeds,
  worldOf,
} from '../check/check.js';
import { defaultThreads, type WorkerOptions } from '../check/check-pool.js';
import { shardSeeds } from '../check/merge.js';
import { DEFAULT_HASH_BITS } from '../engine/swarm.js';
import { cpuClasses } from '../engine/symmetry.js';
import { formatHtmlTimeline } from '../report/html.js';
import { describeConfig, formatRaceReport, type RaceReportInput } from '../report/report.js';
import { formatTraceDocument, traceDocument } from '../report/trace-file.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';
import { loadVariantFiles, pickConfig, pickInvariants, selectProtocols } from './args.js';
import { checkWithProgress } from './check-run.js';
import type { Io } from './io.js';
import { checkOutputPath, writeOutput } from './output.js';

function evidence(i: InvariantVerdict): string {
  if (i.members !== undefined) {
    const stop = i.stoppedBy === 'interrupt' ? '; interrupted' : '';
    const lost =
      i.omission === undefined ? '' : `, about ${formatShare(i.omission)} of them lost to hash collisions`;
    const cut = i.cutAtDepth === undefined ? '' : `; paths cut at depth ${i.cutAtDepth} (raise --max-depth)`;
    return `${i.members} ${i.members === 1 ? 'search' : 'searches'}, ${i.states} states${lost}, depth ${i.depth}${cut}${stop}; not a proof`;
  }
  if (i.runs !== undefined)
    return `${i.runs} runs, ${i.steps} steps${i.stoppedBy === 'interrupt' ? '; interrupted' : ''}`;
  const cut =
    i.stoppedBy === undefined
      ? ''
      : i.stoppedBy === 'interrupt'
        ? '; search interrupted'
        : `; search incomplete, stopped by ${i.stoppedBy}`;
  return `${i.states} states, ${i.transitions} transitions, depth ${i.depth}${cut}`;
}

export function formatVerdict(v: ProtocolVerdict): string {
  const lines: string[] = [];
  // a row Ctrl-C cut short is no verdict, so not an unexpected one
  const cut = (i: InvariantVerdict) => i.stoppedBy === 'interrupt';
  const unexpected = v.invariants.filter((i) => !asExpected(v.engine, i) && !cut(i)).length;
  const missed = v.targets.filter((t) => !t.hit);
  const how = v.interrupted ? 'INTERRUPTED, no verdict' : v.ok ? 'as expected' : 'NOT AS EXPECTED';
  lines.push(`${v.protocol}: ${v.title}  [${v.config}; ${how}]`);
  const w = Math.max(...v.invariants.map((i) => i.invariant.length));
  for (const i of v.invariants) {
    const c = i.counterexample;
    const verdict =
      i.verdict === 'holds'
        ? `holds (${evidence(i)})`
        : i.verdict === 'incomplete'
          ? `no violation (${evidence(i)})`
          : c?.shortest
            ? `VIOLATED (shortest counterexample: ${c.length} steps, after ${i.states} states)`
            : c?.run !== undefined
              ? `VIOLATED (counterexample of ${c.length} steps, found in run ${c.run})`
              : `VIOLATED (counterexample of ${c?.length} steps, found ${c?.foundLength} deep${c?.member === undefined ? '' : ` by search ${c.member}`}, after ${i.states} states)`;
    const note = asExpected(v.engine, i) || cut(i) ? '' : `  <-- expected ${i.expected}`;
    lines.push(`  ${i.invariant.padEnd(w)}  ${verdict}${note}`);
  }
  if (v.targets.length > 0)
    lines.push(
      missed.length === 0
        ? `  reached: ${v.targets.map((t) => t.target).join(', ')}`
        : `  NOT REACHED: ${missed.map((t) => t.target).join(', ')} (the protocol may pass vacuously)`,
    );
  if (unexpected > 0) lines.push(`  ${unexpected} verdict${unexpected > 1 ? 's' : ''} not as expected`);
  return lines.join('\n');
}

export interface CheckFlags {
  protocol?: string[];
  config?: string;
  engine: EngineName | 'both';
  runs?: number;
  seed: number;
  seeds?: number;
  shard?: { index: number; count: number };
  invariant?: string[];
  json?: boolean;
  variantFile?: string[];
  maxCommands: number;
  maxStates?: number;
  maxSeconds?: number;
  maxMemory?: number;
  symmetry?: boolean;
  por?: boolean;
  workers?: number;
  hashBits?: number;
  maxDepth?: number;
  jobs?: number;
  reports: 'none' | 'first' | 'all';
  trace?: string;
  html?: string;
}

type Output = readonly [
  path: string,
  ext: string,
  what: 'trace' | 'html',
  render: (r: RaceReportInput) => string,
];

/** The files asked for: the trace document and the HTML timeline of each counterexample. */
export function outputs(flags: { trace?: string; html?: string }): Output[] {
  const out: Output[] = [];
  if (flags.trace !== undefined)
    out.push([flags.trace, '.json', 'trace', (r) => formatTraceDocument(traceDocument(r))]);
  if (flags.html !== undefined) out.push([flags.html, '.html', 'html', formatHtmlTimeline]);
  return out;
}

/** A small share as a reader takes it in: 'less than 1e-9', '0.02%'. */
function formatShare(x: number): string {
  if (x < 1e-9) return 'less than one in a billion';
  if (x < 1e-4) return `${x.toExponential(1)}`;
  return `${(x * 100).toFixed(2)}%`;
}

/** How a report names the engine that found a counterexample. */
const ENGINE_LABEL: Readonly<Record<EngineName, string>> = {
  random: 'random (fast-check)',
  exhaustive: 'exhaustive (breadth-first)',
  swarm: 'swarm (depth-first searches, bitstate)',
  bitstate: 'bitstate (depth-first)',
};

const engineTag = (label: string): string => label.split(' ')[0]!;

/**
 * Where each of `names` goes: `path` itself for one file, or `path/<name><ext>` when
 * `path` is a directory (existing, or written with a trailing slash) or there are several.
 */
function outputPaths(path: string, names: readonly string[], ext: string): string[] {
  const isDir = path.endsWith('/') || (existsSync(path) && statSync(path).isDirectory());
  if (!isDir && names.length <= 1) return [path];
  if (isDir) return names.map((n) => join(path, `${n}${ext}`));
  const stem = extname(path) === ext ? path.slice(0, -ext.length) : path;
  return names.map((n) => `${stem}-${n}${ext}`);
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  const engines = enginesOf(flags.engine);
  // The explorer needs a world small enough to exhaust; random testing wants a bigger one.
  // Without --config each protocol is checked in its own world, sized for the engine: the
  // explorer needs one small enough to exhaust, random testing wants a bigger one.
  const name = flags.config ?? (flags.symmetry ? 'tiny-lifo' : undefined);
  const invariants = pickInvariants(flags.invariant);
  const { fromFiles, fileOf, worlds } = await loadVariantFiles(flags.variantFile);
  const config = name === undefined ? undefined : pickConfig(name, worlds);
  if (flags.symmetry && flags.engine === 'random')
    throw new UsageError('--symmetry applies to the exhaustive engine (--engine exhaustive or both)');
  if (flags.por && !engines.includes('exhaustive'))
    throw new UsageError('--por applies to the exhaustive engine (--engine exhaustive or both)');
  if (flags.por && flags.symmetry) throw new UsageError('--por does not combine with --symmetry yet');
  if (flags.por && (flags.workers ?? 1) > 1)
    throw new UsageError('--por runs on one thread: it does not combine with --workers yet');
  const campaign = seedsOf(flags);
  if (flags.workers !== undefined && !engines.includes('exhaustive'))
    throw new UsageError('--workers applies to the exhaustive engine (--engine exhaustive or both)');
  if (
    flags.symmetry &&
    config !== undefined &&
    config.allocator !== 'lifo' &&
    cpuClasses(config).length === 0
  )
    throw new UsageError(
      `--symmetry has nothing to reduce in ${config.name}: frames need a config whose allocator is 'lifo' (frame numbers matter to '${config.allocator ?? 'lowest-free'}'), such as tiny-lifo, and no two CPUs are interchangeable (the same mm, no kernel task), as in tiny-3cpu`,
    );
  let variants = selectProtocols(flags.protocol, fromFiles);
  if (config?.pcid) {
    const misfits = variants.filter((v) => pcidPolicyProblem(v.policy) !== null);
    // Named on the command line: an error. Taken from the registry as a whole: left out, said so.
    const named = misfits.find((v) => flags.protocol !== undefined || fileOf.has(v));
    if (named !== undefined)
      throw new UsageError(
        `--config ${config.name} has PCID: ${named.id}: ${pcidPolicyProblem(named.policy)}`,
      );
    if (misfits.length > 0)
      io.err(
        `note: leaving out ${misfits.length} protocols PCID is not modelled for: ${misfits.map((v) => v.id).join(', ')}`,
      );
    variants = variants.filter((v) => !misfits.includes(v));
  }
  for (const [, , what] of outputs(flags))
    if (flags.reports === 'none')
      throw new UsageError(
        `--${what} writes the reported counterexamples; use --reports first or all with it`,
      );
  // Every output is checked before the work starts, so a long check never ends unwritable.
  for (const [path, , what] of outputs(flags)) checkOutputPath(path, `--${what}`, { folderOk: true });
  const jobs = variants.map((v) => ({
    variant: v,
    ...(fileOf.has(v) ? { variantFile: fileOf.get(v)! } : {}),
  }));
  const threads = flags.jobs ?? defaultThreads(jobs.length, flags.workers ?? 1);
  const documents: CheckDocument[] = [];
  const results: ProtocolVerdict[][] = [];
  const reports: RaceReportInput[] = [];
  let interrupted = false;
  for (const engine of engines) {
    const options: WorkerOptions = {
      ...(config === undefined ? {} : { config }),
      engine,
      ...(flags.runs === undefined ? {} : { runs: flags.runs }),
      seed: flags.seed,
      ...(campaign === null ? {} : { seeds: campaign.list }),
      maxCommands: flags.maxCommands,
      ...(flags.maxStates === undefined ? {} : { maxStates: flags.maxStates }),
      ...(flags.maxSeconds === undefined ? {} : { maxSeconds: flags.maxSeconds }),
      ...(flags.maxMemory === undefined ? {} : { maxMemoryMb: flags.maxMemory }),
      ...(flags.symmetry ? { symmetry: true } : {}),
      ...(flags.por ? { por: true } : {}),
      ...(flags.workers === undefined ? {} : { workers: flags.workers }),
      ...(flags.hashBits === undefined ? {} : { hashBits: flags.hashBits }),
      ...(flags.maxDepth === undefined ? {} : { maxDepth: flags.maxDepth }),
      ...(Object.keys(worlds).length === 0 ? {} : { worlds }),
    };
    if (!flags.json) {
      const on = threads > 1 ? `; ${threads} protocols at a time` : '';
      io.out(`shootdown ${VERSION}: ${banner(engine, flags, campaign)}${on}`);
      if (config !== undefined) io.out(`config ${describeConfig(config)}`);
      else {
        const own = [...new Set(variants.map((v) => worldOf(v, engine, worlds)))];
        io.out(`each protocol in its own world: ${own.map((c) => c.name).join(', ')}`);
        for (const c of own) io.out(`  ${describeConfig(c)}`);
      }
      io.out('');
    }
    const run = await checkWithProgress(jobs, options, invariants, threads, {
      ...(flags.json ? {} : io.status === undefined ? {} : { status: io.status }),
      ...(io.onInterrupt === undefined ? {} : { onInterrupt: io.onInterrupt }),
      onVerdict: (v: ProtocolVerdict) => {
        if (!flags.json) io.out(`${formatVerdict(v)}\n`);
      },
    });
    interrupted = run.interrupted;
    const verdicts = run.verdicts;
    documents.push(
      documentOf(
        verdicts,
        options,
        interrupted,
        campaign === null || !takesSeeds(engine)
          ? {}
          : { seeds: campaign.seeds, ...(flags.shard === undefined ? {} : { shard: flags.shard }) },
      ),
    );
    results.push(verdicts);
    if (flags.reports === 'none' || interrupted) {
      if (interrupted) break;
      continue;
    }
    for (const v of verdicts) {
      const failures = [...v.failures].sort((a, b) => a.actions.length - b.actions.length);
      for (const f of flags.reports === 'all' ? failures : failures.slice(0, 1)) {
        const variant = variants.find((x) => x.id === v.protocol)!;
        reports.push({
          variant,
          config: config ?? pickConfig(v.config, worlds),
          invariant: f.invariant,
          witness: f.witness,
          trace: f.replay.trace,
          engine: ENGINE_LABEL[engine],
          ...(takesSeeds(engine) ? { seed: seedOf(v, f.invariant.id) ?? flags.seed } : {}),
          ...(isDeep(engine) ? { deep: { engine, states: statesOf(v, f.invariant.id) } } : {}),
          provenance: f.provenance,
          ...(fileOf.has(variant) ? { variantFile: fileOf.get(variant)! } : {}),
        });
        if (!flags.json) {
          io.out(formatRaceReport(reports.at(-1)!, { color: io.color ?? false }));
          io.out('');
        }
      }
    }
  }
  const say = flags.json ? io.err : io.out;
  const names = reports.map(
    (r) => `${r.variant.id}.${r.invariant.id}${engines.length > 1 ? `.${engineTag(r.engine)}` : ''}`,
  );
  for (const [path, ext, what, render] of outputs(flags)) {
    const files = outputPaths(path, names, ext);
    reports.forEach((r, i) => {
      writeOutput(files[i]!, render(r));
      say(`${what}: wrote ${files[i]}`);
    });
    if (reports.length === 0) say(`${what}: no counterexample to write`);
  }
  const differ = results.length === 2 && !interrupted ? disagreements(results[0]!, results[1]!) : [];
  const ok = !interrupted && documents.every((d) => d.ok) && differ.length === 0;
  const exit = interrupted ? INTERRUPTED_EXIT : ok ? 0 : 1;
  if (flags.json) {
    const doc =
      documents.length === 1
        ? documents[0]
        : {
            tool: 'shootdown',
            version: VERSION,
            engine: 'both',
            documents,
            disagreements: differ,
            ok,
            ...(interrupted ? { interrupted: true } : {}),
          };
    io.out(JSON.stringify(doc, null, 2));
    return exit;
  }
  for (const d of differ) io.out(`engines disagree: ${d}`);
  const all = results.flat();
  if (interrupted) {
    const whole = all.filter((v) => !v.interrupted);
    const cut = all.filter((v) => v.interrupted);
    io.out(
      `INTERRUPTED: not a verdict. ${whole.length} of ${variants.length * engines.length} protocol checks finished (${whole.filter((v) => !v.ok).length} not as expected)${cut.length > 0 ? `; cut short: ${cut.map((v) => v.protocol).join(', ')}` : ''}; the rest not started`,
    );
    return exit;
  }
  const rows = all.flatMap((v) => v.invariants);
  const bad = all
    .filter((v) => !v.ok)
    .map((v) => (engines.length > 1 ? `${v.protocol} (${v.engine})` : v.protocol));
  const what = engines.length > 1 ? 'protocol checks' : 'protocols';
  io.out(
    bad.length === 0 && differ.length === 0
      ? `${all.length} ${what}, ${rows.length} verdicts: every one as expected`
      : `${bad.length} of ${all.length} ${what} not as expected${bad.length ? `: ${bad.join(', ')}` : ''}${differ.length ? `; ${differ.length} disagreements between engines` : ''}`,
  );
  return exit;
}

function banner(engine: EngineName, flags: CheckFlags, campaign: { text: string } | null): string {
  const seconds = `${flags.maxSeconds ?? DEFAULT_DEEP_SECONDS} s a campaign`;
  const bits = `2^${flags.hashBits ?? DEFAULT_HASH_BITS}-bit`;
  switch (engine) {
    case 'random':
      return `random engine (fast-check), ${flags.runs ?? `${DEFAULT_RUNS} (or the protocol's own)`} runs per campaign, ${campaign === null ? `seed ${flags.seed}` : campaign.text}`;
    case 'exhaustive':
      return `exhaustive engine (breadth-first, 64-bit fingerprints${flags.por ? ', sleep sets' : ''}${(flags.workers ?? 1) > 1 ? `, ${flags.workers} worker threads` : ''})`;
    case 'swarm':
      return `swarm engine (diversified depth-first searches, ${bits} bitstate array; finds violations, proves nothing), ${seconds}, ${campaign === null ? `seed ${flags.seed}` : campaign.text}`;
    case 'bitstate':
      return `bitstate engine (one depth-first search, ${bits} bitstate array; finds violations, proves nothing), ${seconds}`;
  }
}

/**
 * A state budget that lets a deep search find the counterexample of `invariant` again: one
 * more than it had stored then (a step invariant breaks before the next state is stored).
 */
const statesOf = (v: ProtocolVerdict, invariant: string): number =>
  (v.invariants.find((i) => i.invariant === invariant)?.states ?? 0) + 1;

/** The seed whose campaign found the protocol's counterexample of `invariant`, in a campaign of several. */
const seedOf = (v: ProtocolVerdict, invariant: string): number | undefined =>
  v.invariants.find((i) => i.invariant === invariant)?.counterexample?.seed;

/** The seeds `--seeds` and `--shard` ask this run for; null for the one seed of --seed. */
function seedsOf(flags: CheckFlags): { seeds: number; list: number[]; text: string } | null {
  if (flags.seeds === undefined && flags.shard === undefined) return null;
  if (!takesSeeds(flags.engine))
    throw new UsageError(
      '--seeds and --shard split a random or swarm campaign: use them with --engine random or swarm',
    );
  const seeds = flags.seeds ?? flags.shard!.count;
  const last = flags.seed + seeds - 1;
  if (last > 2 ** 31 - 1)
    throw new UsageError(`--seed ${flags.seed} and --seeds ${seeds}: the last seed passes ${2 ** 31 - 1}`);
  const all = `seeds ${flags.seed} to ${last}`;
  if (flags.shard === undefined) return { seeds, list: shardSeeds(flags.seed, seeds, 1, 1), text: all };
  const { index, count } = flags.shard;
  if (count > seeds)
    throw new UsageError(
      `--shard ${index}/${count} of a campaign of ${seeds} seeds: at most ${seeds} shards (raise --seeds)`,
    );
  const list = shardSeeds(flags.seed, seeds, index, count);
  return {
    seeds,
    list,
    text: `shard ${index}/${count} of ${all}: ${list.length} seeds (${list.slice(0, 4).join(', ')}${list.length > 4 ? ', ...' : ''})`,
  };
}

/** A run cut short by Ctrl-C exits as a shell reports SIGINT: 128 + 2. */
export const INTERRUPTED_EXIT = 130;

/** Flags some engines read and the others would silently ignore: which read each. */
const ENGINE_FLAGS: readonly (readonly [
  key: keyof CheckFlags,
  flag: string,
  engines: readonly EngineName[],
])[] = [
  ['runs', '--runs', ['random']],
  ['seed', '--seed', ['random', 'swarm']],
  ['seeds', '--seeds', ['random', 'swarm']],
  ['shard', '--shard', ['random', 'swarm']],
  ['maxCommands', '--max-commands', ['random']],
  ['maxStates', '--max-states', ['exhaustive', 'swarm', 'bitstate']],
  ['maxSeconds', '--max-seconds', ['exhaustive', 'swarm', 'bitstate']],
  ['maxMemory', '--max-memory', ['exhaustive']],
  ['hashBits', '--hash-bits', ['swarm', 'bitstate']],
  ['maxDepth', '--max-depth', ['swarm', 'bitstate']],
];

/** 'a', 'a and b', 'a, b and c' (or 'or'). */
const orList = (xs: readonly string[], word = 'and'): string =>
  xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} ${word} ${xs.at(-1)}`;

/** The --engine values that run any of `engines`: 'both' runs random and exhaustive. */
const withBoth = (engines: readonly EngineName[]): string[] => {
  const at = Math.max(engines.indexOf('random'), engines.indexOf('exhaustive'));
  return at < 0 ? [...engines] : [...engines.slice(0, at + 1), 'both', ...engines.slice(at + 1)];
};

const enginesOf = (engine: CheckFlags['engine']): EngineName[] =>
  engine === 'both' ? ['random', 'exhaustive'] : [engine];

export function refuseUnusedFlags(flags: CheckFlags, command: Command): void {
  const used = enginesOf(flags.engine);
  for (const [key, flag, engines] of ENGINE_FLAGS)
    if (command.getOptionValueSource(key) === 'cli' && !used.some((e) => engines.includes(e)))
      throw new UsageError(
        `${flag} applies to the ${orList(engines)} engine${engines.length > 1 ? 's' : ''} (--engine ${orList(withBoth(engines), 'or')}), not the ${flags.engine} one`,
      );
}
