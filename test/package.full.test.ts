// The package as a user installs it: `npm pack` here, then a fresh `npm init -y` project
// elsewhere installs the tarball from the local file and follows the README word for word.
// No TypeScript runner is installed there: the CLI's own loader compiles the variant file.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: 'pipe' });

/** The README's section `title`: its first fenced block of `lang`. */
function readmeBlock(title: string, lang: string, nth = 0): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf(`## ${title}`));
  const blocks = [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  return blocks[nth]![1]!;
}

describe('the packed package, installed in a fresh project', () => {
  const work = mkdtempSync(join(tmpdir(), 'shootdown-pack-'));
  const project = join(work, 'project');
  let tarball = '';
  let files: string[] = [];

  beforeAll(() => {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], resolve('.')))[0];
    tarball = join(work, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path);
    mkdirSync(project);
    npm(['init', '-y'], project);
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  }, 300_000);

  it('ships the compiled package and its declarations, not the tests or the sources', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/src/check/check-worker.mjs');
    expect(files).toContain('bin/shootdown.mjs');
    expect(files.filter((f) => /^(test|bench|mutation|src|model)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it("runs the README's own example word for word with npx", () => {
    const command = readmeBlock('Check your own protocol', 'sh').trim();
    expect(command).toBe('npx shootdown check --variant-file examples/migrate-flush-dirty-only.ts');
    mkdirSync(join(project, 'examples'));
    writeFileSync(
      join(project, 'examples/migrate-flush-dirty-only.ts'),
      readmeBlock('Check your own protocol', 'ts'),
    );
    const [cmd, ...args] = command.split(' ');
    const r = spawnSync(cmd!, args, { cwd: project, encoding: 'utf8' });
    expect([r.stderr, r.status]).toEqual(['', 0]);
    expect(r.stdout).toMatch(/migrate-flush-dirty-only: .*\[small; as expected\]/);
    expect(r.stdout).toMatch(/1 protocols, 8 verdicts: every one as expected/);
  });

  it('loads a .ts helper by its .js name, and a world of the file’s own, on worker threads', () => {
    writeFileSync(join(project, 'examples/helpers.ts'), "export const WORLD: string = 'my-three-cpus';\n");
    writeFileSync(
      join(project, 'examples/own-world.mts'),
      [
        "import { CONFIGS, defineConfig, defineVariant, findVariant } from 'shootdown';",
        "import { WORLD } from './helpers.js';",
        "export const threeCpus = defineConfig({ ...CONFIGS['tiny-3cpu'], name: WORLD, why: 'three CPUs of one mm' });",
        "export default defineVariant({ id: 'mine', title: 't', source: 's', base: findVariant('migrate-batched')!, world: WORLD });",
      ].join('\n'),
    );
    for (const engine of [
      ['--engine', 'random', '--runs', '200', '--jobs', '2'],
      ['--engine', 'exhaustive', '--workers', '2'],
    ]) {
      const r = spawnSync(
        'npx',
        ['shootdown', 'check', '--variant-file', 'examples/own-world.mts', ...engine],
        {
          cwd: project,
          encoding: 'utf8',
        },
      );
      expect([engine, r.stderr, r.status]).toEqual([engine, '', 0]);
      expect(r.stdout).toMatch(/mine: .*\[my-three-cpus; as expected\]/);
    }
  });

  it('a misspelled key in the installed package is refused in one line, exit 2', () => {
    writeFileSync(
      join(project, 'typo.ts'),
      "import { defineVariant, findVariant } from 'shootdown';\nexport default defineVariant({ id: 'typo', title: 't', source: 's', base: findVariant('migrate-batched')!, policy: { migrat: {} } });\n",
    );
    const r = spawnSync('npx', ['shootdown', 'check', '--variant-file', 'typo.ts'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `shootdown: cannot load variant file typo.ts: variant "typo": policy.migrat: unknown key (did you mean 'migrate'?)`,
    ]);
  });

  it('plain node imports the library, as ESM and from CommonJS', () => {
    const esm = [
      "import { CONFIGS, checkVariant, findVariant, VERSION } from 'shootdown';",
      "const verdict = checkVariant(findVariant('reclaim-batched-wrong-free-before-flush'), { config: CONFIGS.tiny, runs: 300, seed: 1 });",
      'console.log(VERSION, verdict.invariants.some((v) => v.verdict === "violated"));',
    ].join('\n');
    writeFileSync(join(project, 'use.mjs'), esm);
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
    expect(execFileSync('node', ['use.mjs'], { cwd: project, encoding: 'utf8' }).trim()).toBe(
      `${version} true`,
    );
    // require() of an ES module: Node 20.19 and later
    const cjs = "const { findVariant } = require('shootdown'); console.log(findVariant('sync').id);";
    expect(execFileSync('node', ['-e', cjs], { cwd: project, encoding: 'utf8' }).trim()).toBe('sync');
  });
});
