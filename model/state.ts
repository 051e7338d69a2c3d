// The state of the machine: CPUs and their TLBs, page tables, frames, kernel tasks.
// Plain data only (records of small ids and arrays), so every engine can copy,
// compare and fingerprint it. Kernel names for kernel structures.

import { type Allocator, type Config, mappedPages, pfnmapMask } from './config.js';
import { SYSCALL_TABLE } from './syscall-table.js';

/** A cached translation: what one CPU's TLB holds for (mm, vpage). */
export interface TlbEntry {
  readonly frame: number;
  readonly writable: boolean;
  /** The D bit as the CPU cached it; a clean entry must re-walk before a store. */
  readonly dirty: boolean;
}

export type Pte =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'present';
      readonly frame: number;
      readonly writable: boolean;
      readonly dirty: boolean;
      readonly accessed: boolean;
      /**
       * PROT_NONE for NUMA balancing (change_prot_numa(), Config.syscalls 'numa'): the
       * kernel's pte_present() still holds, so rmap walks, zaps and migration see the folio
       * mapped, but the CPU's walk does not, and any access takes the hinting fault. Not
       * writable (pte_write() is false since 6a56ccbcf6c6, v6.2, dropped x86's savedwrite).
       * Absent otherwise.
       */
      readonly protnone?: true;
    }
  /** try_to_migrate_one() leaves this; a fault on it sleeps in migration_entry_wait(). */
  | {
      readonly kind: 'migration';
      readonly frame: number;
      readonly writable: boolean;
      readonly dirty: boolean;
    };

export type Owner =
  | { readonly kind: 'free' }
  /** An anonymous folio munmap() or MADV_DONTNEED took off its page; freed at its last reference. */
  | { readonly kind: 'unmapped' }
  | {
      readonly kind: 'anon';
      readonly mm: number;
      readonly vpage: number;
      /**
       * Bit m set: mm m maps this folio at the same vpage too, copy-on-write since fork()
       * made m a child (folio_mapcount() > 1). Absent when the folio is exclusive.
       */
      readonly shared?: number;
      /**
       * Not PageAnonExclusive: fork() shared the folio and no write fault has reused it
       * since, so a write fault copies it while anything else holds a reference. Absent
       * for an exclusive folio.
       */
      readonly cowed?: true;
    }
  /**
   * A page-cache folio. File FOREIGN_FILE is someone else's (reuseFrame): its index is the
   * frame it was given. File MAPPED_FILE is the one every mm of a Config.sharedFile world
   * maps MAP_SHARED, page `index` at vpage `index`.
   */
  | {
      readonly kind: 'file';
      readonly file: number;
      readonly index: number;
      /**
       * MAPPED_FILE only: bit m set, mm m maps the folio (its rmap, so folio_mapped() is
       * `mapped !== 0`). Absent when no mm does.
       */
      readonly mapped?: number;
    };

/** Whose page-cache page reuseFrame() makes, and the file a sharedFile world maps. */
export const FOREIGN_FILE = 0;
export const MAPPED_FILE = 1;

export interface Frame {
  readonly owner: Owner;
  /** The page's contents, abstracted to one small value. */
  readonly data: number;
  readonly refcount: number;
  /** PG_dirty: the folio must be written back before it is discarded. */
  readonly dirty: boolean;
  /** PG_migrc (migrc, seed 001): this folio, or its read copy, waits on a deferred flush. */
  readonly migrc: boolean;
  /**
   * MADV_FREE made it lazily freeable (PG_swapbacked cleared, its swap slot freed):
   * reclaim may discard it without writeback if nothing dirtied it since. Absent when not.
   */
  readonly lazyfree?: boolean;
  /**
   * A long-term pin (pin_user_pages(FOLL_LONGTERM), worlds with 'pin') holds the folio for
   * the page it was taken on: a device may write it until the unpin, and each write is a
   * store to that page. The pin's reference is in refcount. Absent when not pinned.
   */
  readonly pinned?: { readonly mm: number; readonly vpage: number };
}

