// What a user of a long run sees (npm run test:full: real processes and whole campaigns): a status line on the terminal only, a partial verdict
// on Ctrl-C, outputs refused before the work, and nothing written unasked.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckDocument } from '../../src/check/check.js';
import { main } from '../../src/cli/main.js';
import { loadVariantFile } from '../../src/load/variant-file.js';

async function run(argv: string[], o: { interruptAfterMs?: number; terminal?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const status: string[] = [];
  const code = await main(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    // a terminal that shows the line at once, so a fast machine still draws it
    ...(o.terminal ? { status: { write: (t: string) => status.push(t), columns: 200, delayMs: 0 } } : {}),
    ...(o.interruptAfterMs === undefined
      ? {}
      : {
          onInterrupt: (cb) => {
            const timer = setTimeout(cb, o.interruptAfterMs);
            return () => clearTimeout(timer);
          },
        }),
  });
  return { code, out: out.join('\n'), err, status };
}

// 20,000 runs a campaign: long enough to be cut short
const LONG = 'shared-file-v3.14-flush-after-unlock';

describe('progress', () => {
  it('a check draws a status line on the terminal, and stdout never carries it', async () => {
    const r = await run(
      ['check', '--protocol', 'sync', '--protocol', 'reclaim-batched', '--runs', '2000', '--jobs', '1'],
      { terminal: true },
    );
    expect(r.code).toBe(0);
    const drawn = r.status.filter((t) => t !== '\r\x1b[K');
    expect(drawn.length).toBeGreaterThan(0);
    expect(
      drawn.some((t) =>
        /random: [01]\/2 protocols, \d+ s \| (sync|reclaim-batched): [\d,]+\/2,000 runs/.test(t),
      ),
    ).toBe(true);
    expect(r.status.at(-1)).toBe('\r\x1b[K');
    expect(r.out).not.toContain('\r');
    expect(r.out).toMatch(/2 protocols, 16 verdicts: every one as expected/);
  });

  it('--json draws nothing', async () => {
    const r = await run(['check', '--protocol', 'sync', '--runs', '2000', '--json'], { terminal: true });
    expect(r.code).toBe(0);
    expect(r.status).toEqual([]);
  });
});

describe('protocols on worker threads', () => {
  it('with two at a time, verdicts print in the order asked, whatever finishes first', async () => {
    // the shared-file world's campaign takes several times sync's
    const r = await run([
      'check',
      '--protocol',
      'shared-file',
      '--protocol',
      'sync',
      '--runs',
      '1500',
      '--jobs',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 protocols at a time/);
    expect(r.out.indexOf('shared-file: ')).toBeGreaterThan(0);
    expect(r.out.indexOf('shared-file: ')).toBeLessThan(r.out.indexOf('sync: '));
  });
});

describe('Ctrl-C', () => {
  it('prints the verdicts and counts reached so far, marked interrupted, and exits 130', async () => {
    const r = await run(['check', '--protocol', 'sync', '--protocol', LONG, '--jobs', '1'], {
      interruptAfterMs: 2500,
    });
    expect(r.code).toBe(130);
    // the longest campaign starts first, so it is the one cut short and sync never starts
    expect(r.out).toMatch(new RegExp(`${LONG}: .*\\[shared-file; INTERRUPTED, no verdict\\]`));
    expect(r.out).toMatch(/no violation \([\d]+ runs, \d+ steps; interrupted\)|VIOLATED/);
    expect(r.out).not.toMatch(/<-- expected/);
    expect(r.out).toMatch(
      /INTERRUPTED: not a verdict\. 0 of 2 protocol checks finished .*cut short: shared-file-v3\.14/,
    );
  });

  it('--json: the partial document says so and is not ok', async () => {
    const r = await run(['check', '--protocol', LONG, '--json'], { interruptAfterMs: 2000 });
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.out) as CheckDocument;
    expect(doc.interrupted).toBe(true);
    expect(doc.ok).toBe(false);
    expect(doc.protocols[0]!.interrupted).toBe(true);
    const cut = doc.protocols[0]!.invariants.filter((i) => i.stoppedBy === 'interrupt');
    expect(cut.length).toBeGreaterThan(0);
    for (const i of cut) expect(i.verdict).toBe('incomplete');
  });

  it('a real SIGINT to the command gives the partial verdict and exit 130', async () => {
    const child = spawn('node', [
      'bin/shootdown.mjs',
      'check',
      '--protocol',
      LONG,
      '--protocol',
      'sync',
      '--jobs',
      '1',
    ]);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
    });
    // once the header is out the check is running on its worker thread
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (out.includes('each protocol in its own world')) {
          clearInterval(poll);
          setTimeout(done, 1500);
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code).toBe(130);
    expect(out).toMatch(/INTERRUPTED: not a verdict/);
  });
});

