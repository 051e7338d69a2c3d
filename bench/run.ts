// `npm run bench`: shootdown's explorer, Spin on the Promela twin (bench/migrate-batched.pml)
// and the fast-check engine, side by side on the same protocol and configurations.
// Prints a Markdown report; BENCHMARKS.md records one run of it.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIGS, type Config, defineConfig } from '../model/config.js';
import { findVariant } from '../model/registry.js';
import { findInvariant } from '../properties/invariants.js';
import { runRandom } from '../src/engine/random.js';

const here = new URL('.', import.meta.url).pathname;
const quick = process.argv.includes('--quick');
/** `--deep`: only the deep-search section (the swarm and bitstate engines). */
const deepOnly = process.argv.includes('--deep');
/** `--por`: only the partial-order reduction section. */
const porOnly = process.argv.includes('--por');
/** `--steps`: only the section on local steps against whole ones. */
const stepsOnly = process.argv.includes('--steps');
const LIMIT = quick ? 10 : 60;

/** Worlds of growing size; the first two are the named configs the tests use. */
const GROWTH: Config[] = [
  CONFIGS.tiny,
  CONFIGS['tiny-3cpu'],
  defineConfig({
    ...CONFIGS.tiny,
    name: 'tiny-4cpu',
    why: 'tiny with four CPUs',
    cpus: 4,
    cpuMm: [0, 0, 0, 0],
  }),
  CONFIGS.small,
];

interface ExploreRow {
  protocol: string;
  config: string;
  complete: boolean;
  stoppedBy: string | null;
  distinct: number;
  transitions: number;
  /** With --por: transitions sleep sets skipped. */
  slept: number;
  /** The share of transitions that are user loads, stores and TLB evictions. */
  localShare: number;
  depth: number;
  seconds: number;
  violation: string | null;
  counterexampleLength: number | null;
  visitedBytes: number;
  treeBytes: number;
  peakRssMb: number;
}

function exploreOne(
  protocol: string,
  config: Config,
  seconds = LIMIT,
  symmetry = false,
  workers = 1,
  por = false,
  extra: readonly string[] = [],
): ExploreRow {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'explore-one.ts'),
      protocol,
      JSON.stringify(config),
      String(seconds),
      ...(symmetry ? ['--symmetry'] : []),
      ...(por ? ['--por'] : []),
      ...(workers > 1 ? ['--workers', String(workers)] : []),
      ...extra,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

interface SpinRow {
  stored: number;
  transitions: number;
  searchSeconds: number;
  totalSeconds: number;
  memoryMb: number;
  violated: boolean;
  depth: number;
}

function ensureSpin(): boolean {
  if (spawnSync('spin', ['-V']).status === 0) return true;
  console.error('spin not found: installing Debian package spin');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'spin'], { stdio: 'ignore' });
  return spawnSync('spin', ['-V']).status === 0;
}

/**
 * Spin's usual exhaustive safety search: -DSAFETY, no partial-order reduction (one process
 * anyway), full state storage, a search stack deep enough for the model.
 */
function runSpin(
  defines: string[],
  big: boolean,
  huge = false,
  gccOnly: string[] = [],
  panOverride: string[] | null = null,
): SpinRow | null {
  const pml = join(here, 'migrate-batched.pml');
  if (!existsSync(pml)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'shootdown-spin-'));
  const t0 = performance.now();
  execFileSync('spin', [...defines.map((d) => `-D${d}`), '-a', pml], { cwd: dir, stdio: 'ignore' });
  execFileSync(
    'gcc',
    ['-O2', '-DSAFETY', '-DNOREDUCE', ...[...defines, ...gccOnly].map((d) => `-D${d}`), '-o', 'pan', 'pan.c'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const t1 = performance.now();
  // small-lifo's counterexample-free search goes deeper than small's: a deeper stack
  const panArgs = panOverride ?? (huge ? ['-m2000000', '-w26'] : big ? ['-m1000000', '-w26'] : ['-m100000']);
  const r = spawnSync('./pan', panArgs, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 24 });
  const t2 = performance.now();
  const out = r.stdout;
  const num = (re: RegExp) => Number(out.match(re)?.[1] ?? Number.NaN);
  return {
    stored: num(/([\d.e+]+) states, stored/),
    transitions: num(/([\d.e+]+) transitions \(= stored\+matched\)/),
    searchSeconds: (t2 - t1) / 1000,
    totalSeconds: (t2 - t0) / 1000,
    memoryMb: num(/([\d.]+)\s+total actual memory usage/),
    violated: /assertion violated|errors: [1-9]/.test(out),
    depth: num(/depth reached (\d+)/),
  };
}

