// x86 context switches with PCID and lazy TLB (arch/x86/mm/tlb.c), in worlds where CPUs
// switch mm (Config.pcid). With PCID a CPU keeps the entries of every mm it has run, each
// under its own ASID, and decides at switch-in whether they are still good by comparing
// its copy of the mm's tlb_gen with the mm's own. A flush of one mm interrupts only the
// CPUs that should_flush_tlb() picks; the others catch up when they next load the mm.
// Every mm keeps its ASID on every CPU (TLB_NR_DYN_ASIDS is 6; a world has at most 4 mms),
// so ASID reuse is not modelled, nor are INVLPGB broadcasts and the mm_cpumask trim.

import type { Draft } from 'immer';
import { migrc_tlb_local_end } from './migrc-gen.js';
import type { State } from './state.js';
import { bufferStore, drainStores, ownTlbState, seenTlbState } from './store-buffer.js';
import type { Arch, Policy } from './variant.js';

/** Why a protocol cannot run in a world with PCID, as one line, or null. */
export function pcidPolicyProblem(policy: Policy): string | null {
  if (policy.arch.tlbi === 'broadcast') return 'PCID is modelled for x86, and this protocol broadcasts TLBIs';
  return null;
}

/** Does this world switch mm with PCID? (Only its states carry tlb_gen_lag.) */
export const pcid = (s: State): boolean => s.cpus[0]!.tlb_gen_lag !== undefined;

/**
 * inc_mm_tlb_gen(): every CPU's ASID for `mm` falls one generation further behind. A lag
 * of two or more only differs from one in that flush_tlb_func() then flushes the whole
 * ASID, not the pages; with one page per mm that is the same flush, so the lag stops at one.
 */
export function inc_mm_tlb_gen(d: Draft<State>, mm: number): void {
  const most = d.mms[0]!.pte.length > 1 ? 2 : 1;
  for (const c of d.cpus) c.tlb_gen_lag![mm] = Math.min(most, c.tlb_gen_lag![mm]! + 1);
}

/**
 * should_flush_tlb(): does a flush of `mm` (null: arch_tlbbatch_flush(), whose info has no
 * mm) send an IPI to `cpu`? It reads the CPU's is_lazy and loaded_mm. Not to a lazy CPU:
 * it checks tlb_gen when it leaves lazy mode. Not to one whose loaded_mm is another mm:
 * it checks when it loads this one. A CPU whose loaded_mm is LOADED_MM_SWITCHING may
 * already use the new mm's entries, and gets the IPI since fea4e317f9e7
 * (Arch.ipiSwitchingCpus); before it, 6db2526c1d69 (v6.14) skipped it. It reads them from
 * another CPU: with a store buffer (Config.tso), what that CPU has not drained is not seen.
 */
export function should_flush_tlb(s: State, arch: Arch, cpu: number, mm: number | null): boolean {
  const seen = seenTlbState(s, cpu);
  if (seen.lazy) return false;
  if (mm === null) return true;
  if (seen.loadedMm === undefined) return arch.ipiSwitchingCpus !== false;
  return seen.loadedMm === mm;
}

/** Empty `cpu`'s TLB of the entries of `mm` (one ASID); `vpages` null: all of them. */
function flushAsid(d: Draft<State>, cpu: number, mm: number, vpages: readonly number[] | null): void {
  const tlb = d.cpus[cpu]!.tlb;
  const pages = d.mms[0]!.pte.length;
  if (vpages === null) {
    tlb.fill(null, mm * pages, (mm + 1) * pages);
    d.cost.fullFlushes += 1;
  } else
    for (const v of vpages) {
      tlb[mm * pages + v] = null;
      d.cost.pageFlushes += 1;
    }
}

/**
 * flush_tlb_func() on `cpu`, for a flush of `mm` (null: any) over `vpages` (null:
 * TLB_FLUSH_ALL). It brings the loaded mm's ASID up to that mm's tlb_gen: nothing if it is
 * there already, only the pages if it is one generation behind, else the whole ASID.
 * An IPI to a CPU that is switching runs when the switch has written loaded_mm (interrupts
 * are off until then); nothing on that CPU changes in between, so it is applied at once.
 */
export function flush_tlb_func(
  d: Draft<State>,
  cpu: number,
  mm: number | null,
  vpages: readonly number[] | null,
  arch: Arch,
): void {
  const c = d.cpus[cpu]!;
  // aa44284960d5: "if (f->new_tlb_gen <= local_tlb_gen) return", and the batched flush's
  // new_tlb_gen was 0 (8f1d56f64f8d made it TLB_GENERATION_INVALID).
  if (mm === null && arch.batchFlushTlbGenZero) return;
  // Lazy (the local CPU of a kernel thread): the kernel switches to init_mm, which leaves
  // this mm's entries behind its ASID exactly as staying lazy does.
  if (c.lazy) return;
  // The CPU has switched away: it will catch up when it loads `mm` again (the kernel also
  // clears it from mm_cpumask here).
  if (mm !== null && mm !== c.mm) return;
  const lag = c.tlb_gen_lag![c.mm]!;
  if (lag === 0) return;
  const full = lag > 1 || vpages === null;
  flushAsid(d, cpu, c.mm, full ? null : vpages);
  c.tlb_gen_lag![c.mm] = 0;
  // A full flush is flush_tlb_local(), which migrc (seed 001) hooks.
  if (full) migrc_tlb_local_end(d, cpu);
}

/**
 * flush_tlb_multi() from `fromCpu` in a world with PCID. A flush of one mm
 * (flush_tlb_mm_range()) first bumps its tlb_gen and reads mm_cpumask now; the batched
 * flush (arch_tlbbatch_flush(), `mm` null) uses the mask the batch gathered, and its
 * tlb_gen bumps were made when each flush was deferred.
 */
