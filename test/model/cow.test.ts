// fork() with the child modelled (Config.forkChild): the child's empty start, the copy of
// the page table that shares each folio copy-on-write, the two halves of wp_page_copy(),
// the reuse rule for a folio that is not PageAnonExclusive, and what the guards, the
// encoding, the symmetry reduction and the reports make of them.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, type Config, configProblem } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState } from '../../model/state.js';
import { policyProblem } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeChanges, describeStep, frameText } from '../../src/codec/format.js';
import { canonicalPermutation, relabel } from '../../src/engine/symmetry.js';
import {
  derived,
  finalState,
  freeFrame,
  kstep,
  load,
  none,
  run,
  store,
  variant,
  withPte,
  withSwap,
} from '../support.js';

const cow = variant('fork-cow');
const v64 = variant('fork-cow-v6.4-fault-during-fork');
const noFlush = variant('fork-cow-wrong-no-cow-flush');
const tiny: Config = CONFIGS['tiny-fork-cow'];
const world: Config = CONFIGS['fork-cow'];
const s0 = initialState(tiny);

const fork: Action = { op: 'syscall', task: 0, call: 'fork', mm: 0, vpages: [0] };
const install = (cpu: number): Action => ({ op: 'wp_page_copy', cpu });
/** fork() run to its return: copy_present_pte, flush_tlb_mm, syscall_return. */
const forked: readonly Action[] = [fork, kstep(0), kstep(0), kstep(0)];

describe('a world with a fork child', () => {
  it('starts the child with nothing mapped and no frame, and every other mm as before', () => {
    expect(s0.forkChild).toBe(1);
    expect(s0.mms[1]!.pte).toEqual([{ kind: 'none' }]);
    expect(s0.mms[1]!.vma).toEqual(['none']);
    expect(s0.ghost.promised[1]).toEqual(['none']);
    expect(s0.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true });
    expect(s0.frames.map((f) => f.owner.kind)).toEqual(['anon', 'free', 'free']);
    expect(s0.freeList).toEqual([1, 2]);
    // CPU 2 of fork-cow runs the child: it is in the child's mm_cpumask from the start
    expect(initialState(world).mms[1]!.mm_cpumask).toBe(0b100);
    expect(initialState(CONFIGS['two-mms']).forkChild).toBeUndefined();
  });

  it('is checked as a config: the last mm, with fork() among the calls, not with PCID', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, forkChild: 0 })).toBe(
      'forkChild must be the last mm (1), with at least one mm before it',
    );
    expect(configProblem({ ...world, mms: 1, cpuMm: [0, 0, 0], forkChild: 0 })).toMatch(/^forkChild must be/);
    expect(configProblem({ ...world, syscalls: ['munmap'] })).toBe(
      "forkChild needs 'fork' among the syscalls",
    );
    expect(configProblem({ ...world, pcid: true })).toBe('forkChild is not modelled with pcid');
    // the child needs no frame at the start: one page of the parent, one frame
    expect(configProblem({ ...world, frames: 1 })).toBeNull();
    expect(configProblem({ ...world, frames: 0 })).toMatch(/^frames must be a whole number from the pages/);
  });

  it('takes its policy switches as booleans only', () => {
    expect(policyProblem({ ...cow.policy, forkVmaStartWrite: 'no' })).toBe(
      'policy.forkVmaStartWrite: expected boolean, got "no"',
    );
    expect(policyProblem({ ...cow.policy, wpCopyFlush: 0 })).toBe(
      'policy.wpCopyFlush: expected boolean, got 0',
    );
    expect(policyProblem(v64.policy)).toBeNull();
    expect(v64.policy.forkVmaStartWrite).toBe(false);
    expect(noFlush.policy.wpCopyFlush).toBe(false);
    expect(cow.policy.forkVmaStartWrite).toBeUndefined();
  });
});