function fastCheckTimeToBug(
  config: Config,
  seeds: number,
): { found: number; medianMs: number; medianRuns: number } {
  const bug = findVariant('migrate-batched-wrong-copy-before-flush')!;
  const inv = [findInvariant('noLostWrite')!];
  const times: number[] = [];
  const runs: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = performance.now();
    const r = runRandom(bug, config, inv, { runs: 20_000, seed });
    if (r.failure) {
      times.push(performance.now() - t0);
      runs.push(r.runs);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return { found: times.length, medianMs: median(times), medianRuns: median(runs) };
}

const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d }) : '-';

console.log(
  `# shootdown bench (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, limit ${LIMIT} s)\n`,
);

interface SwarmRow {
  states: number;
  transitions: number;
  seconds: number;
  members: number;
  stoppedBy: string | null;
  truncated: boolean;
  omission: number;
  violation: string | null;
  length: number | null;
  foundLength: number | null;
  peakRssMb: number;
}

function swarmOne(
  protocol: string,
  world: string,
  seconds: number,
  seed: number,
  extra: string[] = [],
): SwarmRow {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'swarm-one.ts'), protocol, world, String(seconds), String(seed), ...extra],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as SwarmRow;
}

/** Seconds the swarm gets for each race. */
const DEEP_LIMIT = 300;

/** The deep engines: one bitstate search against Spin's, and the swarm on races past the explorer's reach. */
function deepSection(haveSpin: boolean): void {
  console.log(
    '\n## Deep search: bitstate against Spin, and the swarm on races the explorer does not reach\n',
  );
  console.log(
    'One depth-first search over a 2^28-bit array (`--engine bitstate`, three bits a state) against Spin with `-DBITSTATE -w28` (its default, three bits a state too), migrate-batched, holds:\n',
  );
  console.log(
    '| config | engine | states stored | transitions | seconds (search) | states/s | memory MB | expected share lost |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [config, defines] of quick
    ? ([['tiny', []]] as const)
    : ([
        ['tiny', []],
        ['small', ['SMALL']],
      ] as const)) {
    const ours = swarmOne('migrate-batched', config, 1800, 1, ['--single']);
    console.log(
      `| ${config} | shootdown bitstate | ${fmt(ours.states)} | ${fmt(ours.transitions)} | ${fmt(ours.seconds, 2)} | ${fmt(ours.states / ours.seconds)} | ${fmt(ours.peakRssMb)} (peak RSS) | ${ours.omission.toExponential(1)} |`,
    );
    const spin = haveSpin ? runSpin([...defines], true, false, ['BITSTATE'], ['-w28', '-m1000000']) : null;
    if (spin !== null)
      console.log(
        `| ${config} | Spin 6.5.2 -DBITSTATE | ${fmt(spin.stored)} | ${fmt(spin.transitions)} | ${fmt(spin.searchSeconds, 2)} | ${fmt(spin.stored / spin.searchSeconds)} | ${fmt(spin.memoryMb, 1)} | - |`,
      );
  }
  console.log(
    '\nThe swarm (`--engine swarm`, default settings) on races deeper than the explorer reaches in their worlds: time to the first counterexample, one search after another on one core.\n',
  );
  console.log(
    '| protocol | world | invariant | seed | found after (s) | searches | states | found at depth | minimised to |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const targets: [string, string, string, string[]][] = [
    // examples/migrc-stop-drops-flush.ts, and the leak of undoWithoutRequest taken away
    [
      'migrc-stop-drops-flush',
      'migrc-pressure',
      'noAccessToFreedFrame',
      ['--migrc', '{"stopKeepsFlush":false}'],
    ],
    [
      'migrc-fixed without undoWithoutRequest',
      'migrc-pressure',
      'noLeakedFrame',
      ['--migrc', '{"undoWithoutRequest":false}'],
    ],
    ...['noStaleWritableTlbAfterRemap', 'loadsSeeLastStore', 'noLostWrite', 'noLeakedFrame'].map(
      (inv) => ['migrc', 'migrc-pcid', inv, []] as [string, string, string, string[]],
    ),
  ];
  for (const [protocol, world, inv, extra] of quick ? targets.slice(0, 1) : targets)
    for (const seed of quick || world !== 'migrc-pressure' ? [1] : [1, 2, 3]) {
      const base = extra.length > 0 ? 'migrc-fixed' : protocol;
      const r = swarmOne(base, world, DEEP_LIMIT, seed, [...extra, '--invariant', inv]);
      const name = protocol;
      console.log(
        r.violation === null
          ? `| ${name} | ${world} | ${inv} | ${seed} | not in ${fmt(r.seconds)} | ${r.members} | ${fmt(r.states)} | - | - |`
          : `| ${name} | ${world} | ${inv} | ${seed} | ${fmt(r.seconds, 1)} | ${r.members} | ${fmt(r.states)} | ${r.foundLength} | ${r.length} |`,
      );
    }
}

