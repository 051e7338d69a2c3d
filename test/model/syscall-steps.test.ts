// The system calls' kernel steps (model/syscalls.ts) one by one, on states built for each
// case: which calls hold mmap_lock for write, the programs they run, what each PTE step
// changes and gathers for the flush, what the flushes reach, and what a call promises the
// user when it returns.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { MUNMAP_LOCK_PHASE, MUNMAP_UNLINK_PHASE } from '../../model/queries.js';
import {
  type BatchFolio,
  initialState,
  type Job,
  type Pte,
  type State,
  SYSCALLS,
  type TlbUbc,
} from '../../model/state.js';
import { SYSCALL_TABLE } from '../../model/syscall-table.js';
import {
  change_pte_range,
  copy_present_pte,
  flush_tlb_mm,
  flush_tlb_range,
  holdsMmapLockForWrite,
  isSyscall,
  madvise_free_pte_range,
  mmap,
  mmapLockHeld,
  protAfter,
  SYSCALL_PROGRAMS,
  startSyscall,
  syscall_return,
  syscallProgram,
  takesMmapLockForWrite,
  tlb_finish_mmu,
  zap_pte_range,
} from '../../model/syscalls.js';
import type { Policy } from '../../model/variant.js';
import { X86 } from '../../model/variant.js';
import { clean, none, present, variant, withPte, withSwap, withTlb } from '../support.js';

const recipe = (s: State, f: (d: Draft<State>) => void): State => produce(s, f);
// syscalls: CPUs 0 and 1 on mm 0, pages p0 (frame 0) and p1 (frame 1) under one PTL,
// frames 2 and 3 free; task 1 is the caller
const world = initialState(CONFIGS.syscalls);
const policy: Policy = variant('reclaim-batched-dirty').policy;
const p0: BatchFolio = { mm: 0, vpage: 0, src: -1, dst: -1 };
const p1: BatchFolio = { mm: 0, vpage: 1, src: -1, dst: -1 };
const nothing: TlbUbc = { cpumask: 0, flush_required: false, writable: false };
const gathered: TlbUbc = { cpumask: 0b11, flush_required: true, writable: false };

/** Task 1 in `job` over `folios`, at its first folio, with `pte` as p0's PTE. */
const calling = (job: Job, pte: Pte, folios: BatchFolio[] = [p0]) =>
  recipe(withPte(world, 0, 0, pte), (d) => {
    d.tasks[1]!.job = job;
    d.tasks[1]!.folios = folios;
  });
const migration = (writable: boolean): Pte => ({ kind: 'migration', frame: 0, writable, dirty: false });

describe('which calls are which', () => {
  it('isSyscall(): the system calls, not the kernel jobs', () => {
    for (const call of SYSCALLS) expect(isSyscall(call), call).toBe(true);
    for (const job of ['idle', 'migrate', 'reclaim'] as const) expect(isSyscall(job), job).toBe(false);
  });

  it('takesMmapLockForWrite(): all but the two madvise calls (and no kernel job)', () => {
    const writers = SYSCALLS.filter(takesMmapLockForWrite);
    expect(writers).toEqual([
      'mprotect_ro',
      'mprotect_rw',
      'munmap',
      'clear_refs',
      'mmap_fixed',
      'fork',
      'mremap',
    ]);
    for (const job of ['idle', 'migrate', 'reclaim'] as const)
      expect(takesMmapLockForWrite(job), job).toBe(false);
  });

  it('mmapLockHeld(): a writer on the mm; a reader only when any holder counts', () => {
    const today = {};
    expect(mmapLockHeld(calling('mprotect_ro', present(0)), 0, false, today)).toBe(true);
    expect(mmapLockHeld(calling('madvise_dontneed', present(0)), 0, false, today)).toBe(false);
    expect(mmapLockHeld(calling('madvise_dontneed', present(0)), 0, true, today)).toBe(true);
    expect(mmapLockHeld(calling('munmap', present(0), [{ ...p0, mm: 1 }]), 0, true, today)).toBe(false);
    expect(mmapLockHeld(calling('migrate', present(0)), 0, true, today)).toBe(false);
    expect(mmapLockHeld(world, 0, true, today)).toBe(false);
  });

  it('munmap() zaps under the read lock it downgraded to (v4.20), under the write lock before', () => {
    const zapping = calling('munmap', present(0));
    expect(takesMmapLockForWrite('munmap')).toBe(true);
    expect(holdsMmapLockForWrite('munmap', {})).toBe(false);
    expect(mmapLockHeld(zapping, 0, false, {})).toBe(false);
    expect(mmapLockHeld(zapping, 0, true, {})).toBe(true);
    expect(holdsMmapLockForWrite('munmap', { munmapZapLock: 'write' })).toBe(true);
    expect(mmapLockHeld(zapping, 0, false, { munmapZapLock: 'write' })).toBe(true);
    // the other writers hold it to the end whatever munmap() does
    expect(holdsMmapLockForWrite('mprotect_ro', {})).toBe(true);
    expect(holdsMmapLockForWrite('madvise_dontneed', { munmapZapLock: 'write' })).toBe(false);
  });
});

