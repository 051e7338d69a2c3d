// A device's memory mapped VM_PFNMAP (Config.pfnmap, world tiny-pfnmap) and munmap()'s
// unlink from the file's i_mmap (free_pgtables()): CVE-2022-39188, where a driver's
// unmap_mapping_range() after the unlink finds no VMA of the mm, flushes nothing and frees
// memory a CPU still caches, since the mmu_gather holds no reference to memory with no
// struct page; fixed by flushing first (b67fbebd4cf9, v5.19).

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, configProblem } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { inIMmap } from '../../model/queries.js';
import { initialState } from '../../model/state.js';
import { policyProblem } from '../../model/variant.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { describeStep } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { replay } from '../../src/engine/trace.js';
import { derived, finalState, kstep, ksteps, load, run, store, variant } from '../support.js';

const world = CONFIGS['tiny-pfnmap'];
const two = CONFIGS['pfnmap-two-vmas'];
const s0 = initialState(world);
const bug = variant('pfnmap-v5.18-unlink-before-flush');
const fixed = variant('shared-file');
const freed = findInvariant('noAccessToFreedFrame')!;
// T0 runs on CPU 1, T1 (the driver's revocation) on CPU 0
const munmap: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] };
const revoke: Action = { op: 'syscall', task: 1, call: 'punch_hole', mm: 0, vpages: [0] };
// CPU 0 caches the page; munmap() zaps it and unlinks the VMA; the driver revokes and frees
const race: readonly Action[] = [load(0, 0), munmap, ...ksteps(0, 3), revoke, kstep(1), kstep(1)];

describe('a VM_PFNMAP world', () => {
  it('is a config switch for sharedFile worlds without write(2), mprotect() or MAP_PRIVATE, refused in one line', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, pfnmap: 'yes' as unknown as boolean })).toBe(
      'pfnmap must be true, false or a list of pages from 0 to 0',
    );
    expect(configProblem({ ...two, pfnmap: [2] })).toBe(
      'pfnmap must be true, false or a list of pages from 0 to 1',
    );
    expect(initialState(two).pfnmap).toBe(0b10);
    expect(configProblem({ ...CONFIGS['tiny-syscalls'], pfnmap: true })).toMatch(
      /^pfnmap needs a sharedFile world/,
    );
    expect(configProblem({ ...world, syscalls: ['munmap', 'write'] })).toMatch(
      /^pfnmap is not modelled with write/,
    );
    expect(s0.pfnmap).toBe(1);
    expect(initialState(CONFIGS['tiny-shared-file']).pfnmap).toBeUndefined();
  });

  it('counts no reference for a mapping: the driver holds the memory alone', () => {
    expect(s0.frames[0]!.refcount).toBe(1);
    // mapped writable at once (remap_pfn_range()): no write-notify fault
    expect(s0.mms[0]!.pte[0]).toMatchObject({ kind: 'present', writable: true });
    expect(initialState(CONFIGS['tiny-shared-file']).mms[0]!.pte[0]).toMatchObject({ writable: false });
    // the zap gathers the flush but no folio to free, and dirties nothing
    const zapped = finalState(fixed, s0, [store(0, 0, 1), store(0, 0, 1), munmap, kstep(0)]);
    expect(zapped.mms[0]!.pte[0]).toEqual({ kind: 'none' });
    expect(zapped.tasks[0]!.folios[0]).toMatchObject({ src: -1 });
    expect(zapped.tasks[0]!.tlb_ubc.flush_required).toBe(true);
    expect(zapped.frames[0]).toMatchObject({ refcount: 1, dirty: false });
    // a fault maps the driver's memory with the VMA's protection at once: no write-notify
    const unmapped = finalState(fixed, zapped, [...ksteps(0, 4)]);
    const mapped = finalState(fixed, unmapped, [{ op: 'mmap', mm: 0, vpages: [0] }, load(1, 0)]);
    expect(mapped.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true });
    expect(mapped.frames[0]!.refcount).toBe(1);
  });

  it('has no page cache to write back or reclaim', () => {
    const unmapped = finalState(fixed, s0, [munmap, ...ksteps(0, 5)]);
    expect(unmapped.tasks[0]!.job).toBe('idle');
    expect(enabled(fixed, unmapped, { op: 'remove_mapping', index: 0 })).toBe(false);
    expect(enabled(fixed, unmapped, { op: 'writeback', index: 0 })).toBe(false);
  });

  it('names the driver’s revocation in a report', () => {
    expect(describeStep(fixed, s0, revoke)).toBe('driver revokes p0: unmap_mapping_range(), then frees it');
  });
});

