// The command line: verdict documents, exit codes (0 as expected, 1 not, 2 bad usage),
// and one clear line for every kind of bad input.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { INVARIANTS } from '../../properties/invariants.js';
import type { CheckDocument } from '../../src/check/check.js';
import { formatTraceDocument, traceDocument } from '../../src/report/trace-file.js';
import { reportInput, runCli } from '../support.js';

describe('shootdown list', () => {
  it('--json lists every protocol, invariant and config with expected verdicts', async () => {
    const r = await runCli('list', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.protocols.map((p: { id: string }) => p.id)).toEqual(VARIANTS.map((v) => v.id));
    expect(doc.invariants.map((i: { id: string }) => i.id)).toEqual(INVARIANTS.map((i) => i.id));
    expect(doc.configs.map((c: { name: string }) => c.name)).toEqual(Object.keys(CONFIGS));
    const copy = doc.protocols.find(
      (p: { id: string }) => p.id === 'migrate-batched-wrong-copy-before-flush',
    );
    expect(copy.expected.noLostWrite).toBe('violated');
    expect(copy.expected.noAccessToFreedFrame).toBe('holds');
  });

  it('prints the registry as text', async () => {
    const r = await runCli('list');
    expect(r.code).toBe(0);
    for (const v of VARIANTS) expect(r.out).toContain(v.id);
    for (const i of INVARIANTS) expect(r.out).toContain(i.why);
  });
});

describe('shootdown check', () => {
  it('--json gives one document with a verdict per protocol and invariant', async () => {
    const r = await runCli(
      'check',
      '--protocol',
      'sync',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--runs',
      '300',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as CheckDocument;
    expect(doc.ok).toBe(true);
    expect(doc.protocols.map((p) => p.protocol)).toEqual(['sync', 'migrate-batched-wrong-copy-before-flush']);
    const bug = doc.protocols[1]!.invariants.find((i) => i.invariant === 'noLostWrite')!;
    expect(bug).toMatchObject({ expected: 'violated', verdict: 'violated' });
    expect(bug.counterexample!.length).toBe(bug.counterexample!.actions.length);
    expect(doc.protocols[0]!.invariants.every((i) => i.verdict === 'holds' && i.runs === 300)).toBe(true);
  });

  it('prints the table and the race report, and exits 0 when all is as expected', async () => {
    const r = await runCli('check', '--protocol', 'reclaim-batched-wrong-no-dirty-trap', '--runs', '500');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dirtyBitWriteThroughTrap +VIOLATED \(counterexample of \d+ steps/);
    expect(r.out).toContain('VIOLATED dirtyBitWriteThroughTrap in reclaim-batched-wrong-no-dirty-trap');
    expect(r.out).toMatch(/noStaleWritableTlbAfterRemap +holds \(500 runs, \d+ steps\)/);
    expect(r.out).toContain('every one as expected');
  });

  it('exits 1 when a verdict is not as expected', async () => {
    const r = await runCli(
      'check',
      '--variant-file',
      'test/fixtures/mislabelled-variant.ts',
      '--runs',
      '500',
      '--reports',
      'none',
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('<-- expected holds');
    expect(r.out).toContain('not as expected: mislabelled');
  });

  it('checks a variant from a file and names the file in the replay line', async () => {
    const r = await runCli(
      'check',
      '--variant-file',
      'examples/migrate-flush-dirty-only.ts',
      '--runs',
      '500',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '--variant-file examples/migrate-flush-dirty-only.ts --protocol migrate-flush-dirty-only',
    );
  });
});

describe('shootdown check --engine', () => {
  it('exhaustive: bounded proofs and shortest counterexamples, on tiny by default', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--protocol',
      'migrate-batched',
      '--protocol',
      'reclaim-batched-wrong-no-dirty-trap',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as CheckDocument;
    expect(doc.engine).toBe('exhaustive');
    // each protocol in its own world, sized for the explorer
    expect(doc.config).toBeUndefined();
    expect(doc.protocols.map((p) => p.config)).toEqual(['tiny', 'tiny']);
    const proof = doc.protocols[0]!.invariants[0]!;
    expect(proof).toMatchObject({ verdict: 'holds', states: 7192, depth: expect.any(Number) });
    const trap = doc.protocols[1]!.invariants.find((i) => i.invariant === 'dirtyBitWriteThroughTrap')!;
    expect(trap.counterexample).toMatchObject({ length: 4, shortest: true });
  });

  it('exhaustive with a budget: a partial verdict, exit 1, never a crash', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--config',
      'small',
      '--protocol',
      'sync',
      '--max-states',
      '500',
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /no violation \(500 states, \d+ transitions, depth \d+; search incomplete, stopped by max-states\)/,
    );
  });

  it('exhaustive with --symmetry: tiny-lifo by default, fewer states, the same verdicts', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--symmetry',
      '--protocol',
      'migrate-batched',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as CheckDocument;
    expect(doc.config?.name).toBe('tiny-lifo');
    expect(doc.protocols[0]!.invariants[0]).toMatchObject({ verdict: 'holds', states: 2241 });
  });

  it('exhaustive with --por: the same states and verdicts in fewer transitions, said in the header', async () => {
    const args = ['check', '--engine', 'exhaustive', '--protocol', 'migrate-batched', '--config', 'tiny'];
    const plain = (JSON.parse((await runCli(...args, '--json')).out) as CheckDocument).protocols[0]!
      .invariants[0]!;
    const por = await runCli(...args, '--por');
    expect(por.code).toBe(0);
    expect(por.out).toMatch(/breadth-first, 64-bit fingerprints, sleep sets/);
    const [, states, transitions, depth] = por.out.match(
      /holds \((\d+) states, (\d+) transitions, depth (\d+)\)/,
    )!;
    expect([Number(states), Number(depth)]).toEqual([plain.states, plain.depth]);
    expect(Number(transitions)).toBeLessThan(plain.transitions!);
  });

  it('both: runs the two engines and compares them', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'both',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.documents.map((d: CheckDocument) => d.engine)).toEqual(['random', 'exhaustive']);
    expect(doc.disagreements).toEqual([]);
    expect(doc.ok).toBe(true);
  });

  it('the exhaustive race report names the engine in its replay line', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--protocol',
      'reclaim-batched-wrong-free-before-flush',
    );
    expect(r.out).toContain('engine:   exhaustive (breadth-first), no shorter one exists');
    expect(r.out).toContain('--config tiny --invariant noAccessToFreedFrame --engine exhaustive');
  });
});

