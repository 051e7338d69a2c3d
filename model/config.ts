// The size of the world a check runs in. Small on purpose: every bug the seeds argue
// about needs one page, two CPUs and one kernel task.

export interface Config {
  readonly name: string;
  /** Why this config exists: which race it is the smallest world for. */
  readonly why: string;
  readonly cpus: number;
  /** The mm each CPU runs; its length is `cpus`. */
  readonly cpuMm: readonly number[];
  readonly mms: number;
  /** Virtual pages per mm; all mapped and resident at the start. */
  readonly pages: number;
  readonly frames: number;
  /** A store writes one of 1..values; 0 is every page's initial contents. */
  readonly values: number;
  /** The CPU each kernel task (kswapd, a thread in migrate_pages()) runs on. */
  readonly taskCpus: readonly number[];
  /** Most folios one reclaim or migration batch takes. */
  readonly batch: number;
  /** PTEs per page-table page: pages under one PTL share a lock (pte_lockptr). */
  readonly ptesPerTable: number;
  /**
   * Which free frame the allocator hands out: the lowest-numbered (the default), or the
   * most recently freed, as the per-CPU page lists do. Only 'lifo' treats frames alike,
   * so only it allows symmetry reduction over frames.
   */
  readonly allocator?: Allocator;
  /**
   * The memory-management system calls user threads make in this world (default none):
   * the operations that race with a deferred flush (3ea277194daa).
   */
  readonly syscalls?: readonly SyscallOp[];
  /**
   * Pages no mm has mapped at the start (VMA and PTE none), so a call can move a page onto
   * one without a munmap() first; anonymous worlds only. Default: none.
   */
  readonly holes?: readonly number[];
  /** The tasks whose threads make those calls (default: all); they take no reclaim or migration batch. */
  readonly syscallTasks?: readonly number[];
  /** CPUs switch context and flush their whole TLB (flush_tlb_local(), no PCID). */
  readonly contextSwitches?: boolean;
  /**
   * An allocation elsewhere may enter __alloc_pages_slowpath() and stop migrc until it
   * returns (migrc_stop_pending(), migrc_resume_pending()); only for variants with migrc.
   */
  readonly memoryPressure?: boolean;
  /**
   * x86 with PCID and lazy TLB (model/switch.ts): CPUs switch mm in two steps of
   * switch_mm_irqs_off() and run kernel threads lazily, keep each mm's entries under its
   * ASID, and catch up on flushes they missed through tlb_gen. x86 only; not with
   * contextSwitches, which is the world without PCID.
   */
  readonly pcid?: boolean;
  /**
   * x86's memory order (TSO) for the kernel variables the PCID switch races on: each CPU's
   * stores to its cpu_tlbstate (loaded_mm, is_lazy) wait in a store buffer, and other CPUs
   * read the values before them, until a drain step, a locked instruction, smp_mb() or a
   * serialising one (a CR3 write) empties it (model/store-buffer.ts). Needs pcid. Absent:
   * every store is seen at once, as in every other world.
   */
  readonly tso?: boolean;
  /**
   * The mm fork() creates (the last one): it starts with nothing mapped, and fork() of
   * another mm copies that mm's page table into it, sharing each folio copy-on-write, so
   * a write fault in either mm copies the page (wp_page_copy()). Absent: the child is not
   * modelled (taken to exit or exec at once) and fork() only write-protects the parent.
   */
  readonly forkChild?: number;
  /**
   * Every page of every mm is a MAP_SHARED mapping of one file, vpage i its page i, so the
   * mms share each page-cache folio; a store dirties the folio, which the flusher writes
   * back (folio_clear_dirty_for_io(), folio_mkclean()) and reclaim may then drop when no
   * mm maps it. mmap() maps the file again. Not with forkChild, pcid, fork or MADV_FREE.
   */
  readonly sharedFile?: boolean;
  /**
   * sharedFile worlds: these mms map the file MAP_PRIVATE rather than MAP_SHARED. A page
   * reads the file (the page-cache folio, mapped read-only) until the mm's first write
   * fault copies it into an anonymous folio of its own (wp_page_copy()); from then on it
   * is the mm's alone, and MADV_DONTNEED or munmap() and mmap() make it read the file again.
   */
  readonly mapPrivate?: readonly number[];
  /**
   * sharedFile worlds: the file's pages (true: all; a list: those) are a device's memory,
   * mapped VM_PFNMAP (remap_pfn_range(), vmf_insert_pfn()), each in a VMA of its own: no
   * struct page, so no mapping holds a reference, the mmu_gather of a zap holds none, and
   * nothing dirties, writes back or reclaims them. A hole punched there (punch_hole) is the
   * driver revoking the page: unmap_mapping_range() over the file's i_mmap, then freeing
   * the memory at once. A fault maps the driver's memory for the page again. The world of
   * CVE-2022-39188 (b67fbebd4cf9).
   */
  readonly pfnmap?: boolean | readonly number[];
  /**
   * migrc_gen and every CPU's migrc_done are counters of this many bits that wrap, compared
   * as v3 compares its ints (before(a, b): a - b < 0), and migrc_gen starts half the range
   * ahead of every migrc_done (0): a machine whose migrc_gen has passed 2^31 while some CPU
   * has done no full local flush since generation 0. A variant whose counters are 64-bit
   * (MigrcPolicy.wideGen) ignores it. Only for variants with migrc.
   */
  readonly migrcGenBits?: number;
  /**
   * move_to_new_folio() may fail for good, not only with -EAGAIN: since v6.11 (060913999d7a)
   * __migrate_folio() copies with folio_mc_copy(), which returns -EHWPOISON when the source
   * is poisoned, and a filesystem's ->migrate_folio() may fail. migrate_folio_move() then
   * maps src again and frees dst (migrate_folio_undo_src(), migrate_folio_undo_dst()).
   */
  readonly moveFailures?: boolean;
  /**
   * Judge what munmap(), madvise(MADV_DONTNEED) and mmap(MAP_FIXED) promise at their
   * return per call (issue 25 item 4): each such call notes the frames the page's contents
   * were in when it started (the PTE's, and any a CPU still caches), and when it returns
   * no CPU may cache one of them, whatever other call on the page still runs
   * (noAccessAfterRevoke). Elsewhere the data invariants only exempt a page while any call
   * discards it. A frame allocated again leaves every note (its contents are new).
   */
  readonly perCallPromises?: boolean;
}

