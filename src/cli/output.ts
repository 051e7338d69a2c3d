// Files the CLI writes (--trace, --html, --out): checked before any work starts, written
// whole or not at all, and never at the cost of what the user had. A regular file is
// replaced atomically (a temporary file renamed over it, its mode kept); a symlink is
// followed and its target written, the link kept; a device or a FIFO is written through
// (`--html /dev/stdout` works; /dev/full fails with one line); a folder is never replaced.

import {
  accessSync,
  chmodSync,
  constants,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../usage-error.js';

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nearest folder that exists above a path that does not, or the reason there is none. */
function creatableIn(path: string): string | null {
  let dir = dirname(resolve(path));
  for (;;) {
    const st = statOrNull(dir, true);
    if (st !== null) {
      if (!st.isDirectory()) return `${dir} is not a folder`;
      return writable(dir) ? null : `${dir} is not writable`;
    }
    const up = dirname(dir);
    if (up === dir) return `no folder to create it in`;
    dir = up;
  }
}

/**
 * Refuse, before the work starts, an output that could not be written: `what` names the
 * flag in the one-line error. `folder`: the output is a folder of files (cost's --out).
 * For a file output an existing folder is refused unless `folderOk` (--trace and --html
 * write one file per counterexample into a folder).
 */
export function checkOutputPath(
  path: string,
  what: string,
  o: { readonly folder?: boolean; readonly folderOk?: boolean } = {},
): void {
  const fail = (why: string) => {
    throw new UsageError(`${what} ${path}: ${why}`);
  };
  if (path === '') fail('an empty path');
  const st = statOrNull(path, true);
  if (st === null) {
    if (statOrNull(path, false) !== null) {
      // a dangling symlink: its target will be created
      const why = creatableIn(realTarget(path));
      if (why !== null) fail(why);
      return;
    }
    const why = creatableIn(o.folder ? join(path, 'x') : path);
    if (why !== null) fail(why);
    return;
  }
  if (st.isDirectory()) {
    if (!o.folder && !o.folderOk) fail('is a folder; name a file');
    if (!writable(path)) fail('folder is not writable');
    return;
  }
  if (o.folder) fail('is not a folder');
  if (!writable(path)) fail('is not writable');
}

/** Where a symlink chain ends, even if its last target does not exist. */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Write `text` to `path` as the header of this file describes; a failure is one UsageError line. */
export function writeOutput(path: string, text: string): void {
  try {
    const link = lstatSync(path, { throwIfNoEntry: false });
    if (link?.isSymbolicLink()) {
      const target = statOrNull(path, true);
      // follow the link; a dangling one is written through, which creates its target
      if (target?.isFile()) replaceFile(realpathSync(path), text, target);
      else writeThrough(path, text, target);
    } else if (link === undefined) {
      mkdirSync(dirname(path), { recursive: true });
      replaceFile(path, text, null);
    } else if (link.isFile()) replaceFile(path, text, link);
    else writeThrough(path, text, link);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write ${path}: ${firstLine(e)}`);
  }
}

function writeThrough(path: string, text: string, st: Stats | null): void {
  if (st?.isDirectory()) throw new UsageError(`cannot write ${path}: it is a folder`);
  writeFileSync(path, text);
}

/** A regular file (or a new one): a temporary file beside it, renamed over it. */
function replaceFile(path: string, text: string, st: Stats | null): void {
  const dir = dirname(path);
  if (!writable(dir)) {
    // no room for a temporary file beside it: write the file in place
    writeFileSync(path, text);
    return;
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    if (st !== null) chmodSync(tmp, st.mode & 0o7777);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was left behind
    }
    throw e;
  }
}