/**
 * The explorer with and without --por (sleep sets) on the same searches: every state is
 * visited either way, so what changes is the transitions taken and the time.
 */
function porSection(): void {
  console.log('\n## Partial-order reduction (`--por`, sleep sets)\n');
  console.log(
    '| protocol | config | distinct states | transitions | with --por | skipped | seconds | with --por | states/s | with --por | verdict |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const searches: [string, Config][] = [
    ['migrate-batched', CONFIGS.tiny],
    ['migrate-batched', CONFIGS['tiny-3cpu']],
    ['migrate-batched', CONFIGS['tiny-syscalls']],
    ['reclaim-batched-dirty', CONFIGS['tiny-syscalls']],
    ['shared-file', CONFIGS['tiny-shared-file']],
    ['x86-pcid', CONFIGS['tiny-pcid']],
    ['migrc-fixed', CONFIGS['tiny-migrc']],
    ['migrate-batched', CONFIGS.small],
  ];
  for (const [protocol, config] of searches) {
    const full = exploreOne(protocol, config, LIMIT);
    const por = exploreOne(protocol, config, LIMIT, false, 1, true);
    const same =
      full.complete && por.complete ? (full.distinct === por.distinct ? '' : ' (STATES DIFFER)') : '';
    const verdict = full.complete
      ? 'holds'
      : full.violation
        ? `violated: ${full.violation}`
        : `incomplete after ${LIMIT} s`;
    console.log(
      `| ${protocol} | ${config.name} | ${fmt(full.distinct)}${full.complete ? '' : ` / ${fmt(por.distinct)}`}${same} | ${fmt(full.transitions)} | ${fmt(por.transitions)} | ${fmt((100 * por.slept) / (por.transitions + por.slept), 1)}% | ${fmt(full.seconds, 2)} | ${fmt(por.seconds, 2)} | ${fmt(full.distinct / full.seconds)} | ${fmt(por.distinct / por.seconds)} | ${verdict} |`,
    );
  }
}

/**
 * The explorer's local steps (src/engine/local-step.ts) against whole ones: the same
 * searches, to the same state budget, alternating three times each (this machine's speed
 * drifts by a third within minutes): the fastest of each, and their ratio.
 */