describe('outputs', () => {
  it('an output that cannot be written is refused before the work starts, in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-outputs-'));
    writeFileSync(join(dir, 'file'), '');
    const cases = [
      ['check', '--protocol', LONG, '--trace', join(dir, 'file', 'trace.json')],
      ['check', '--protocol', LONG, '--html', join(dir, 'file', 'x.html')],
      // the report takes minutes; refused at once, it never starts
      ['report', 'migrc', '--out', join(dir, 'file', 'migrc.md')],
      ['cost', '--workload', 'migrate', '--pages', '1', '--cpus', '2', '--out', join(dir, 'file')],
    ];
    for (const argv of cases) {
      const r = await run(argv, { terminal: true });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toHaveLength(1);
      expect(r.err[0]).toMatch(/^shootdown: --(trace|html|out) .*: .*not a folder/);
      expect(r.status).toEqual([]);
    }
  });

  it('cost writes nothing unless --out says where', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'shootdown-unasked-'));
    const bin = resolve('bin/shootdown.mjs');
    const cost = spawnSync(
      'node',
      [bin, 'cost', '--workload', 'migrate', '--pages', '1', '--cpus', '2', '--json'],
      {
        cwd,
        encoding: 'utf8',
      },
    );
    expect(cost.status).toBe(0);
    expect(JSON.parse(cost.stdout).workloads).toHaveLength(1);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

/** A user's project outside the clone, as `npm init -y` writes it: CommonJS by default. */
function userProject(): string {
  const project = mkdtempSync(join(tmpdir(), 'shootdown-variant-'));
  writeFileSync(
    join(project, 'package.json'),
    '{ "name": "mine", "version": "1.0.0", "type": "commonjs" }\n',
  );
  return project;
}

describe('a variant file outside the clone', () => {
  const bin = resolve('bin/shootdown.mjs');

  it('the README example loads from a CommonJS project, importing shootdown and a .ts helper by its .js name', () => {
    const project = userProject();
    mkdirSync(join(project, 'examples'));
    // the README's example, with its program moved to a helper module
    const example = readFileSync('examples/migrate-flush-dirty-only.ts', 'utf8');
    expect(example).toContain("from 'shootdown'");
    writeFileSync(join(project, 'examples', 'flush-dirty-only.ts'), example);
    writeFileSync(
      join(project, 'examples', 'helpers.ts'),
      "export const VIOLATES: readonly string[] = ['noStaleWritableTlbAfterRemap', 'noLostWrite', 'loadsSeeLastStore'];\n",
    );
    writeFileSync(
      join(project, 'examples', 'with-helper.ts'),
      [
        "import { defineVariant, findVariant } from 'shootdown';",
        "import { VIOLATES } from './helpers.js';",
        "export default defineVariant({ id: 'with-helper', title: 't', source: 's', base: findVariant('migrate-flush-dirty-only' as string) ?? findVariant('migrate-batched')!,",
        "  policy: { migrate: { program: [{ each: ['try_to_migrate_one'] }, { once: 'try_to_unmap_flush_dirty' }, { each: ['move_to_new_folio', 'remove_migration_ptes'] }, { once: 'try_to_unmap_flush' }, { each: ['migrate_folio_done'] }] } },",
        '  violates: [...VIOLATES] });',
      ].join('\n'),
    );
    // both files in one run: one process start instead of two
    const files = ['examples/flush-dirty-only.ts', 'examples/with-helper.ts'];
    const r = spawnSync(
      'node',
      [bin, 'check', ...files.flatMap((f) => ['--variant-file', f]), '--runs', '300'],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    expect([r.stderr, r.status]).toEqual(['', 0]);
    expect(r.stdout).toMatch(/2 protocols, 16 verdicts: every one as expected/);
  });
});

describe('variant files that do not load', () => {
  const project = userProject();

  it('a syntax error is named by file:line:column and the parser’s message, in one line', async () => {
    const file = join(project, 'broken.ts');
    writeFileSync(file, 'export default {\n  id: "x",\n  title: oops oops\n};\n');
    const r = await run(['check', '--variant-file', file]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`shootdown: ${file}:3:14: Expected "}" but found "oops"`]);
  });

  it('a file that loops at import ends with one line, under the time limit', async () => {
    const file = join(project, 'loops.ts');
    writeFileSync(file, 'while (true) {}\nexport default 1;\n');
    await expect(loadVariantFile(file, 1500)).rejects.toThrow(
      `variant file ${file} did not finish loading in 1.5 s (a loop at import?)`,
    );
  });
});
