// x86's memory order (TSO) for the kernel variables the PCID switch races on, in worlds
// with Config.tso. A plain store waits in its CPU's store buffer, in order, while the CPU's
// own later loads run and see it (store forwarding); another CPU reads the value from
// before it until it drains. So a load may pass an earlier store to another variable: the
// store-buffering shape of switch_mm_irqs_off() (store loaded_mm, load tlb_gen) against
// flush_tlb_mm_range() (bump tlb_gen, load loaded_mm in should_flush_tlb()), where each
// side may miss the other's store (83b0177a6c48). The buffer empties at a locked
// instruction (cpumask_set_cpu(), atomic64_inc_return(), a spinlock), at smp_mb(), at a
// serialising one (a CR3 write), and at any moment by itself (the drain_store_buffer step).
//
// Buffered here: cpu_tlbstate.loaded_mm and cpu_tlbstate_shared.is_lazy, the two stores
// should_flush_tlb() reads from another CPU. Not buffered: PTE updates that flush, which
// are locked read-modify-writes on SMP x86 (ptep_get_and_clear() is an xchg,
// ptep_set_wrprotect() a locked clear_bit); tlb_gen, bumped by atomic64_inc_return();
// mm_cpumask, set by a locked cpumask_set_cpu(); user data, which no kernel protocol
// here orders. Read, not modelled: reclaim's mm->tlb_flush_batched is an atomic_inc()
// made under the PTL that flush_tlb_batched_pending() also takes (mm/rmap.c since
// 5ee2fa2f0636); migrc v3 (seed 001) bumps migrc_gen with atomic_inc_return() after the
// PTEs are cleared, sets PG_migrc with a locked bit operation, and its one plain store,
// migrc_done, comes after an smp_mb() behind the flush: a CPU that reads it stale keeps
// the other CPU in the mask, an IPI more, never one less. So on x86 neither has a
// store-buffer race the switch's would not show; arm64's weaker order is another matter.
//
// Where the model drains more than the kernel would, it says so; where less (a later
// spinlock on the CPU does not drain here), only the switch's last store is still
// buffered, and another CPU reading it stale sends an IPI it could have skipped.

import type { Draft } from 'immer';
import type { BufferedStore, Cpu, State } from './state.js';

/** What other CPUs read of a CPU's cpu_tlbstate. */
export interface TlbStateView {
  /** cpu_tlbstate_shared.is_lazy. */
  readonly lazy: boolean;
  /** cpu_tlbstate.loaded_mm; undefined: LOADED_MM_SWITCHING. */
  readonly loadedMm: number | undefined;
}

/** The CPU's own view: the values its own loads return. */
export const ownTlbState = (c: Cpu): TlbStateView => ({
  lazy: c.lazy === true,
  loadedMm: c.switching === true ? undefined : (c.loaded_mm ?? c.mm),
});

/**
 * What another CPU reads of `cpu`'s cpu_tlbstate: for each variable with a store still
 * in the buffer, the value before the oldest such store; else the CPU's own value.
 */
export function seenTlbState(s: State, cpu: number): TlbStateView {
  const c = s.cpus[cpu]!;
  const own = ownTlbState(c);
  if (c.sb === undefined || c.sb.length === 0) return own;
  let lazy = own.lazy;
  let loadedMm = own.loadedMm;
  for (let i = c.sb.length - 1; i >= 0; i--) {
    const store = c.sb[i]!;
    if (store.kind === 'is_lazy') lazy = store.was;
    else loadedMm = store.was;
  }
  return { lazy, loadedMm };
}

/**
 * A plain store by `cpu` (this_cpu_write()) of a variable whose value was `store.was`:
 * with a store buffer it waits there; without one (no Config.tso) every CPU sees it now.
 * Call it with the value before the store, then make the store in the CPU's fields.
 */
export function bufferStore(d: Draft<State>, cpu: number, store: BufferedStore): void {
  // edited in place, never replaced: a copy of the state keeps the field where it was
  d.cpus[cpu]!.sb?.push(store);
}

/** A locked instruction, smp_mb() or a serialising instruction on `cpu`: its stores drain. */
export function drainStores(d: Draft<State>, cpu: number): void {
  const sb = d.cpus[cpu]?.sb;
  if (sb !== undefined && sb.length > 0) sb.splice(0, sb.length);
}

/** The oldest store in `cpu`'s buffer becomes visible to every CPU. */
export function drainOldestStore(d: Draft<State>, cpu: number): void {
  d.cpus[cpu]!.sb!.splice(0, 1);
}

/** Does `cpu` have a store other CPUs cannot see yet? */
export const storesBuffered = (s: State, cpu: number): boolean => (s.cpus[cpu]?.sb?.length ?? 0) > 0;

/** The oldest buffered store of `cpu`, as the kernel wrote it ("loaded_mm = mm 1"). */
export function oldestStoreText(s: State, cpu: number): string {
  const c = s.cpus[cpu]!;
  const [first, ...rest] = c.sb!;
  // its value is what the next store to the same variable found, or the CPU's own now
  const next = rest.find((x) => x.kind === first!.kind);
  const own = ownTlbState(c);
  if (first!.kind === 'is_lazy')
    return `is_lazy = ${next === undefined ? own.lazy : (next as { was: boolean }).was}`;
  const mm = next === undefined ? own.loadedMm : (next as { was?: number }).was;
  return `loaded_mm = ${mm === undefined ? 'LOADED_MM_SWITCHING' : `mm ${mm}`}`;
}