describe('fork() copies the page table into the child', () => {
  const steps = run(cow, s0, [store(1, 0, 1), ...forked]);
  const copied = steps[2]!.post;
  const returned = steps[4]!.post;

  it('write-protects the parent and maps the same folio read-only in the child', () => {
    expect(copied.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false, dirty: true });
    expect(copied.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false, dirty: true });
    expect(copied.mms[1]!.vma).toEqual(['rw']);
    expect(copied.frames[0]).toMatchObject({
      owner: { kind: 'anon', mm: 0, vpage: 0, shared: 0b10, cowed: true },
      refcount: 2,
    });
  });

  it('maps nothing into the child while fork() is under way', () => {
    const mmap: Action = { op: 'mmap', mm: 1, vpages: [0] };
    expect(enabled(cow, s0, mmap)).toBe(true);
    expect(enabled(cow, finalState(cow, s0, [fork]), mmap)).toBe(false);
  });

  it('lets nothing run in the child until fork() returns, then promises it what its page holds', () => {
    expect(copied.ghost.promised[1]).toEqual(['none']);
    const childCpu = initialState(world);
    const mid = finalState(cow, childCpu, [store(0, 0, 1), fork, kstep(0)]);
    expect(enabled(cow, mid, load(2, 0))).toBe(false);
    expect(enabled(cow, mid, { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] })).toBe(false);
    const done = finalState(cow, mid, [kstep(0), kstep(0)]);
    expect(enabled(cow, done, load(2, 0))).toBe(true);
    expect(done.ghost.memory[1]).toEqual([1]);
    expect(returned.ghost.promised[1]).toEqual(['rw']);
    expect(returned.ghost.memory[1]).toEqual([1]);
  });

  it('gives the child the parent’s protection, swap copy and MADV_FREE state', () => {
    const ro: Action = { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] };
    // (fork() finds the PTE read-only already: nothing to flush)
    const readOnly = finalState(cow, s0, [ro, kstep(0), kstep(0), kstep(0), fork, kstep(0), kstep(0)]);
    expect(readOnly.mms[1]!.vma).toEqual(['ro']);
    expect(readOnly.ghost.promised[1]).toEqual(['ro']);
    // the parent's page out in swap (holding 1), its frame free: the child shares the swap copy
    const swapped = freeFrame(withSwap(withPte(s0, 0, 0, none), 0, 0, 1), 0);
    // (nothing to write-protect, so nothing to flush: copy_present_pte, then the return)
    const child = finalState(cow, swapped, [fork, kstep(0), kstep(0)]);
    expect(child.mms[1]!.pte[0]).toEqual(none);
    expect(child.mms[1]!.swap).toEqual([1]);
    expect(child.ghost.memory[1]).toEqual([1]);
    const free: Action = { op: 'syscall', task: 0, call: 'madvise_free', mm: 0, vpages: [0] };
    const lazy = finalState(cow, s0, [store(0, 0, 1), free, kstep(0), kstep(0), kstep(0), ...forked]);
    expect(lazy.ghost.lazy).toEqual([[true], [true]]);
  });

  it('forks again only once the child has nothing left mapped', () => {
    expect(enabled(cow, returned, fork)).toBe(false);
    const childGone = finalState(cow, initialState(world), [
      ...forked,
      { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] },
      kstep(1),
      kstep(1),
      kstep(1),
    ]);
    expect(childGone.ghost.promised[1]).toEqual(['none']);
    expect(enabled(cow, childGone, fork)).toBe(true);
    // the child cannot fork into itself
    expect(enabled(cow, childGone, { ...fork, task: 1, mm: 1 } as Action)).toBe(false);
  });
});

