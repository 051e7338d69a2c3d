// The command line: `shootdown list` and `shootdown check`. Every bad input is one line
// on stderr and exit 2; verdicts not as expected exit 1.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Action } from '../../model/actions.js';
import { CONFIGS, type Config } from '../../model/config.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import { pcidPolicyProblem } from '../../model/switch.js';
import type { Variant } from '../../model/variant.js';
import { findInvariant, INVARIANTS, type Invariant } from '../../properties/invariants.js';
import { TARGETS } from '../../properties/targets.js';
import {
  type CheckDocument,
  checkVariant,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  disagreements,
  documentOf,
  type EngineName,
  type InvariantVerdict,
  type ProtocolVerdict,
  worldOf,
} from '../check/check.js';
import { defaultThreads, type WorkerOptions } from '../check/check-pool.js';
import { describeAction } from '../codec/format.js';
import {
  COST_PAGE_LIMIT,
  CPU_COUNTS,
  costedProtocols,
  findWorkload,
  MAX_COST_CPUS,
  PAGE_COUNTS,
  WORKLOADS,
} from '../cost/cost.js';
import {
  COST_LEGEND,
  costChart,
  costTable,
  costWorkload,
  recordedSafety,
  type Safety,
  type WorkloadCost,
} from '../cost/cost-report.js';
import { DEFAULT_MAX_COMMANDS } from '../engine/random.js';
import { cpuClasses } from '../engine/symmetry.js';
import { loadVariantModule } from '../load/variant-file.js';
import { estimateLeft, formatDuration, StatusLine, type StatusSink } from '../progress.js';
import { formatHtmlTimeline } from '../report/html.js';
import { describeConfig, formatRaceReport, type RaceReportInput, wantsColor } from '../report/report.js';
import {
  formatTraceDocument,
  parseTraceDocument,
  replayTraceDocument,
  TraceFileError,
  traceDocument,
} from '../report/trace-file.js';
import { migrcSafetyReport } from '../studies/migrc/report.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';
import { checkWithProgress } from './check-run.js';
import { checkOutputPath, writeOutput } from './output.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Race reports in colour (a terminal that wants it); plain text otherwise. */
  readonly color?: boolean;
  /** Where a long run's status line goes (a terminal's stderr); none on a pipe. */
  readonly status?: StatusSink;
  /** Calls back on Ctrl-C while a check runs; returns the function that stops listening. */
  readonly onInterrupt?: (cb: () => void) => () => void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  color: wantsColor(process.stdout, process.env),
  ...(process.stderr.isTTY ? { status: process.stderr } : {}),
  onInterrupt: (cb) => {
    // Only while a check runs: elsewhere Ctrl-C keeps its default and ends the process.
    // A second Ctrl-C does not wait for the partial verdict.
    let times = 0;
    const handler = () => {
      times += 1;
      if (times > 1) process.exit(INTERRUPTED_EXIT);
      cb();
    };
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
};

function wholeNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}`);
    return n;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A registered config, or a world a variant file exports. */
function pickConfig(name: string, worlds: Readonly<Record<string, Config>> = {}): Config {
  // own keys only: '__proto__' or 'toString' is an unknown config, not Object's
  const table = { ...worlds, ...CONFIGS } as Record<string, Config>;
  const config = Object.hasOwn(table, name) ? table[name] : undefined;
  if (config === undefined)
    throw new UsageError(`unknown config '${name}' (known: ${Object.keys(table).join(', ')})`);
  return config;
}

function pickInvariants(ids: readonly string[] | undefined): Invariant[] | undefined {
  if (ids === undefined) return undefined;
  return ids.map((id) => {
    const inv = findInvariant(id);
    if (inv === undefined)
      throw new UsageError(`unknown invariant '${id}' (known: ${INVARIANTS.map((i) => i.id).join(', ')})`);
    return inv;
  });
}

/** The variants of every --variant-file, the file each came from, and the worlds the files export. */
async function loadVariantFiles(files: readonly string[] | undefined): Promise<{
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

function selectProtocols(ids: readonly string[] | undefined, fromFiles: readonly Variant[]): Variant[] {
  if (ids === undefined) return fromFiles.length > 0 ? [...fromFiles] : [...VARIANTS];
  const known = [...VARIANTS, ...fromFiles];
  return ids.map((id) => {
    const v = fromFiles.find((f) => f.id === id) ?? findVariant(id);
    if (v === undefined)
      throw new UsageError(`unknown protocol '${id}' (known: ${known.map((k) => k.id).join(', ')})`);
    return v;
  });
}

function evidence(i: InvariantVerdict): string {
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

function formatVerdict(v: ProtocolVerdict): string {
  const lines: string[] = [];
  // a row Ctrl-C cut short is no verdict, so not an unexpected one
  const cut = (i: InvariantVerdict) => i.stoppedBy === 'interrupt';
  const unexpected = v.invariants.filter((i) => i.verdict !== i.expected && !cut(i)).length;
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
            : `VIOLATED (counterexample of ${c?.length} steps, found in run ${c?.run})`;
    const note = i.verdict === i.expected || cut(i) ? '' : `  <-- expected ${i.expected}`;
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

interface CheckFlags {
  protocol?: string[];
  config?: string;
  engine: 'random' | 'exhaustive' | 'both';
  runs?: number;
  seed: number;
  invariant?: string[];
  json?: boolean;
  variantFile?: string[];
  maxCommands: number;
  maxStates?: number;
  maxSeconds?: number;
  maxMemory?: number;
  symmetry?: boolean;
  workers?: number;
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
function outputs(flags: { trace?: string; html?: string }): Output[] {
  const out: Output[] = [];
  if (flags.trace !== undefined)
    out.push([flags.trace, '.json', 'trace', (r) => formatTraceDocument(traceDocument(r))]);
  if (flags.html !== undefined) out.push([flags.html, '.html', 'html', formatHtmlTimeline]);
  return out;
}

const engineTag = (engine: string): string => (engine.startsWith('random') ? 'random' : 'exhaustive');

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

async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  const engines: EngineName[] = flags.engine === 'both' ? ['random', 'exhaustive'] : [flags.engine];
  // The explorer needs a world small enough to exhaust; random testing wants a bigger one.
  // Without --config each protocol is checked in its own world, sized for the engine: the
  // explorer needs one small enough to exhaust, random testing wants a bigger one.
  const name = flags.config ?? (flags.symmetry ? 'tiny-lifo' : undefined);
  const invariants = pickInvariants(flags.invariant);
  const { fromFiles, fileOf, worlds } = await loadVariantFiles(flags.variantFile);
  const config = name === undefined ? undefined : pickConfig(name, worlds);
  if (flags.symmetry && flags.engine === 'random')
    throw new UsageError('--symmetry applies to the exhaustive engine (--engine exhaustive or both)');
  if (flags.workers !== undefined && flags.engine === 'random')
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
      maxCommands: flags.maxCommands,
      ...(flags.maxStates === undefined ? {} : { maxStates: flags.maxStates }),
      ...(flags.maxSeconds === undefined ? {} : { maxSeconds: flags.maxSeconds }),
      ...(flags.maxMemory === undefined ? {} : { maxMemoryMb: flags.maxMemory }),
      ...(flags.symmetry ? { symmetry: true } : {}),
      ...(flags.workers === undefined ? {} : { workers: flags.workers }),
      ...(Object.keys(worlds).length === 0 ? {} : { worlds }),
    };
    if (!flags.json) {
      const on = threads > 1 ? `; ${threads} protocols at a time` : '';
      io.out(
        engine === 'random'
          ? `shootdown ${VERSION}: random engine (fast-check), ${flags.runs ?? `${DEFAULT_RUNS} (or the protocol's own)`} runs per campaign, seed ${flags.seed}${on}`
          : `shootdown ${VERSION}: exhaustive engine (breadth-first, 64-bit fingerprints${(flags.workers ?? 1) > 1 ? `, ${flags.workers} worker threads` : ''})${on}`,
      );
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
    documents.push(documentOf(verdicts, options, interrupted));
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
          engine: engine === 'random' ? 'random (fast-check)' : 'exhaustive (breadth-first)',
          ...(engine === 'random' ? { seed: flags.seed } : {}),
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

/** The most a trace file may hold; one of the longest counterexamples is about 200 KB. */
const MAX_TRACE_BYTES = 16 * 1024 * 1024;

/** A file's text, refused in one line if it holds more than `max` bytes (a device such as /dev/zero never ends). */
function readBounded(file: string, max: number, what: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(Math.min(max + 1, 1 << 20));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > max)
        throw new UsageError(`${file} holds more than ${max / 1048576} MB; ${what} is far smaller`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A string from a file, safe to print: control characters shown escaped. */
export const printable = (s: string): string =>
  Array.from(s, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 || (n >= 0x7f && n <= 0x9f) ? `\\u${n.toString(16).padStart(4, '0')}` : c;
  }).join('');

/** A run cut short by Ctrl-C exits as a shell reports SIGINT: 128 + 2. */
const INTERRUPTED_EXIT = 130;

/** Flags only one engine reads: given for the other alone, they would be silently ignored. */
const ENGINE_FLAGS = {
  random: [
    ['runs', '--runs'],
    ['seed', '--seed'],
    ['maxCommands', '--max-commands'],
  ],
  exhaustive: [
    ['maxStates', '--max-states'],
    ['maxSeconds', '--max-seconds'],
    ['maxMemory', '--max-memory'],
  ],
} as const;

function refuseUnusedFlags(flags: CheckFlags, command: Command): void {
  if (flags.engine === 'both') return;
  const other = flags.engine === 'random' ? 'exhaustive' : 'random';
  for (const [key, flag] of ENGINE_FLAGS[other])
    if (command.getOptionValueSource(key) === 'cli')
      throw new UsageError(
        `${flag} applies to the ${other} engine (--engine ${other} or both), not the ${flags.engine} one`,
      );
}

interface ReplayFlags {
  protocol?: string;
  variantFile?: string[];
  trace?: string;
  html?: string;
  update?: boolean;
}

/** `shootdown replay FILE`: 1 still violated, 0 now holds, 2 a step no longer applies (or bad input). */
async function runReplay(file: string, flags: ReplayFlags, io: Io): Promise<number> {
  const text = readBounded(file, MAX_TRACE_BYTES, 'a trace file');
  for (const [path, , what] of outputs(flags))
    if (resolve(path) === resolve(file))
      throw new UsageError(`--${what} ${path} would overwrite the trace being replayed; name another file`);
  const parsed = parseTraceDocument(text, file);
  // Strings from a shared file reach the reader's terminal: no control characters.
  const doc = {
    ...parsed,
    tool: printable(parsed.tool),
    engine: printable(parsed.engine),
    config: { ...parsed.config, name: printable(parsed.config.name) },
    ...(parsed.variantFile === undefined ? {} : { variantFile: printable(parsed.variantFile) }),
  };
  const invariant = findInvariant(doc.invariant);
  if (invariant === undefined)
    throw new UsageError(
      `${file}: invariant: unknown invariant '${printable(doc.invariant)}' (known: ${INVARIANTS.map((i) => i.id).join(', ')})`,
    );
  const { fromFiles, fileOf } = await loadVariantFiles(flags.variantFile);
  const id = printable(flags.protocol ?? doc.protocol);
  const variant = fromFiles.find((v) => v.id === id) ?? findVariant(id);
  if (variant === undefined) {
    const known = [...fromFiles, ...VARIANTS].map((v) => v.id).join(', ');
    if (flags.protocol !== undefined) throw new UsageError(`unknown protocol '${id}' (known: ${known})`);
    if (doc.variantFile !== undefined && fromFiles.length === 0)
      throw new UsageError(
        `${file} is a trace of protocol '${id}' from ${doc.variantFile}; pass --variant-file ${doc.variantFile} to replay it`,
      );
    throw new UsageError(
      `${file} is a trace of protocol '${id}', which is not ${fromFiles.length > 0 ? 'in the variant files given nor ' : ''}in the registry (use --protocol to replay it against another)`,
    );
  }
  const config = doc.config as Config;
  // the PCID model covers some protocols only (as `check --config` with PCID refuses the rest)
  const pcid = config.pcid ? pcidPolicyProblem(variant.policy) : null;
  if (pcid !== null) throw new UsageError(`${file}: config ${config.name} has PCID: ${variant.id}: ${pcid}`);
  const against = variant.id === doc.protocol ? variant.id : `${variant.id} (recorded: ${doc.protocol})`;
  io.out(
    `replaying ${file}: ${doc.actions.length} steps of ${against} in ${config.name}, recorded as breaking ${invariant.id} at step ${doc.violation.atStep} (${doc.tool}, ${doc.engine})`,
  );
  const registered = Object.hasOwn(CONFIGS, config.name)
    ? (CONFIGS as Record<string, Config>)[config.name]
    : undefined;
  if (registered !== undefined && JSON.stringify(registered) !== JSON.stringify(config))
    io.out(`note: config ${config.name} has changed since; replaying in the recorded one`);
  const { outcome, result, firstDifferentState } = replayTraceDocument(doc, variant, invariant);
  if (firstDifferentState !== null && variant.id === doc.protocol)
    io.out(
      `note: the state after step ${firstDifferentState} differs from the recorded one (the model has changed since ${doc.tool})`,
    );
  if (outcome.kind === 'disabled') {
    const action = doc.actions[outcome.step - 1]!;
    io.out(
      `no longer applies: step ${outcome.step}, ${describeAction(action as Action)}, is not enabled ${outcome.step === 1 ? 'in the initial state' : `after step ${outcome.step - 1}`}`,
    );
    for (const [, , what] of outputs(flags)) io.out(`${what}: nothing to write, the trace does not replay`);
    return 2;
  }
  if (outcome.kind === 'holds') {
    io.out(`now holds: all ${doc.actions.length} steps replay and none breaks ${invariant.id}`);
    for (const [, , what] of outputs(flags))
      io.out(`${what}: nothing to write, the trace no longer breaks its invariant`);
    return 0;
  }
  const input: RaceReportInput = {
    variant,
    config,
    invariant,
    witness: result.violation!.witness,
    trace: result.trace,
    engine: `replay of ${file}`,
    traceFile: file,
    provenance: `first found by ${doc.engine}${doc.seed === undefined ? '' : `, seed ${doc.seed}`}`,
    ...(fileOf.has(variant) ? { variantFile: fileOf.get(variant)! } : {}),
  };
  io.out('');
  io.out(formatRaceReport(input, { color: io.color ?? false }));
  io.out('');
  io.out(
    outcome.atStep === doc.violation.atStep
      ? `still violates ${invariant.id} at step ${outcome.atStep}, as recorded`
      : `still violates ${invariant.id}, now at step ${outcome.atStep} (recorded at step ${doc.violation.atStep})`,
  );
  for (const [path, , what, render] of outputs(flags)) {
    writeOutput(path, render(input));
    io.out(`${what}: wrote ${path}`);
  }
  if (flags.update && firstDifferentState !== null) {
    // Same counterexample, same step: only the states and the tool version are refreshed.
    if (variant.id !== doc.protocol || outcome.atStep !== doc.violation.atStep)
      throw new UsageError(
        `--update keeps a trace only when its own protocol still breaks ${invariant.id} at the recorded step; ${file} is unchanged`,
      );
    const updated = traceDocument(input);
    writeOutput(
      file,
      formatTraceDocument({
        ...doc,
        tool: updated.tool,
        states: updated.states,
        violation: updated.violation,
      }),
    );
    io.out(`updated ${file}: the states of this version, the same ${doc.actions.length} steps`);
  }
  return 1;
}

function runList(json: boolean, io: Io): number {
  const protocols = VARIANTS.map((v) => ({
    id: v.id,
    title: v.title,
    source: v.source,
    base: v.base,
    arch: v.policy.arch.name,
    expected: Object.fromEntries(
      INVARIANTS.map((i) => [i.id, v.violates.includes(i.id) ? 'violated' : 'holds']),
    ),
    reaches: v.reaches,
  }));
  const invariants = INVARIANTS.map((i) => ({ id: i.id, why: i.why }));
  const targets = TARGETS.map((t) => ({ id: t.id, why: t.why }));
  const configs = Object.values(CONFIGS);
  if (json) {
    io.out(
      JSON.stringify(
        { tool: 'shootdown', version: VERSION, protocols, invariants, targets, configs },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out('protocols:');
  for (const p of protocols) {
    const violates = Object.entries(p.expected)
      .filter(([, v]) => v === 'violated')
      .map(([k]) => k);
    io.out(`  ${p.id}${p.base ? ` (changes ${p.base})` : ''}: ${p.title}`);
    io.out(`      source: ${p.source}`);
    io.out(
      `      expected: ${violates.length === 0 ? 'every invariant holds' : `violates ${violates.join(', ')}`}`,
    );
  }
  io.out('invariants:');
  for (const i of invariants) io.out(`  ${i.id}: ${i.why}`);
  io.out('reachability targets:');
  for (const t of targets) io.out(`  ${t.id}: ${t.why}`);
  io.out('configs:');
  for (const c of configs) io.out(`  ${describeConfig(c)}\n      ${c.why}`);
  return 0;
}

interface CostFlags {
  workload?: string[];
  protocol?: string[];
  variantFile?: string[];
  pages: number[];
  cpus: number[];
  json?: boolean;
  out?: string;
  charts: boolean;
  check?: boolean;
}

/** A comma-separated list of whole numbers, each from `min` to `max`. */
function numberList(name: string, min: number, max: number) {
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

async function runCost(o: CostFlags, io: Io): Promise<number> {
  const workloads = (o.workload ?? WORKLOADS.map((w) => w.id)).map((id) => {
    const w = findWorkload(id);
    if (w === undefined)
      throw new UsageError(`unknown workload '${id}' (known: ${WORKLOADS.map((x) => x.id).join(', ')})`);
    return w;
  });
  const { fromFiles } = await loadVariantFiles(o.variantFile);
  const named =
    o.protocol === undefined && fromFiles.length === 0 ? undefined : selectProtocols(o.protocol, fromFiles);
  // sync is always costed: it is the baseline each reduction is measured against
  const sync = findVariant('sync')!;
  const pick = (w: (typeof workloads)[number]) =>
    named === undefined ? costedProtocols(w) : [sync, ...named.filter((v) => v.id !== 'sync')];
  const picked = workloads.map((w) => [w, pick(w)] as const);
  if (o.out !== undefined) checkOutputPath(o.out, '--out', { folder: true });
  const status = new StatusLine(o.json ? undefined : io.status);
  const cells = picked.reduce((n, [, vs]) => n + vs.length, 0) * o.pages.length * o.cpus.length;
  let cell = 0;
  const costs: WorkloadCost[] = picked.map(([w, vs]) =>
    costWorkload(w, vs, o.pages, o.cpus, (c) => {
      cell += 1;
      const left = estimateLeft(cell, cells, status.elapsedMs);
      status.set(
        `cost: ${cell}/${cells} runs, ${formatDuration(status.elapsedMs)}${left === null ? '' : `, ~${formatDuration(left)} left`} | ${w.id}, ${c.protocol}, ${c.pages} pages on ${c.cpus} CPUs`,
      );
    }),
  );

  const involved = new Map<string, Variant>();
  for (const [, vs] of picked) for (const v of vs) involved.set(v.id, v);
  const safety = new Map<string, Safety>();
  for (const v of involved.values()) {
    if (!o.check) safety.set(v.id, recordedSafety(v));
    else {
      status.set(`cost: checking ${v.id} (random engine), ${formatDuration(status.elapsedMs)}`);
      const r = checkVariant(v, { engine: 'random' });
      const violated = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant);
      safety.set(v.id, { protocol: v.id, violated, source: 'checked' });
    }
  }
  status.clear();

  const pages = o.pages.at(-1)!;
  const cpus = o.cpus.at(-1)!;
  // Charts and their page are written only where --out says: never into docs/ unasked.
  if (o.out !== undefined && o.charts) {
    // Each chart next to its table, in one generated page.
    const page = [
      '# What each protocol costs',
      '',
      `Generated by \`shootdown cost\` (${VERSION}); do not edit. Tables at ${pages} pages on ${cpus} CPUs.`,
      ...costs.flatMap((c) => [
        '',
        costTable(c, pages, cpus, safety),
        '',
        `![${c.workload.id}](${c.workload.id}.svg)`,
      ]),
      '',
      COST_LEGEND,
      '',
    ].join('\n');
    for (const c of costs) writeOutput(join(o.out, `${c.workload.id}.svg`), costChart(c, cpus));
    writeOutput(join(o.out, 'README.md'), page);
  }
  if (o.json) {
    io.out(
      JSON.stringify(
        {
          tool: 'shootdown',
          version: VERSION,
          pages: o.pages,
          cpus: o.cpus,
          safety: [...safety.values()],
          workloads: costs.map((c) => ({ ...c.workload, protocols: c.protocols, rows: c.rows })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  for (const c of costs) {
    io.out(costTable(c, pages, cpus, safety));
    if (o.out !== undefined && o.charts)
      io.out(
        `\nchart: ${join(o.out, `${c.workload.id}.svg`)} (IPIs per page against pages per batch, ${cpus} CPUs)`,
      );
    io.out('');
  }
  io.out(COST_LEGEND);
  return 0;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = new Command()
    .name('shootdown')
    .description('Model checker for the TLB-flush protocols of the Linux memory manager')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      outputError: (s) => io.err(`shootdown: ${printable(s.replace(/^error: /, '').trimEnd())}`),
    })
    .showSuggestionAfterError(false);

  program
    .command('list')
    .description('the registry: protocols, invariants, reachability targets, configs')
    .option('--json', 'one JSON document')
    .action((o: { json?: boolean }) => {
      code = runList(o.json ?? false, io);
    });

  program
    .command('check')
    .description('check protocols against every invariant and compare with the expected verdicts')
    .option('--protocol <id>', 'a protocol to check (repeatable; default: all)', collect)
    .option(
      '--config <name>',
      `the world to check in (${Object.keys(CONFIGS).join(', ')}; default: small, tiny when exhaustive)`,
    )
    .addOption(
      new Option('--engine <engine>', 'random testing, exhaustive search, or both (compared)')
        .choices(['random', 'exhaustive', 'both'])
        .default('random'),
    )
    .option(
      '--runs <n>',
      `random: fast-check runs per campaign (default ${DEFAULT_RUNS}, more for a protocol whose rarest race needs them)`,
      wholeNumber('--runs', 1, 10_000_000),
    )
    .option(
      '--seed <n>',
      'random: fast-check seed',
      wholeNumber('--seed', -(2 ** 31), 2 ** 31 - 1),
      DEFAULT_SEED,
    )
    .option(
      '--max-commands <n>',
      'random: longest action sequence per run',
      wholeNumber('--max-commands', 1, 1000),
      DEFAULT_MAX_COMMANDS,
    )
    .option(
      '--max-states <n>',
      'exhaustive: stop after this many distinct states',
      wholeNumber('--max-states', 1, 2 ** 31 - 1),
    )
    .option(
      '--max-seconds <n>',
      'exhaustive: stop a search after this many seconds',
      wholeNumber('--max-seconds', 1, 10 ** 6),
    )
    .option(
      '--max-memory <mb>',
      'exhaustive: stop before resident memory passes this many MB',
      wholeNumber('--max-memory', 64, 10 ** 7),
    )
    .option(
      '--symmetry',
      "exhaustive: symmetry reduction over frames (with allocator 'lifo') and over interchangeable CPUs",
    )
    .option(
      '--workers <n>',
      'exhaustive: expand each breadth-first level on this many threads (default 1; at most one per core pays)',
      wholeNumber('--workers', 1, 64),
    )
    .option(
      '--jobs <n>',
      'protocols checked at once, each on a worker thread (default: one per core)',
      wholeNumber('--jobs', 1, 256),
    )
    .option('--invariant <id>', 'check only this invariant (repeatable)', collect)
    .option(
      '--variant-file <path>',
      'a TypeScript or JavaScript file exporting variants (repeatable)',
      collect,
    )
    .addOption(
      new Option('--reports <which>', 'race reports to print')
        .choices(['none', 'first', 'all'])
        .default('first'),
    )
    .option(
      '--trace <path>',
      'write each reported counterexample as a trace file for `shootdown replay` (a directory if several)',
    )
    .option('--html <path>', 'write each reported counterexample as a self-contained HTML timeline')
    .option('--json', 'print one JSON verdict document instead of the table')
    .action(async (o: CheckFlags, command: Command) => {
      refuseUnusedFlags(o, command);
      code = await runCheck(o, io);
    });

  program
    .command('replay')
    .description(
      'replay a trace file: exit 1 if it still breaks its invariant, 0 if it now holds, 2 if a step no longer applies',
    )
    .argument('<file>', 'a trace written by `shootdown check --trace`')
    .option('--protocol <id>', 'replay against this protocol instead of the recorded one (e.g. its fix)')
    .option('--variant-file <path>', 'a file exporting the protocol, when it is not in the registry', collect)
    .option(
      '--trace <path>',
      'write the replayed counterexample as a new trace file (in this version’s model)',
    )
    .option('--html <path>', 'write the replayed counterexample as a self-contained HTML timeline')
    .option(
      '--update',
      'rewrite the file with this version’s states when it still breaks its invariant at the same step',
    )
    .action(async (file: string, o: ReplayFlags) => {
      code = await runReplay(file, o, io);
    });

  program
    .command('cost')
    .description(
      'what each protocol costs in IPIs, flushes, refills and held frames, beside its safety verdict',
    )
    .option(
      '--workload <id>',
      `a workload (repeatable; default: all of ${WORKLOADS.map((w) => w.id).join(', ')})`,
      collect,
    )
    .option(
      '--protocol <id>',
      'a protocol to cost (repeatable; default: each that changes the job; sync always)',
      collect,
    )
    .option('--variant-file <path>', 'a file exporting variants to cost (repeatable)', collect)
    .option(
      '--pages <list>',
      `pages per batch, comma-separated; the table shows the largest (default ${PAGE_COUNTS.join(',')})`,
      numberList('--pages', 1, COST_PAGE_LIMIT),
      [...PAGE_COUNTS],
    )
    .option(
      '--cpus <list>',
      `CPUs the process runs on, comma-separated; the table and chart use the largest (default ${CPU_COUNTS.join(',')})`,
      numberList('--cpus', 1, MAX_COST_CPUS),
      [...CPU_COUNTS],
    )
    .option('--out <dir>', 'write an SVG chart per workload and a page of every table into this folder')
    .option('--no-charts', 'with --out: write nothing (as without --out)')
    .option('--check', 'run the random engine for each protocol’s verdict instead of the recorded one')
    .option('--json', 'print one JSON document with every row of the grid')
    .action(async (o: CostFlags) => {
      code = await runCost(o, io);
    });

  program
    .command('report')
    .description(
      'print a generated report, or write it with --out: migrc (committed as docs/migrc-safety.md), the safety of migrc v3 per scenario family',
    )
    .argument('<which>', 'the report to write (migrc)')
    .option('--out <path>', 'write it to this file (docs/migrc-safety.md is the committed copy)')
    .option('--stdout', 'print it (the default without --out)')
    .action(async (which: string, o: { out?: string; stdout?: boolean }) => {
      if (which !== 'migrc') throw new UsageError(`unknown report '${which}' (known: migrc)`);
      const out = o.stdout ? undefined : o.out;
      if (out !== undefined) checkOutputPath(out, '--out');
      const status = new StatusLine(io.status);
      const text = migrcSafetyReport((what) =>
        status.set(`report migrc, ${formatDuration(status.elapsedMs)}: ${what}`),
      );
      status.clear();
      if (out === undefined) io.out(text);
      else {
        writeOutput(out, text);
        io.out(`wrote ${out}`);
      }
      code = 0;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      return 2; // commander has already printed its one-line error
    }
    // every message may quote what the user typed or a file said: escaped, never raw
    if (e instanceof UsageError || e instanceof TraceFileError) {
      io.err(`shootdown: ${printable(e.message)}`);
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`shootdown: internal error: ${printable(message)}`);
    return 3;
  }
}
