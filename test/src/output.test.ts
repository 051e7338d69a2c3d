// Outputs are checked before the work and never replace what the user had: a symlink is
// followed, a device written through, a folder refused, a regular file replaced whole.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputPath, writeOutput } from '../../src/cli/output.js';
import { UsageError } from '../../src/usage-error.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'shootdown-output-'));

describe('checkOutputPath', () => {
  it('accepts a new file in a folder that can be made, and an existing writable file', () => {
    const dir = scratch();
    expect(() => checkOutputPath(join(dir, 'a', 'b', 'trace.json'), '--trace')).not.toThrow();
    writeFileSync(join(dir, 'x.html'), 'old');
    expect(() => checkOutputPath(join(dir, 'x.html'), '--html')).not.toThrow();
  });

  it('refuses a folder where a file is meant, a file where a folder is meant, and a path under a file', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'file'), '');
    expect(() => checkOutputPath(dir, '--out')).toThrow(/--out .*: is a folder; name a file/);
    expect(() => checkOutputPath(dir, '--trace', { folderOk: true })).not.toThrow();
    expect(() => checkOutputPath(join(dir, 'file'), '--out', { folder: true })).toThrow(/is not a folder/);
    expect(() => checkOutputPath(join(dir, 'file', 'x.md'), '--out')).toThrow(/is not a folder/);
    expect(() => checkOutputPath('', '--out')).toThrow(UsageError);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a file or folder it may not write', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'ro'), '');
    chmodSync(join(dir, 'ro'), 0o444);
    expect(() => checkOutputPath(join(dir, 'ro'), '--out')).toThrow(/is not writable/);
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o555);
    expect(() => checkOutputPath(join(dir, 'locked', 'new.md'), '--out')).toThrow(/is not writable/);
  });
});

describe('writeOutput', () => {
  it('replaces a regular file whole and keeps its mode', () => {
    const dir = scratch();
    const file = join(dir, 'report.md');
    writeFileSync(file, 'old');
    chmodSync(file, 0o640);
    writeOutput(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('writes a symlink’s target and keeps the link, a dangling one too', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'real.md'), 'old');
    symlinkSync(join(dir, 'real.md'), join(dir, 'link.md'));
    writeOutput(join(dir, 'link.md'), 'new');
    expect(lstatSync(join(dir, 'link.md')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.md'), 'utf8')).toBe('new');
    symlinkSync(join(dir, 'later.md'), join(dir, 'dangling.md'));
    writeOutput(join(dir, 'dangling.md'), 'made');
    expect(lstatSync(join(dir, 'dangling.md')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'later.md'), 'utf8')).toBe('made');
  });

  it('writes through a device and never turns it into a file; a full one fails in one line', () => {
    const dir = scratch();
    // through links, so a regression replaces the links, never the devices themselves
    symlinkSync('/dev/null', join(dir, 'null'));
    symlinkSync('/dev/full', join(dir, 'full'));
    writeOutput(join(dir, 'null'), 'gone');
    expect(readlinkSync(join(dir, 'null'))).toBe('/dev/null');
    expect(statSync(join(dir, 'null')).isCharacterDevice()).toBe(true);
    expect(() => writeOutput(join(dir, 'full'), 'x')).toThrow(/^cannot write .*full: ENOSPC[^\n]*$/);
    expect(statSync(join(dir, 'full')).isCharacterDevice()).toBe(true);
  });

  it('writes through a FIFO to its reader', () => {
    const dir = scratch();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const out = join(dir, 'read.txt');
    const reader = execFileSync('sh', ['-c', `cat '${fifo}' > '${out}' 2>/dev/null & echo $!`])
      .toString()
      .trim();
    writeOutput(fifo, 'through the pipe');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    execFileSync('sh', ['-c', `while kill -0 ${reader} 2>/dev/null; do sleep 0.05; done`]);
    expect(readFileSync(out, 'utf8')).toBe('through the pipe');
  });

  it('refuses a folder and leaves it alone', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'keep'));
    writeFileSync(join(dir, 'keep', 'inside'), 'mine');
    expect(() => writeOutput(join(dir, 'keep'), 'x')).toThrow(UsageError);
    expect(readFileSync(join(dir, 'keep', 'inside'), 'utf8')).toBe('mine');
  });
});