/** mmap() makes an unmapped range anonymous memory again; the rest run as task jobs. */
// clear_refs stands for every path that leaves a read-only PTE under a writable VMA.
export type SyscallOp =
  | 'mprotect'
  | 'munmap'
  | 'madvise'
  | 'mmap'
  | 'clear_refs'
  | 'mmap_fixed'
  | 'fork'
  /** The kernel writes a page through the direct map (write(2) to the page cache, GUP). */
  | 'write'
  | 'madvise_free'
  /** fallocate(FALLOC_FL_PUNCH_HOLE) of one page of the shared file (sharedFile worlds). */
  | 'punch_hole'
  /** mremap(old, 1 page, MREMAP_MAYMOVE|MREMAP_FIXED, new) onto an unmapped page (anonymous memory). */
  | 'mremap'
  /**
   * NUMA balancing: task_numa_work() makes pages PROT_NONE (change_prot_numa()) from a
   * thread of the mm, and a thread's access then takes the hinting fault (do_numa_page()),
   * which maps the page again or migrates it (anonymous memory).
   */
  | 'numa'
  /**
   * A thread pins a page with pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) (io_uring's fixed
   * buffers, RDMA, VFIO) and unpins it; a device writes the pinned folio meanwhile.
   */
  | 'pin';
export const SYSCALL_OPS: readonly SyscallOp[] = [
  'mprotect',
  'munmap',
  'madvise',
  'mmap',
  'clear_refs',
  'mmap_fixed',
  'fork',
  'write',
  'madvise_free',
  'punch_hole',
  'mremap',
  'numa',
  'pin',
];

export type Allocator = 'lowest-free' | 'lifo';

export const LIMITS = { cpus: 8, mms: 4, pages: 8, frames: 32, values: 7, tasks: 4 } as const;

export function defineConfig(config: Config): Config {
  const problem = configProblem(config);
  if (problem !== null) throw new Error(`config ${config.name}: ${problem}`);
  return config;
}

/**
 * Frames taken at the start: one per page of every mm but the fork child, or in a
 * sharedFile world one per page of the file, which every mm maps.
 */
export const mappedPages = (c: Config): number =>
  c.sharedFile
    ? c.pages
    : (c.forkChild === undefined ? c.mms : c.mms - 1) * (c.pages - (c.holes?.length ?? 0));