describe('munmap(): free_pgtables() unlinks the VMA from i_mmap', () => {
  it('the VMA stays in i_mmap from the detach to the unlink, and unmap_mapping_range() finds it until then', () => {
    const steps = run(fixed, s0, [load(0, 0), munmap, ...ksteps(0, 5)]);
    expect(steps.slice(2).map((x) => describeStep(fixed, x.pre, x.action))).toEqual([
      'zap_pte_range(p0)',
      'free_pgtables',
      'unlink_file_vma',
      'tlb_finish_mmu',
      'syscall_return',
    ]);
    expect(steps.map((x) => inIMmap(x.post, 0, 0))).toEqual([true, true, true, true, false, false, false]);
  });

  it('waits for a walk of i_mmap in flight (i_mmap_rwsem): the revocation flushes first', () => {
    const walking = finalState(bug, s0, [load(0, 0), munmap, kstep(0), revoke, kstep(0)]);
    expect(describeStep(bug, walking, kstep(0))).toBe('unlink_file_vma');
    // queued behind the walk, munmap() times out and sets RWSEM_FLAG_HANDOFF, then waits
    const queued = finalState(bug, walking, [kstep(0)]);
    expect(queued.tasks[0]!.handoff).toBe(true);
    expect(describeStep(bug, queued, kstep(0))).toBe('unlink_file_vma');
    expect(enabled(bug, queued, kstep(0))).toBe(false);
    // the walk finds the VMA, the PTE already none, and munmap()'s flush pending: it flushes
    const walked = finalState(bug, queued, [kstep(1), kstep(1)]);
    expect(tlbLookup(walked, 0, 0, 0)).toBeNull();
    expect(enabled(bug, walked, kstep(0))).toBe(true);
    expect(describeStep(bug, walked, kstep(1))).toBe('truncate_inode_folio');
  });

  it('mmap() of the page waits for a walk in flight too: vma_link() takes i_mmap_rwsem for write', () => {
    const remap: Action = { op: 'mmap', mm: 0, vpages: [0] };
    const unmapped = finalState(fixed, s0, [munmap, ...ksteps(0, 5)]);
    expect(enabled(fixed, unmapped, remap)).toBe(true);
    // (no VMA left to zap: the walk is the punch's tlb_finish_mmu() alone)
    const steps = run(fixed, unmapped, [revoke, kstep(1), kstep(1)]);
    expect(steps.map((x) => describeStep(fixed, x.post, kstep(1)))).toEqual([
      'tlb_finish_mmu',
      'truncate_inode_folio',
      'syscall_return',
    ]);
    expect(steps.map((x) => enabled(fixed, x.post, remap))).toEqual([false, true, true]);
  });

  it('is a step only where an i_mmap walk can tell: in worlds without a file it is skipped', () => {
    const anon = CONFIGS['tiny-syscalls'];
    const v = variant('reclaim-batched-dirty');
    const steps = run(v, initialState(anon), [
      { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] },
      kstep(0),
      kstep(0),
    ]);
    expect(steps.slice(1).map((x) => describeStep(v, x.pre, x.action))).toEqual([
      'zap_pte_range(p0)',
      'tlb_finish_mmu',
    ]);
  });
});

describe('a VM_PFNMAP page next to an ordinary one (world pfnmap-two-vmas)', () => {
  const both: Action = { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0, 1] };
  const revoke1: Action = { op: 'syscall', task: 1, call: 'punch_hole', mm: 0, vpages: [1] };
  // CPU 0 caches page 1; munmap() of both pages zaps, unlinks; the driver revokes page 1
  const firstOnly: readonly Action[] = [load(0, 1), both, ...ksteps(0, 4), revoke1, kstep(1), kstep(1)];
  const stable = variant('pfnmap-stable-first-vma-only');

  it('only the PFNMAP page is the driver’s: the other keeps its page cache, write-notify and references', () => {
    const t0 = initialState(two);
    expect(t0.mms[0]!.pte[0]).toMatchObject({ writable: false });
    expect(t0.mms[0]!.pte[1]).toMatchObject({ writable: true });
    expect(t0.frames.map((f) => f.refcount)).toEqual([2, 1]);
    expect(describeStep(fixed, t0, revoke1)).toBe('driver revokes p1: unmap_mapping_range(), then frees it');
    expect(describeStep(fixed, t0, { ...revoke1, vpages: [0] })).toBe('fallocate(fd, PUNCH_HOLE, p0)');
  });

  it('the stable backport before its fixup looks at the first VMA only: the PFNMAP one second is freed while cached', () => {
    const r = replay(stable, two, firstOnly, { invariants: INVARIANTS });
    expect(r.disabledAt).toBeNull();
    expect(r.violation?.invariant.id).toBe('noAccessToFreedFrame');
    expect(r.violation?.atStep).toBe(9);
    // with the PFNMAP VMA first (a munmap() of page 1 alone), the backport flushes
    const alone = finalState(stable, initialState(two), [
      load(0, 1),
      { ...both, vpages: [1] },
      kstep(0),
      kstep(0),
    ]);
    expect(tlbLookup(alone, 0, 0, 1)).toBeNull();
  });

  it('every VMA checked (the fixup, and mainline) flushes before the unlink: the same schedule is safe', () => {
    const lock = run(fixed, initialState(two), firstOnly.slice(0, 5)).at(-1)!;
    expect(describeStep(fixed, lock.pre, lock.action)).toBe('free_pgtables');
    expect(tlbLookup(lock.post, 0, 0, 1)).toBeNull();
    expect(
      replay(fixed, two, firstOnly, { invariants: INVARIANTS, skipDisabled: true }).violation,
    ).toBeNull();
  });
});

