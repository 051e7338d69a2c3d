// Counterexamples as files: a versioned JSON document a reviewer can attach to a mail and
// anyone can replay with `shootdown replay`. The schema is checked on load, so a truncated
// or hand-edited file is refused with one line naming the field.

import { z } from 'zod';
import type { Action } from '../../model/actions.js';
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

// One schema per Action variant; `satisfies` below keeps it in step with the model's type.
const actionSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('load'), cpu: index, vpage: index }),
  z.strictObject({ op: z.literal('store'), cpu: index, vpage: index, value: z.number().int().min(1) }),
  z.strictObject({ op: z.literal('tlbEvict'), cpu: index, mm: index, vpage: index }),
  z.strictObject({ op: z.literal('reuseFrame'), frame: index }),
  z.strictObject({ op: z.literal('migrate_pages'), task: index, mm: index, vpages }),
  z.strictObject({ op: z.literal('shrink_folio_list'), task: index, mm: index, vpages }),
  z.strictObject({
    op: z.literal('syscall'),
    task: index,
    call: z.enum(SYSCALLS),
    mm: index,
    vpages,
  }),
  z.strictObject({ op: z.literal('write'), task: index, vpage: index, value: z.number().int().min(1) }),
  z.strictObject({ op: z.literal('mmap'), mm: index, vpages }),
  z.strictObject({ op: z.literal('flush_tlb_local'), cpu: index }),
  z.strictObject({ op: z.literal('switch_mm'), cpu: index, mm: index }),
  z.strictObject({ op: z.literal('load_new_mm_cr3'), cpu: index }),
  z.strictObject({ op: z.literal('set_loaded_mm'), cpu: index }),
  z.strictObject({ op: z.literal('enter_lazy_tlb'), cpu: index }),
  z.strictObject({ op: z.literal('migrc_stop_pending') }),
  z.strictObject({ op: z.literal('migrc_resume_pending') }),
  z.strictObject({ op: z.literal('kernelStep'), task: index }),
  z.strictObject({ op: z.literal('copyFails'), task: index }),
  z.strictObject({ op: z.literal('wp_page_copy'), cpu: index }),
  z.strictObject({ op: z.literal('writeback'), index }),
  z.strictObject({ op: z.literal('remove_mapping'), index }),
]);
// Fails to compile if the model gains an action the schema does not know, or the reverse.
type SchemaAction = z.infer<typeof actionSchema>;
type Frozen<T> = T extends unknown
  ? { readonly [K in keyof T]: T[K] extends (infer U)[] ? readonly U[] : T[K] }
  : never;
const _sameActions: [SchemaAction, Action] extends [Action, Frozen<SchemaAction>] ? true : never = true;
void _sameActions;

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
  forkChild: z.number().int().optional(),
  sharedFile: z.boolean().optional(),
  mapPrivate: z.array(z.number().int()).optional(),
  migrcGenBits: z.number().int().optional(),
  moveFailures: z.boolean().optional(),
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
    actions: input.trace.steps.map((s) => s.action) as SchemaAction[],
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
    const bad = actionOutOfRange(config, a as Action);
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
  const over = (field: string, value: number, count: number, what: string) =>
    value < count
      ? null
      : `${field}: ${what} ${value} does not exist in config ${c.name} (${count} ${what}s)`;
  const fields: (string | null)[] = [];
  if ('cpu' in a) fields.push(over('cpu', a.cpu, c.cpus, 'CPU'));
  if ('task' in a) fields.push(over('task', a.task, c.taskCpus.length, 'task'));
  if ('mm' in a) fields.push(over('mm', a.mm, c.mms, 'mm'));
  if ('vpage' in a) fields.push(over('vpage', a.vpage, c.pages, 'page'));
  if ('frame' in a) fields.push(over('frame', a.frame, c.frames, 'frame'));
  if ('vpages' in a) for (const v of a.vpages) fields.push(over('vpages', v, c.pages, 'page'));
  // a store or write(2) puts one of 1..values (0 is every page's initial contents)
  if ('value' in a && (a.value < 1 || a.value > c.values))
    fields.push(`value: ${a.value} is not a value config ${c.name} stores (1 to ${c.values})`);
  return fields.find((f) => f !== null) ?? null;
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
  const result = replay(variant, doc.config as Config, doc.actions as Action[], { invariants: [invariant] });
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