/** null when the config is usable, else one line naming what is wrong. */
export function configProblem(c: Config): string | null {
  const whole = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
  if (!whole(c.cpus, 1, LIMITS.cpus)) return `cpus must be a whole number from 1 to ${LIMITS.cpus}`;
  if (!whole(c.mms, 1, LIMITS.mms)) return `mms must be a whole number from 1 to ${LIMITS.mms}`;
  if (!whole(c.pages, 1, LIMITS.pages)) return `pages must be a whole number from 1 to ${LIMITS.pages}`;
  if (c.holes !== undefined) {
    if (!Array.isArray(c.holes) || !c.holes.every((v) => whole(v, 0, c.pages - 1)))
      return `holes must be a list of pages from 0 to ${c.pages - 1}`;
    if (new Set(c.holes).size !== c.holes.length || c.holes.length >= c.pages)
      return 'holes must name each page once and leave one mapped';
    if (c.sharedFile || c.forkChild !== undefined) return 'holes are for anonymous worlds without forkChild';
  }
  if (c.forkChild !== undefined && (c.mms < 2 || c.forkChild !== c.mms - 1))
    return `forkChild must be the last mm (${c.mms - 1}), with at least one mm before it`;
  const mapped = mappedPages(c);
  if (!whole(c.frames, mapped, LIMITS.frames))
    return `frames must be a whole number from the pages mapped at the start (${mapped}) to ${LIMITS.frames}`;
  if (!whole(c.values, 1, LIMITS.values)) return `values must be a whole number from 1 to ${LIMITS.values}`;
  if (c.cpuMm.length !== c.cpus) return `cpuMm must name one mm for each of the ${c.cpus} CPUs`;
  if (!c.cpuMm.every((mm) => whole(mm, 0, c.mms - 1)))
    return `cpuMm entries must be mms from 0 to ${c.mms - 1}`;
  if (c.taskCpus.length > LIMITS.tasks) return `at most ${LIMITS.tasks} kernel tasks`;
  if (!c.taskCpus.every((cpu) => whole(cpu, 0, c.cpus - 1)))
    return `taskCpus entries must be CPUs from 0 to ${c.cpus - 1}`;
  if (!whole(c.batch, 1, c.pages)) return `batch must be a whole number from 1 to pages (${c.pages})`;
  if (!whole(c.ptesPerTable, 1, 512)) return 'ptesPerTable must be a whole number from 1 to 512';
  if (c.allocator !== undefined && c.allocator !== 'lowest-free' && c.allocator !== 'lifo')
    return "allocator must be 'lowest-free' or 'lifo'";
  if (c.syscalls !== undefined) {
    if (!Array.isArray(c.syscalls)) return `syscalls must be a list of: ${SYSCALL_OPS.join(', ')}`;
    const unknown = c.syscalls.find((x) => !SYSCALL_OPS.includes(x));
    if (unknown !== undefined)
      return `unknown syscall '${String(unknown)}' (known: ${SYSCALL_OPS.join(', ')})`;
    if (c.syscalls.length > 0 && c.taskCpus.length === 0)
      return 'system calls need a task (taskCpus) to run them';
  }
  if (c.pcid !== undefined && typeof c.pcid !== 'boolean') return 'pcid must be true or false';
  if (c.pcid && c.contextSwitches)
    return 'pcid and contextSwitches are two ways to switch context: choose one';
  if (c.tso !== undefined && typeof c.tso !== 'boolean') return 'tso must be true or false';
  if (c.tso && !c.pcid) return "tso buffers the PCID switch's stores (loaded_mm, is_lazy): it needs pcid";
  if (c.forkChild !== undefined && !c.syscalls?.includes('fork'))
    return "forkChild needs 'fork' among the syscalls";
  if (c.forkChild !== undefined && c.pcid) return 'forkChild is not modelled with pcid';
  if (c.sharedFile !== undefined && typeof c.sharedFile !== 'boolean')
    return 'sharedFile must be true or false';
  if (c.sharedFile && (c.forkChild !== undefined || c.pcid))
    return 'sharedFile is not modelled with forkChild or pcid';
  if (c.sharedFile && (c.syscalls?.includes('fork') || c.syscalls?.includes('madvise_free')))
    return 'sharedFile worlds have no fork or madvise_free (MADV_FREE is for anonymous memory)';
  if (c.syscalls?.includes('punch_hole') && !c.sharedFile) return 'punch_hole needs a sharedFile world';
  // A moved anonymous folio's rmap is (mm, new vpage); a file page's index and a folio a fork
  // child shares at the old address would need a vpage apart from the index: not modelled.
  if (c.syscalls?.includes('mremap') && (c.sharedFile || c.forkChild !== undefined))
    return 'mremap is modelled for anonymous memory only: not with sharedFile or forkChild';
  // do_numa_page() restores a PTE writable by PageAnonExclusive and the soft-dirty bit
  // (can_change_pte_writable()), which fork and clear_refs change and the model does not keep.
  if (
    c.syscalls?.includes('numa') &&
    (c.sharedFile ||
      c.forkChild !== undefined ||
      c.syscalls.includes('fork') ||
      c.syscalls.includes('clear_refs'))
  )
    return 'numa is modelled for anonymous memory without fork or clear_refs';
  // A device's write through a pin is a store to the page pinned, so the page must stay
  // that mapping until the unpin: no call that unmaps, moves or shares it.
  const unpins = ['munmap', 'madvise', 'madvise_free', 'mmap_fixed', 'mremap', 'fork', 'numa', 'punch_hole'];
  if (c.syscalls?.includes('pin') && (c.sharedFile || c.syscalls.some((op) => unpins.includes(op))))
    return `pin is modelled for anonymous memory without ${unpins.join(', ')}`;
  if (c.mapPrivate !== undefined) {
    if (!c.sharedFile) return 'mapPrivate needs a sharedFile world (the file the mms map)';
    if (!Array.isArray(c.mapPrivate) || !c.mapPrivate.every((mm) => whole(mm, 0, c.mms - 1)))
      return `mapPrivate must be a list of mms from 0 to ${c.mms - 1}`;
    // truncation keeps private copies (unmap_mapping_range() with even_cows 0): not modelled
    if (c.syscalls?.includes('punch_hole')) return 'punch_hole is not modelled with mapPrivate';
  }
  if (
    c.pfnmap !== undefined &&
    typeof c.pfnmap !== 'boolean' &&
    !(Array.isArray(c.pfnmap) && c.pfnmap.every((v) => whole(v, 0, c.pages - 1)))
  )
    return `pfnmap must be true, false or a list of pages from 0 to ${c.pages - 1}`;
  if (c.pfnmap && (!c.sharedFile || c.mapPrivate !== undefined))
    return 'pfnmap needs a sharedFile world without mapPrivate (the device file the mms map)';
  if (c.pfnmap && c.syscalls?.some((op) => op === 'write' || op === 'mprotect'))
    return 'pfnmap is not modelled with write or mprotect (no page cache, no write-notify)';
  if (c.moveFailures !== undefined && typeof c.moveFailures !== 'boolean')
    return 'moveFailures must be true or false';
  if (c.perCallPromises !== undefined && typeof c.perCallPromises !== 'boolean')
    return 'perCallPromises must be true or false';
  if (c.migrcGenBits !== undefined && !whole(c.migrcGenBits, 1, 8))
    return 'migrcGenBits must be a whole number from 1 to 8';
  // one folio per mm: every mm's mapping of the page is zapped in one job
  if (c.syscalls?.includes('punch_hole') && c.batch < c.mms)
    return `punch_hole zaps the page in every mm: batch must be at least mms (${c.mms})`;
  if (c.syscallTasks !== undefined && !c.syscallTasks.every((t) => whole(t, 0, c.taskCpus.length - 1)))
    return `syscallTasks entries must be tasks from 0 to ${c.taskCpus.length - 1}`;
  return null;
}

/** The pages Config.pfnmap makes a device's VM_PFNMAP memory, as a bit mask (0: none). */
export const pfnmapMask = (c: Config): number =>
  c.pfnmap === true
    ? (1 << c.pages) - 1
    : Array.isArray(c.pfnmap)
      ? c.pfnmap.reduce((m: number, v: number) => m | (1 << v), 0)
      : 0;

