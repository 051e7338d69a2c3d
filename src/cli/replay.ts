// `shootdown replay FILE`: a trace file replayed against this version's model.

import { resolve } from 'node:path';
import type { Action } from '../../model/actions.js';
import { CONFIGS, type Config } from '../../model/config.js';
import { findVariant, VARIANTS } from '../../model/registry.js';
import { pcidPolicyProblem } from '../../model/switch.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { describeAction } from '../codec/format.js';
import { formatRaceReport, type RaceReportInput } from '../report/report.js';
import {
  formatTraceDocument,
  parseTraceDocument,
  replayTraceDocument,
  traceDocument,
} from '../report/trace-file.js';
import { UsageError } from '../usage-error.js';
import { loadVariantFiles } from './args.js';
import { outputs } from './check.js';
import { type Io, printable, readBounded } from './io.js';
import { writeOutput } from './output.js';

/** The most a trace file may hold; one of the longest counterexamples is about 200 KB. */
const MAX_TRACE_BYTES = 16 * 1024 * 1024;

export interface ReplayFlags {
  protocol?: string;
  variantFile?: string[];
  trace?: string;
  html?: string;
  update?: boolean;
}

/** `shootdown replay FILE`: 1 still violated, 0 now holds, 2 a step no longer applies (or bad input). */
export async function runReplay(file: string, flags: ReplayFlags, io: Io): Promise<number> {
  const text = readBounded(file, MAX_TRACE_BYTES, 'a trace file');
  for (const [path, , what] of outputs(flags))
    if (resolve(path) === resolve(file))
      throw new UsageError(`--${what} ${path} would overwrite the trace being replayed; name another file`);
  const parsed = parseTraceDocument(text, file);
  // Strings from a shared file reach the reader's terminal: no control characters.
  const doc = {
    ...parsed,
    tool: printable(parsed.tool),
    engine: printable(parsed.engine),
    config: { ...parsed.config, name: printable(parsed.config.name) },
    ...(parsed.variantFile === undefined ? {} : { variantFile: printable(parsed.variantFile) }),
  };
  const invariant = findInvariant(doc.invariant);
  if (invariant === undefined)
    throw new UsageError(
      `${file}: invariant: unknown invariant '${printable(doc.invariant)}' (known: ${INVARIANTS.map((i) => i.id).join(', ')})`,
    );
  const { fromFiles, fileOf } = await loadVariantFiles(flags.variantFile);
  const id = printable(flags.protocol ?? doc.protocol);
  const variant = fromFiles.find((v) => v.id === id) ?? findVariant(id);
  if (variant === undefined) {
    const known = [...fromFiles, ...VARIANTS].map((v) => v.id).join(', ');
    if (flags.protocol !== undefined) throw new UsageError(`unknown protocol '${id}' (known: ${known})`);
    if (doc.variantFile !== undefined && fromFiles.length === 0)
      throw new UsageError(
        `${file} is a trace of protocol '${id}' from ${doc.variantFile}; pass --variant-file ${doc.variantFile} to replay it`,
      );
    throw new UsageError(
      `${file} is a trace of protocol '${id}', which is not ${fromFiles.length > 0 ? 'in the variant files given nor ' : ''}in the registry (use --protocol to replay it against another)`,
    );
  }
  const config = doc.config as Config;
  // the PCID model covers some protocols only (as `check --config` with PCID refuses the rest)
  const pcid = config.pcid ? pcidPolicyProblem(variant.policy) : null;
  if (pcid !== null) throw new UsageError(`${file}: config ${config.name} has PCID: ${variant.id}: ${pcid}`);
  const against = variant.id === doc.protocol ? variant.id : `${variant.id} (recorded: ${doc.protocol})`;
  io.out(
    `replaying ${file}: ${doc.actions.length} steps of ${against} in ${config.name}, recorded as breaking ${invariant.id} at step ${doc.violation.atStep} (${doc.tool}, ${doc.engine})`,
  );
  const registered = Object.hasOwn(CONFIGS, config.name)
    ? (CONFIGS as Record<string, Config>)[config.name]
    : undefined;
  if (registered !== undefined && JSON.stringify(registered) !== JSON.stringify(config))
    io.out(`note: config ${config.name} has changed since; replaying in the recorded one`);
  const { outcome, result, firstDifferentState } = replayTraceDocument(doc, variant, invariant);
  if (firstDifferentState !== null && variant.id === doc.protocol)
    io.out(
      `note: the state after step ${firstDifferentState} differs from the recorded one (the model has changed since ${doc.tool})`,
    );
  if (outcome.kind === 'disabled') {
    const action = doc.actions[outcome.step - 1]!;
    io.out(
      `no longer applies: step ${outcome.step}, ${describeAction(action as Action)}, is not enabled ${outcome.step === 1 ? 'in the initial state' : `after step ${outcome.step - 1}`}`,
    );
    for (const [, , what] of outputs(flags)) io.out(`${what}: nothing to write, the trace does not replay`);
    return 2;
  }
  if (outcome.kind === 'holds') {
    io.out(`now holds: all ${doc.actions.length} steps replay and none breaks ${invariant.id}`);
    for (const [, , what] of outputs(flags))
      io.out(`${what}: nothing to write, the trace no longer breaks its invariant`);
    return 0;
  }
  const input: RaceReportInput = {
    variant,
    config,
    invariant,
    witness: result.violation!.witness,
    trace: result.trace,
    engine: `replay of ${file}`,
    traceFile: file,
    provenance: `first found by ${doc.engine}${doc.seed === undefined ? '' : `, seed ${doc.seed}`}`,
    ...(fileOf.has(variant) ? { variantFile: fileOf.get(variant)! } : {}),
  };
  io.out('');
  io.out(formatRaceReport(input, { color: io.color ?? false }));
  io.out('');
  io.out(
    outcome.atStep === doc.violation.atStep
      ? `still violates ${invariant.id} at step ${outcome.atStep}, as recorded`
      : `still violates ${invariant.id}, now at step ${outcome.atStep} (recorded at step ${doc.violation.atStep})`,
  );
  for (const [path, , what, render] of outputs(flags)) {
    writeOutput(path, render(input));
    io.out(`${what}: wrote ${path}`);
  }
  if (flags.update && firstDifferentState !== null) {
    // Same counterexample, same step: only the states and the tool version are refreshed.
    if (variant.id !== doc.protocol || outcome.atStep !== doc.violation.atStep)
      throw new UsageError(
        `--update keeps a trace only when its own protocol still breaks ${invariant.id} at the recorded step; ${file} is unchanged`,
      );
    const updated = traceDocument(input);
    writeOutput(
      file,
      formatTraceDocument({
        ...doc,
        tool: updated.tool,
        states: updated.states,
        violation: updated.violation,
      }),
    );
    io.out(`updated ${file}: the states of this version, the same ${doc.actions.length} steps`);
  }
  return 1;
}