export interface Cpu {
  /** The mm this CPU runs. */
  readonly mm: number;
  /** migrc_done: the migrc_gen this CPU last read before a full local flush. */
  readonly migrc_done: number;
  /** Indexed by mm * config.pages + vpage. */
  readonly tlb: readonly (TlbEntry | null)[];
  /**
   * Worlds where CPUs switch mm with PCID (Config.pcid) only, absent elsewhere. Per mm, how
   * many increments of mm->context.tlb_gen this CPU's ASID for that mm has not caught up
   * with (cpu_tlbstate.ctxs[asid].tlb_gen behind it): 0, 1, or 2 for two or more. Only
   * that difference matters to the kernel, so the counters themselves are not kept.
   */
  readonly tlb_gen_lag?: readonly number[];
  /** cpu_tlbstate_shared.is_lazy: a kernel thread runs here on the last user mm's page tables. */
  readonly lazy?: true;
  /**
   * cpu_tlbstate.loaded_mm is LOADED_MM_SWITCHING: switch_mm_irqs_off() has loaded CR3 for
   * `mm` but not yet written loaded_mm (interrupts are off, so an IPI waits for the write).
   */
  readonly switching?: true;
  /**
   * cpu_tlbstate.loaded_mm while it still names the mm switched from: switch_mm_irqs_off()
   * in the older order (Arch.switchingBeforeTlbGen false) has read `mm`'s tlb_gen and chosen
   * its ASID (the model loads it then: nothing can tell) but not yet written
   * LOADED_MM_SWITCHING. Absent when loaded_mm is `mm` or LOADED_MM_SWITCHING.
   */
  readonly loaded_mm?: number;
  /**
   * The CPU's store buffer (Config.tso only, absent elsewhere), oldest store first: stores
   * to its cpu_tlbstate that other CPUs cannot see yet (model/store-buffer.ts). The fields
   * above are what the CPU itself reads (store forwarding); others read what `was` says.
   */
  readonly sb?: readonly BufferedStore[];
  /**
   * The thread on this CPU is inside wp_page_copy() for a write fault on `vpage` of its
   * mm: it has copied the shared folio `src` into the new folio `dst` (outside the PTL)
   * and has yet to take the PTL and install dst. Absent otherwise.
   */
  readonly wp_copy?: {
    readonly vpage: number;
    readonly src: number;
    readonly dst: number;
    /** The new PTE is set and the old one not yet flushed (Policy.wpCopySetBeforeFlush). */
    readonly set?: true;
  };
}

/**
 * A store in a CPU's store buffer, with the value other CPUs read until it drains: the
 * variable's value just before the store.
 */
export type BufferedStore =
  /** this_cpu_write(cpu_tlbstate_shared.is_lazy, ...). */
  | { readonly kind: 'is_lazy'; readonly was: boolean }
  /** this_cpu_write(cpu_tlbstate.loaded_mm, ...); `was` absent: LOADED_MM_SWITCHING. */
  | { readonly kind: 'loaded_mm'; readonly was?: number };

/** What a VMA allows at a page: the user's contract, which PTEs and TLB entries must honour. */
export type Prot = 'none' | 'ro' | 'rw';

export interface Mm {
  readonly pte: readonly Pte[];
  /** The VMA's protection per vpage ('none': not mapped); changed under mmap_lock. */
  readonly vma: readonly Prot[];
  /**
   * Bit i set: CPU i may hold TLB entries of this mm. Set on switch-in; never cleared here
   * (flush_tlb_func() trims it lazily on x86, which saves IPIs but changes no verdict).
   */
  readonly mm_cpumask: number;
  /** Set by set_tlb_ubc_flush_pending(); read by flush_tlb_batched_pending(). */
  readonly tlb_flush_batched: boolean;
  /** Backing store (swap) per vpage: where a page lives when no frame holds it. */
  readonly swap: readonly number[];
  /**
   * Only in an mm that maps the file MAP_PRIVATE (Config.mapPrivate); absent for MAP_SHARED.
   * Per vpage, whether the page has its own anonymous copy, made by a write fault
   * (wp_page_copy()) and living in a frame or in swap; false while it reads the file. The
   * kernel tells the two apart by the PTE (a swap entry, or none) and the folio it maps.
   */
  readonly anonCopy?: readonly boolean[];
}

/** struct tlbflush_unmap_batch, one per task (include/linux/sched.h). */
export interface TlbUbc {
  readonly cpumask: number;
  readonly flush_required: boolean;
  /** Some deferred entry was dirty, so possibly writable: flush before IO. */
  readonly writable: boolean;
}