describe('shootdown check --config with PCID', () => {
  it('leaves out, and names on stderr, the protocols PCID is not modelled for', async () => {
    const r = await runCli(
      'check',
      '--config',
      'tiny-pcid',
      '--engine',
      'exhaustive',
      '--max-states',
      '20',
      '--json',
    );
    expect(r.err).toEqual([
      expect.stringMatching(
        /^note: leaving out 2 protocols PCID is not modelled for: reclaim-batched-dirty-arm64, reclaim-batched-dirty-arm64-v6\.6/,
      ),
    ]);
    const doc = JSON.parse(r.out) as { protocols: { protocol: string }[] };
    const checked = doc.protocols.map((p) => p.protocol);
    expect(checked).toContain('x86-pcid');
    // migrc is modelled with PCID (world migrc-pcid); arm64's broadcast TLBIs are not
    expect(checked).toContain('migrc');
    expect(checked).not.toContain('reclaim-batched-dirty-arm64');
  });
});

describe('bad input: one line on stderr, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown protocol', ['check', '--protocol', 'nope'], /unknown protocol 'nope'/],
    ['unknown config', ['check', '--config', 'huge'], /unknown config 'huge'/],
    ['unknown invariant', ['check', '--invariant', 'noBugs'], /unknown invariant 'noBugs'/],
    ['runs not a number', ['check', '--runs', 'many'], /--runs must be a whole number/],
    ['runs zero', ['check', '--runs', '0'], /--runs must be from 1/],
    ['seed not whole', ['check', '--seed', '1.5'], /--seed must be a whole number/],
    ['unknown option', ['check', '--fast'], /unknown option '--fast'/],
    ['unknown command', ['prove'], /unknown command 'prove'/],
    ['bad reports choice', ['check', '--reports', 'some'], /--reports/],
    ['unknown engine', ['check', '--engine', 'smt'], /--engine/],
    [
      'symmetry with the random engine',
      ['check', '--symmetry'],
      /--symmetry applies to the exhaustive engine/,
    ],
    [
      'workers with the random engine',
      ['check', '--workers', '2'],
      /--workers applies to the exhaustive engine/,
    ],
    ['no workers', ['check', '--engine', 'exhaustive', '--workers', '0'], /--workers must be from 1 to 64/],
    ['por with the random engine', ['check', '--por'], /--por applies to the exhaustive engine/],
    [
      'por with symmetry',
      ['check', '--engine', 'exhaustive', '--por', '--symmetry'],
      /--por does not combine with --symmetry yet/,
    ],
    [
      'por with workers',
      ['check', '--engine', 'exhaustive', '--por', '--workers', '2'],
      /--por runs on one thread: it does not combine with --workers yet/,
    ],
    [
      'symmetry where frame numbers matter',
      ['check', '--engine', 'exhaustive', '--symmetry', '--config', 'tiny'],
      /--symmetry has nothing to reduce in tiny: frames need a config whose allocator is 'lifo'/,
    ],
    [
      'variant naming an unknown kernel step',
      ['check', '--variant-file', 'test/fixtures/bad-step.mjs'],
      /policy\.migrate\.program\[0\]\.each\[1\]: "copy_page" is not one of migrc_mark_folios, /,
    ],
    [
      'max-states zero',
      ['check', '--engine', 'exhaustive', '--max-states', '0'],
      /--max-states must be from 1/,
    ],
    ['max-memory not a number', ['check', '--max-memory', 'lots'], /--max-memory must be a whole number/],
    [
      'missing variant file',
      ['check', '--variant-file', 'no/such/file.ts'],
      /cannot load variant file no\/such\/file.ts/,
    ],
    [
      'file with no variant',
      ['check', '--variant-file', 'test/fixtures/not-a-variant.ts'],
      /exports no variant/,
    ],
    [
      'variant naming an unknown invariant',
      ['check', '--variant-file', 'test/fixtures/unknown-invariant.ts'],
      /violates\[0\]: "noLostWrites" is not one of .* \(did you mean 'noLostWrite'\?\)$/,
    ],
    [
      'variant with a misspelled policy key (else a false holds)',
      ['check', '--variant-file', 'test/fixtures/misspelled-policy.ts'],
      /^shootdown: cannot load variant file test\/fixtures\/misspelled-policy\.ts: variant "misspelled": policy\.migrat: unknown key \(did you mean 'migrate'\?\)$/,
    ],
    [
      'a random-engine flag with the explorer alone (it would be ignored)',
      ['check', '--engine', 'exhaustive', '--runs', '10'],
      /--runs applies to the random engine \(--engine random or both\), not the exhaustive one/,
    ],
    [
      'an explorer flag with the random engine alone (it would be ignored)',
      ['check', '--max-seconds', '10'],
      /--max-seconds applies to the exhaustive, swarm and bitstate engines \(--engine exhaustive, both, swarm or bitstate\), not the random one/,
    ],
    [
      'a config named like an Object property',
      ['check', '--config', '__proto__'],
      /unknown config '__proto__'/,
    ],
    ['a config named toString', ['check', '--config', 'toString'], /unknown config 'toString'/],
    [
      "a variant file's world under a registered config's name",
      ['check', '--variant-file', 'test/fixtures/world-collision.ts'],
      /^shootdown: test\/fixtures\/world-collision\.ts: world 'tiny' is a registered config's name/,
    ],
    [
      'variant naming a world that exists nowhere',
      ['check', '--variant-file', 'test/fixtures/unknown-world.ts'],
      /variant nowhere: world 'smal' is neither a registered config nor one the file exports \(did you mean 'small'\?\)$/,
    ],
    [
      'variant reusing a registered id',
      ['check', '--variant-file', 'test/fixtures/registered-id.ts'],
      /^shootdown: test\/fixtures\/registered-id\.ts: variant id 'migrate-batched' is a registered protocol's/,
    ],
    [
      'a protocol PCID is not modelled for, in a world with PCID',
      ['check', '--protocol', 'sync', '--protocol', 'reclaim-batched-dirty-arm64', '--config', 'pcid'],
      /--config pcid has PCID: reclaim-batched-dirty-arm64: PCID is modelled for x86/,
    ],
  ];
  for (const [name, argv, message] of cases)
    it(name, async () => {
      const r = await runCli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^shootdown: /);
      expect(r.err[0]).toMatch(message);
      expect(r.err[0]).not.toMatch(/\n\s+at /);
    });

  it('any malformed value of a numeric or named flag is refused the same way', async () => {
    const flag = fc.constantFrom(
      '--runs',
      '--seed',
      '--max-commands',
      '--config',
      '--protocol',
      '--invariant',
    );
    const junk = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => !/^-?\d+$/.test(s) && !s.startsWith('-'));
    await fc.assert(
      fc.asyncProperty(flag, junk, async (f, value) => {
        const r = await runCli('check', f, value);
        expect(r.code).toBe(2);
        expect(r.err).toHaveLength(1);
        expect(r.err[0]).toMatch(/^shootdown: /);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

// A valid trace and a cut one, for `replay` among the random command lines.
const traceDir = mkdtempSync(join(tmpdir(), 'shootdown-cli-'));
const traceFile = join(traceDir, 'copy-before-flush.json');
const brokenTraceFile = join(traceDir, 'cut.json');
{
  const text = formatTraceDocument(traceDocument(reportInput()));
  writeFileSync(traceFile, text);
  writeFileSync(brokenTraceFile, text.slice(0, text.length / 2));
}

describe('every entry point against random command lines', () => {
  // Tokens a user might type, right or wrong; each command line ends in flags that keep a
  // valid run cheap, so the property is about parsing, not about searching.
  const token = fc.oneof(
    fc.constantFrom(
      '--protocol',
      'sync',
      'migrc',
      'batch-copy',
      '--config',
      'tiny',
      'two-mms',
      '--invariant',
      'noLostWrite',
      '--engine',
      'exhaustive',
      'both',
      'sideways',
      '--runs',
      '--seed',
      '--max-states',
      '--max-seconds',
      '--symmetry',
      '--json',
      '--reports',
      'none',
      '--workload',
      'migrate',
      'reclaim-dirty',
      '--pages',
      '--cpus',
      '1,8',
      '0',
      '-3',
      '99999999999',
      '--variant-file',
      'no/such/file.ts',
      '--bogus',
      '',
      traceFile,
      brokenTraceFile,
    ),
    fc.string({ maxLength: 8 }),
  );
  const cheap: Record<string, string[]> = {
    check: [
      '--engine',
      'both',
      '--runs',
      '1',
      '--max-commands',
      '2',
      '--max-states',
      '50',
      '--protocol',
      'sync',
    ],
    cost: ['--pages', '1', '--cpus', '2', '--no-charts', '--workload', 'migrate', '--protocol', 'sync'],
    list: [],
    report: [],
    replay: [],
  };

  it('exit 0, 1 or 2, never an internal error; a refusal is one line on stderr', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('check', 'cost', 'list', 'report', 'replay', 'nope'),
        fc.array(token, { maxLength: 5 }),
        async (command, tokens) => {
          // `report migrc` is a real 30-second run; a report name here is always a wrong one
          const args = command === 'report' ? ['no-such-report', ...tokens] : tokens;
          const r = await runCli(command, ...args, ...(cheap[command] ?? []));
          expect([0, 1, 2], `${command} ${args.join(' ')}: ${r.err.join(' / ')}`).toContain(r.code);
          seen.add(r.code);
          if (r.code === 2) {
            expect(r.err).toHaveLength(1);
            expect(r.err[0]).toMatch(/^shootdown: /);
            expect(r.err[0]).not.toMatch(/\n\s+at /);
          }
        },
      ),
      { numRuns: 120, seed: 13 },
    );
    // both kinds of outcome were exercised, not only refusals
    expect(seen.has(2)).toBe(true);
    expect(seen.has(0) || seen.has(1)).toBe(true);
  }, 120_000);
});

describe('the installed command', () => {
  it('runs through bin/shootdown.mjs with real exit codes', () => {
    const ok = execFileSync(
      'node',
      ['bin/shootdown.mjs', 'check', '--protocol', 'sync', '--runs', '50', '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect((JSON.parse(ok) as CheckDocument).ok).toBe(true);
    const bad = spawnSync('node', ['bin/shootdown.mjs', 'check', '--config', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops quietly when its reader closes the pipe early (| head)', () => {
    // it starts after `true` has exited, so every write hits a closed pipe
    const r = spawnSync('sh', ['-c', 'node bin/shootdown.mjs list | true'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|at /);
  });
});