/** Is there a write fault that copies a page (wp_page_copy()): a fork child, or a MAP_PRIVATE file? */
export const copiesOnWrite = (c: Config): boolean =>
  c.forkChild !== undefined || (c.mapPrivate !== undefined && c.mapPrivate.length > 0);

/** The page-table page (and so the PTL) that vpage's PTE lives in. */
export const ptlOf = (config: Config, vpage: number): number => Math.floor(vpage / config.ptesPerTable);

const tiny = defineConfig({
  name: 'tiny',
  why: 'The smallest world with a remote CPU: one page, two CPUs of one mm, one kernel task on CPU 0.',
  cpus: 2,
  cpuMm: [0, 0],
  mms: 1,
  pages: 1,
  frames: 3,
  values: 2,
  taskCpus: [0],
  batch: 1,
  ptesPerTable: 1,
});

const small = defineConfig({
  name: 'small',
  why: 'Two pages under one PTL so a batch holds two folios and one flush covers both; the default.',
  cpus: 2,
  cpuMm: [0, 0],
  mms: 1,
  pages: 2,
  frames: 4,
  values: 2,
  taskCpus: [0],
  batch: 2,
  ptesPerTable: 2,
});

/**
 * tiny with a second task on CPU 1 whose thread makes `syscalls` (and takes no batch);
 * one store value unless `values` says otherwise, to keep it small enough to exhaust.
 */
function withCaller(
  name: string,
  why: string,
  syscalls: readonly SyscallOp[],
  extra: Partial<Config> = {},
): Config {
  return defineConfig({
    ...tiny,
    name,
    why,
    values: 1,
    taskCpus: [0, 1],
    syscalls,
    syscallTasks: [1],
    ...extra,
  });
}

const syscalls = defineConfig({
  ...small,
  name: 'syscalls',
  why: 'small with mprotect, munmap, madvise and mmap made by a thread on CPU 1 while CPU 0 reclaims or migrates: where a deferred flush must be honoured by every system call (3ea277194daa).',
  taskCpus: [0, 1],
  syscalls: ['mprotect', 'munmap', 'madvise', 'mmap'],
  syscallTasks: [1],
});

const syscallsTwoPtls = defineConfig({
  ...syscalls,
  name: 'syscalls-two-ptls',
  why: 'syscalls with each page under its own PTL: reclaim may unmap one page while a system call holds the other, inside its flush_tlb_batched_pending(); one store value to keep it small.',
  values: 1,
  ptesPerTable: 1,
});

const pcid = defineConfig({
  name: 'pcid',
  why: "x86 with PCID and lazy TLB: either CPU may switch between two mms, keeping each one's entries under its ASID, or run a kernel thread lazily, while the thread on CPU 1 calls munmap() and mprotect(); where a flush must reach a CPU that is switching into the mm.",
  cpus: 2,
  cpuMm: [0, 0],
  mms: 2,
  pages: 1,
  frames: 3,
  values: 1,
  taskCpus: [1],
  batch: 1,
  ptesPerTable: 1,
  syscalls: ['munmap', 'mprotect'],
  syscallTasks: [0],
  pcid: true,
});

const tinyPcid = defineConfig({
  ...pcid,
  name: 'tiny-pcid',
  why: 'pcid with munmap() alone, small enough to exhaust (72,828 states for x86-pcid): the page is unmapped once, while CPU 0 may be anywhere in a switch.',
  syscalls: ['munmap'],
});

const pcidReclaim = defineConfig({
  ...pcid,
  name: 'pcid-reclaim',
  why: 'x86 with PCID and lazy TLB against batched reclaim: kswapd on CPU 0 defers the flush of a page CPU 1 caches, while CPU 1 may run a kernel thread lazily, so the batched flush skips it and tlb_gen must make it catch up when it returns. One mm and no spare frame (the page comes back in the frame it left) keep it small (831 states for reclaim-batched-dirty-pcid) and its bugs short: a second reclaim through a recycled frame took the random engine over 20,000 runs.',
  mms: 1,
  frames: 1,
  taskCpus: [0],
  syscalls: [],
  syscallTasks: [],
});

const migrcPcid = defineConfig({
  name: 'migrc-pcid',
  why: "migrc on x86 with PCID and lazy TLB: CPU 1 may switch between two mms, keeping each one's entries under its ASID, or run a kernel thread lazily, while a migration on CPU 0 defers the flush of mm 0's read-only page (clear_refs on CPU 1 write-protects it). migrc_done records a flush_tlb_local() that empties only the ASID loaded then; the entries other ASIDs keep are left to tlb_gen.",
  cpus: 2,
  cpuMm: [0, 0],
  mms: 2,
  pages: 1,
  // mm 0's page, mm 1's, and one free for each of two migrations in a row
  frames: 4,
  values: 1,
  taskCpus: [0, 1],
  batch: 1,
  ptesPerTable: 1,
  syscalls: ['clear_refs'],
  syscallTasks: [1],
  pcid: true,
});

const forkCow = defineConfig({
  name: 'fork-cow',
  why: 'fork() with the child modelled: the parent on CPUs 0 and 1 (a thread on CPU 0 forks, munmap()s and mprotect()s), and the child on CPU 2 once fork() has returned, whose thread munmap()s and mprotect()s too. Each folio is shared copy-on-write until a write fault in either mm copies it (wp_page_copy()), while another CPU may still cache the old one.',
  cpus: 3,
  cpuMm: [0, 0, 1],
  mms: 2,
  pages: 1,
  frames: 3,
  values: 2,
  taskCpus: [0, 2],
  batch: 1,
  ptesPerTable: 1,
  syscalls: ['fork', 'munmap', 'mprotect'],
  syscallTasks: [0, 1],
  forkChild: 1,
});

