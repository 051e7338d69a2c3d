import { closeSync, openSync, readSync } from 'node:fs';
import type { StatusSink } from '../progress.js';
import { wantsColor } from '../report/report.js';
import { UsageError } from '../usage-error.js';
import { INTERRUPTED_EXIT } from './check.js';

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

export const processIo: Io = {
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

/** A string from a file, safe to print: control characters shown escaped. */
export const printable = (s: string): string =>
  Array.from(s, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 || (n >= 0x7f && n <= 0x9f) ? `\\u${n.toString(16).padStart(4, '0')}` : c;
  }).join('');

/** A file's text, refused in one line if it holds more than `max` bytes (a device such as /dev/zero never ends). */
export function readBounded(file: string, max: number, what: string): string {
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