function stepsSection(): void {
  console.log('\n## Local steps (loads, stores and evictions copy and encode what they write)\n');
  console.log(
    '| protocol | config | states | transitions | loads, stores, evictions | whole steps: s (fastest of 3) | local steps: s | states/s | speed-up |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const searches: [string, Config, number][] = [
    ['migrate-batched', CONFIGS.small, 600_000],
    ['migrate-batched', CONFIGS['tiny-syscalls'], 497_764],
    ['reclaim-batched-dirty', CONFIGS['tiny-syscalls'], 445_264],
    ['migrc-fixed', CONFIGS['tiny-migrc'], 600_000],
    ['x86-pcid', CONFIGS['tiny-pcid-tso'], 600_000],
    ['shared-file-v6.1-rmap-before-flush', CONFIGS['tiny-shared-file'], 26_576],
  ];
  for (const [protocol, config, states] of searches) {
    const budget = ['--max-states', String(states)];
    const whole: ExploreRow[] = [];
    const local: ExploreRow[] = [];
    for (let k = 0; k < 3; k++) {
      whole.push(exploreOne(protocol, config, LIMIT * 10, false, 1, false, [...budget, '--whole-steps']));
      local.push(exploreOne(protocol, config, LIMIT * 10, false, 1, false, budget));
    }
    const best = (rows: ExploreRow[]) => Math.min(...rows.map((r) => r.seconds));
    const r = local[0]!;
    const same = whole.every((w) => w.distinct === r.distinct && w.transitions === r.transitions);
    console.log(
      `| ${protocol} | ${config.name} | ${fmt(r.distinct)}${same ? '' : ' (DIFFER)'} | ${fmt(r.transitions)} | ${fmt(100 * r.localShare, 0)}% | ${fmt(best(whole), 2)} | ${fmt(best(local), 2)} | ${fmt(r.distinct / best(local))} | ${fmt(best(whole) / best(local), 2)} |`,
    );
  }
}

