// Counterexamples as files: a versioned JSON document a reviewer can attach to a mail and
// anyone can replay with `shootdown replay`. The schema is checked on load, so a truncated
// or hand-edited file is refused with one line naming the field.

import { z } from 'zod';
import { ACTION_TABLE, type Action, type ArgKind, argsOf, OPS } from '../../model/action-table.js';
import { type Config, configProblem, SYSCALL_OPS, type SyscallOp } from '../../model/config.js';
import { type State, SYSCALLS } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import type { Invariant } from '../../properties/invariants.js';
import { type ReplayResult, replay } from '../engine/trace.js';
import { VERSION } from '../version.js';
import type { RaceReportInput } from './report.js';

export const TRACE_FORMAT = 'shootdown-trace';
/** Bump when a field changes meaning; a reader refuses versions it does not know. */
export const TRACE_VERSION = 1;

const index = z.number().int().min(0);
const vpages = z.array(index).min(1);

/** How a trace file's action argument of each kind is checked (the world checks the ranges). */
const ARG_SCHEMA: { readonly [K in ArgKind]: z.ZodType } = {
  cpu: index,
  mm: index,
  vpage: index,
  index,
  task: index,
  frame: index,
  value: z.number().int().min(1),
  vpages,
  call: z.enum(SYSCALLS),
};

// One schema per action, from the model's table of actions (model/action-table.ts).
const [first, ...rest] = OPS.map((op) =>
  z.strictObject({
    op: z.literal(op),
    ...Object.fromEntries(Object.entries(ACTION_TABLE[op]).map(([name, kind]) => [name, ARG_SCHEMA[kind]])),
  }),
);
// Built from the table, so it is the Action type by construction; zod cannot infer that.
const actionSchema = z.discriminatedUnion('op', [first!, ...rest]) as unknown as z.ZodType<Action>;

const configSchema = z.strictObject({
  name: z.string().min(1),
  why: z.string(),
  cpus: z.number().int(),
  cpuMm: z.array(z.number().int()),
  mms: z.number().int(),
  pages: z.number().int(),
  frames: z.number().int(),
  values: z.number().int(),
  taskCpus: z.array(z.number().int()),
  batch: z.number().int(),
  ptesPerTable: z.number().int(),
  allocator: z.enum(['lowest-free', 'lifo']).optional(),
  syscalls: z.array(z.enum(SYSCALL_OPS as readonly SyscallOp[] as [SyscallOp, ...SyscallOp[]])).optional(),
  syscallTasks: z.array(z.number().int()).optional(),
  contextSwitches: z.boolean().optional(),
  memoryPressure: z.boolean().optional(),
  pcid: z.boolean().optional(),
  tso: z.boolean().optional(),
  forkChild: z.number().int().optional(),
  sharedFile: z.boolean().optional(),
  mapPrivate: z.array(z.number().int()).optional(),
  pfnmap: z.union([z.boolean(), z.array(z.number().int())]).optional(),
  migrcGenBits: z.number().int().optional(),
  moveFailures: z.boolean().optional(),
  perCallPromises: z.boolean().optional(),
  holes: z.array(z.number().int()).optional(),
});

const traceSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT),
  version: z.literal(TRACE_VERSION),
  tool: z.string(),
  protocol: z.string().min(1),
  /** Where a protocol outside the registry came from; never loaded from here (it is code). */
  variantFile: z.string().optional(),
  config: configSchema,
  invariant: z.string().min(1),
  engine: z.string(),
  seed: z.number().int().optional(),
  provenance: z.string().optional(),
  actions: z.array(actionSchema),
  /** The state after each action, for readers and for spotting a changed model; replay recomputes them. */
  states: z.array(z.record(z.string(), z.unknown())),
  violation: z.strictObject({ atStep: index, message: z.string() }),
});

export type TraceDocument = z.infer<typeof traceSchema>;

/** The document for one counterexample, as `--trace` writes it. */
export function traceDocument(input: RaceReportInput): TraceDocument {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    tool: `shootdown ${VERSION}`,
    protocol: input.variant.id,
    ...(input.variantFile === undefined ? {} : { variantFile: input.variantFile }),
    config: { ...input.config } as TraceDocument['config'],
    invariant: input.invariant.id,
    engine: input.engine,
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    ...(input.provenance === undefined ? {} : { provenance: input.provenance }),
    actions: input.trace.steps.map((s) => s.action),
    states: input.trace.steps.map((s) => s.state as unknown as Record<string, unknown>),
    violation: { atStep: input.trace.steps.length, message: input.witness.message },
  };
}

