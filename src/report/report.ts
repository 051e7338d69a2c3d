// Counterexamples as race reports: one row per step, one column per CPU (kernel tasks in
// the column of the CPU they run on, marked [T<n>]), what the step changed, the failing
// row marked, the invariant and its why, and how to replay it.

import type { Action } from '../../model/actions.js';
import type { Config } from '../../model/config.js';
import type { State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import type { Invariant, Witness } from '../../properties/invariants.js';
import { describeChanges, describeStep, stepColumn } from '../codec/format.js';
import type { Trace } from '../engine/trace.js';

export interface RaceReportInput {
  readonly variant: Variant;
  readonly config: Config;
  readonly invariant: Invariant;
  readonly witness: Witness;
  readonly trace: Trace;
  readonly engine: string;
  /** The random engine's seed; absent for the explorer. */
  readonly seed?: number;
  /** How the engine got here, e.g. "found in run 13, shrunk to 8 steps". */
  readonly provenance?: string;
  /** The file the variant came from, when it is not in the registry. */
  readonly variantFile?: string;
  /** The trace file this was replayed from: the replay line replays it. */
  readonly traceFile?: string;
  /**
   * A deep engine found it, after storing `states` states: the replay line runs the same
   * search to that many states, so it finds it again on any machine.
   */
  readonly deep?: { readonly engine: 'swarm' | 'bitstate'; readonly states: number };
}

export function describeConfig(c: Config): string {
  const tasks = c.taskCpus.map((cpu, i) => `T${i} on CPU ${cpu}`).join(', ') || 'no kernel tasks';
  return `${c.name}: ${c.cpus} CPUs, ${c.mms} mm${c.mms > 1 ? 's' : ''}, ${c.pages} page${c.pages > 1 ? 's' : ''}, ${c.frames} frames, ${tasks}`;
}

/** The actions as TypeScript, one per line, for pasting into a test. */
export function actionsAsCode(actions: readonly Action[], indent: string): string {
  return actions
    .map(
      (a) =>
        `${indent}${JSON.stringify(a)
          .replace(/"(\w+)":/g, '$1: ')
          .replace(/"/g, "'")
          .replace(/,/g, ', ')},`,
    )
    .join('\n');
}

export function replayCommand(
  input: Pick<
    RaceReportInput,
    'variant' | 'config' | 'invariant' | 'seed' | 'variantFile' | 'traceFile' | 'deep'
  >,
  runs?: number,
): string {
  if (input.traceFile !== undefined) {
    const file = input.variantFile === undefined ? '' : ` --variant-file ${input.variantFile}`;
    return `npx shootdown replay ${input.traceFile}${file} --protocol ${input.variant.id}`;
  }
  const r = runs === undefined ? '' : ` --runs ${runs}`;
  const file = input.variantFile === undefined ? '' : ` --variant-file ${input.variantFile}`;
  const how =
    input.deep !== undefined
      ? ` --engine ${input.deep.engine}${input.deep.engine === 'swarm' ? ` --seed ${input.seed}` : ''} --max-states ${input.deep.states} --max-seconds ${10 ** 6}`
      : input.seed === undefined
        ? ' --engine exhaustive'
        : ` --seed ${input.seed}${r}`;
  return `npx shootdown check${file} --protocol ${input.variant.id} --config ${input.config.name} --invariant ${input.invariant.id}${how}`;
}

/**
 * A step's cell: a kernel task's steps carry their task, `[T0] try_to_unmap_flush`; a
 * system call reads as the user's call in its CPU's column, without one.
 */
export function stepText(variant: Variant, pre: State, action: Action): string {
  const task = 'task' in action && action.op !== 'syscall';
  return (task ? `[T${action.task}] ` : '') + describeStep(variant, pre, action);
}

// ANSI styles as (on, off) pairs; each closes only itself, so styles nest.
const ANSI = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
} as const;
type Style = keyof typeof ANSI;
type Paint = (style: Style, text: string) => string;
const plain: Paint = (_, text) => text;
const ansi: Paint = (style, text) =>
  text === '' ? text : `\x1b[${ANSI[style][0]}m${text}\x1b[${ANSI[style][1]}m`;

/**
 * Colour for a terminal: on when stdout is one, off with NO_COLOR (https://no-color.org) or
 * when piped; FORCE_COLOR turns it on regardless.
 */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (
    env.FORCE_COLOR !== undefined &&
    env.FORCE_COLOR !== '' &&
    env.FORCE_COLOR !== '0' &&
    env.FORCE_COLOR !== 'false'
  )
    return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface RaceReportOptions {
  /** fast-check runs for the replay line. */
  readonly runs?: number;
  /** ANSI colours (for a terminal); the layout is the same either way. */
  readonly color?: boolean;
}