describe('a write fault on a shared folio: wp_page_copy()', () => {
  // fork() returns, CPU 1 reads the shared page, CPU 0 stores and faults.
  const steps = run(cow, s0, [...forked, load(1, 0), store(0, 0, 1)]);
  const copying = steps[5]!.post;

  it('copies the folio into a free frame outside the PTL, installing nothing yet', () => {
    expect(accessOutcome(cow.policy.arch, steps[4]!.post, 0, 0, true)).toEqual({
      kind: 'fault',
      handler: 'wp_page_copy',
      dropTlb: false,
      frame: 1,
    });
    expect(copying.cpus[0]!.wp_copy).toEqual({ vpage: 0, src: 0, dst: 1 });
    expect(copying.frames[1]).toMatchObject({ owner: { kind: 'unmapped' }, data: 0, refcount: 1 });
    expect(copying.mms[0]!.pte[0]).toMatchObject({ frame: 0, writable: false });
    expect(copying.ghost.memory[0]).toEqual([0]);
    // the faulting thread is inside the fault: no access, no system call on its CPU
    expect(enabled(cow, copying, load(0, 0))).toBe(false);
    const madvise: Action = { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    expect(enabled(cow, steps[4]!.post, madvise)).toBe(true);
    expect(enabled(cow, copying, madvise)).toBe(false);
    expect(enabled(cow, copying, install(0))).toBe(true);
    expect(enabled(cow, copying, install(1))).toBe(false);
  });

  it('then flushes the old PTE everywhere before it installs the copy, which the store then writes', () => {
    const after = finalState(cow, copying, [install(0)]);
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect(after.cost.ipis - copying.cost.ipis).toBe(1);
    expect(after.mms[0]!.pte[0]).toEqual({
      kind: 'present',
      frame: 1,
      writable: true,
      dirty: true,
      accessed: true,
    });
    expect(after.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0 });
    // the old folio is the child's alone now, still not exclusive
    expect(after.frames[0]).toMatchObject({
      owner: { kind: 'anon', mm: 1, vpage: 0, cowed: true },
      refcount: 1,
    });
    const stored = finalState(cow, after, [store(0, 0, 1)]);
    expect(stored.frames[1]!.data).toBe(1);
    expect(stored.frames[0]!.data).toBe(0);
    expect(stored.ghost.memory).toEqual([[1], [0]]);
  });

  it('without the flush (the seeded bug) leaves CPU 1 on the child’s folio', () => {
    const bad = finalState(noFlush, s0, [...forked, load(1, 0), store(0, 0, 1), install(0)]);
    expect(tlbLookup(bad, 1, 0, 0)).toMatchObject({ frame: 0 });
    expect(bad.mms[0]!.pte[0]).toMatchObject({ frame: 1, writable: true });
  });

  it('copies what the folio holds', () => {
    const written = finalState(cow, s0, [store(1, 0, 2), ...forked, store(0, 0, 1)]);
    expect(written.frames[written.cpus[0]!.wp_copy!.dst]!.data).toBe(2);
  });

  it('drops its copy when another fault installed one first (pte_same() fails)', () => {
    const both = finalState(cow, s0, [...forked, store(0, 0, 1), store(1, 0, 2), install(1)]);
    expect(both.cpus[0]!.wp_copy).toEqual({ vpage: 0, src: 0, dst: 1 });
    expect(both.mms[0]!.pte[0]).toMatchObject({ frame: 2 });
    const lost = finalState(cow, both, [install(0)]);
    expect(lost.cpus[0]!.wp_copy).toBeUndefined();
    expect(lost.frames[1]!.owner.kind).toBe('free');
    expect(lost.freeList).toEqual([1]);
    expect(lost.mms[0]!.pte[0]).toMatchObject({ frame: 2 });
  });

  it('waits for a free frame to copy into', () => {
    const full = finalState(cow, s0, [...forked, store(0, 0, 1), store(1, 0, 2)]);
    expect(full.freeList).toEqual([]);
    const third = finalState(cow, initialState({ ...tiny, frames: 2 }), [...forked, store(0, 0, 1)]);
    expect(accessOutcome(cow.policy.arch, third, 1, 0, true)).toEqual({ kind: 'wait', on: 'out of memory' });
  });
});

describe('the reuse rule for a folio fork() once shared', () => {
  // The child copies the page first, so the parent's folio is mapped only by the parent.
  const childCopied = finalState(cow, initialState(world), [...forked, store(2, 0, 1), install(2)]);

  it('reuses it when nothing else holds it, and it is exclusive again', () => {
    const f0 = childCopied.frames[0]!;
    expect(f0).toMatchObject({ owner: { kind: 'anon', mm: 0, vpage: 0, cowed: true }, refcount: 1 });
    expect(accessOutcome(cow.policy.arch, childCopied, 0, 0, true)).toMatchObject({ handler: 'do_wp_page' });
    // the fault makes the PTE writable in place; the store then runs again and lands
    const reused = finalState(cow, childCopied, [store(0, 0, 2)]);
    expect(reused.frames[0]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0 });
    expect(reused.mms[0]!.pte[0]).toMatchObject({ frame: 0, writable: true });
    expect(reused.cpus[0]!.wp_copy).toBeUndefined();
    expect(finalState(cow, reused, [store(0, 0, 2)]).frames[0]!.data).toBe(2);
  });

  it('copies it while the child’s munmap() still holds it in its mmu_gather', () => {
    const zapped = finalState(cow, initialState(world), [
      ...forked,
      load(2, 0),
      { op: 'syscall', task: 1, call: 'munmap', mm: 1, vpages: [0] },
      kstep(1),
    ]);
    expect(zapped.frames[0]).toMatchObject({ owner: { kind: 'anon', mm: 0, cowed: true }, refcount: 2 });
    expect(accessOutcome(cow.policy.arch, zapped, 0, 0, true)).toMatchObject({ handler: 'wp_page_copy' });
    // CPU 2 still caches the child's old entry until the flush: the unmap's, not a leak
    expect(findInvariant('noAccessToFreedFrame')!.check(zapped)).toBeNull();
  });

  it('keeps a folio that is no longer shared but not exclusive read-only under mprotect(PROT_WRITE)', () => {
    const ro: Action = { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] };
    const rw: Action = { op: 'syscall', task: 0, call: 'mprotect_rw', mm: 0, vpages: [0] };
    const s = finalState(cow, childCopied, [ro, kstep(0), kstep(0), rw, kstep(0), kstep(0)]);
    expect(s.frames[0]!.owner).toMatchObject({ kind: 'anon', mm: 0, cowed: true });
    expect(s.mms[0]!.pte[0]).toMatchObject({ frame: 0, writable: false });
  });

  it('keeps a shared or not-exclusive folio read-only under mprotect(PROT_WRITE), and out of madvise(MADV_FREE)', () => {
    const steps: Action[] = [
      ...forked,
      // (each: its PTE step, then the return: nothing to flush)
      { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] },
      kstep(0),
      kstep(0),
      { op: 'syscall', task: 0, call: 'mprotect_rw', mm: 0, vpages: [0] },
      kstep(0),
      kstep(0),
      { op: 'syscall', task: 0, call: 'madvise_free', mm: 0, vpages: [0] },
      kstep(0),
      kstep(0),
    ];
    const s = finalState(cow, s0, steps);
    expect(s.mms[0]!.pte[0]).toMatchObject({ frame: 0, writable: false });
    expect(s.frames[0]!.lazyfree).toBeUndefined();
    expect(s.ghost.promised[0]).toEqual(['rw']);
  });
});

