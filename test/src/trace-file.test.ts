// Trace files: what `--trace` writes, what `shootdown replay` makes of it, and that no
// malformed file gets further than a one-line refusal.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { findInvariant } from '../../properties/invariants.js';
import {
  formatTraceDocument,
  parseTraceDocument,
  replayTraceDocument,
  type TraceDocument,
  TraceFileError,
  traceDocument,
} from '../../src/report/trace-file.js';
import { copyBeforeFlush, reportInput, runCli, variant } from '../support.js';

const dir = mkdtempSync(join(tmpdir(), 'shootdown-trace-'));
const text = formatTraceDocument(traceDocument(reportInput()));
const file = join(dir, 'copy-before-flush.json');
writeFileSync(file, text);

/** Write `content` to a fresh file and return its path. */
function fileWith(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const edited = (edit: (doc: Record<string, unknown>) => void): string => {
  const doc = JSON.parse(text) as Record<string, unknown>;
  edit(doc);
  return JSON.stringify(doc);
};

// The trace as a model that stops before the remap would replay it: the violation is gone.
const withoutLastStep = edited((d) => {
  (d.actions as unknown[]).pop();
  (d.states as unknown[]).pop();
  (d.violation as { atStep: number }).atStep = 6;
});

describe('trace document', () => {
  it('round-trips: what is written parses back to the same document', () => {
    const doc = traceDocument(reportInput());
    expect(parseTraceDocument(formatTraceDocument(doc), 'f')).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('holds the tool version, protocol, config, invariant, actions and the state after each step', () => {
    const doc = JSON.parse(text) as TraceDocument;
    expect(doc).toMatchObject({
      format: 'shootdown-trace',
      version: 1,
      protocol: 'migrate-batched-wrong-copy-before-flush',
      invariant: 'noLostWrite',
      seed: 1,
      violation: { atStep: 7 },
    });
    expect(doc.tool).toMatch(/^shootdown \d+\.\d+\.\d+$/);
    expect(doc.config).toEqual(CONFIGS.small);
    expect(doc.actions).toEqual(copyBeforeFlush);
    expect(doc.states).toHaveLength(7);
    // the state after the lost store: f0 holds 2, the new frame f2 only 1
    const frames = (doc.states[6] as { frames: { data: number }[] }).frames;
    expect(frames[0]!.data).toBe(2);
    expect(frames[2]!.data).toBe(1);
  });

  it('puts one action and one state per line, so two traces diff step by step', () => {
    const lines = text.split('\n');
    for (const a of copyBeforeFlush)
      expect(lines.some((l) => l.replace(/,$/, '') === `    ${JSON.stringify(a)}`)).toBe(true);
    expect(lines.filter((l) => l.startsWith('    {"cpus":'))).toHaveLength(7);
  });

  it('replays to the same violation at the same step, state for state', () => {
    const doc = parseTraceDocument(text, file);
    const r = replayTraceDocument(doc, variant(doc.protocol), findInvariant('noLostWrite')!);
    expect(r.outcome).toEqual({ kind: 'violated', atStep: 7 });
    expect(r.firstDifferentState).toBeNull();
  });

  it('notices a recorded state the model no longer produces', () => {
    const doc = parseTraceDocument(
      edited((d) => {
        (d.states as { frames: { data: number }[] }[])[3]!.frames[2]!.data = 5;
      }),
      'f',
    );
    const r = replayTraceDocument(doc, variant(doc.protocol), findInvariant('noLostWrite')!);
    expect(r.firstDifferentState).toBe(4);
    expect(r.outcome.kind).toBe('violated');
  });

  it('holds when the steps no longer reach the violation', () => {
    const doc = parseTraceDocument(withoutLastStep, 'f');
    const r = replayTraceDocument(doc, variant(doc.protocol), findInvariant('noLostWrite')!);
    expect(r.outcome).toEqual({ kind: 'holds' });
  });
});

describe('a malformed trace is refused in one line naming the field', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated', text.slice(0, 400), /is not JSON \(truncated or hand-edited\?\)/],
    ['not an object', '[1, 2]', /\(top level\): .*expected object/],
    ['an unknown action', text.replace('"op":"store"', '"op":"stor"'), /actions\[0\]\.op: /],
    ['a negative CPU', text.replace('"cpu":1', '"cpu":-1'), /actions\[0\]\.cpu: .*>=0/],
    [
      'a CPU the config lacks',
      text.replace('"cpu":1', '"cpu":5'),
      /actions\[0\]\.cpu: CPU 5 does not exist in config small/,
    ],
    [
      'a page the config lacks',
      text.replace('"vpages":[0]', '"vpages":[0,9]'),
      /actions\[1\]\.vpages: page 9 does not exist/,
    ],
    [
      'a file page the config lacks',
      edited((d) => (d.actions as unknown[]).unshift({ op: 'writeback', index: 7 })),
      /actions\[0\]\.index: page 7 does not exist in config small/,
    ],
    ['a missing field', edited((d) => delete d.invariant), /invariant: /],
    ['an unknown field', edited((d) => (d.colour = 'red')), /colour/],
    [
      'a config with no CPUs',
      edited((d) => ((d.config as { cpus: number }).cpus = 0)),
      /config: cpus must be/,
    ],
    [
      'another format version',
      edited((d) => (d.version = 2)),
      /trace format version 2; this shootdown .* reads version 1/,
    ],
    [
      'more states than actions',
      edited((d) => (d.states as unknown[]).push({})),
      /states: 8 states for 7 actions/,
    ],
    [
      'a violation past the end',
      edited((d) => ((d.violation as { atStep: number }).atStep = 9)),
      /violation\.atStep/,
    ],
  ];
  for (const [name, content, message] of cases)
    it(name, () => {
      let thrown: unknown;
      try {
        parseTraceDocument(content, 'bad.json');
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TraceFileError);
      const m = (thrown as Error).message;
      expect(m).toMatch(message);
      expect(m).not.toContain('\n');
    });

  it('whatever is cut, changed or dropped: a document, or a one-line TraceFileError, never another exception', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -3, max: 12 }),
        fc.string({ maxLength: 6 }),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('op', 'cpu', 'vpage', 'task', 'x'), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    // a path into the document: a top-level key, then (maybe) an index and a key below it
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: text.length }) }),
      fc.record({
        kind: fc.constantFrom('set' as const, 'drop' as const),
        key: fc.constantFrom(
          'format',
          'version',
          'config',
          'invariant',
          'actions',
          'states',
          'violation',
          'seed',
        ),
        index: fc.nat({ max: 8 }),
        inner: fc.constantFrom('op', 'cpu', 'vpage', 'vpages', 'task', 'value', 'cpus', 'atStep', ''),
        value: json,
      }),
    );
    const invariant = findInvariant('noLostWrite')!;
    let parsed = 0;
    fc.assert(
      fc.property(edit, (e) => {
        let content: string;
        if (e.kind === 'cut') content = text.slice(0, e.at);
        else
          content = edited((d) => {
            let target = d as Record<string, unknown>;
            let key: string | number = e.key;
            const below = d[e.key];
            if (Array.isArray(below) && below.length > 0) {
              const item = below[e.index % below.length];
              if (e.inner !== '' && typeof item === 'object' && item !== null) {
                target = item as Record<string, unknown>;
                key = e.inner;
              } else {
                target = below as unknown as Record<string, unknown>;
                key = e.index % below.length;
              }
            } else if (e.inner !== '' && typeof below === 'object' && below !== null) {
              target = below as Record<string, unknown>;
              key = e.inner;
            }
            if (e.kind === 'drop') delete target[key];
            else target[key] = e.value;
          });
        try {
          const doc = parseTraceDocument(content, 'f');
          parsed++;
          // a document that passes the schema must replay without throwing
          replayTraceDocument(doc, variant('migrate-batched-wrong-copy-before-flush'), invariant);
        } catch (err) {
          expect(err).toBeInstanceOf(TraceFileError);
          expect((err as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 400, seed: 5 },
    );
    // some edits leave a valid document (a changed value, a different seed), so both sides ran
    expect(parsed).toBeGreaterThan(0);
  });
});