/** One field per line, and one action or state per line, so a diff of two traces reads step by step. */
export function formatTraceDocument(doc: TraceDocument): string {
  const field = ([key, value]: [string, unknown]): string =>
    Array.isArray(value) && (key === 'actions' || key === 'states')
      ? `  ${JSON.stringify(key)}: [${value.length === 0 ? '' : `\n${value.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  `}]`
      : `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  return `{\n${Object.entries(doc).map(field).join(',\n')}\n}\n`;
}

/** Thrown for a file that is not a trace this version can read; the message is one line. */
export class TraceFileError extends Error {}

const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`,
    '',
  ) || '(top level)';

/** Parse and check a trace document's text; `name` is how errors refer to the file. */
export function parseTraceDocument(text: string, name: string): TraceDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TraceFileError(`${name} is not JSON (truncated or hand-edited?): ${(e as Error).message}`);
  }
  if (typeof raw === 'object' && raw !== null && 'format' in raw && raw.format === TRACE_FORMAT) {
    const version = (raw as { version?: unknown }).version;
    if (version !== TRACE_VERSION)
      throw new TraceFileError(
        `${name} is trace format version ${String(version)}; this shootdown (${VERSION}) reads version ${TRACE_VERSION}`,
      );
  }
  const parsed = traceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TraceFileError(`${name}: ${pathText(issue.path)}: ${issue.message.split('\n')[0]}`);
  }
  const doc = parsed.data;
  const config = doc.config as Config;
  const problem = configProblem(config);
  if (problem !== null) throw new TraceFileError(`${name}: config: ${problem}`);
  doc.actions.forEach((a, i) => {
    const bad = actionOutOfRange(config, a);
    if (bad !== null) throw new TraceFileError(`${name}: actions[${i}].${bad}`);
  });
  // a counterexample needs a step: only the initial state could break an invariant otherwise,
  // and the model's initial states break none
  if (doc.actions.length === 0) throw new TraceFileError(`${name}: actions: a trace has at least one action`);
  if (doc.states.length > doc.actions.length)
    throw new TraceFileError(
      `${name}: states: ${doc.states.length} states for ${doc.actions.length} actions (one per action at most)`,
    );
  if (doc.violation.atStep > doc.actions.length)
    throw new TraceFileError(
      `${name}: violation.atStep: step ${doc.violation.atStep} of a trace of ${doc.actions.length} actions`,
    );
  return doc;
}

/** The field of `a` that names a CPU, mm, page, task or frame the config does not have, with why. */
function actionOutOfRange(c: Config, a: Action): string | null {
  for (const [name, kind, value] of argsOf(a)) {
    const bad = argOutOfRange(c, name, kind, value);
    if (bad !== null) return bad;
  }
  return null;
}

/** What is wrong with an action's argument in config `c`, by its kind, or null. */
function argOutOfRange(c: Config, name: string, kind: ArgKind, value: unknown): string | null {
  const over = (x: number, count: number, what: string) =>
    x < count ? null : `${name}: ${what} ${x} does not exist in config ${c.name} (${count} ${what}s)`;
  switch (kind) {
    case 'cpu':
      return over(value as number, c.cpus, 'CPU');
    case 'task':
      return over(value as number, c.taskCpus.length, 'task');
    case 'mm':
      return over(value as number, c.mms, 'mm');
    case 'vpage':
    case 'index':
      return over(value as number, c.pages, 'page');
    case 'frame':
      return over(value as number, c.frames, 'frame');
    case 'vpages':
      return (
        (value as readonly number[]).map((v) => over(v, c.pages, 'page')).find((f) => f !== null) ?? null
      );
    case 'value':
      // a store or write(2) puts one of 1..values (0 is every page's initial contents)
      return (value as number) < 1 || (value as number) > c.values
        ? `${name}: ${value} is not a value config ${c.name} stores (1 to ${c.values})`
        : null;
    case 'call':
      return null;
  }
}

/** JSON with object keys sorted, so two states compare whatever order their keys were written in. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (typeof x === 'object' && x !== null) {
    const keys = Object.keys(x).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

export type ReplayOutcome =
  /** The trace still breaks its invariant (at `atStep`, which may differ from the recorded step). */
  | { readonly kind: 'violated'; readonly atStep: number }
  /** Every action replays and the invariant is never broken. */
  | { readonly kind: 'holds' }
  /** Action `step` (1-based) is not enabled in the state the earlier ones lead to. */
  | { readonly kind: 'disabled'; readonly step: number };

export interface TraceReplay {
  readonly outcome: ReplayOutcome;
  readonly result: ReplayResult;
  /** The first step (1-based) whose recomputed state differs from the recorded one, if any. */
  readonly firstDifferentState: number | null;
}

/** Step a trace document's actions through `variant`, checking only `invariant`. */
export function replayTraceDocument(doc: TraceDocument, variant: Variant, invariant: Invariant): TraceReplay {
  const result = replay(variant, doc.config as Config, doc.actions, { invariants: [invariant] });
  const outcome: ReplayOutcome =
    result.disabledAt !== null
      ? { kind: 'disabled', step: result.disabledAt + 1 }
      : result.violation !== null
        ? { kind: 'violated', atStep: result.violation.atStep }
        : { kind: 'holds' };
  const recomputed: readonly State[] = result.trace.steps.map((s) => s.state);
  let firstDifferentState: number | null = null;
  for (let i = 0; i < Math.min(recomputed.length, doc.states.length); i++)
    if (canonical(recomputed[i]) !== canonical(doc.states[i])) {
      firstDifferentState = i + 1;
      break;
    }
  return { outcome, result, firstDifferentState };
}
