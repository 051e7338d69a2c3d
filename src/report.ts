// Counterexamples as race reports: one row per step, one column per CPU (kernel tasks in
// the column of the CPU they run on, marked [T<n>]), what the step changed, the failing
// row marked, the invariant and its why, and how to replay it.

import type { Action } from '../model/actions.js';
import type { Config } from '../model/config.js';
import type { State } from '../model/state.js';
import type { Variant } from '../model/variant.js';
import type { Invariant, Witness } from '../properties/invariants.js';
import { describeChanges, describeStep, stepColumn } from './format.js';
import type { Trace } from './trace.js';

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
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));

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
  input: Pick<RaceReportInput, 'variant' | 'config' | 'invariant' | 'seed' | 'variantFile' | 'traceFile'>,
  runs?: number,
): string {
  if (input.traceFile !== undefined) {
    const file = input.variantFile === undefined ? '' : ` --variant-file ${input.variantFile}`;
    return `npx shootdown replay ${input.traceFile}${file} --protocol ${input.variant.id}`;
  }
  const r = runs === undefined ? '' : ` --runs ${runs}`;
  const file = input.variantFile === undefined ? '' : ` --variant-file ${input.variantFile}`;
  const how = input.seed === undefined ? ' --engine exhaustive' : ` --seed ${input.seed}${r}`;
  return `npx shootdown check${file} --protocol ${input.variant.id} --config ${input.config.name} --invariant ${input.invariant.id}${how}`;
}

/** A step's cell: kernel-task steps carry their task, `[T0] try_to_unmap_flush`. */
export function stepText(variant: Variant, pre: State, action: Action): string {
  const task =
    action.op === 'kernelStep' ||
    action.op === 'copyFails' ||
    action.op === 'write' ||
    action.op === 'migrate_pages' ||
    action.op === 'shrink_folio_list';
  return (task ? `[T${action.task}] ` : '') + describeStep(variant, pre, action);
}

export function formatRaceReport(input: RaceReportInput, runs?: number): string {
  const { variant, config, invariant, witness, trace } = input;
  const nSteps = trace.steps.length;
  const rows: { n: string; cells: string[]; changed: string }[] = [];
  let pre = trace.initial;
  trace.steps.forEach((step, i) => {
    const column = stepColumn(pre, step.action);
    const text = stepText(variant, pre, step.action);
    const cells = Array.from({ length: config.cpus + 1 }, (_, c) =>
      (column ?? config.cpus) === c ? text : '',
    );
    const changed = describeChanges(pre, step.state).join('; ') || '(nothing)';
    rows.push({ n: `${i + 1 === nSteps ? '>>' : '  '}${i + 1}`, cells, changed });
    pre = step.state;
  });
  const hasKernelColumn = rows.some((r) => r.cells[config.cpus] !== '');
  const headers = [
    ...Array.from({ length: config.cpus }, (_, c) => `CPU ${c}`),
    ...(hasKernelColumn ? ['kernel'] : []),
  ];
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r.cells[c]!.length)));
  const nWidth = Math.max(4, ...rows.map((r) => r.n.length));
  const line = (n: string, cells: string[], changed: string) =>
    `${pad(n, nWidth)} | ${cells.map((c, i) => pad(c, widths[i]!)).join(' | ')} | ${changed}`.trimEnd();
  const out: string[] = [];
  out.push(`VIOLATED ${invariant.id} in ${variant.id}`);
  out.push(`  why:      ${invariant.why}`);
  out.push(`  protocol: ${variant.id}${variant.base ? ` (changes ${variant.base})` : ''}: ${variant.title}`);
  out.push(`  config:   ${describeConfig(config)}`);
  out.push(
    `  engine:   ${input.engine}${input.seed === undefined ? '' : `, seed ${input.seed}`}${input.provenance ? `, ${input.provenance}` : ''}`,
  );
  out.push(`  length:   ${nSteps} step${nSteps === 1 ? '' : 's'}`);
  out.push('');
  out.push(line('step', headers, 'changed'));
  out.push(`${'-'.repeat(nWidth)}-+-${widths.map((w) => '-'.repeat(w)).join('-+-')}-+-${'-'.repeat(20)}`);
  for (const r of rows) out.push(line(r.n, r.cells.slice(0, headers.length), r.changed));
  out.push('');
  out.push(
    nSteps === 0
      ? `${invariant.id} is broken in the initial state:`
      : `${invariant.id} is broken after step ${nSteps}:`,
  );
  out.push(`  ${witness.message}`);
  out.push('');
  out.push(`replay:  ${replayCommand(input, runs)}`);
  out.push('as a test:');
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