/** One folio of a batch: the page it backs, its frame, and (migration) the new frame. */
export interface BatchFolio {
  readonly mm: number;
  readonly vpage: number;
  readonly src: number;
  /** The destination frame of a migration; -1 for reclaim. */
  readonly dst: number;
  /** migrc marked this pair in this batch (kept in the batch, not only in page flags). */
  readonly marked?: boolean;
  /** Its copy failed and was undone: src is mapped again, dst freed; later steps skip it. */
  readonly failed?: boolean;
  /**
   * Its copy or move failed, and migrate_folio_undo_src()'s rmap walk
   * (remove_migration_ptes(src, src)) still has a mapping to restore: the task stays at
   * the failed step, visiting one mapping a step. Absent otherwise.
   */
  readonly undoing?: true;
  /**
   * zap_pte_range() cleared a dirty PTE of a shared file folio: force_flush, so the TLB is
   * flushed before the PTL is dropped (tlb_flush_mmu_tlbonly()), the PTL held until then.
   */
  readonly forceFlush?: true;
  /**
   * migrc: try_to_migrate() walked a file folio's rmap and found a mapping that rules the
   * folio out of migrc (MigrcPolicy.everyWritableMapping says which); read and cleared by
   * the migrc_mark_folios step that follows. An exclusive anonymous folio has one mapping,
   * and tlb_ubc_nowr alone tells.
   */
  readonly migrcRefused?: true;
  /**
   * A NUMA hinting fault chose to migrate this folio and holds a reference to it, but has
   * dropped the PTL and not isolated it yet (Policy.numaIsolation 'after-unlock'): dst is
   * -1, and the task's next step is numamigrate_isolate_folio(). Absent otherwise.
   */
  readonly unisolated?: true;
}

/** System calls a user thread makes; each runs as a job of the task on the caller's CPU. */
/** The system calls a world may run, in the order of model/syscall-table.ts. */
export type Syscall = keyof typeof SYSCALL_TABLE;
export const SYSCALLS = Object.keys(SYSCALL_TABLE) as readonly Syscall[];

/** What a kernel task is doing; its index is the task's job byte in the explorer's encoding. */
export type Job = 'idle' | 'migrate' | 'reclaim' | Syscall;
export const JOBS: readonly Job[] = ['idle', 'migrate', 'reclaim', ...SYSCALLS];

/** Where a kernel task is in its variant's program (see model/task.ts). */
export interface Pc {
  readonly phase: number;
  readonly folio: number;
  readonly step: number;
}

/** struct migrc_req: source folios kept alive until the CPUs in cpumask have flushed. */
export interface MigrcReq {
  readonly cpumask: number;
  /** migrc_gen when the batch finished unmapping; a CPU whose migrc_done is not before it has flushed since. */
  readonly gen: number;
  readonly srcs: readonly number[];
}

/** A kernel thread (kswapd, or a task in migrate_pages()) with its own program counter. */
export interface Task {
  readonly cpu: number;
  readonly job: Job;
  readonly folios: readonly BatchFolio[];
  readonly pc: Pc;
  readonly tlb_ubc: TlbUbc;
  /** Deferred flushes of read-only entries, kept apart (migrc patch 1/3, tlb_ubc_nowr). */
  readonly tlb_ubc_nowr: TlbUbc;
  /** current->mreq: the migrc request this batch is building, or null. */
  readonly mreq: MigrcReq | null;
  /**
   * Where the task is inside a flush_tlb_batched_pending() whose window is modelled
   * (policy.batchedPendingWindow): 1, it has flushed and will clear mm->tlb_flush_batched;
   * 2, a deferral has been added since (the value its cmpxchg expects is gone). Absent
   * otherwise.
   */
  readonly batched_clear?: 1 | 2;
  /**
   * Config.perCallPromises: the frames a munmap(), MADV_DONTNEED or MAP_FIXED this task
   * runs must leave no CPU caching for its page when it returns (the page's contents when
   * it started); empty when idle. Absent in every other world.
   */
  readonly revokes?: readonly number[];
  /**
   * A munmap() queued on i_mmap_rwsem in unlink_file_vma() has waited out RWSEM_WAIT_TIMEOUT
   * and set RWSEM_FLAG_HANDOFF: no new walk of i_mmap starts (Policy.rwsemHandoff). Absent
   * otherwise.
   */
  readonly handoff?: true;
}

/** migrc's global state: the generation counter and the requests hung on the node. */
export interface Migrc {
  readonly gen: number;
  readonly reqs: readonly MigrcReq[];
  /**
   * migrc_stop_pending() is in force: an allocation in __alloc_pages_slowpath() ran out
   * of memory and has not returned yet, so no batch starts or goes on deferring. Absent
   * otherwise, so a state of a world without memory pressure reads as before.
   */
  readonly stopped?: true;
  /**
   * Config.migrcGenBits: migrc_gen and migrc_done are counters of this many bits that
   * wrap, for a policy without wideGen. Absent in every other world.
   */
  readonly genBits?: number;
}