describe('the programs', () => {
  const steps = (p: Policy, call: (typeof SYSCALLS)[number]) =>
    syscallProgram(p, call).program.flatMap((phase) => ('each' in phase ? [...phase.each] : [phase.once]));

  it('each call runs its kernel functions in order', () => {
    expect(steps(policy, 'mprotect_ro')).toEqual(['change_pte_range', 'flush_tlb_range', 'syscall_return']);
    expect(steps(policy, 'clear_refs')).toEqual(['change_pte_range', 'flush_tlb_range', 'syscall_return']);
    // (tlb_flush_mmu_tlbonly runs only after a dirty PTE of a shared file: force_flush)
    for (const call of ['madvise_dontneed', 'mmap_fixed'] as const)
      expect(steps(policy, call), call).toEqual([
        'zap_pte_range',
        'tlb_flush_mmu_tlbonly',
        'tlb_finish_mmu',
        'syscall_return',
      ]);
    // munmap() unlinks its VMA from the file's i_mmap before the flush (a step in sharedFile
    // worlds only), at the phase inIMmap() reads
    expect(steps(policy, 'munmap')).toEqual([
      'zap_pte_range',
      'tlb_flush_mmu_tlbonly',
      'free_pgtables',
      'unlink_file_vma',
      'tlb_finish_mmu',
      'syscall_return',
    ]);
    expect(SYSCALL_PROGRAMS.munmap.program[MUNMAP_LOCK_PHASE]).toEqual({ once: 'free_pgtables' });
    expect(SYSCALL_PROGRAMS.munmap.program[MUNMAP_UNLINK_PHASE]).toEqual({ once: 'unlink_file_vma' });
    expect(steps(policy, 'madvise_free')).toEqual([
      'madvise_free_pte_range',
      'tlb_finish_mmu',
      'syscall_return',
    ]);
    expect(steps(policy, 'fork')).toEqual(['copy_present_pte', 'flush_tlb_mm', 'syscall_return']);
    expect(steps(policy, 'punch_hole')).toEqual([
      'zap_pte_range',
      'tlb_flush_mmu_tlbonly',
      'tlb_finish_mmu',
      'truncate_inode_folio',
      'syscall_return',
    ]);
    for (const call of SYSCALLS) expect(syscallProgram(policy, call), call).toBe(SYSCALL_PROGRAMS[call]);
  });

  it('where the window inside flush_tlb_batched_pending() is modelled, it is a step before each PTE step', () => {
    const windowed = variant('reclaim-batched-dirty-batched-flag-race').policy;
    expect(steps(windowed, 'munmap')).toEqual([
      'flush_tlb_batched_pending',
      'zap_pte_range',
      'tlb_flush_mmu_tlbonly',
      'free_pgtables',
      'unlink_file_vma',
      'tlb_finish_mmu',
      'syscall_return',
    ]);
    expect(steps(windowed, 'mprotect_rw')[0]).toBe('flush_tlb_batched_pending');
    expect(steps(windowed, 'madvise_free')[0]).toBe('flush_tlb_batched_pending');
    // clear_refs and fork do not call it
    expect(steps(windowed, 'clear_refs')[0]).toBe('change_pte_range');
    expect(steps(windowed, 'fork')[0]).toBe('copy_present_pte');
    // nor anyone, where the protocol has no flush_tlb_batched_pending() at all
    expect(steps({ ...windowed, flushBatchedPending: false }, 'munmap')[0]).toBe('zap_pte_range');
  });

  it('protAfter(): the protection each call leaves', () => {
    const leaves = (before: 'rw' | 'ro' | 'none') => SYSCALLS.map((call) => protAfter(call, before));
    // mprotect_ro, mprotect_rw, munmap, madvise_dontneed, clear_refs, mmap_fixed, fork,
    // madvise_free, punch_hole, mremap (whose startSyscall() moves the VMA itself),
    // change_prot_numa, pin_user_pages, unpin_user_pages
    expect(leaves('rw')).toEqual([
      'ro',
      'rw',
      'none',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
      'rw',
    ]);
    expect(leaves('ro')).toEqual([
      'ro',
      'rw',
      'none',
      'ro',
      'ro',
      'rw',
      'ro',
      'ro',
      'ro',
      'ro',
      'ro',
      'ro',
      'ro',
    ]);
  });
});