describe('CVE-2022-39188: munmap() vs unmap_mapping_range() on VM_PFNMAP', () => {
  it('v5.18 frees memory CPU 0 still caches, 8 steps', () => {
    const r = replay(bug, world, race, { invariants: INVARIANTS });
    expect(r.disabledAt).toBeNull();
    expect(r.violation?.invariant.id).toBe('noAccessToFreedFrame');
    expect(r.violation?.atStep).toBe(8);
    expect(r.violation?.witness.message).toBe(
      'CPU 0 caches an entry for page 0 to frame 0, which is now free',
    );
  });

  it('since b67fbebd4cf9 munmap() flushes before the unlink, so the same schedule is safe', () => {
    const steps = run(fixed, s0, race.slice(0, 4));
    const lock = steps.at(-1)!;
    expect(describeStep(fixed, lock.pre, lock.action)).toBe('free_pgtables');
    expect(tlbLookup(lock.pre, 0, 0, 0)).not.toBeNull();
    expect(tlbLookup(lock.post, 0, 0, 0)).toBeNull();
    const r = replay(fixed, world, race, { invariants: INVARIANTS, skipDisabled: true });
    expect(r.violation).toBeNull();
    expect(freed.check(finalState(fixed, s0, race))).toBeNull();
  });

  it('is a boolean policy switch whose default is today’s kernel', () => {
    expect(fixed.policy.pfnmapFlushBeforeUnlink).toBeUndefined();
    expect(bug.policy.pfnmapFlushBeforeUnlink).toBe(false);
    expect(policyProblem({ ...fixed.policy, pfnmapFlushBeforeUnlink: 'no' })).toBe(
      "policy.pfnmapFlushBeforeUnlink: expected true, false or 'first-vma'",
    );
    // on a page with struct pages the unlink needs no flush: the gather holds the folio
    const anonFile = derived('no-pfnmap-flush', fixed, { pfnmapFlushBeforeUnlink: false });
    const tiny = CONFIGS['tiny-shared-file'];
    const s = finalState(anonFile, initialState(tiny), race);
    expect(s.frames[0]!.owner.kind).not.toBe('free');
    expect(freed.check(s)).toBeNull();
  });

  it('the explorer proves today’s kernel in tiny-pfnmap and finds the bug shortest', () => {
    const today = explore(fixed, world, {});
    expect(today.complete).toBe(true);
    expect(today.violation).toBeNull();
    const old = explore(bug, world, { invariants: [freed] });
    expect(old.violation?.actions).toHaveLength(8);
  });
});

describe('the arch decides: tlb_end_vma() flushes each VMA where VMAs are not merged (Arch.mergeVmas)', () => {
  const arm64 = variant('pfnmap-arm64-v5.18-flush-at-vma-end');

  it('the v5.18 twin on arm64 differs only in its arch', () => {
    const { arch: a, ...rest } = arm64.policy;
    const { arch: x, ...restX86 } = bug.policy;
    expect(rest).toEqual(restX86);
    expect(a).toMatchObject({ name: 'arm64', mergeVmas: false });
    expect(x.mergeVmas).toBeUndefined();
    expect(variant('reclaim-batched-dirty-arm64').policy.arch.mergeVmas).toBe(false);
    expect(policyProblem({ ...bug.policy, arch: { ...bug.policy.arch, mergeVmas: 'no' } })).toMatch(
      /^policy\.arch\.mergeVmas: /,
    );
  });

  it('the race that frees cached memory on x86 v5.18 is safe there: free_pgtables() finds the range flushed', () => {
    const lock = run(arm64, s0, race.slice(0, 4)).at(-1)!;
    expect(describeStep(arm64, lock.pre, lock.action)).toBe('free_pgtables');
    expect(tlbLookup(lock.pre, 0, 0, 0)).not.toBeNull();
    expect(tlbLookup(lock.post, 0, 0, 0)).toBeNull();
    expect(replay(arm64, world, race, { invariants: INVARIANTS, skipDisabled: true }).violation).toBeNull();
  });

  it('flushes an ordinary page too, where the PFNMAP switch alone flushes nothing', () => {
    const tiny = CONFIGS['tiny-shared-file'];
    const schedule = race.slice(0, 4);
    const x86 = run(bug, initialState(tiny), schedule).at(-1)!;
    const arm = run(arm64, initialState(tiny), schedule).at(-1)!;
    expect(describeStep(arm64, arm.pre, arm.action)).toBe('free_pgtables');
    expect(tlbLookup(x86.post, 0, 0, 0)).not.toBeNull();
    expect(tlbLookup(arm.post, 0, 0, 0)).toBeNull();
  });

  it('the explorer proves it in tiny-pfnmap, all invariants', () => {
    const r = explore(arm64, world, {});
    expect(r.complete).toBe(true);
    expect(r.violation).toBeNull();
  });
});
