// Flushes that reach other CPUs: flush_tlb_multi() (arch/x86/mm/tlb.c), one IPI to each
// CPU of the mask, or arm64's broadcast TLBI; in a world with PCID the tlb_gen rules of
// model/switch.ts decide who flushes what.

import type { Draft } from 'immer';
import { bit, tlbSlot } from './hardware.js';
import type { State } from './state.js';
import { flushTlbMultiPcid, pcid } from './switch.js';
import type { Arch } from './variant.js';

export type FlushScope =
  /** The whole TLB; with `mm`, of one mm (flush_tlb_mm()), else of any (arch_tlbbatch_flush()). */
  | { readonly kind: 'all'; readonly mm?: number }
  | { readonly kind: 'page'; readonly mm: number; readonly vpage: number }
  /** Some pages of one mm in one flush_tlb_mm_range(). */
  | { readonly kind: 'range'; readonly mm: number; readonly vpages: readonly number[] };

/** One flush: who issues it, which CPUs it reaches, what it empties, and how. */
export interface Flush {
  /** The CPU that issues it (-1: a kernel thread on none of the modelled CPUs). */
  readonly from: number;
  readonly cpumask: number;
  readonly scope: FlushScope;
  /** A broadcast TLBI (arm64) reaches the other CPUs without an IPI; false: one IPI each. */
  readonly broadcast: boolean;
}

/**
 * Flush `cpumask` from `from`, waiting for all: the local CPU flushes itself and every
 * other CPU in the mask gets one IPI (flush_tlb_multi() / smp_call_function_many()). In a
 * world with PCID, x86's tlb_gen rules pick who flushes what (model/switch.ts), and `arch`
 * decides should_flush_tlb() for a flush of one mm.
 */
export function flushTlbMulti(d: Draft<State>, arch: Arch, flush: Flush): void {
  const { from: fromCpu, cpumask, scope, broadcast } = flush;
  if (pcid(d as State)) {
    const mm = scope.mm ?? null;
    const vpages = scope.kind === 'all' ? null : scope.kind === 'page' ? [scope.vpage] : scope.vpages;
    flushTlbMultiPcid(d, fromCpu, cpumask, mm, vpages, arch);
    return;
  }
  d.cpus.forEach((cpu, i) => {
    if ((cpumask & bit(i)) === 0) return;
    // A broadcast TLBI (arm64) reaches other CPUs without interrupting them.
    if (i !== fromCpu && !broadcast) d.cost.ipis += 1;
    if (scope.kind === 'all') {
      cpu.tlb.fill(null);
      d.cost.fullFlushes += 1;
    } else if (scope.kind === 'page') {
      cpu.tlb[tlbSlot(d as State, scope.mm, scope.vpage)] = null;
      d.cost.pageFlushes += 1;
    } else
      for (const vpage of scope.vpages) {
        cpu.tlb[tlbSlot(d as State, scope.mm, vpage)] = null;
        d.cost.pageFlushes += 1;
      }
  });
}