describe('change_pte_range()', () => {
  const step = (s: State, p: Policy = policy) => recipe(s, (d) => change_pte_range(d, p, 1, p0));

  it('clear_refs write-protects a writable PTE and gathers its flush', () => {
    const s = step(calling('clear_refs', present(0)));
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', writable: false });
    expect(s.tasks[1]!.tlb_ubc).toEqual(gathered);
  });

  it('clear_refs leaves a read-only PTE, a migration entry and an empty PTE alone', () => {
    for (const pte of [present(0, false), migration(true), none]) {
      const s = calling('clear_refs', pte);
      expect(step(s), pte.kind).toEqual(s);
    }
  });

  it('mprotect(PROT_READ) write-protects a writable PTE and gathers; a migration entry becomes read-only with no flush', () => {
    const s = step(calling('mprotect_ro', present(0)));
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', writable: false });
    expect(s.tasks[1]!.tlb_ubc).toEqual(gathered);
    const m = step(calling('mprotect_ro', migration(true)));
    expect(m.mms[0]!.pte[0]).toEqual(migration(false));
    expect(m.tasks[1]!.tlb_ubc).toEqual(nothing);
    const ro = calling('mprotect_ro', present(0, false));
    expect(step(ro)).toEqual(ro);
  });

  it('mprotect(PROT_READ|PROT_WRITE) makes a read-only PTE writable at once, with nothing to flush', () => {
    const s = step(calling('mprotect_rw', present(0, false)));
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', writable: true });
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
    // a read-only migration entry stays one: remove_migration_ptes() decides
    const m = calling('mprotect_rw', migration(false));
    expect(step(m)).toEqual(m);
    const e = calling('mprotect_rw', none);
    expect(step(e)).toEqual(e);
  });

  describe('flush_tlb_batched_pending() under the PTL', () => {
    // reclaim deferred a flush of mm 0 for CPU 1, which still caches p1
    const deferred = (job: Job) =>
      withTlb(
        recipe(calling(job, present(0)), (d) => {
          d.mms[0]!.tlb_flush_batched = true;
        }),
        1,
        0,
        1,
        clean(1),
      );

    it('mprotect flushes what reclaim deferred before it changes a PTE', () => {
      const s = step(deferred('mprotect_ro'));
      expect(s.mms[0]!.tlb_flush_batched).toBe(false);
      expect(s.cpus[1]!.tlb).toEqual([null, null]);
    });

    it('clear_refs does not (clear_refs_pte_range() never calls it)', () => {
      const s = step(deferred('clear_refs'));
      expect(s.mms[0]!.tlb_flush_batched).toBe(true);
      expect(s.cpus[1]!.tlb[1]).toEqual(clean(1));
    });

    it('nor does a protocol without it (v4.12)', () => {
      const v412 = variant('reclaim-batched-dirty-v4.12-no-batched-pending').policy;
      expect(step(deferred('mprotect_ro'), v412).mms[0]!.tlb_flush_batched).toBe(true);
    });

    it('where its window is modelled, the step under the PTL only resets the flag', () => {
      const windowed = variant('reclaim-batched-dirty-batched-flag-race').policy;
      const s = step(
        recipe(deferred('mprotect_ro'), (d) => {
          d.tasks[1]!.batched_clear = 1;
        }),
        windowed,
      );
      expect(s.mms[0]!.tlb_flush_batched).toBe(false);
      // its flush was the step before: this one sends no IPI
      expect(s.cpus[1]!.tlb[1]).toEqual(clean(1));
    });
  });
});

