// docs/migrc-safety.md: is migrc (seed 001) safe? For each family of operations that can
// race with a deferred flush, the exhaustive explorer's verdict on migrc v3 (with its
// shortest counterexample as a race report) and on migrc-fixed, the variant whose
// restrictions make it hold. Generated, never hand-edited: a test regenerates it.
// Searches are bounded by a state count, not by time, so the file is reproducible.

import { CONFIGS, type Config, worldConfig } from '../model/config.js';
import { findVariant, VARIANTS } from '../model/registry.js';
import type { Variant } from '../model/variant.js';
import { INVARIANTS } from '../properties/invariants.js';
import { checkVariant } from './check.js';
import { describeConfig, formatRaceReport } from './report.js';

interface Family {
  readonly name: string;
  readonly config: Config;
  /** What the family stands for in the kernel. */
  readonly covers: string;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'Write-protect in flight, write faults, reclaim, chained migration, memory pressure, context switches',
    config: CONFIGS['tiny-migrc'],
    covers:
      'clear_refs (a read-only PTE under a writable VMA, as fork and soft-dirty tracking leave), do_wp_page() on the destination, shrink_folio_list() of it, a second migration of it, allocation with no free frame (migrc_try_flush_free_folios()), flush_tlb_local() and arch_migrc_adj()',
  },
  {
    name: 'mprotect',
    config: CONFIGS['migrc-mprotect'],
    covers:
      'mprotect(PROT_READ) before the migration and mprotect(PROT_READ|PROT_WRITE) during or after it, which makes the PTE writable with no fault (can_change_pte_writable())',
  },
  {
    name: 'munmap, mmap and MADV_DONTNEED',
    config: CONFIGS['migrc-munmap'],
    covers:
      'zap_pte_range() of the destination while migrc still holds the source, and a new mapping of the range',
  },
  {
    name: 'fork',
    config: CONFIGS['migrc-fork'],
    covers:
      'fork() of the process: dup_mmap() write-protects the parent PTE (copy_present_pte()) and flushes the parent only at its end (flush_tlb_mm()), under mmap_lock but without mm_tlb_flush_pending(); the child is taken to exit at once',
  },
  {
    name: 'write() and other kernel writes through the direct map',
    config: CONFIGS['migrc-write'],
    covers:
      'the kernel writing the destination with no user TLB entry and no write fault (write(2) to a page-cache page, process_vm_writev(2), an O_DIRECT read), while another CPU may still read the source',
  },
  {
    name: 'mmap(MAP_FIXED)',
    config: CONFIGS['migrc-mmap-fixed'],
    covers:
      'mmap(MAP_FIXED) over the destination while migrc still holds the source: the old mapping zapped and flushed and fresh memory mapped, in one call under mmap_lock',
  },
];

/** What the model does not have yet, so no verdict covers it. */
const NOT_MODELLED = [
  "fork()'s child: copy-on-write between two mms (a folio mapped read-only in several mms); the model's fork write-protects and flushes the parent only",
  'file pages as such (the page cache, truncation, writeback); the kernel write through the direct map is modelled on the anonymous page (the `write` action)',
  'migrc_stop_pending() under severe memory pressure',
  'a failed copy in a migrc batch (copy failure is modelled for batch copy, where the copy is a step of its own)',
  'lazy TLB and PCID (a CPU keeping entries of an mm it no longer runs)',
  'the overflow of migrc_gen (Nadav Amit: "This would overflow.")',
];

/** States per search: enough to reach every counterexample below, and reproducible. */
export const REPORT_MAX_STATES = 150_000;

interface FamilyVerdict {
  readonly line: string;
  readonly reports: readonly string[];
}

function verdictOf(variant: Variant, config: Config): FamilyVerdict {
  const v = checkVariant(variant, {
    config,
    engine: 'exhaustive',
    maxStates: REPORT_MAX_STATES,
    maxMemoryMb: 1e9,
  });
  const broken = v.invariants.filter((i) => i.verdict === 'violated');
  if (broken.length === 0) {
    const i = v.invariants[0]!;
    const scope =
      i.verdict === 'holds'
        ? `every reachable state (${i.states} states, depth ${i.depth})`
        : `the first ${i.states} states (to depth ${i.depth})`;
    return { line: `holds in ${scope}`, reports: [] };
  }
  const line = `**fails**: ${broken.map((i) => `${i.invariant} (${i.counterexample!.length} steps)`).join(', ')}`;
  const reports = [...v.failures]
    .sort((a, b) => a.actions.length - b.actions.length)
    .map((f) =>
      formatRaceReport({
        variant,
        config,
        invariant: f.invariant,
        witness: f.witness,
        trace: f.replay.trace,
        engine: 'exhaustive (breadth-first)',
        provenance: f.provenance,
      }),
    );
  return { line, reports };
}

