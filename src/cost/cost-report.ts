// `shootdown cost`: run the workloads over a grid of batch sizes and CPU counts, and
// present each as a table (protocol × counter, with the reduction against sync and the
// safety verdict beside it), a JSON document and an SVG chart.

import type { Variant } from '../../model/variant.js';
import { lineChart } from '../report/svg.js';
import { applies, type CostRow, runWorkload, type Workload } from './cost.js';

/** A protocol's safety as the table shows it: checked now, or as recorded and checked by `npm run check`. */
export interface Safety {
  readonly protocol: string;
  readonly violated: readonly string[];
  readonly source: 'recorded' | 'checked';
}

export const recordedSafety = (v: Variant): Safety => ({
  protocol: v.id,
  violated: v.violates,
  source: 'recorded',
});

export interface WorkloadCost {
  readonly workload: Workload;
  readonly protocols: readonly string[];
  /** Every (protocol, pages, cpus) of the grid. */
  readonly rows: readonly CostRow[];
}

/** Run `workload` for each protocol that does its job, at every point of the grid. */
export function costWorkload(
  workload: Workload,
  protocols: readonly Variant[],
  pageCounts: readonly number[],
  cpuCounts: readonly number[],
  /** After each cell of the grid: what was just costed. */
  onCell?: (what: { protocol: string; pages: number; cpus: number }) => void,
): WorkloadCost {
  const chosen = protocols.filter((v) => applies(v, workload));
  const rows: CostRow[] = [];
  for (const v of chosen)
    for (const pages of pageCounts)
      for (const cpus of cpuCounts) {
        rows.push(runWorkload(v, workload, pages, cpus));
        onCell?.({ protocol: v.id, pages, cpus });
      }
  return { workload, protocols: chosen.map((v) => v.id), rows };
}

/** How much less than sync, as a percentage ('-' without a sync row or when sync spends nothing). */
export function reduction(value: number, baseline: number | undefined): string {
  if (baseline === undefined || baseline === 0) return '-';
  return `${(((baseline - value) / baseline) * 100).toFixed(1)}%`;
}

const safetyText = (s: Safety | undefined): string => {
  if (s === undefined) return '?';
  const verdict = s.violated.length === 0 ? 'holds' : `UNSAFE: ${s.violated.join(', ')}`;
  return s.source === 'recorded' ? verdict : `${verdict} (checked)`;
};

/** The table at one grid point, as Markdown (it reads as plain text on a terminal too). */
export function costTable(
  cost: WorkloadCost,
  pages: number,
  cpus: number,
  safety: ReadonlyMap<string, Safety>,
): string {
  const at = cost.rows.filter((r) => r.pages === pages && r.cpus === cpus);
  const sync = at.find((r) => r.protocol === 'sync');
  const header = [
    'protocol',
    'IPIs',
    'IPIs/page',
    'IPIs vs sync',
    'full flushes',
    'page flushes',
    'refills',
    'held peak',
    'held avg',
    'held at end',
    'safety',
  ];
  const lines = at.map((r) => [
    `\`${r.protocol}\``,
    String(r.ipis),
    (r.ipis / r.moved).toFixed(3),
    reduction(r.ipis, sync?.ipis),
    String(r.fullFlushes),
    String(r.pageFlushes),
    String(r.refills),
    String(r.heldPeak),
    r.heldAverage.toFixed(1),
    String(r.heldAtEnd),
    safetyText(safety.get(r.protocol)),
  ]);
  const w = cost.workload;
  return [
    `### ${w.id}: ${w.title.replace(/\bN\b/, String(pages)).replace(/\bC\b/, String(cpus))}`,
    '',
    w.why,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '---:')).join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

/** IPIs per moved page against batch size at `cpus` CPUs, one line per protocol. */
export function costChart(cost: WorkloadCost, cpus: number): string {
  return lineChart({
    title: `${cost.workload.id}: IPIs per page on ${cpus} CPUs`,
    xLabel: 'pages per batch',
    yLabel: 'IPIs per page',
    xLog: true,
    yLog: true,
    series: cost.protocols.map((p) => ({
      name: p,
      points: cost.rows
        .filter((r) => r.protocol === p && r.cpus === cpus)
        .map((r) => [r.pages, r.ipis / r.moved] as const),
    })),
  });
}

/** What the tables' columns mean, printed once under them. */
export const COST_LEGEND = [
  'IPIs: one per target CPU other than the sender. refills: page walks that refilled a TLB entry after the batch began.',
  'held: frames kept allocated only because a flush is deferred (peak, average per step, and when the workload ends).',
  'safety: the protocol’s recorded verdict, which `npm run check` verifies (with --check: the random engine’s verdict now).',
].join('\n');