describe('madvise_free_pte_range()', () => {
  const step = (s: State) => recipe(s, (d) => madvise_free_pte_range(d, policy, 1, p0));
  const young = (dirty: boolean, accessed: boolean): Pte => ({
    kind: 'present',
    frame: 0,
    writable: true,
    dirty,
    accessed,
  });
  const dirtied = (s: State) =>
    withSwap(
      recipe(s, (d) => {
        d.frames[0]!.dirty = true;
      }),
      0,
      0,
      4,
    );

  it('makes the folio lazily freeable and the PTE clean and old, gathering a flush', () => {
    for (const [dirty, accessed] of [
      [true, true],
      [true, false],
      [false, true],
    ] as const) {
      const s = step(dirtied(calling('madvise_free', young(dirty, accessed))));
      expect(s.frames[0], `dirty ${dirty}, accessed ${accessed}`).toMatchObject({
        dirty: false,
        lazyfree: true,
      });
      expect(s.mms[0]!.swap[0]).toBe(0);
      expect(s.mms[0]!.pte[0]).toEqual(young(false, false));
      expect(s.tasks[1]!.tlb_ubc).toEqual(gathered);
    }
  });

  it('gathers nothing for a PTE already clean and old (no CPU may cache it dirty)', () => {
    const s = step(dirtied(calling('madvise_free', young(false, false))));
    expect(s.frames[0]!.lazyfree).toBe(true);
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
  });

  it('skips a folio a batch holds, one that is not anonymous, and a PTE that is not present', () => {
    const held = recipe(dirtied(calling('madvise_free', young(true, true))), (d) => {
      d.tasks[0]!.job = 'reclaim';
      d.tasks[0]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: -1 }];
    });
    const file = recipe(dirtied(calling('madvise_free', young(true, true))), (d) => {
      d.frames[0]!.owner = { kind: 'file', file: 0, index: 0 };
    });
    for (const s of [held, file, dirtied(calling('madvise_free', migration(true)))])
      expect(step(s)).toEqual(s);
  });
});

describe('fork()', () => {
  it('copy_present_pte() write-protects a writable PTE and gathers its flush; nothing else', () => {
    const s = recipe(calling('fork', present(0)), (d) => copy_present_pte(d, 1, p0));
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', writable: false });
    expect(s.tasks[1]!.tlb_ubc).toEqual(gathered);
    for (const pte of [present(0, false), migration(true), none]) {
      const before = calling('fork', pte);
      expect(
        recipe(before, (d) => copy_present_pte(d, 1, p0)),
        pte.kind,
      ).toEqual(before);
    }
  });

  it('flush_tlb_mm() flushes every gathered CPU whole and resets the gather', () => {
    const s = recipe(
      withTlb(
        recipe(calling('fork', present(0, false)), (d) => {
          d.tasks[1]!.tlb_ubc = gathered;
        }),
        0,
        0,
        1,
        clean(1),
      ),
      (d) => flush_tlb_mm(d, 1, X86),
    );
    expect(s.cpus[0]!.tlb).toEqual([null, null]);
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
    expect(s.cost).toEqual({ ipis: 1, fullFlushes: 2, pageFlushes: 0 });
  });
});

describe('flush_tlb_range()', () => {
  // CPU 0 caches p0 and p1; task 1 (CPU 1) changed p0 and gathered a flush for CPU 0
  const cached = withTlb(
    withTlb(calling('mprotect_ro', present(0, false)), 0, 0, 0, clean(0)),
    0,
    0,
    1,
    clean(1),
  );

  it('flushes the pages of the range on the gathered CPUs, one entry each, and resets the gather', () => {
    const s = recipe(
      recipe(cached, (d) => {
        d.tasks[1]!.tlb_ubc = { cpumask: 0b01, flush_required: true, writable: false };
      }),
      (d) => flush_tlb_range(d, 1, X86),
    );
    expect(s.cpus[0]!.tlb).toEqual([null, clean(1)]);
    expect(s.cost).toEqual({ ipis: 1, fullFlushes: 0, pageFlushes: 1 });
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
  });

  it('flushes nothing when no PTE lost a permission', () => {
    const s = recipe(cached, (d) => flush_tlb_range(d, 1, X86));
    expect(s.cpus[0]!.tlb).toEqual(cached.cpus[0]!.tlb);
    expect(s.cost).toEqual(cached.cost);
  });
});