const sharedFileWorld = defineConfig({
  name: 'shared-file',
  why: 'Two processes map one file MAP_SHARED: mm 0 on CPUs 0 and 1, mm 1 on CPU 2, each with a thread that munmap()s, madvise(MADV_DONTNEED)s, mmap()s the file again, mprotect()s, write(2)s it and punches holes in it, while the flusher writes dirty pages back (folio_mkclean()) and reclaim drops clean ones no one maps. Two pages under one PTL.',
  cpus: 3,
  cpuMm: [0, 0, 1],
  mms: 2,
  pages: 2,
  frames: 3,
  values: 2,
  taskCpus: [1, 2],
  batch: 2,
  ptesPerTable: 2,
  syscalls: ['munmap', 'madvise', 'mmap', 'mprotect', 'write', 'punch_hole'],
  syscallTasks: [0, 1],
  sharedFile: true,
});

const migrcSharedFile = defineConfig({
  name: 'migrc-shared-file',
  why: "migrc on a folio two processes map: one file MAP_SHARED, mm 0 on CPU 0 and mm 1 on CPU 1, where the migration runs. mm 1's mapping may be writable while mm 0's is read-only (write-notify), and mm 1 runs on no other CPU, so try_to_migrate() flushes its PTE at once rather than deferring it; the flusher and reclaim of the page cache run too. Two store values, so a store made after the migration differs from one made before.",
  cpus: 2,
  cpuMm: [0, 1],
  mms: 2,
  pages: 1,
  frames: 2,
  values: 2,
  taskCpus: [1],
  batch: 1,
  ptesPerTable: 1,
  sharedFile: true,
});

const privateFile = defineConfig({
  name: 'private-file',
  why: "One file, mapped MAP_SHARED by mm 0 on CPU 0 and MAP_PRIVATE by mm 1 on CPUs 1 and 2. mm 1's page reads the file (the page-cache folio, mapped read-only) until a store there takes a write fault that copies it (wp_page_copy()), while the other CPU of mm 1 may still cache the page-cache folio; mm 0's stores and write(2) then no longer reach mm 1. The threads on CPUs 0 and 1 write(2) the file and madvise(MADV_DONTNEED) their page, which makes mm 1's read the file again; the flusher and reclaim of the page cache run too. Two store values.",
  cpus: 3,
  cpuMm: [0, 1, 1],
  mms: 2,
  pages: 1,
  frames: 3,
  values: 2,
  taskCpus: [0, 1],
  batch: 1,
  ptesPerTable: 1,
  syscalls: ['write', 'madvise'],
  syscallTasks: [0, 1],
  sharedFile: true,
  mapPrivate: [1],
});

const tinySharedFile = defineConfig({
  ...sharedFileWorld,
  name: 'tiny-shared-file',
  why: 'shared-file with one process on two CPUs, one page and one frame, small enough to exhaust: CPU 0 stores to the page while the thread on CPU 1 unmaps it or punches a hole in it and the flusher writes it back, and reclaim may then drop it; either thread may mmap() it again or mprotect() it. Two store values, so a store lost after the writeback differs from the one written. Judged per call (perCallPromises), since munmap() and the hole punched race on the one page: when munmap() returns no CPU caches what the page held when it started, whatever punch still runs.',
  cpus: 2,
  cpuMm: [0, 0],
  mms: 1,
  pages: 1,
  frames: 1,
  taskCpus: [1, 0],
  batch: 1,
  ptesPerTable: 1,
  syscalls: ['munmap', 'mmap', 'mprotect', 'punch_hole'],
  syscallTasks: [0, 1],
  perCallPromises: true,
});

// tiny-shared-file with the file a device's memory: one store value, no mprotect()
const tinyPfnmap = defineConfig({
  ...tinySharedFile,
  name: 'tiny-pfnmap',
  why: "A device's memory mapped VM_PFNMAP by one process on two CPUs, one page: the thread on CPU 1 munmap()s it while the driver (the thread on CPU 0) revokes it with unmap_mapping_range() and frees it; the mmu_gather holds no reference to memory with no struct page. Where munmap() must flush before free_pgtables() unlinks its VMA from i_mmap, or the driver's walk misses this mm (CVE-2022-39188).",
  values: 1,
  syscalls: ['munmap', 'mmap', 'punch_hole'],
  pfnmap: true,
});