export function flushTlbMultiPcid(
  d: Draft<State>,
  fromCpu: number,
  cpumask: number,
  mm: number | null,
  vpages: readonly number[] | null,
  arch: Arch,
): void {
  let mask = cpumask;
  if (mm !== null) {
    // atomic64_inc_return() is a locked instruction: the flusher's own stores drain first
    if (fromCpu >= 0) drainStores(d, fromCpu);
    inc_mm_tlb_gen(d, mm);
    mask = d.mms[mm]!.mm_cpumask;
  }
  for (let i = 0; i < d.cpus.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    if (i !== fromCpu) {
      if (!should_flush_tlb(d as State, arch, i, mm)) continue;
      d.cost.ipis += 1;
    }
    flush_tlb_func(d, i, mm, vpages, arch);
  }
}

/**
 * switch_mm_irqs_off(prev, next), its first step: leave lazy mode, join next's
 * mm_cpumask, read next's tlb_gen and choose its ASID, flushing the ASID only if it is
 * behind (need_flush); then the CR3 load. Since be88a1dd6112 (v6.15) loaded_mm becomes
 * LOADED_MM_SWITCHING before the tlb_gen read, so the whole first step runs under it;
 * before, it became so only at load_new_mm_cr3(), a step of its own here, and until then
 * loaded_mm still names prev. Returning from lazy mode to the mm still loaded (prev ==
 * next) is one step: read tlb_gen, flush if behind; loaded_mm never changes, so no window.
 * Interrupts are off throughout and no user access runs, so when CR3 changes within the
 * switch is not observable, and the model loads it at the tlb_gen read.
 * With a store buffer (Config.tso), the is_lazy and LOADED_MM_SWITCHING stores may still
 * be buffered at the tlb_gen read unless a full barrier comes between (Arch.switchMmBarrier):
 * then a flush that bumps tlb_gen after the read may read the old loaded_mm and skip this
 * CPU (83b0177a6c48). The CR3 write drains them, at set_loaded_mm() at the latest.
 */
export function switch_mm_irqs_off(d: Draft<State>, arch: Arch, cpu: number, next: number): void {
  const c = d.cpus[cpu]!;
  // context_switch() runs under the rq lock, taken by a locked instruction followed by
  // smp_mb__after_spinlock() in __schedule(): nothing from before the switch is buffered.
  drainStores(d, cpu);
  const before = ownTlbState(c);
  const prev = c.mm;
  const returning = c.lazy === true && prev === next;
  delete c.lazy;
  if (before.lazy) bufferStore(d, cpu, { kind: 'is_lazy', was: true });
  if (returning) {
    // "The barrier synchronizes with the tlb_gen increment in the TLB shootdown code."
    drainStores(d, cpu); // smp_mb()
  } else {
    const joins = (d.mms[next]!.mm_cpumask & (1 << cpu)) === 0;
    d.mms[next]!.mm_cpumask |= 1 << cpu;
    if (arch.switchingBeforeTlbGen === false) c.loaded_mm = prev;
    else {
      c.switching = true;
      bufferStore(d, cpu, {
        kind: 'loaded_mm',
        ...(before.loadedMm === undefined ? {} : { was: before.loadedMm }),
      });
    }
    // cpumask_set_cpu() runs only when the CPU joins mm_cpumask (209954cbc7d0), and is a
    // locked instruction; since 83b0177a6c48 an smp_mb() stands in when it does not run.
    if (joins || arch.switchMmBarrier !== false) drainStores(d, cpu);
  }
  c.mm = next;
  if (c.tlb_gen_lag![next]! > 0) {
    flushAsid(d, cpu, next, null);
    c.tlb_gen_lag![next] = 0;
  }
}

/** The older order's load_new_mm_cr3() step: loaded_mm becomes LOADED_MM_SWITCHING. */
export function load_new_mm_cr3(d: Draft<State>, cpu: number): void {
  const c = d.cpus[cpu]!;
  delete c.loaded_mm;
  c.switching = true;
  // the CR3 write is serialising: the store of LOADED_MM_SWITCHING before it drains
  drainStores(d, cpu);
}

/**
 * this_cpu_write(cpu_tlbstate.loaded_mm, next): the switch is done. The CR3 write before
 * it drained the buffer; this store may wait in it (seen as LOADED_MM_SWITCHING, which
 * gets an IPI since fea4e317f9e7).
 */
export function set_loaded_mm(d: Draft<State>, cpu: number): void {
  drainStores(d, cpu);
  bufferStore(d, cpu, { kind: 'loaded_mm' });
  delete d.cpus[cpu]!.switching;
}

/** enter_lazy_tlb(): a kernel thread runs here and keeps the user mm loaded. */
export function enter_lazy_tlb(d: Draft<State>, cpu: number): void {
  drainStores(d, cpu); // the rq lock, as in switch_mm_irqs_off()
  bufferStore(d, cpu, { kind: 'is_lazy', was: false });
  d.cpus[cpu]!.lazy = true;
}

/** Is `cpu` inside switch_mm_irqs_off(), interrupts off? */
export const inSwitch = (s: State, cpu: number): boolean => {
  const c = s.cpus[cpu]!;
  return c.switching === true || c.loaded_mm !== undefined;
};

/** Can user code (or a system call of its thread) run on `cpu` now? */
export const userRunning = (s: State, cpu: number): boolean =>
  s.cpus[cpu]!.lazy !== true && !inSwitch(s, cpu);