describe('zap_pte_range() and tlb_finish_mmu()', () => {
  const zap = (s: State) => recipe(s, (d) => zap_pte_range(d, policy, 1, p0));

  it('clears the PTE and the swap slot, gathers the folio and its flush, and moves a dirty PTE’s bit to the folio', () => {
    const s = zap(withSwap(calling('munmap', present(0, true, true)), 0, 0, 3));
    expect(s.mms[0]!.pte[0]).toEqual(none);
    expect(s.mms[0]!.swap[0]).toBe(0);
    expect(s.frames[0]).toMatchObject({ owner: { kind: 'unmapped' }, dirty: true, refcount: 1 });
    expect(s.tasks[1]!.folios[0]!.src).toBe(0);
    expect(s.tasks[1]!.tlb_ubc).toEqual(gathered);
    // p1 is someone else's
    expect(s.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 1 });
    expect(zap(calling('munmap', present(0, true, false))).frames[0]!.dirty).toBe(false);
  });

  it('leaves the folios of another mm alone', () => {
    const two = initialState(CONFIGS['two-mms']);
    const theirs = two.frames.findIndex(
      (f) => f.owner.kind === 'anon' && f.owner.mm === 1 && f.owner.vpage === 0,
    );
    const s = recipe(
      recipe(two, (d) => {
        d.tasks[0]!.job = 'munmap';
        d.tasks[0]!.folios = [p0];
      }),
      (d) => zap_pte_range(d, policy, 0, p0),
    );
    expect(s.frames[theirs]!.owner).toEqual({ kind: 'anon', mm: 1, vpage: 0 });
    expect(s.mms[1]!.pte[0]).toEqual(two.mms[1]!.pte[0]);
  });

  it('with the PTE gone (reclaim holds the folio in the swap cache) gathers nothing, but the folio backs nothing now', () => {
    const s = zap(calling('munmap', none));
    expect(s.frames[0]!.owner).toEqual({ kind: 'unmapped' });
    expect(s.tasks[1]!.folios[0]!.src).toBe(-1);
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
  });

  it('tlb_finish_mmu() flushes, then frees the gathered folios only', () => {
    const zapped = zap(calling('munmap', present(0), [p0, p1]));
    const s = recipe(zapped, (d) => tlb_finish_mmu(d, 1, X86));
    expect(s.frames[0]!.owner).toEqual({ kind: 'free' });
    expect(s.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 1 });
    expect(s.freeList).toEqual([0, 2, 3]);
    expect(s.tasks[1]!.tlb_ubc).toEqual(nothing);
  });
});

