// Every action the machine can take, declared once: its op and what each argument is. The
// Action type, the trace-file schema, how a report names the action and which column it
// goes in derive from this table; model/actions.ts says when each is enabled and what it
// does, model/enumerate.ts which ones a world offers.

import type { Syscall } from './state.js';

/**
 * What an argument is: a CPU, mm, task or frame number; a page (vpage) of the caller's mm
 * or of the shared file (index); a value stored (1..values); a range of pages; a system call.
 */
export type ArgKind = 'cpu' | 'mm' | 'vpage' | 'index' | 'task' | 'frame' | 'value' | 'vpages' | 'call';

interface ArgType {
  readonly cpu: number;
  readonly mm: number;
  readonly vpage: number;
  readonly index: number;
  readonly task: number;
  readonly frame: number;
  readonly value: number;
  readonly vpages: readonly number[];
  readonly call: Syscall;
}

// The order of the arguments is the order a report writes them in.
export const ACTION_TABLE = {
  /** A user load by the thread on `cpu`, in the mm that CPU runs. */
  load: { cpu: 'cpu', vpage: 'vpage' },
  /** A user store of `value`. */
  store: { cpu: 'cpu', vpage: 'vpage', value: 'value' },
  /** The TLB drops an entry on its own, as it may at any moment. */
  tlbEvict: { cpu: 'cpu', mm: 'mm', vpage: 'vpage' },
  /** The allocator hands a free frame to another user (a page-cache page), which fills it. */
  reuseFrame: { frame: 'frame' },
  /** Start migrating the folios that back `vpages` of `mm` (move_pages(2), migratepages). */
  migrate_pages: { task: 'task', mm: 'mm', vpages: 'vpages' },
  /**
   * The thread on the task's CPU takes a NUMA hinting fault on `vpage` (a PROT_NONE PTE,
   * Config.syscalls 'numa') and do_numa_page() finds the folio on the wrong node:
   * migrate_misplaced_folio() migrates it, a batch of one the task runs. (A hinting fault
   * that leaves the folio where it is maps it again: that is a load or store.)
   */
  migrate_misplaced_folio: { task: 'task', vpage: 'vpage' },
  /** Start reclaiming the folios that back `vpages` of `mm` (kswapd's batch off the LRU). */
  shrink_folio_list: { task: 'task', mm: 'mm', vpages: 'vpages' },
  /** The thread on the task's CPU makes a system call on `vpages` of its mm; the task runs it. */
  syscall: { task: 'task', call: 'call', mm: 'mm', vpages: 'vpages' },
  /**
   * The thread on the task's CPU has the kernel write `value` into the page's folio through
   * the direct map, with no user TLB entry and no fault: write(2) to a shared file page in
   * the page cache, or process_vm_writev(2) or an O_DIRECT read into the buffer (the folio
   * found by a page-table walk). One step under the folio lock.
   */
  write: { task: 'task', vpage: 'vpage', value: 'value' },
  /**
   * A device writes `value` into `frame` through the long-term pin a thread took on it
   * (DMA: no TLB, no page table, no fault), as a store to the page pinned (Frame.pinned).
   */
  dma_write: { frame: 'frame', value: 'value' },
  /** mmap() of anonymous memory over an unmapped range of `mm`, in one step under mmap_lock. */
  mmap: { mm: 'mm', vpages: 'vpages' },
  /** A context switch on `cpu` without PCID: flush_tlb_local() empties its TLB. */
  flush_tlb_local: { cpu: 'cpu' },
  /**
   * With PCID (Config.pcid): a thread of `mm` is scheduled on `cpu`, and switch_mm_irqs_off()
   * runs up to load_new_mm_cr3(); or the CPU leaves lazy mode for the mm it kept loaded.
   */
  switch_mm: { cpu: 'cpu', mm: 'mm' },
  /**
   * switch_mm_irqs_off() in the older order (Arch.switchingBeforeTlbGen false), after the
   * tlb_gen read: loaded_mm = LOADED_MM_SWITCHING, then load_new_mm_cr3().
   */
  load_new_mm_cr3: { cpu: 'cpu' },
  /** The end of switch_mm_irqs_off(): this_cpu_write(cpu_tlbstate.loaded_mm, next). */
  set_loaded_mm: { cpu: 'cpu' },
  /** With PCID: a kernel thread is scheduled on `cpu` and borrows the mm (enter_lazy_tlb()). */
  enter_lazy_tlb: { cpu: 'cpu' },
  /** With a store buffer (Config.tso): the oldest store `cpu` buffered becomes visible. */
  drain_store_buffer: { cpu: 'cpu' },
  /**
   * An allocation on some CPU runs out of memory in __alloc_pages_slowpath() and calls
   * migrc_stop_pending(): no new batch defers a flush, and a batch in flight gives up its
   * request at its next folio (the can_migrc_system() step).
   */
  migrc_stop_pending: {},
  /** That allocation returns (got_pg: migrc_resume_pending()). */
  migrc_resume_pending: {},
  /** The kernel task runs the next step of its batch program. */
  kernelStep: { task: 'task' },
  /**
   * The task's folio_mc_copy() fails instead (-EHWPOISON from a memory error, or a failed
   * offload copy) and the batch undoes that folio.
   */
  copyFails: { task: 'task' },
  /**
   * The thread on `cpu`, inside wp_page_copy() with its copy made, takes the PTL and
   * installs the copy (Cpu.wp_copy), or finds the PTE changed and drops it.
   */
  wp_page_copy: { cpu: 'cpu' },
  /**
   * sharedFile worlds: the flusher writes back the file's dirty page `index`
   * (folio_clear_dirty_for_io(), which runs folio_mkclean(), then the write to disk).
   */
  writeback: { index: 'index' },
  /** sharedFile worlds: reclaim drops the file's clean, unmapped page `index` (__remove_mapping()). */
  remove_mapping: { index: 'index' },
} as const satisfies Readonly<Record<string, Readonly<Record<string, ArgKind>>>>;

export type Op = keyof typeof ACTION_TABLE;

type Table = typeof ACTION_TABLE;
type Args<K extends Op> = {
  readonly [A in keyof Table[K]]: Table[K][A] extends ArgKind ? ArgType[Table[K][A]] : never;
};
type Flat<T> = { readonly [K in keyof T]: T[K] };

/** One action, by its op. */
export type ActionOf<K extends Op> = Flat<{ readonly op: K } & Args<K>>;
export type Action = { [K in Op]: ActionOf<K> }[Op];

export const OPS = Object.keys(ACTION_TABLE) as readonly Op[];

/** The action's arguments as (name, kind, value), in the table's order. */
export function argsOf(a: Action): [string, ArgKind, ArgType[ArgKind]][] {
  const args: Readonly<Record<string, ArgKind>> = ACTION_TABLE[a.op];
  return Object.entries(args).map(([name, kind]) => [
    name,
    kind,
    (a as unknown as Record<string, ArgType[ArgKind]>)[name]!,
  ]);
}
