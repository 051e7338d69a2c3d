// `shootdown report NAME`: a generated report.

import { formatDuration, StatusLine } from '../progress.js';
import { migrcSafetyReport } from '../studies/migrc/report.js';
import { UsageError } from '../usage-error.js';
import type { Io } from './io.js';
import { checkOutputPath, writeOutput } from './output.js';

export interface ReportFlags {
  out?: string;
  stdout?: boolean;
}

/** `shootdown report migrc`: print the report, or write it with --out. */
export function runReport(which: string, o: ReportFlags, io: Io): number {
  if (which !== 'migrc') throw new UsageError(`unknown report '${which}' (known: migrc)`);
  const out = o.stdout ? undefined : o.out;
  if (out !== undefined) checkOutputPath(out, '--out');
  const status = new StatusLine(io.status);
  const text = migrcSafetyReport((what) =>
    status.set(`report migrc, ${formatDuration(status.elapsedMs)}: ${what}`),
  );
  status.clear();
  if (out === undefined) io.out(text);
  else {
    writeOutput(out, text);
    io.out(`wrote ${out}`);
  }
  return 0;
}