/** History variables: would not exist in a real kernel; read only by invariants. */
export interface Ghost {
  /**
   * The abstract memory: the last value stored to each (mm, vpage). In a sharedFile world
   * a page is the file's page of the same index in every mm, so each column is kept equal.
   */
  readonly memory: readonly (readonly number[])[];
  /**
   * Per (mm, vpage), what the last system call to return promised the user: after
   * mprotect(PROT_READ) returns no store may land, after munmap() no access at all.
   */
  readonly promised: readonly (readonly Prot[])[];
  /**
   * Per (mm, vpage): madvise(MADV_FREE) has returned and no write has come since, so the
   * page may read its old contents or zeroes, whichever reclaim leaves.
   */
  readonly lazy: readonly (readonly boolean[])[];
  /**
   * Worlds with MAP_PRIVATE mms (Config.mapPrivate) only: the last value stored to each
   * page of the file (by a MAP_SHARED mm or write(2)). A MAP_PRIVATE mm's column follows
   * it while the page has no copy of its own (Mm.anonCopy).
   */
  readonly file?: readonly number[];
}

/** What a protocol spends. Never read by a guard or an invariant. */
export interface Cost {
  /** One per target CPU other than the sender. */
  readonly ipis: number;
  /** Whole-TLB flushes, local or remote. */
  readonly fullFlushes: number;
  /** Single-entry flushes, local or remote. */
  readonly pageFlushes: number;
}

export interface State {
  readonly cpus: readonly Cpu[];
  readonly mms: readonly Mm[];
  readonly frames: readonly Frame[];
  /** The free frames, the one the allocator hands out next first. */
  readonly freeList: readonly number[];
  /** How frames return to freeList; fixed by the config, never changed by a step. */
  readonly allocator: Allocator;
  /** PTEs per page-table page, so which pages share a PTL (pte_lockptr()); fixed by the config. */
  readonly ptesPerTable: number;
  readonly tasks: readonly Task[];
  readonly migrc: Migrc;
  /**
   * The mm fork() fills as the child (Config.forkChild): it starts with nothing mapped.
   * Fixed by the config; absent in worlds where the child is not modelled.
   */
  readonly forkChild?: number;
  /**
   * Config.sharedFile worlds only: the file on disk, one value per page index. The
   * page-cache folio of an index, when there is one, holds the newer contents.
   */
  readonly disk?: readonly number[];
  /** Config.moveFailures: move_to_new_folio() may fail for good. Absent in every other world. */
  readonly moveMayFail?: true;
  /** Config.pfnmap: the file's pages that are a device's VM_PFNMAP memory, a bit each. Absent in every other world. */
  readonly pfnmap?: number;
  readonly ghost: Ghost;
  readonly cost: Cost;
  /**
   * Config.sharedFile worlds: the flusher is in the middle of writing back the file's page
   * `index`. It holds the folio lock, and folio_mkclean()'s rmap walk has still to visit the
   * mms in `left` (a bit per mm), one mapping a step under its PTL. Absent otherwise.
   */
  readonly flusher?: { readonly index: number; readonly left: number };
}

export const NO_FRAME = -1;

/** What the allocator's other user writes into a frame it is handed. */
export const FOREIGN_DATA = 99;

// Frozen: recipes may assign them but must never edit them in place (engines that apply
// recipes to plain copies share these objects).
export const idlePc: Pc = Object.freeze({ phase: 0, folio: 0, step: 0 });
export const emptyTlbUbc: TlbUbc = Object.freeze({ cpumask: 0, flush_required: false, writable: false });

/**
 * Every page of every mm starts resident, mapped writable and clean, with contents 0
 * equal to its swap copy; frame i backs page i in order, the rest are free.
 */