export const CONFIGS = {
  tiny,
  small,
  'tiny-lifo': defineConfig({
    ...tiny,
    name: 'tiny-lifo',
    why: 'tiny with the most-recently-freed-first allocator: frames are interchangeable, so the explorer may reduce by symmetry.',
    allocator: 'lifo',
  }),
  'tiny-3cpu': defineConfig({
    ...tiny,
    name: 'tiny-3cpu',
    why: 'tiny with a third CPU of the same mm: CPUs 1 and 2 run no kernel task, so they are interchangeable and --symmetry stores one state for both orders of them.',
    cpus: 3,
    cpuMm: [0, 0, 0],
  }),
  'tiny-3cpu-lifo': defineConfig({
    ...tiny,
    name: 'tiny-3cpu-lifo',
    why: 'tiny-3cpu with the lifo allocator: --symmetry reduces over frames and over CPUs 1 and 2 at once.',
    cpus: 3,
    cpuMm: [0, 0, 0],
    allocator: 'lifo',
  }),
  'tiny-8cpu': defineConfig({
    ...tiny,
    name: 'tiny-8cpu',
    why: "tiny with eight CPUs of one mm (the model's limit), seven of them alike: the world --symmetry over CPUs is measured on, which the full search does not finish.",
    cpus: 8,
    cpuMm: [0, 0, 0, 0, 0, 0, 0, 0],
  }),
  'small-lifo': defineConfig({
    ...small,
    name: 'small-lifo',
    why: 'small with the lifo allocator: the largest world the explorer exhausts in about a minute with --symmetry, and the one its Promela twin is timed on (BENCHMARKS.md).',
    allocator: 'lifo',
  }),
  'two-mms': defineConfig({
    name: 'two-mms',
    why: 'A frame freed by one mm can be faulted in by another: reuse of a frame a stale entry still maps.',
    cpus: 2,
    cpuMm: [0, 1],
    mms: 2,
    pages: 1,
    frames: 3,
    values: 2,
    taskCpus: [0],
    batch: 1,
    ptesPerTable: 1,
  }),
  'two-tasks': defineConfig({
    name: 'two-tasks',
    why: 'Reclaim and migration in flight at once, each with its own tlb_ubc, on different CPUs.',
    cpus: 3,
    cpuMm: [0, 0, 0],
    mms: 1,
    pages: 2,
    frames: 5,
    values: 2,
    taskCpus: [0, 1],
    batch: 1,
    ptesPerTable: 1,
  }),
  'tiny-syscalls': withCaller(
    'tiny-syscalls',
    'tiny with a second task on CPU 1 that makes the system calls racing with a deferred flush (mprotect, munmap, madvise, mmap); one store value keeps it small enough to exhaust.',
    ['mprotect', 'munmap', 'madvise', 'mmap'],
  ),
  syscalls,
  'syscalls-two-ptls': syscallsTwoPtls,
  'tiny-two-ptls': defineConfig({
    ...syscallsTwoPtls,
    name: 'tiny-two-ptls',
    why: 'syscalls-two-ptls with one spare frame, not two: the explorer finds the lost flush of a bool tlb_flush_batched in 553,207 states, and the random engine still finds it (seed 1, run 4,359).',
    frames: 3,
  }),
  'tiny-two-ptls-mprotect': defineConfig({
    ...syscallsTwoPtls,
    name: 'tiny-two-ptls-mprotect',
    why: 'tiny-two-ptls with no spare frame, a batch of one and mprotect() only: small enough to exhaust (2.2 million states, about a minute) with a deferral inside the window of flush_tlb_batched_pending() reached; with a batch of two and munmap() too the generations held in all 7,895,195 states, counted while munmap() still zapped under the write lock.',
    frames: 2,
    batch: 1,
    syscalls: ['mprotect'],
  }),
  'tiny-zap': withCaller(
    'tiny-zap',
    'tiny-syscalls without mprotect: only the calls that zap a PTE (munmap, madvise(MADV_DONTNEED)) race with the migration; before v6.0 mprotect() flushed whenever it changed any PTE, a migration entry included, so it did not race with migrate_vma.',
    ['munmap', 'madvise', 'mmap'],
  ),
  'two-zaps': withCaller(
    'two-zaps',
    "Two threads of one mm, on CPUs 0 and 1, each madvise(MADV_DONTNEED)s or munmap()s the page; no batch job. MADV_DONTNEED zaps under mmap_lock for read, so two zaps of one PTE race (munmap() takes it for write to detach the VMA, so it waits for a MADV_DONTNEED in flight and none starts on the page after it; it zaps under the read lock since dd2283f2605e, v4.20): the one that finds it already cleared has gathered nothing, and must not return while the other's flush is still to reach a CPU (mm_tlb_flush_nested(), 99baac21e458). Judged per call (perCallPromises): at each return, no CPU caches a frame the page had when that call started.",
    ['madvise', 'munmap'],
    { syscallTasks: [0, 1], values: 1, perCallPromises: true },
  ),
  mremap: withCaller(
    'mremap',
    'mremap() against migration and reclaim: two pages under one PTL, the second unmapped at the start; a thread on CPU 1 moves the page from one to the other, while CPU 0 reclaims or migrates the folio wherever it is mapped now and flushes only that address (ptep_clear_flush() before v6.3). Two store values, so a store lost after a first one still shows; one spare frame.',
    ['mremap'],
    { pages: 2, frames: 2, ptesPerTable: 2, values: 2, holes: [1] },
  ),
  'migrc-mremap': withCaller(
    'migrc-mremap',
    'migrc against mremap(): a thread on CPU 1 write-protects the page (clear_refs) so a migration defers its flush and keeps src, and moves the page onto the hole beside it; CPUs switch context. move_ptes() carries the PTE to dst, or the migration entry, to the new address while a CPU may still read src through the old one.',
    ['clear_refs', 'mremap'],
    { contextSwitches: true, pages: 2, frames: 2, ptesPerTable: 2, holes: [1] },
  ),
  numa: defineConfig({
    ...tiny,
    name: 'numa',
    why: 'NUMA balancing: the thread on CPU 0 runs task_numa_work(), which makes the page PROT_NONE (change_prot_numa()) and flushes it only at the end, while CPU 1 may still cache the page and the thread on CPU 2 takes the hinting fault, which maps the page again or migrates it (migrate_misplaced_folio()). Either thread may do either. The one migration there is comes from the hinting fault; it must flush what change_prot_numa() has not flushed yet (pte_accessible()). Two store values, one spare frame.',
    cpus: 3,
    cpuMm: [0, 0, 0],
    frames: 2,
    values: 2,
    taskCpus: [0, 2],
    syscalls: ['numa'],
    syscallTasks: [0, 1],
  }),
  pin: withCaller(
    'pin',
    'A long-term pin against migration and reclaim: the thread on CPU 1 pins the page (pin_user_pages(FOLL_WRITE|FOLL_LONGTERM)) and unpins it, a device writes the pinned folio at any time, and CPU 0 reclaims or migrates the page, which must not move while pinned. Two store values, one spare frame.',
    ['pin'],
    { frames: 2, values: 2 },
  ),
  'migrc-pin': withCaller(
    'migrc-pin',
    'migrc against a long-term pin: the thread on CPU 1 write-protects the page (clear_refs) so a migration defers its flush and keeps src, and pins and unpins the page: a pin taken on the read-only destination write-faults it first (do_wp_page(), where migrc flushes), and a device writes the pinned folio at any time.',
    ['clear_refs', 'pin'],
  ),
  'tiny-migrc': withCaller(
    'tiny-migrc',
    'The smallest world for migrc: a thread on CPU 1 write-protects the page (clear_refs) so a migration finds it read-only, and CPUs switch context (flush_tlb_local()).',
    ['clear_refs'],
    { contextSwitches: true },
  ),
  'migrc-mprotect': withCaller(
    'migrc-mprotect',
    'migrc against mprotect(): read-only PTEs come from mprotect(PROT_READ), and mprotect(PROT_READ|PROT_WRITE) makes them writable without a fault.',
    ['mprotect'],
  ),
  'migrc-munmap': withCaller(
    'migrc-munmap',
    'migrc against munmap(), mmap() and madvise(MADV_DONTNEED) of a page whose source copy migrc still holds.',
    ['clear_refs', 'munmap', 'mmap', 'madvise'],
  ),
  'migrc-mmap-fixed': withCaller(
    'migrc-mmap-fixed',
    'migrc against mmap(MAP_FIXED) over the page whose source copy migrc still holds: the old mapping is zapped and fresh memory mapped in one call under mmap_lock.',
    ['clear_refs', 'mmap_fixed'],
  ),
  'migrc-fork': withCaller(
    'migrc-fork',
    'migrc against fork(): dup_mmap() write-protects the parent PTE under mmap_lock and flushes only at its end, without raising mm_tlb_flush_pending(), so a migration may meanwhile find the PTE read-only while another CPU caches it writable. Two store values, so a store lost in src differs from one already copied.',
    ['fork'],
    { values: 2 },
  ),
  'tiny-madvise-free': withCaller(
    'tiny-madvise-free',
    'tiny with madvise(MADV_FREE) made on CPU 1 while CPU 0 reclaims: a lazily freed page must be discarded only if nothing wrote it since, and a write through a TLB entry cached before the call must not be lost.',
    ['madvise_free'],
  ),
  'migrc-pressure': withCaller(
    'migrc-pressure',
    'migrc under memory pressure: an allocation may stop migrc (migrc_stop_pending()) while a batch of two unmaps, and munmap() may take the second page first, so that no other folio of the batch defers a flush to the CPUs of the request the batch gives up.',
    ['clear_refs', 'munmap'],
    { pages: 2, frames: 4, batch: 2, memoryPressure: true },
  ),
  'migrc-write': withCaller(
    'migrc-write',
    'migrc against the kernel writing the destination through the direct map (write(2) to a page-cache page, process_vm_writev(2), an O_DIRECT read): no user TLB entry, no write fault; read-only PTEs come from clear_refs.',
    ['clear_refs', 'write'],
  ),
  'migrc-shared-file': migrcSharedFile,
  'migrc-fork-child': defineConfig({
    name: 'migrc-fork-child',
    why: 'migrc on the folio fork() shares, its main read-only case: the parent on CPU 0 forks, and the child runs on CPU 1 once fork() has returned; both map the folio read-only, so a migration (on CPU 1, through either mm) walks both mappings and may defer both flushes, and a write fault in either mm copies the folio (wp_page_copy()). fork() may copy a migration entry into the child.',
    cpus: 2,
    cpuMm: [0, 1],
    mms: 2,
    pages: 1,
    frames: 3,
    values: 2,
    taskCpus: [1, 0],
    batch: 1,
    ptesPerTable: 1,
    syscalls: ['fork'],
    syscallTasks: [1],
    forkChild: 1,
  }),
  'migrc-pcid': migrcPcid,
  'migrc-pcid-tso': defineConfig({
    ...migrcPcid,
    name: 'migrc-pcid-tso',
    why: "migrc-pcid with x86's store buffer for the switch's stores (tso); migrc's own variables are not buffered (model/store-buffer.ts).",
    tso: true,
  }),
  'migrc-private-file': defineConfig({
    ...migrcSharedFile,
    name: 'migrc-private-file',
    why: 'migrc-shared-file with mm 0 mapping the file MAP_PRIVATE: its read-only mapping of the page-cache folio is one the migration may leave cached in a deferred flush, and its first store copies whichever folio its PTE then names (wp_page_copy()) while mm 1 may write dst.',
    mapPrivate: [0],
    frames: 3,
  }),
  'migrc-shared-file-move-fail': defineConfig({
    ...migrcSharedFile,
    name: 'migrc-shared-file-move-fail',
    why: "migrc-shared-file where the move may fail for good (moveFailures): the undo's rmap walk (migrate_folio_undo_src(): remove_migration_ptes(src, src)) maps src again in one mm and then the other, each under its PTL, while the other mm's thread may fault on its migration entry.",
    moveFailures: true,
  }),
  'migrc-gen-wrap': defineConfig({
    ...migrcSharedFile,
    name: 'migrc-gen-wrap',
    why: "migrc-shared-file with context switches, near the wrap of migrc_gen: the counters are two bits, and migrc_gen starts half the range ahead of every CPU's migrc_done, as on a machine whose migrc_gen has passed 2^31 while CPU 0 has done no full local flush since generation 0 (with PCID, or a nohz_full CPU that runs one task, flush_tlb_local() is rare). One more generation and v3's before() reads CPU 0 as flushed.",
    contextSwitches: true,
    migrcGenBits: 2,
  }),
  'migrc-move-fail': withCaller(
    'migrc-move-fail',
    'migrc when moving a marked folio fails for good (a poisoned source, since v6.11): the thread on CPU 1 write-protects the page (clear_refs) so the migration marks it, the move fails and the page is mapped at its source again, and the thread may then unmap it (munmap), after which nothing but migrc holds the source.',
    ['clear_refs', 'munmap'],
    { moveFailures: true },
  ),
  'fork-cow': forkCow,
  'tiny-fork-cow': defineConfig({
    ...forkCow,
    name: 'tiny-fork-cow',
    why: 'fork-cow without the child running and without munmap() and mprotect(): the parent on two CPUs, one fork(), and the write faults that copy the page, small enough to exhaust.',
    cpus: 2,
    cpuMm: [0, 0],
    taskCpus: [0],
    syscalls: ['fork'],
    syscallTasks: [0],
  }),
  'fork-cow-three-cpus': defineConfig({
    ...forkCow,
    name: 'fork-cow-three-cpus',
    why: 'tiny-fork-cow with a third CPU of the parent and one store value: while one thread is inside a write fault, a second may load the new PTE into its TLB and store through it while a third still reads the old folio, the window between set_pte_at() and the flush.',
    cpus: 3,
    cpuMm: [0, 0, 0],
    values: 1,
    taskCpus: [0],
    syscalls: ['fork'],
    syscallTasks: [0],
  }),
  'shared-file': sharedFileWorld,
  'private-file': privateFile,
  'tiny-private-file': defineConfig({
    ...privateFile,
    name: 'tiny-private-file',
    why: "private-file with one store value and two frames, small enough to exhaust: the private copy can still differ from the file, which keeps the value it had when the copy was made, or gets write(2)'s.",
    values: 1,
    frames: 2,
  }),
  'tiny-shared-file': tinySharedFile,
  'tiny-pfnmap': tinyPfnmap,
  'pfnmap-two-vmas': defineConfig({
    ...tinyPfnmap,
    name: 'pfnmap-two-vmas',
    why: "One process on two CPUs maps two pages of a file next to each other: page 0 an ordinary page-cache page, page 1 a device's VM_PFNMAP memory, each its own VMA. The thread on CPU 1 munmap()s both in one call, so the PFNMAP VMA is not the first of unmap_region()'s list, while the driver (the thread on CPU 0) revokes page 1 and frees it. Where a flush before free_pgtables() must look at every VMA of the call, not only the first (Jann Horn's stable fixup of September 2022).",
    pages: 2,
    frames: 2,
    batch: 2,
    syscalls: ['munmap', 'punch_hole'],
    pfnmap: [1],
  }),
  pcid,
  'tiny-pcid': tinyPcid,
  'pcid-tso': defineConfig({
    ...pcid,
    name: 'pcid-tso',
    why: "pcid with x86's store buffer for the switch's stores (tso): a flush may read a CPU's loaded_mm and is_lazy from before a switch that has already read tlb_gen, so either side may miss the other's update unless a barrier comes between (83b0177a6c48).",
    tso: true,
  }),
  'tiny-pcid-tso': defineConfig({
    ...tinyPcid,
    name: 'tiny-pcid-tso',
    why: 'pcid-tso with munmap() alone, small enough to exhaust: tiny-pcid with the store buffer.',
    tso: true,
  }),
  'pcid-reclaim': pcidReclaim,
  'pcid-reclaim-tso': defineConfig({
    ...pcidReclaim,
    name: 'pcid-reclaim-tso',
    why: "pcid-reclaim with x86's store buffer for the switch's stores (tso): the batched flush reads is_lazy from another CPU.",
    tso: true,
  }),
  migrc: defineConfig({
    name: 'migrc',
    why: 'migrc against every system call the model has: two pages under one PTL, a batch of two, read-only PTEs from clear_refs and mprotect, context switches, and one spare frame so allocation soon needs what migrc holds.',
    cpus: 2,
    cpuMm: [0, 0],
    mms: 1,
    pages: 2,
    frames: 4,
    values: 2,
    taskCpus: [0, 1],
    batch: 2,
    ptesPerTable: 2,
    // (punch_hole is for a shared file's page, not anonymous memory)
    // (NUMA balancing and pins have worlds of their own: the restore reads what clear_refs
    // and fork change, and a pinned page must stay mapped)
    syscalls: SYSCALL_OPS.filter((op) => !['punch_hole', 'mremap', 'numa', 'pin'].includes(op)),
    syscallTasks: [1],
    contextSwitches: true,
  }),
} as const satisfies Record<string, Config>;

export type ConfigName = keyof typeof CONFIGS;

/**
 * The world a variant's verdicts are judged in by each engine: the explorer needs one it can
 * exhaust; the random and the deep searches (swarm, bitstate) take the variant's own.
 */
const EXHAUSTIVE_WORLD: Readonly<Record<string, ConfigName>> = {
  small: 'tiny',
  syscalls: 'tiny-syscalls',
  'syscalls-two-ptls': 'tiny-two-ptls',
  migrc: 'tiny-migrc',
  pcid: 'tiny-pcid',
  'pcid-tso': 'tiny-pcid-tso',
  'fork-cow': 'tiny-fork-cow',
  'shared-file': 'tiny-shared-file',
  'private-file': 'tiny-private-file',
};

export function worldConfig(world: string, engine: 'random' | 'exhaustive' | 'swarm' | 'bitstate'): Config {
  const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
    Object.hasOwn(table, key) ? table[key] : undefined;
  const name = engine === 'exhaustive' ? (own(EXHAUSTIVE_WORLD, world) ?? world) : world;
  const config = own(CONFIGS as Record<string, Config>, name);
  if (config === undefined) throw new Error(`unknown world '${world}'`);
  return config;
}