if (deepOnly) deepSection(ensureSpin());
else if (porOnly) porSection();
else if (stepsOnly) stepsSection();
else {
  console.log('## Explorer growth (migrate-batched, every interleaving)\n');
  console.log(
    '| config | CPUs | pages | frames | distinct | transitions | depth | seconds | states/s | bytes/state (visited set + BFS tree) | peak RSS MB | verdict |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const rows: ExploreRow[] = [];
  for (const c of GROWTH) {
    const r = exploreOne('migrate-batched', c);
    rows.push(r);
    const verdict = r.complete
      ? 'holds'
      : r.violation
        ? `violated: ${r.violation}`
        : `incomplete (${r.stoppedBy})`;
    console.log(
      `| ${c.name} | ${c.cpus} | ${c.pages} | ${c.frames} | ${fmt(r.distinct)} | ${fmt(r.transitions)} | ${r.depth} | ${fmt(r.seconds, 2)} | ${fmt(r.distinct / r.seconds)} | ${fmt(r.visitedBytes / r.distinct, 1)} + ${fmt(r.treeBytes / r.distinct, 1)} | ${fmt(r.peakRssMb)} | ${verdict} |`,
    );
  }

  // Interchangeable CPUs: with --symmetry, CPUs of one mm without a task are stored as a
  // multiset, so the growth per CPU flattens.
  console.log('\n## Growth with CPUs under --symmetry (migrate-batched, tiny with N CPUs of one mm)\n');
  console.log('| CPUs | distinct (reduced) | transitions | seconds | verdict |');
  console.log('|---|---|---|---|---|');
  for (const cpus of quick ? [4] : [4, 6, 8]) {
    const c = defineConfig({
      ...CONFIGS.tiny,
      name: `tiny-${cpus}cpu`,
      why: `tiny with ${cpus} CPUs`,
      cpus,
      cpuMm: Array(cpus).fill(0),
    });
    const r = exploreOne('migrate-batched', c, LIMIT, true);
    console.log(
      `| ${cpus} | ${fmt(r.distinct)} | ${fmt(r.transitions)} | ${fmt(r.seconds, 2)} | ${r.complete ? 'holds' : `incomplete (${r.stoppedBy})`} |`,
    );
  }

  console.log('\n## Explorer against Spin on the same model\n');
  const haveSpin = ensureSpin();
  // small takes about three minutes to exhaust: the growth table stopped it at LIMIT, so
  // for a full verdict to set against Spin's it runs again without that budget (not --quick).
  const smallRow = rows.find((r) => r.config === 'small')!;
  const pairs: [Config, string[], boolean, ExploreRow][] = [
    [CONFIGS.tiny, [], false, rows[0]!],
    [
      CONFIGS.small,
      ['SMALL'],
      true,
      smallRow.complete || quick ? smallRow : exploreOne('migrate-batched', CONFIGS.small, 900),
    ],
  ];
  if (!haveSpin || !existsSync(join(here, 'migrate-batched.pml'))) {
    console.log('Spin or bench/migrate-batched.pml is missing: no comparison.');
  } else {
    console.log(
      '| config | engine | protocol | distinct states | transitions | time to verdict (s) | of which search (s) | states/s (search) | memory MB | verdict |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const ratios: string[] = [];
    const agreement: string[] = [];
    for (const [config, defines, big, ours] of pairs) {
      const ourBug = exploreOne('migrate-batched-wrong-copy-before-flush', config);
      const spin = runSpin(defines, big)!;
      const spinBug = runSpin([...defines, 'COPY_BEFORE_FLUSH'], big)!;
      const ourVerdict = ours.complete ? 'holds' : `incomplete after ${LIMIT} s`;
      console.log(
        `| ${config.name} | shootdown explorer | migrate-batched | ${fmt(ours.distinct)} | ${fmt(ours.transitions)} | ${fmt(ours.seconds, 3)} | ${fmt(ours.seconds, 3)} | ${fmt(ours.distinct / ours.seconds)} | ${fmt(ours.peakRssMb)} (peak RSS) | ${ourVerdict} |`,
      );
      // the same search on both cores (--workers 2), where it is long enough to matter
      const par =
        config === CONFIGS.small && !quick ? exploreOne('migrate-batched', config, 900, false, 2) : null;
      if (par !== null) {
        console.log(
          `| ${config.name} | shootdown explorer, 2 worker threads | migrate-batched | ${fmt(par.distinct)} | ${fmt(par.transitions)} | ${fmt(par.seconds, 3)} | ${fmt(par.seconds, 3)} | ${fmt(par.distinct / par.seconds)} | ${fmt(par.peakRssMb)} (peak RSS) | ${par.complete ? 'holds' : `incomplete (${par.stoppedBy})`} |`,
        );
      }
      console.log(
        `| ${config.name} | Spin 6.5.2 | migrate-batched | ${fmt(spin.stored)} | ${fmt(spin.transitions)} | ${fmt(spin.totalSeconds, 3)} | ${fmt(spin.searchSeconds, 3)} | ${fmt(spin.stored / spin.searchSeconds)} | ${fmt(spin.memoryMb, 1)} | ${spin.violated ? 'violated' : 'holds'} |`,
      );
      console.log(
        `| ${config.name} | shootdown explorer | copy-before-flush | ${fmt(ourBug.distinct)} | ${fmt(ourBug.transitions)} | ${fmt(ourBug.seconds, 3)} | ${fmt(ourBug.seconds, 3)} | - | ${fmt(ourBug.peakRssMb)} (peak RSS) | ${ourBug.violation} in ${ourBug.counterexampleLength} steps (shortest) |`,
      );
      console.log(
        `| ${config.name} | Spin 6.5.2 | copy-before-flush | ${fmt(spinBug.stored)} | ${fmt(spinBug.transitions)} | ${fmt(spinBug.totalSeconds, 3)} | ${fmt(spinBug.searchSeconds, 3)} | - | ${fmt(spinBug.memoryMb, 1)} | ${spinBug.violated ? 'assertion violated (depth-first, not shortest)' : 'no violation'} |`,
      );
      // Spin stores one state more (its process before the first step) and counts two
      // transitions more; anything else means the twin and the model have drifted apart.
      if (ours.complete) {
        const states = spin.stored - 1 - ours.distinct;
        const transitions = spin.transitions - 2 - ours.transitions;
        agreement.push(
          `${config.name}: states ${states === 0 ? 'agree' : `DIFFER by ${states}`}, transitions ${transitions === 0 ? 'agree' : `DIFFER by ${transitions}`} (shootdown ${fmt(ours.distinct)} states and ${fmt(ours.transitions)} transitions; Spin ${fmt(spin.stored)} and ${fmt(spin.transitions)}, one state and two transitions of its own bookkeeping)`,
        );
      }
      if (par?.complete)
        ratios.push(
          `${config.name}, 2 worker threads against Spin's one core: time to full verdict ${fmt(par.seconds / spin.totalSeconds, 2)}, search alone ${fmt(par.seconds / spin.searchSeconds, 2)}; speed-up over one thread ${fmt(ours.seconds / par.seconds, 2)}`,
        );
      ratios.push(
        `${config.name}: time to full verdict ${ours.complete ? fmt(ours.seconds / spin.totalSeconds, 2) : `> ${fmt(ours.seconds / spin.totalSeconds, 2)} (ours incomplete)`}, search alone ${fmt(ours.seconds / spin.searchSeconds, 2)}, states/s ${fmt(ours.distinct / ours.seconds / (spin.stored / spin.searchSeconds), 2)}; time to first counterexample ${fmt(ourBug.seconds / spinBug.totalSeconds, 3)} (search alone ${fmt(ourBug.seconds / spinBug.searchSeconds, 2)})`,
      );
    }
    console.log('\nRatios, shootdown / Spin (below 1: shootdown is faster):\n');
    for (const r of ratios) console.log(`- ${r}`);
    console.log('\nThe Promela twin against the model, where the explorer finished:\n');
    for (const a of agreement) console.log(`- ${a}`);

    // The lever Spin lacks: with the lifo allocator frames are interchangeable, so the
    // explorer may store one state per renumbering of them. The twin models lifo too (-DLIFO).
    console.log('\n## small-lifo: symmetry reduction against Spin on the same model\n');
    if (quick) console.log('Skipped with --quick (Spin alone takes about 3 minutes here).');
    else {
      const sym = exploreOne('migrate-batched', CONFIGS['small-lifo'], 600, true);
      const spin = runSpin(['SMALL', 'LIFO'], true, true)!;
      console.log(
        '| engine | distinct states | time to verdict (s) | of which search (s) | memory MB | verdict |',
      );
      console.log('|---|---|---|---|---|---|');
      console.log(
        `| shootdown explorer --symmetry | ${fmt(sym.distinct)} (one per renumbering of frames) | ${fmt(sym.seconds, 1)} | ${fmt(sym.seconds, 1)} | ${fmt(sym.peakRssMb)} (peak RSS) | ${sym.complete ? 'holds' : `incomplete (${sym.stoppedBy})`} |`,
      );
      console.log(
        `| Spin 6.5.2 | ${fmt(spin.stored)} | ${fmt(spin.totalSeconds, 1)} | ${fmt(spin.searchSeconds, 1)} | ${fmt(spin.memoryMb, 1)} | ${spin.violated ? 'violated' : 'holds'} |`,
      );
      console.log(
        `\nRatio of time to a full verdict, shootdown / Spin: ${sym.complete ? fmt(sym.seconds / spin.totalSeconds, 2) : 'none (ours incomplete)'}`,
      );
    }
  }

  console.log('\n## fast-check engine: time to the copy-before-flush bug (noLostWrite)\n');
  console.log('| config | seeds that found it | median time (ms) | median runs |');
  console.log('|---|---|---|---|');
  for (const c of [CONFIGS.tiny, CONFIGS.small]) {
    const r = fastCheckTimeToBug(c, quick ? 5 : 20);
    console.log(
      `| ${c.name} | ${r.found} of ${quick ? 5 : 20} | ${fmt(r.medianMs)} | ${fmt(r.medianRuns)} |`,
    );
  }

  porSection();
  deepSection(haveSpin);
}