describe('2.6.18: set_pte_at() of the copy, then the flush, as two steps', () => {
  const old = variant('fork-cow-v2.6.18-set-before-flush');
  const three = initialState(CONFIGS['fork-cow-three-cpus']);
  const set = finalState(old, three, [...forked, load(0, 0), store(1, 0, 1), install(1)]);

  it('leaves the old entry cached after the new PTE is in, and the thread still in the fault', () => {
    expect(set.mms[0]!.pte[0]).toMatchObject({ frame: 1, writable: true });
    expect(set.cpus[1]!.wp_copy).toEqual({ vpage: 0, src: 0, dst: 1, set: true });
    expect(tlbLookup(set, 0, 0, 0)).toMatchObject({ frame: 0 });
    expect(enabled(old, set, load(1, 0))).toBe(false);
    expect(describeStep(old, set, install(1))).toBe('wp_page_copy(p0): flush_tlb_page');
    const layout = layoutOf(CONFIGS['fork-cow-three-cpus']);
    const bytes = new Uint8Array(layout.size);
    encode(layout, set, bytes);
    expect(decode(layout, bytes).cpus).toEqual(set.cpus);
  });

  it('then flushes it and lets the old folio go to the child', () => {
    const done = finalState(old, set, [install(1)]);
    expect(tlbLookup(done, 0, 0, 0)).toBeNull();
    expect(done.cpus[1]!.wp_copy).toBeUndefined();
    expect(done.frames[0]).toMatchObject({ owner: { kind: 'anon', mm: 1, vpage: 0 }, refcount: 1 });
  });

  it('is a boolean policy switch', () => {
    expect(policyProblem({ ...cow.policy, wpCopySetBeforeFlush: 1 })).toBe(
      'policy.wpCopySetBeforeFlush: expected boolean, got 1',
    );
    expect(old.policy.wpCopySetBeforeFlush).toBe(true);
  });
});

describe('what leaves a shared folio alone', () => {
  const after = finalState(cow, s0, forked);

  it('reclaim and migration do not take it (their batches unmap one mapping per folio)', () => {
    const shrink: Action = { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] };
    const reclaim = variant('reclaim-batched');
    expect(enabled(reclaim, s0, shrink)).toBe(true);
    expect(enabled(reclaim, after, shrink)).toBe(false);
  });

  it('the kernel does not write it through the direct map (GUP would break the sharing first)', () => {
    const write: Action = { op: 'write', task: 0, vpage: 0, value: 1 };
    expect(enabled(cow, s0, write)).toBe(true);
    expect(enabled(cow, after, write)).toBe(false);
  });

  it('the install waits for a PTL a system call holds across its steps', () => {
    const windowed = derived('windowed', cow, { flushBatchedPending: true, batchedPendingWindow: 'flag' });
    const madvise: Action = { op: 'syscall', task: 0, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    const copying = finalState(windowed, s0, [...forked, store(1, 0, 1)]);
    expect(enabled(windowed, copying, install(1))).toBe(true);
    // flush_tlb_batched_pending() has run and the PTL is still held for zap_pte_range()
    const held = finalState(windowed, copying, [madvise, kstep(0)]);
    expect(enabled(windowed, held, install(1))).toBe(false);
    expect(enabled(windowed, finalState(windowed, held, [kstep(0)]), install(1))).toBe(true);
  });
});

