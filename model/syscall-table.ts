// The system calls a world may run, one entry each: what the config calls it, what it is
// called on, how a report writes it, and the lock it takes. The Syscall type, the explorer's
// job byte, the actions a world enumerates and the report's text derive from this table;
// what each call does in the kernel is model/syscalls.ts (its program and its steps).

import type { SyscallOp } from './config.js';

export interface SyscallDef {
  /** The name a config's `syscalls` list gives it. */
  readonly op: SyscallOp;
  /**
   * What it is called on: 'pages', each batch of pages of each mm; 'mm', the whole of each
   * mm; 'file-page', one page of the shared file, from the caller's mm; 'move', a page of
   * the caller's mm and the page it moves to, in that order.
   */
  readonly args: 'pages' | 'mm' | 'file-page' | 'move';
  /** As the user wrote it, given its pages as a report prints them. */
  readonly text: (pages: string) => string;
  /** It takes mmap_lock for write (a page fault of the same mm waits), else for read or not at all. */
  readonly mmapLockWrite: boolean;
}

/** In the order of their job bytes (model/state.ts's JOBS), which the explorer's encoding keeps. */
export const SYSCALL_TABLE = {
  mprotect_ro: {
    op: 'mprotect',
    args: 'pages',
    text: (p) => `mprotect(${p}, PROT_READ)`,
    mmapLockWrite: true,
  },
  mprotect_rw: {
    op: 'mprotect',
    args: 'pages',
    text: (p) => `mprotect(${p}, PROT_READ|PROT_WRITE)`,
    mmapLockWrite: true,
  },
  munmap: { op: 'munmap', args: 'pages', text: (p) => `munmap(${p})`, mmapLockWrite: true },
  madvise_dontneed: {
    op: 'madvise',
    args: 'pages',
    text: (p) => `madvise(${p}, MADV_DONTNEED)`,
    mmapLockWrite: false,
  },
  clear_refs: {
    op: 'clear_refs',
    args: 'pages',
    text: (p) => `clear_refs(${p}) (soft-dirty)`,
    mmapLockWrite: true,
  },
  // mmap(MAP_FIXED | MAP_ANONYMOUS) over a live range: unmap what is there, map fresh memory.
  mmap_fixed: {
    op: 'mmap_fixed',
    args: 'pages',
    text: (p) => `mmap(${p}, MAP_FIXED|MAP_ANONYMOUS)`,
    mmapLockWrite: true,
  },
  // fork(): dup_mmap() write-protects the parent's private writable PTEs, then flushes its TLBs.
  fork: { op: 'fork', args: 'mm', text: () => 'fork()', mmapLockWrite: true },
  // madvise(MADV_FREE): the pages may be reclaimed without writeback until written again.
  madvise_free: {
    op: 'madvise_free',
    args: 'pages',
    text: (p) => `madvise(${p}, MADV_FREE)`,
    mmapLockWrite: false,
  },
  // fallocate(FALLOC_FL_PUNCH_HOLE) of a shared file's page (sharedFile worlds): every mm's
  // mapping of it is zapped, then the folio leaves the page cache and the block the disk;
  // the page reads zeroes after.
  punch_hole: {
    op: 'punch_hole',
    args: 'file-page',
    text: (p) => `fallocate(fd, PUNCH_HOLE, ${p})`,
    mmapLockWrite: false,
  },
  // mremap(old, PAGE_SIZE, MREMAP_MAYMOVE|MREMAP_FIXED, new) onto an unmapped page: the
  // VMA moves, then move_page_tables() moves the PTE (mm/mremap.c), under mmap_lock for write.
  mremap: {
    op: 'mremap',
    args: 'move',
    text: (p) => {
      const [from, to] = p.split(',');
      return `mremap(${from}, 1 page, MREMAP_MAYMOVE|MREMAP_FIXED, ${to})`;
    },
    mmapLockWrite: true,
  },
  // task_numa_work(), run by a thread of the mm on its way back to user space: under
  // mmap_lock for read, change_prot_numa() makes the PTEs PROT_NONE (change_protection()
  // with MM_CP_PROT_NUMA) and flushes them at the end, so the next access takes a NUMA
  // hinting fault (kernel/sched/fair.c, mm/mprotect.c).
  change_prot_numa: {
    op: 'numa',
    args: 'pages',
    text: (p) => `task_numa_work: change_prot_numa(${p})`,
    mmapLockWrite: false,
  },
  // pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of the pages, under mmap_lock for read
  // (io_uring_register(IORING_REGISTER_BUFFERS), an RDMA memory registration), and the
  // unpin_user_pages() that lets them go.
  pin_user_pages: {
    op: 'pin',
    args: 'pages',
    text: (p) => `pin_user_pages(${p}, FOLL_WRITE|FOLL_LONGTERM)`,
    mmapLockWrite: false,
  },
  unpin_user_pages: { op: 'pin', args: 'pages', text: (p) => `unpin_user_pages(${p})`, mmapLockWrite: false },
} as const satisfies Record<string, SyscallDef>;
