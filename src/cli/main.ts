// The command line: one subcommand per file (check, replay, list, cost, report). Every bad
// input is one line on stderr and exit 2; verdicts not as expected exit 1.

import { Command, CommanderError, Option } from 'commander';
import { CONFIGS } from '../../model/config.js';
import { DEFAULT_DEEP_SECONDS, DEFAULT_RUNS, DEFAULT_SEED } from '../check/check.js';
import { COST_PAGE_LIMIT, CPU_COUNTS, MAX_COST_CPUS, PAGE_COUNTS, WORKLOADS } from '../cost/cost.js';
import { DEFAULT_MAX_COMMANDS } from '../engine/random.js';
import {
  DEFAULT_BITSTATE_DEPTH,
  DEFAULT_HASH_BITS,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MIN_DEPTH,
  HASH_FUNCTIONS,
} from '../engine/swarm.js';
import { TraceFileError } from '../report/trace-file.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';
import { collect, numberList, shardArg, wholeNumber } from './args.js';
import { type CheckFlags, refuseUnusedFlags, runCheck } from './check.js';
import { type CostFlags, runCost } from './cost.js';
import { type Io, printable, processIo } from './io.js';
import { runList } from './list.js';
import { type LivenessFlags, runLiveness } from './liveness.js';
import { MANIFEST_PATH, type ManifestFlags, runManifest } from './manifest.js';
import { type MergeFlags, runMerge } from './merge.js';
import { type ReplayFlags, runReplay } from './replay.js';
import { type ReportFlags, runReport } from './report.js';

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
      new Option(
        '--engine <engine>',
        'random testing, exhaustive search, both (compared), or a deep search for worlds too large to exhaust: swarm (many diversified depth-first searches) or bitstate (one); deep searches find violations and prove nothing',
      )
        .choices(['random', 'exhaustive', 'both', 'swarm', 'bitstate'])
        .default('random'),
    )
    .option(
      '--runs <n>',
      `random: fast-check runs per campaign (default ${DEFAULT_RUNS}, more for a protocol whose rarest race needs them)`,
      wholeNumber('--runs', 1, 10_000_000),
    )
    .option(
      '--seed <n>',
      'random: fast-check seed; swarm: the seed its searches are drawn from',
      wholeNumber('--seed', -(2 ** 31), 2 ** 31 - 1),
      DEFAULT_SEED,
    )
    .option(
      '--seeds <k>',
      'random: a campaign of k seeds, --seed to --seed + k - 1, each of --runs runs, merged into one verdict',
      wholeNumber('--seeds', 1, 100_000),
    )
    .option(
      '--shard <i/N>',
      'random: run shard i of N of the campaign (its seeds i-1, i-1+N, ... from --seed; --seeds defaults to N); merge the --json documents with shootdown merge',
      shardArg,
    )
    .option(
      '--max-commands <n>',
      'random: longest action sequence per run',
      wholeNumber('--max-commands', 1, 1000),
      DEFAULT_MAX_COMMANDS,
    )
    .option(
      '--max-states <n>',
      'exhaustive, swarm, bitstate: stop after this many distinct states',
      wholeNumber('--max-states', 1, 2 ** 31 - 1),
    )
    .option(
      '--max-seconds <n>',
      `exhaustive, swarm, bitstate: stop a search after this many seconds (deep searches: default ${DEFAULT_DEEP_SECONDS})`,
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
      '--por',
      'exhaustive: partial-order reduction (sleep sets): skips transitions that commute with one taken; every state is still visited',
    )
    .option(
      '--workers <n>',
      'exhaustive: expand each breadth-first level on this many threads (default 1; at most one per core pays)',
      wholeNumber('--workers', 1, 64),
    )
    .option(
      '--hash-bits <n>',
      `swarm, bitstate: the bitstate array has 2^n bits (default ${DEFAULT_HASH_BITS}: ${2 ** (DEFAULT_HASH_BITS - 23)} MB); a state sets ${HASH_FUNCTIONS}`,
      wholeNumber('--hash-bits', 10, 35),
    )
    .option(
      '--max-depth <n>',
      `swarm, bitstate: the longest path a search follows (swarm: its searches draw bounds from ${DEFAULT_MIN_DEPTH} up to this, default ${DEFAULT_MAX_DEPTH}; bitstate: default ${DEFAULT_BITSTATE_DEPTH})`,
      wholeNumber('--max-depth', 1, 1_000_000),
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
    .command('liveness')
    .description(
      'deadlocks and leads-to properties (a deferred flush is done, a migration entry is removed) on each protocol’s whole graph, under weak fairness of kernel steps',
    )
    .option('--protocol <id>', 'a protocol to check (repeatable; default: all)', collect)
    .option('--config <name>', 'the world (default: each protocol’s own exhaustive world)')
    .option('--variant-file <path>', 'a file exporting variants (repeatable)', collect)
    .option(
      '--max-states <n>',
      'give up (no verdict) past this many states; the whole graph is kept',
      wholeNumber('--max-states', 1, 2 ** 31 - 1),
    )
    .option('--json', 'print one JSON document')
    .action(async (o: LivenessFlags) => {
      code = await runLiveness(o, io);
    });

  program
    .command('merge')
    .description(
      'merge the --json documents of a random campaign’s shards (shootdown check --shard i/N --json) into one verdict: exit 0 when every verdict is as expected and no shard is missing',
    )
    .argument('<files...>', 'the shards’ documents')
    .option('--json', 'print the merged document')
    .action((files: string[], o: MergeFlags) => {
      code = runMerge(files, o, io);
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
    .command('manifest')
    .description(
      `recompute ${MANIFEST_PATH} (every protocol, both engines, in its own world) and name each difference; --update rewrites it`,
    )
    .option('--file <path>', 'the manifest', MANIFEST_PATH)
    .option('--protocol <id>', "only this protocol's rows (repeatable)", collect)
    .option('--check', 'recompute the rows and name each difference (the default)')
    .option('--update', 'rewrite the manifest with what the engines find now')
    .option(
      '--world <name>',
      'with --update: add an explorer row of each protocol in this named world (a test or study searches it there)',
    )
    .option('--symmetry', 'with --world: that row searches with symmetry reduction')
    .option(
      '--skip-own-explorer',
      'with --check: leave out the explorer rows of each protocol’s own world (CI: the full tier’s engines-agree test recomputes them)',
    )
    .option(
      '--max-states <n>',
      'with --world: that row’s state budget',
      wholeNumber('--max-states', 1, 2 ** 31 - 1),
    )
    .option(
      '--jobs <n>',
      'protocols checked at once, on worker threads (default: one per core)',
      wholeNumber('--jobs', 1, 256),
    )
    .action(async (o: ManifestFlags) => {
      code = await runManifest(o, io);
    });

  program
    .command('report')
    .description(
      'print a generated report, or write it with --out: migrc (committed as docs/migrc-safety.md), the safety of migrc v3 per scenario family',
    )
    .argument('<which>', 'the report to write (migrc)')
    .option('--out <path>', 'write it to this file (docs/migrc-safety.md is the committed copy)')
    .option('--stdout', 'print it (the default without --out)')
    .action(async (which: string, o: ReportFlags) => {
      code = runReport(which, o, io);
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