describe('a fault while fork() copies the page table', () => {
  const mid = finalState(cow, s0, [store(0, 0, 1), fork, kstep(0)]);

  it('waits for fork() since v6.5, and runs in v6.4', () => {
    expect(enabled(cow, mid, store(1, 0, 2))).toBe(false);
    expect(accessOutcome(cow.policy.arch, mid, 1, 0, true)).toEqual({ kind: 'wait', on: 'mmap_lock' });
    expect(enabled(v64, mid, store(1, 0, 2))).toBe(true);
    expect(accessOutcome(v64.policy.arch, mid, 1, 0, true, v64.policy)).toMatchObject({
      handler: 'wp_page_copy',
    });
  });

  it('in v6.4 still waits for mprotect(), which write-locks the VMAs; munmap() has detached its VMA', () => {
    const protecting = finalState(v64, s0, [
      { op: 'syscall', task: 0, call: 'mprotect_ro', mm: 0, vpages: [0] },
      kstep(0),
    ]);
    expect(accessOutcome(v64.policy.arch, protecting, 1, 0, true, v64.policy)).toEqual({
      kind: 'wait',
      on: 'mmap_lock',
    });
    const unmapping = finalState(v64, s0, [
      { op: 'syscall', task: 0, call: 'munmap', mm: 0, vpages: [0] },
      kstep(0),
    ]);
    // zapping under the read lock (dd2283f2605e): the fault finds no VMA; before, it waited
    expect(accessOutcome(v64.policy.arch, unmapping, 1, 0, true, v64.policy)).toEqual({ kind: 'segv' });
    expect(accessOutcome(v64.policy.arch, unmapping, 1, 0, true, { munmapZapLock: 'write' })).toEqual({
      kind: 'wait',
      on: 'mmap_lock',
    });
  });

  it('in v6.4 a fault in flight does not hold fork() off either; since v6.5 it does', () => {
    const faulting = finalState(v64, s0, [...forked, store(1, 0, 1)]);
    expect(faulting.cpus[1]!.wp_copy).toBeDefined();
    // (as if the child had gone meanwhile, so that fork() may run again)
    const childGone = produce(faulting, (d) => {
      d.mms[1]!.pte[0] = { kind: 'none' };
      d.mms[1]!.vma[0] = 'none';
      d.ghost.promised[1]![0] = 'none';
    });
    expect(enabled(v64, childGone, fork)).toBe(true);
    expect(enabled(cow, childGone, fork)).toBe(false);
  });
});

describe('encoding, symmetry and reports', () => {
  const s = finalState(cow, s0, [...forked, load(1, 0), store(0, 0, 1)]);

  it('encodes the copy in flight and the shared owner exactly', () => {
    const layout = layoutOf(tiny);
    const bytes = new Uint8Array(layout.size);
    encode(layout, s, bytes);
    const back = decode(layout, bytes);
    expect(back.cpus).toEqual(s.cpus);
    expect(back.frames).toEqual(s.frames);
    expect(back.forkChild).toBe(1);
    const shared = finalState(cow, s0, [fork, kstep(0)]);
    encode(layout, shared, bytes);
    expect(decode(layout, bytes).frames[0]!.owner).toEqual({
      kind: 'anon',
      mm: 0,
      vpage: 0,
      shared: 2,
      cowed: true,
    });
  });

  it('renumbers the frames of a copy in flight with the rest', () => {
    const perm = [2, 0, 1];
    const moved = relabel(s, perm);
    expect(moved.cpus[0]!.wp_copy).toEqual({ vpage: 0, src: 2, dst: 0 });
    // each frame gets the same canonical number however the state numbered it
    const map = canonicalPermutation(s);
    const movedMap = canonicalPermutation(moved);
    for (let f = 0; f < 3; f++) expect(movedMap[perm[f]!]).toBe(map[f]);
  });

  it('names the kernel functions and what changed', () => {
    const pre = finalState(cow, s0, [...forked, load(1, 0)]);
    expect(describeStep(cow, pre, store(0, 0, 1))).toBe('store p0 := 1 (#PF wp_page_copy: copies into f1)');
    expect(describeStep(cow, s, install(0))).toBe('wp_page_copy(p0): ptep_clear_flush; set_pte_at f1');
    expect(describeStep(noFlush, s, install(0))).toBe('wp_page_copy(p0): set_pte_at f1');
    expect(describeChanges(pre, s)).toContain('cpu0 in wp_page_copy: f0 copied to f1');
    expect(frameText(s.frames[0]!)).toBe('p0 COW with mm1 =0');
    const alone = finalState(cow, s, [install(0)]);
    expect(frameText(alone.frames[0]!)).toBe('mm1:p0 (not exclusive) =0');
  });
});