function changedFields(a: Variant, b: Variant): [string, string, string][] {
  const x = (a.policy.migrc ?? {}) as unknown as Record<string, unknown>;
  const y = (b.policy.migrc ?? {}) as unknown as Record<string, unknown>;
  return Object.keys(y)
    .filter((k) => x[k] !== y[k])
    .map((k) => [k, String(x[k]), String(y[k])]);
}

/**
 * v3's own rules, each shown necessary: a registered variant that differs from the repair in
 * one of them, and the shortest way it breaks what it is expected to break.
 */
function ownRules(fixed: Variant): string[] {
  const lineage = VARIANTS.filter((v) => v.base === fixed.id && v.violates.length > 0);
  if (lineage.length === 0) return [];
  const out = [
    '## Each rule needed',
    '',
    `Each row takes one rule out of ${fixed.id}, one of v3's own or one found here (a registered`,
    'variant, its fixed twin the repair); the explorer finds what it is expected to break, each',
    'in its own world.',
    '',
    '| variant | rule taken away | breaks (shortest, steps) |',
    '|---|---|---|',
  ];
  for (const v of lineage) {
    const r = checkVariant(v, {
      config: worldConfig(v.world, 'exhaustive'),
      engine: 'exhaustive',
      maxStates: REPORT_MAX_STATES,
      maxMemoryMb: 1e9,
      invariants: INVARIANTS.filter((i) => v.violates.includes(i.id)),
    });
    const rule = changedFields(fixed, v)
      .map(([k, was, now]) => `\`${k}: ${now}\` (${fixed.id}: ${was})`)
      .join(', ');
    const found = r.invariants
      .map((i) =>
        i.verdict === 'violated'
          ? `${i.invariant} (${i.counterexample!.length})`
          : `${i.invariant}: ${i.verdict}`,
      )
      .join(', ');
    out.push(`| \`${v.id}\` (${v.world}) | ${rule} | ${found} |`);
  }
  return [...out, ''];
}

export function migrcSafetyReport(): string {
  const v3 = findVariant('migrc')!;
  const fixed = findVariant('migrc-fixed')!;
  const out: string[] = [
    '# Is migrc safe?',
    '',
    '<!-- Generated by `npx shootdown report migrc`; do not edit. A test regenerates it. -->',
    '',
    `Protocol: **${v3.id}**, ${v3.title}. Source: ${v3.source}.`,
    `Its repair: **${fixed.id}**, ${fixed.title}. The restrictions, each one line of policy in`,
    '`model/variants/migrc-fixed.ts`:',
    '',
    ...changedFields(v3, fixed).map(([k, was, now]) => `- \`${k}: ${now}\` (v3: ${was})`),
    '',
    'Each scenario family is a world small enough to search exhaustively (two CPUs, one page,',
    'three frames). Every search is breadth-first, so each counterexample is a shortest one; each',
    `invariant is searched for separately, up to ${REPORT_MAX_STATES} states.`,
    'Assumptions: x86 (a store through a clean entry re-walks and faults), full flushes, one node.',
    '',
    '| family | migrc v3 | migrc-fixed |',
    '|---|---|---|',
  ];
  const details: string[] = [];
  for (const f of FAMILIES) {
    const a = verdictOf(v3, f.config);
    const b = verdictOf(fixed, f.config);
    out.push(`| ${f.name} | ${a.line} | ${b.line} |`);
    details.push(`## ${f.name}`, '', `World: ${describeConfig(f.config)}.`, `Covers: ${f.covers}.`, '');
    details.push(`- migrc v3: ${a.line}`, `- migrc-fixed: ${b.line}`, '');
    for (const [who, rs] of [
      ['migrc v3', a.reports],
      ['migrc-fixed', b.reports],
    ] as const)
      for (const r of rs) details.push(`${who}:`, '', '```', r, '```', '');
  }
  out.push(
    '',
    'Not modelled yet, so no verdict above covers them:',
    '',
    ...NOT_MODELLED.map((n) => `- ${n}`),
    '',
  );
  return [...out, ...ownRules(fixed), ...details].join('\n');
}