describe('the call starts and returns', () => {
  it('startSyscall() changes the VMA at once; only a permission granted is promised at once', () => {
    let folios: BatchFolio[] = [];
    const ro = recipe(world, (d) => {
      folios = startSyscall(d, 'mprotect_ro', 0, [0, 1]);
    });
    expect(folios).toEqual([p0, p1]);
    expect(ro.mms[0]!.vma).toEqual(['ro', 'ro']);
    expect(ro.ghost.promised[0]).toEqual(['rw', 'rw']);
    const rw = recipe(ro, (d) => {
      startSyscall(d, 'mprotect_rw', 0, [1]);
    });
    expect(rw.mms[0]!.vma).toEqual(['ro', 'rw']);
    expect(rw.ghost.promised[0]).toEqual(['rw', 'rw']);
    const promisedRo = recipe(ro, (d) => {
      d.ghost.promised[0]![1] = 'ro';
      startSyscall(d, 'mprotect_rw', 0, [1]);
    });
    expect(promisedRo.ghost.promised[0]).toEqual(['rw', 'rw']);
    // a permission revoked is promised only on return, whatever it was
    for (const call of ['munmap', 'mprotect_ro'] as const) {
      const unmapping = recipe(world, (d) => {
        d.ghost.promised[0]![1] = 'ro';
        startSyscall(d, call, 0, [1]);
      });
      expect(unmapping.ghost.promised[0], call).toEqual(['rw', 'ro']);
    }
  });

  describe('syscall_return()', () => {
    const back = (job: Job, s: State = world, folios: BatchFolio[] = [p0]) =>
      recipe(
        recipe(s, (d) => {
          d.tasks[1]!.job = job;
          d.tasks[1]!.folios = folios;
        }),
        (d) => syscall_return(d, 1),
      );
    // the VMA of p0 already changed when the call started; the user stored 2 to both pages
    const stored = recipe(world, (d) => {
      d.ghost.memory[0] = [2, 2];
      d.frames[0]!.data = 5;
    });

    it('promises the VMA as it is now, for the pages of the call only', () => {
      const s = back(
        'munmap',
        recipe(stored, (d) => {
          d.mms[0]!.vma[0] = 'none';
        }),
      );
      expect(s.ghost.promised[0]).toEqual(['none', 'rw']);
      expect(s.ghost.memory[0]).toEqual([2, 2]);
    });

    it('after MADV_DONTNEED the page holds what the call left; after MAP_FIXED zero', () => {
      expect(back('madvise_dontneed', stored).ghost.memory[0]).toEqual([5, 2]);
      expect(back('mmap_fixed', stored).ghost.memory[0]).toEqual([0, 2]);
      expect(back('mprotect_ro', stored).ghost.memory[0]).toEqual([2, 2]);
    });

    it('after MADV_FREE the page is lazy, unless it was unmapped meanwhile', () => {
      expect(back('madvise_free', stored).ghost.lazy[0]).toEqual([true, false]);
      const gone = recipe(stored, (d) => {
        d.mms[0]!.vma[0] = 'none';
      });
      expect(back('madvise_free', gone).ghost.lazy[0]).toEqual([false, false]);
      expect(back('madvise_dontneed', stored).ghost.lazy[0]).toEqual([false, false]);
    });
  });

  it('mmap() makes an unmapped range fresh zeroed memory, promised readable and writable', () => {
    const unmapped = recipe(world, (d) => {
      d.mms[0]!.vma = ['none', 'none'];
      d.mms[0]!.swap = [3, 3];
      d.ghost.memory[0] = [2, 2];
      d.ghost.promised[0] = ['none', 'none'];
    });
    const s = recipe(unmapped, (d) => mmap(d, 0, [1]));
    expect(s.mms[0]!.vma).toEqual(['none', 'rw']);
    expect(s.mms[0]!.swap).toEqual([3, 0]);
    expect(s.ghost.memory[0]).toEqual([2, 0]);
    expect(s.ghost.promised[0]).toEqual(['none', 'rw']);
  });
});

describe('the syscall table (model/syscall-table.ts)', () => {
  it('every call whose op a world lists is enumerated, on what the table says it takes, and no other', () => {
    for (const config of Object.values(CONFIGS).filter((c) => (c.syscalls ?? []).length > 0)) {
      const v = variant(
        config.sharedFile ? 'shared-file' : config.forkChild !== undefined ? 'fork-cow' : 'sync',
      );
      const calls = allActions(v, config).flatMap((a) => (a.op === 'syscall' ? [a] : []));
      const expected = SYSCALLS.filter((c) => config.syscalls!.includes(SYSCALL_TABLE[c].op));
      expect([...new Set(calls.map((a) => a.call))].sort(), config.name).toEqual([...expected].sort());
      for (const a of calls) {
        const args = SYSCALL_TABLE[a.call].args;
        if (args === 'mm') expect(a.vpages).toHaveLength(config.pages);
        if (args === 'file-page') expect(a.vpages).toHaveLength(1);
      }
    }
  });

  it('mmap_lock for write is what the table says', () => {
    for (const call of SYSCALLS)
      expect(takesMmapLockForWrite(call), call).toBe(SYSCALL_TABLE[call].mmapLockWrite);
    expect(takesMmapLockForWrite('reclaim')).toBe(false);
  });
});
