// Bad input anywhere gets one line and exit 2, never an internal error (3), a stack trace or
// a raw control character: fuzzed command lines, variant files and trace files, through the
// CLI's own entry point. A good input may pass (0), find a violation it expects or not (1)
// or be cut short by the interrupt this test sends (130).

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

// A deeper search than the suite's: FUZZ_RUNS=500 FUZZ_SEED=7 npx vitest run test/src/entry-fuzz.test.ts
// (about 3 minutes; it found the raw escape sequence in `report NAME`'s error).
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 22);

const dir = mkdtempSync(join(tmpdir(), 'shootdown-fuzz-'));
mkdirSync(join(dir, 'folder'));
/** A control character other than tab and newline: an escape sequence would reach the terminal. */
const hasControl = (line: string): boolean =>
  Array.from(line).some((c) => {
    const n = c.charCodeAt(0);
    return (n < 0x20 && n !== 0x09 && n !== 0x0a) || n === 0x7f;
  });

/** Run the CLI in-process; a check is interrupted (as by Ctrl-C) after `ms`. */
async function run(argv: readonly string[], ms = 400) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    onInterrupt: (cb) => {
      const timer = setTimeout(cb, ms);
      return () => clearTimeout(timer);
    },
  });
  return { code, out, err };
}

/** Exit codes seen, per test: each fuzz must reach good input as well as bad. */
const seen = new Map<string, Set<number>>();

/** The fuzz reached good input (0 or 1) as well as bad (2): it did not only test the parser. */
function reachedBothSides(): void {
  const codes = seen.get(expect.getState().currentTestName ?? '') ?? new Set();
  expect(codes.has(2)).toBe(true);
  expect(codes.has(0) || codes.has(1)).toBe(true);
}

/** What every run must satisfy, whatever it was given. */
function judge(argv: readonly string[], r: { code: number; out: string[]; err: string[] }): void {
  const what = JSON.stringify(argv);
  const test = expect.getState().currentTestName ?? '';
  seen.set(test, (seen.get(test) ?? new Set()).add(r.code));
  expect([0, 1, 2, 130], what).toContain(r.code);
  // no command at all: the usage, as commander prints it
  // replay's own outcome 2, a step that no longer applies, is a report on stdout
  const noLongerApplies =
    argv[0] === 'replay' && r.err.length === 0 && /^no longer applies: /.test(r.out.at(-1) ?? '');
  if (r.code === 2 && argv.length > 0 && !noLongerApplies) {
    expect(r.err, what).toHaveLength(1);
    expect(r.err[0], what).toMatch(/^shootdown: /);
    expect(r.err[0], what).not.toContain('\n');
  }
  for (const line of [...r.err, ...r.out]) {
    expect(hasControl(line), `${what}: ${JSON.stringify(line)}`).toBe(false);
    expect(line, what).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  }
}

const junk = fc.constantFrom(
  '',
  '0',
  '-1',
  '1',
  '2',
  '3.5',
  '1e9',
  'NaN',
  '__proto__',
  'constructor',
  'toString',
  'tiny',
  'small',
  'sync',
  'migrc',
  'exhaustive',
  'random',
  'both',
  'all',
  'noLostWrite',
  'pageMigrated',
  '\u001b[31mred',
  'a b',
  '--json',
);
const paths = fc.constantFrom(
  join(dir, 'out'),
  join(dir, 'folder'),
  join(dir, 'missing', 'deep', 'x'),
  '/dev/null',
  resolve('test/fixtures/misspelled-policy.ts'),
  resolve('test/fixtures/own-world.ts'),
);
const PATH_FLAGS = ['--trace', '--html', '--out', '--variant-file'];
const VALUE_FLAGS = [
  '--protocol',
  '--config',
  '--invariant',
  '--engine',
  '--runs',
  '--seed',
  '--seeds',
  '--shard',
  '--world',
  '--jobs',
  '--workers',
  '--max-states',
  '--max-seconds',
  '--max-memory',
  '--max-commands',
  '--reports',
  '--workload',
  '--pages',
  '--cpus',
];
const BARE_FLAGS = ['--json', '--symmetry', '--update', '--no-charts', '--check', '--stdout', '--bogus'];