describe('shootdown replay', () => {
  it('refuses a trace the config cannot have: a value no store makes, no action at all, PCID for a protocol without it', async () => {
    const value = fileWith(
      'value.json',
      edited((d) => {
        (d.actions as { value?: number }[])[0]!.value = 9;
      }),
    );
    const none = fileWith(
      'none.json',
      edited((d) => {
        d.actions = [];
        d.states = [];
        (d.violation as { atStep: number }).atStep = 0;
      }),
    );
    const pcid =
      'test/regressions/reclaim-batched-dirty-pcid-tip-2022-tlb-gen-zero.loadsSeeLastStore.exhaustive.json';
    for (const [argv, message] of [
      [
        [value],
        /^shootdown: .*value\.json: actions\[0\]\.value: 9 is not a value config small stores \(1 to 2\)$/,
      ],
      [[none], /^shootdown: .*none\.json: actions: a trace has at least one action$/],
      [[pcid, '--protocol', 'reclaim-batched-dirty-arm64'], /has PCID: reclaim-batched-dirty-arm64: /],
    ] as const) {
      const r = await runCli('replay', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
  });

  it('refuses a file that never ends (/dev/zero) or is too large, in one line, before parsing it', async () => {
    const r = await runCli('replay', '/dev/zero');
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['shootdown: /dev/zero holds more than 16 MB; a trace file is far smaller']);
  });

  it('prints no control character a shared trace carries (its tool, engine and config name)', async () => {
    const hostile = fileWith(
      'hostile.json',
      edited((d) => {
        d.tool = 'shootdown \u001b]0;owned\u0007\u001b[2J';
        d.engine = 'random\u001b[31m';
      }),
    );
    const r = await runCli('replay', hostile);
    expect(r.code).toBe(1);
    // no control character but newlines and tabs
    const control = [...r.out].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
    expect(control.filter((c) => c !== '\n' && c !== '\t')).toEqual([]);
    expect(r.out).toContain('shootdown \\u001b]0;owned\\u0007\\u001b[2J');
  });

  it('exit 1 and the race report when the trace still breaks its invariant', async () => {
    const r = await runCli('replay', file);
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATED noLostWrite in migrate-batched-wrong-copy-before-flush');
    expect(r.out).toContain('still violates noLostWrite at step 7, as recorded');
    expect(r.out).toContain(`replay:  npx shootdown replay ${file}`);
    expect(r.err).toEqual([]);
  });

  it('exit 0 when the trace no longer breaks its invariant', async () => {
    const r = await runCli('replay', fileWith('holds.json', withoutLastStep));
    expect(r.code).toBe(0);
    expect(r.out).toContain('now holds: all 6 steps replay and none breaks noLostWrite');
  });

  it('exit 2 naming the step when an action no longer applies', async () => {
    // under sync the page is a migration entry when the store comes: it waits, so step 5 cannot run
    const r = await runCli('replay', file, '--protocol', 'sync');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/no longer applies: step 5, store\(cpu 1, p0, 2\), is not enabled after step 4/);
  });

  it('says so when the recorded states differ from what the model computes now', async () => {
    const path = fileWith(
      'drifted.json',
      edited((d) => {
        (d.states as { frames: { data: number }[] }[])[0]!.frames[3]!.data = 6;
      }),
    );
    const r = await runCli('replay', path);
    expect(r.code).toBe(1);
    expect(r.out).toContain('note: the state after step 1 differs from the recorded one');
  });

  it('refuses a malformed trace, an unknown protocol or invariant, and a missing file in one line, exit 2', async () => {
    const bad: [string[], RegExp][] = [
      [['replay', fileWith('cut.json', text.slice(0, 300))], /cut\.json is not JSON/],
      [['replay', join(dir, 'absent.json')], /cannot read .*absent\.json/],
      [
        [
          'replay',
          fileWith(
            'mine.json',
            text.replace('"protocol": "migrate-batched-wrong-copy-before-flush"', '"protocol": "mine"'),
          ),
        ],
        /trace of protocol 'mine', which is not .*in the registry/,
      ],
      [
        [
          'replay',
          fileWith(
            'from-file.json',
            edited((d) => {
              d.protocol = 'mine';
              d.variantFile = 'examples/mine.ts';
            }),
          ),
        ],
        /pass --variant-file examples\/mine\.ts to replay it/,
      ],
      [
        ['replay', fileWith('inv.json', text.replace('"invariant": "noLostWrite"', '"invariant": "nope"'))],
        /unknown invariant 'nope'/,
      ],
      [['replay', file, '--protocol', 'nope'], /unknown protocol 'nope'/],
      [['replay'], /missing required argument/],
    ];
    for (const [argv, message] of bad) {
      const r = await runCli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
  });

  it('never writes over the trace it replays', async () => {
    const before = readFileSync(file, 'utf8');
    const r = await runCli('replay', file, '--trace', file);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/would overwrite the trace being replayed/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('--update refreshes the recorded states in place, and only when the same steps still break it', async () => {
    const drifted = edited((d) => {
      (d.states as { frames: { data: number }[] }[])[2]!.frames[3]!.data = 6;
    });
    const path = fileWith('update.json', drifted);
    const r = await runCli('replay', path, '--update');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`updated ${path}`);
    expect(readFileSync(path, 'utf8')).toBe(text);
    // now it reads as recorded, so a second --update leaves it alone
    expect((await runCli('replay', path, '--update')).out).not.toContain('updated');
    // against another protocol it is never rewritten
    const other = fileWith('update-other.json', drifted);
    const refused = await runCli(
      'replay',
      other,
      '--update',
      '--protocol',
      'migrate-batched-wrong-remap-before-flush',
    );
    expect(readFileSync(other, 'utf8')).toBe(drifted);
    expect(refused.code === 2 || !refused.out.includes('updated')).toBe(true);
  });

  it('--trace rewrites the replayed counterexample in this version', async () => {
    const out = join(dir, 'rewritten.json');
    const r = await runCli('replay', file, '--trace', out);
    expect(r.code).toBe(1);
    expect(parseTraceDocument(readFileSync(out, 'utf8'), out).actions).toEqual(copyBeforeFlush);
  });
});

describe('shootdown check --trace', () => {
  it('writes the reported counterexample, and replaying it gives the same verdict', async () => {
    const out = join(dir, 'checked.json');
    const r = await runCli(
      'check',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--invariant',
      'noLostWrite',
      '--trace',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(`trace: wrote ${out}`);
    const doc = parseTraceDocument(readFileSync(out, 'utf8'), out);
    expect(doc.engine).toBe('random (fast-check)');
    expect(doc.seed).toBe(1);
    const again = await runCli('replay', out);
    expect(again.code).toBe(1);
  });

  it('writes one file per counterexample into a directory, from both engines', async () => {
    const out = join(dir, 'many/');
    const r = await runCli(
      'check',
      '--protocol',
      'reclaim-batched-wrong-no-dirty-trap',
      '--config',
      'tiny',
      '--engine',
      'both',
      '--reports',
      'all',
      '--trace',
      out,
      '--json',
    );
    expect(r.code).toBe(0);
    const written = readdirSync(out).sort();
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.some((f) => f.endsWith('.exhaustive.json'))).toBe(true);
    expect(written.some((f) => f.endsWith('.random.json'))).toBe(true);
    for (const f of written) {
      const doc = parseTraceDocument(readFileSync(join(out, f), 'utf8'), f);
      expect(f.startsWith(`${doc.protocol}.${doc.invariant}.`)).toBe(true);
    }
    // with --json the paths go to stderr, so stdout stays one JSON document
    expect(() => JSON.parse(r.out)).not.toThrow();
  }, 60_000);

  it('--html writes the timeline beside the trace, for check and for replay', async () => {
    const html = join(dir, 'checked.html');
    const r = await runCli(
      'check',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--invariant',
      'noLostWrite',
      '--html',
      html,
    );
    expect(r.out).toContain(`html: wrote ${html}`);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>/i);
    const again = join(dir, 'replayed.html');
    const rr = await runCli('replay', file, '--html', again);
    expect(rr.code).toBe(1);
    expect(readFileSync(again, 'utf8')).toContain(`npx shootdown replay ${file}`);
    const refused = await runCli('replay', file, '--html', file);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/--html .* would overwrite the trace being replayed/);
  });

  it('refuses --trace with --reports none before running anything', async () => {
    const r = await runCli('check', '--reports', 'none', '--trace', join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--trace writes the reported counterexamples/);
  });
});