export function initialState(config: Config): State {
  const nPages = config.mms * config.pages;
  // The fork child is the last mm: it has no pages until fork() copies the parent's.
  const mapped = (mm: number) => mm !== config.forkChild;
  // (mm, vpage) mapped at the start, in order: the i-th is backed by frame i
  const holes = new Set(config.holes ?? []);
  const startsMapped = (mm: number, vpage: number) => mapped(mm) && !holes.has(vpage);
  const backed: { mm: number; vpage: number }[] = [];
  for (let mm = 0; mm < config.mms; mm++)
    for (let vpage = 0; vpage < config.pages; vpage++)
      if (startsMapped(mm, vpage)) backed.push({ mm, vpage });
  const frameOf = (mm: number, vpage: number) => backed.findIndex((b) => b.mm === mm && b.vpage === vpage);
  const nMapped = mappedPages(config);
  const file = config.sharedFile === true;
  const everyMm = (1 << config.mms) - 1;
  const pfnmap = pfnmapMask(config);
  return {
    cpus: config.cpuMm.map((mm) => ({
      mm,
      migrc_done: 0,
      tlb: Array.from({ length: nPages }, () => null),
      ...(config.pcid ? { tlb_gen_lag: Array.from({ length: config.mms }, () => 0) } : {}),
      ...(config.tso ? { sb: [] } : {}),
    })),
    mms: Array.from({ length: config.mms }, (_, mm) => ({
      pte: Array.from(
        { length: config.pages },
        (_, vpage): Pte =>
          startsMapped(mm, vpage)
            ? {
                kind: 'present',
                // A shared file page is one folio in every mm, mapped read-only by a read
                // fault: the first store takes a write fault (write-notify) that dirties it,
                // or, in a MAP_PRIVATE mm, copies it. A device's VM_PFNMAP memory is mapped
                // writable at once (remap_pfn_range()).
                frame: file ? vpage : frameOf(mm, vpage),
                writable: !file || (pfnmap & (1 << vpage)) !== 0,
                dirty: false,
                accessed: false,
              }
            : { kind: 'none' },
      ),
      vma: Array.from({ length: config.pages }, (_, v): Prot => (startsMapped(mm, v) ? 'rw' : 'none')),
      mm_cpumask: config.cpuMm.reduce((mask, runs, cpu) => (runs === mm ? mask | (1 << cpu) : mask), 0),
      tlb_flush_batched: false,
      swap: Array.from({ length: config.pages }, () => 0),
      ...(config.mapPrivate?.includes(mm)
        ? { anonCopy: Array.from({ length: config.pages }, () => false) }
        : {}),
    })),
    frames: Array.from({ length: config.frames }, (_, frame): Frame => {
      if (frame >= nMapped)
        return { owner: { kind: 'free' }, data: 0, refcount: 0, dirty: false, migrc: false };
      if (file)
        return {
          owner: { kind: 'file', file: MAPPED_FILE, index: frame, mapped: everyMm },
          data: 0,
          // the page cache's reference and one per mapping (memory with no struct page
          // has no references: the driver's alone)
          refcount: (pfnmap & (1 << frame)) !== 0 ? 1 : 1 + config.mms,
          dirty: false,
          migrc: false,
        };
      return {
        owner: { kind: 'anon', ...backed[frame]! },
        data: 0,
        refcount: 1,
        dirty: false,
        migrc: false,
      };
    }),
    freeList: Array.from({ length: config.frames - nMapped }, (_, i) => nMapped + i),
    allocator: config.allocator ?? 'lowest-free',
    ptesPerTable: config.ptesPerTable,
    tasks: config.taskCpus.map((cpu) => ({
      cpu,
      job: 'idle',
      folios: [],
      pc: idlePc,
      tlb_ubc: emptyTlbUbc,
      tlb_ubc_nowr: emptyTlbUbc,
      mreq: null,
      ...(config.perCallPromises ? { revokes: [] } : {}),
    })),
    // a world near the wrap: migrc_gen half the range ahead of every migrc_done (0)
    migrc:
      config.migrcGenBits === undefined
        ? { gen: 0, reqs: [] }
        : { gen: 1 << (config.migrcGenBits - 1), reqs: [], genBits: config.migrcGenBits },
    ...(config.forkChild === undefined ? {} : { forkChild: config.forkChild }),
    ...(file ? { disk: Array.from({ length: config.pages }, () => 0) } : {}),
    ...(config.moveFailures ? { moveMayFail: true as const } : {}),
    ...(pfnmap !== 0 ? { pfnmap } : {}),
    ghost: {
      memory: Array.from({ length: config.mms }, () => Array.from({ length: config.pages }, () => 0)),
      promised: Array.from({ length: config.mms }, (_, mm) =>
        Array.from({ length: config.pages }, (_, v): Prot => (startsMapped(mm, v) ? 'rw' : 'none')),
      ),
      lazy: Array.from({ length: config.mms }, () => Array.from({ length: config.pages }, () => false)),
      ...(config.mapPrivate === undefined ? {} : { file: Array.from({ length: config.pages }, () => 0) }),
    },
    cost: { ipis: 0, fullFlushes: 0, pageFlushes: 0 },
  };
}