export function formatRaceReport(input: RaceReportInput, options: RaceReportOptions = {}): string {
  const { variant, config, invariant, witness, trace } = input;
  const paint = options.color ? ansi : plain;
  const nSteps = trace.steps.length;
  const rows: { n: string; cells: string[]; changed: string; task: boolean[] }[] = [];
  let pre = trace.initial;
  trace.steps.forEach((step, i) => {
    const column = stepColumn(pre, step.action);
    const text = stepText(variant, pre, step.action);
    const cells = Array.from({ length: config.cpus + 1 }, (_, c) =>
      (column ?? config.cpus) === c ? text : '',
    );
    const changed = describeChanges(pre, step.state).join('; ') || '(nothing)';
    rows.push({
      n: `${i + 1 === nSteps ? '>>' : '  '}${i + 1}`,
      cells,
      changed,
      task: cells.map((c) => c.startsWith('[T')),
    });
    pre = step.state;
  });
  const hasKernelColumn = rows.some((r) => r.cells[config.cpus] !== '');
  const headers = [
    ...Array.from({ length: config.cpus }, (_, c) => `CPU ${c}`),
    ...(hasKernelColumn ? ['kernel'] : []),
  ];
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r.cells[c]!.length)));
  const nWidth = Math.max(4, ...rows.map((r) => r.n.length));
  // Padding is computed on the plain text, then each piece is painted, so columns line up
  // with or without colour.
  const cell = (text: string, width: number, style: Style | null) =>
    (style === null ? text : paint(style, text)) + ' '.repeat(Math.max(0, width - text.length));
  const line = (n: string, cells: string[], changed: string, style: (c: number) => Style | null) =>
    `${cell(n, nWidth, style(-1))} | ${cells.map((c, i) => cell(c, widths[i]!, style(i))).join(' | ')} | ${style(-2) === null ? changed : paint(style(-2)!, changed)}`.trimEnd();
  const label = (name: string) => paint('dim', name);
  const out: string[] = [];
  out.push(`${paint('bold', paint('red', 'VIOLATED'))} ${paint('bold', invariant.id)} in ${variant.id}`);
  out.push(`  ${label('why:')}      ${invariant.why}`);
  out.push(
    `  ${label('protocol:')} ${variant.id}${variant.base ? ` (changes ${variant.base})` : ''}: ${variant.title}`,
  );
  out.push(`  ${label('config:')}   ${describeConfig(config)}`);
  out.push(
    `  ${label('engine:')}   ${input.engine}${input.seed === undefined ? '' : `, seed ${input.seed}`}${input.provenance ? `, ${input.provenance}` : ''}`,
  );
  out.push(`  ${label('length:')}   ${nSteps} step${nSteps === 1 ? '' : 's'}`);
  out.push('');
  out.push(line('step', headers, 'changed', () => 'bold'));
  out.push(`${'-'.repeat(nWidth)}-+-${widths.map((w) => '-'.repeat(w)).join('-+-')}-+-${'-'.repeat(20)}`);
  rows.forEach((r, i) => {
    const failing = i + 1 === nSteps;
    out.push(
      line(r.n, r.cells.slice(0, headers.length), r.changed, (c) =>
        failing ? 'red' : c >= 0 && r.task[c] ? 'cyan' : null,
      ),
    );
  });
  out.push('');
  out.push(
    paint(
      'bold',
      nSteps === 0
        ? `${invariant.id} is broken in the initial state:`
        : `${invariant.id} is broken after step ${nSteps}:`,
    ),
  );
  out.push(`  ${paint('yellow', witness.message)}`);
  out.push('');
  out.push(`${label('replay:')}  ${paint('green', replayCommand(input, options.runs))}`);
  out.push(label('as a test:'));
  const variantExpr = input.variantFile === undefined ? `findVariant('${variant.id}')!` : 'variant';
  if (input.variantFile !== undefined) out.push(`  // import variant from '${input.variantFile}';`);
  out.push(`  const r = replay(${variantExpr}, CONFIGS['${config.name}'], [`);
  out.push(
    actionsAsCode(
      trace.steps.map((s) => s.action),
      '    ',
    ),
  );
  out.push('  ]);');
  out.push(`  expect(r.violation?.invariant.id).toBe('${invariant.id}');`);
  return out.join('\n');
}