const option = fc.oneof(
  fc.tuple(fc.constantFrom(...PATH_FLAGS), paths),
  fc.tuple(fc.constantFrom(...VALUE_FLAGS), junk),
  fc.tuple(fc.constantFrom(...BARE_FLAGS)),
  fc.tuple(junk),
);
// cost is bounded by a small workload first (the fuzzed options may add to it); report
// and replay get junk, so they end early
const command = fc.constantFrom(
  ['check', '--config', 'tiny'],
  ['check', '--protocol', 'sync', '--runs', '50'],
  ['check'],
  ['cost', '--workload', 'migrate', '--pages', '1', '--cpus', '2', '--protocol', 'sync'],
  ['check', '--protocol', 'sync', '--runs', '20', '--shard', '1/2'],
  ['replay'],
  ['merge'],
  ['liveness', '--protocol', 'sync', '--max-states', '2000'],
  ['report'],
  ['list'],
  ['frobnicate'],
  [],
);

describe('fuzzed input, one line and exit 2 when it is bad', () => {
  it('command lines', async () => {
    await fc.assert(
      fc.asyncProperty(command, fc.array(option, { maxLength: 4 }), async (cmd, options) => {
        const argv = [...cmd, ...options.flat()];
        judge(argv, await run(argv));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    reachedBothSides();
  });

  it('variant files: a valid spec with a key renamed, added or given a value of another type', async () => {
    const valid: Record<string, unknown> = {
      id: 'fuzzed',
      title: 't',
      source: 's',
      policy: { migrate: { batchFlush: true }, flushBatchedPending: true },
      violates: [],
      world: 'tiny',
    };
    const keys = [
      'id',
      'title',
      'policy',
      'violates',
      'world',
      'reaches',
      'explorerOnly',
      'randomRuns',
      'polcy',
    ];
    const value = fc.oneof(
      junk,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(junk, { maxLength: 2 }),
      fc.dictionary(junk, fc.boolean(), { maxKeys: 2 }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...keys),
        value,
        fc.boolean(),
        fc.boolean(),
        async (key, v, useDefine, withBase) => {
          const spec = JSON.stringify({ ...valid, [key]: v });
          const base = withBase ? ", base: findVariant('migrate-batched')" : '';
          // defineVariant() parses a spec; a file may also export a hand-made object
          const body = useDefine
            ? `export default defineVariant({ ...${spec}${base} });`
            : `export default { base: null, notes: '', reaches: [], fixedBy: null, ...${spec}, policy: findVariant('sync').policy };`;
          const file = join(dir, `v${n++}.ts`);
          writeFileSync(file, `import { defineVariant, findVariant } from 'shootdown';\n${body}\n`);
          const argv = ['check', '--variant-file', file, '--runs', '20'];
          // (loading the file in a probe thread takes about a second)
          judge(argv, await run(argv, 60_000));
        },
      ),
      { numRuns: Math.ceil(RUNS / 4), seed: SEED },
    );
    reachedBothSides();
  });

  it('trace files: a regression trace with a value replaced, a key dropped or its text cut', async () => {
    const text = readFileSync('test/regressions/batch-copy.loadsSeeLastStore.exhaustive.json', 'utf8');
    const doc = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(doc);
    const edit = fc.oneof(
      fc.record({
        kind: fc.constant('replace' as const),
        key: fc.constantFrom(...keys),
        v: fc.oneof(junk, fc.jsonValue()),
      }),
      fc.record({ kind: fc.constant('drop' as const), key: fc.constantFrom(...keys) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(text.length) }),
      fc.record({
        kind: fc.constant('action' as const),
        at: fc.nat(9),
        field: fc.constantFrom('op', 'cpu', 'vpage', 'value', 'task', 'mm', 'vpages'),
        v: fc.oneof(junk, fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
      }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(edit, async (e) => {
        let out: string;
        if (e.kind === 'cut') out = text.slice(0, e.at);
        else if (e.kind === 'drop') {
          const { [e.key]: _, ...rest } = doc;
          out = JSON.stringify(rest);
        } else if (e.kind === 'replace') out = JSON.stringify({ ...doc, [e.key]: e.v });
        else {
          const actions = structuredClone(doc.actions) as Record<string, unknown>[];
          if (actions[e.at] !== undefined) actions[e.at]![e.field] = e.v;
          out = JSON.stringify({ ...doc, actions });
        }
        const file = join(dir, `t${n++}.json`);
        writeFileSync(file, out);
        const argv = ['replay', file];
        judge(argv, await run(argv));
      }),
      { numRuns: Math.ceil(RUNS * 2.5), seed: SEED },
    );
    reachedBothSides();
  });
});
