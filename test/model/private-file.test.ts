// A file mapped MAP_PRIVATE (Config.mapPrivate): the page reads the page-cache folio until
// the mm's first write fault copies it (wp_page_copy()), stores to the file then no longer
// reach it, and MADV_DONTNEED makes it read the file again; and what the ghost, the
// invariants, the encoding and the reports make of it.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS, type Config, configProblem } from '../../model/config.js';
import { accessOutcome } from '../../model/fault.js';
import { tlbLookup } from '../../model/hardware.js';
import { fileValue, mapsFolio, pageCacheFrame, readsFile } from '../../model/queries.js';
import { initialState, MAPPED_FILE, type State } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { findTarget } from '../../properties/targets.js';
import { copyState, decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeChanges, describeStep } from '../../src/codec/format.js';
import { finalState, kstep, load, run, store, variant } from '../support.js';

const fixed = variant('private-file');
const noFlush = variant('private-file-wrong-no-cow-flush');
const world: Config = CONFIGS['private-file'];
const s0 = initialState(world);

// mm 0 (MAP_SHARED) runs on CPU 0 with task 0; mm 1 (MAP_PRIVATE) on CPUs 1 and 2, task 1 on CPU 1.
const write = (task: number, value: number): Action => ({ op: 'write', task, vpage: 0, value });
const dontneed = (task: number, mm: number): Action => ({
  op: 'syscall',
  task,
  call: 'madvise_dontneed',
  mm,
  vpages: [0],
});
const cow = (cpu: number): Action => ({ op: 'wp_page_copy', cpu });
/** CPU 2 stores 2 into mm 1's page: the write fault copies it, the copy goes in, the store lands. */
const privateStore: readonly Action[] = [store(2, 0, 2), cow(2), store(2, 0, 2)];
const loads = findInvariant('loadsSeeLastStore')!;
const noLostWrite = findInvariant('noLostWrite')!;

describe('a world with a MAP_PRIVATE mm', () => {
  it('starts with the private mm reading the file: no copy, the page-cache folio mapped read-only', () => {
    expect(s0.mms[1]!.anonCopy).toEqual([false]);
    expect(s0.mms[0]!.anonCopy).toBeUndefined();
    expect(s0.ghost.file).toEqual([0]);
    expect(s0.mms[1]!.pte[0]).toEqual({
      kind: 'present',
      frame: 0,
      writable: false,
      dirty: false,
      accessed: false,
    });
    expect(s0.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b11 });
    expect(readsFile(s0, 1, 0)).toBe(true);
    expect(initialState(CONFIGS['shared-file']).ghost.file).toBeUndefined();
  });

  it('is checked as a config: mms of a sharedFile world, and no hole punching', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, sharedFile: false })).toBe(
      'mapPrivate needs a sharedFile world (the file the mms map)',
    );
    expect(configProblem({ ...world, mapPrivate: [2] })).toBe('mapPrivate must be a list of mms from 0 to 1');
    expect(
      configProblem({ ...world, syscalls: ['write', 'punch_hole'], pages: 2, frames: 4, batch: 2 }),
    ).toBe('punch_hole is not modelled with mapPrivate');
  });
});

describe('the first write fault copies the page', () => {
  it('copies in a private mm, where the shared mm takes a write-notify fault on the same folio', () => {
    const priv = accessOutcome(fixed.policy.arch, s0, 1, 0, true);
    expect(priv).toMatchObject({ kind: 'fault', handler: 'wp_page_copy', frame: 1 });
    expect(accessOutcome(fixed.policy.arch, s0, 0, 0, true)).toMatchObject({ handler: 'do_wp_page' });
    // a load needs no copy
    expect(accessOutcome(fixed.policy.arch, s0, 1, 0, false)).toMatchObject({ kind: 'walk', frame: 0 });
  });

  it('maps the copy as the mm own, flushes the old PTE on every CPU of the mm, and drops its mapping of the file', () => {
    const steps = run(fixed, s0, [load(1, 0), ...privateStore]);
    const installed = steps[2]!.post;
    const copy = 1;
    expect(installed.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: copy, writable: true });
    expect(installed.mms[1]!.anonCopy).toEqual([true]);
    expect(readsFile(installed, 1, 0)).toBe(false);
    expect(installed.frames[copy]!.owner).toEqual({ kind: 'anon', mm: 1, vpage: 0 });
    // the page-cache folio: mm 0's mapping and the page cache's reference are left
    expect(installed.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b01 });
    expect(installed.frames[0]!.refcount).toBe(2);
    expect(tlbLookup(installed, 1, 1, 0)).toBeNull();
    expect(describeChanges(steps[2]!.pre, installed)).toContain('mm1:p0 (MAP_PRIVATE): its own copy');
    // the store lands in the copy: the file and mm 0 do not see it
    const after = steps[3]!.post;
    expect(after.frames[copy]!.data).toBe(2);
    expect(fileValue(after, 0)).toBe(0);
    expect(after.frames[0]!.dirty).toBe(false);
    expect(after.ghost.memory).toEqual([[0], [2]]);
    expect(after.ghost.file).toEqual([0]);
    expect(loads.check(after)).toBeNull();
    expect(noLostWrite.check(after)).toBeNull();
  });

  it('until then, stores to the file reach the private page: write(2) from either mm, or mm 0 storing', () => {
    for (const actions of [[write(1, 1)], [write(0, 1)], [store(0, 0, 1), store(0, 0, 1)]]) {
      const s = finalState(fixed, s0, [load(1, 0), ...actions]);
      expect(s.ghost.memory).toEqual([[1], [1]]);
      expect(s.ghost.file).toEqual([1]);
      // CPU 1 reads the page-cache folio through the entry it cached
      expect(s.frames[tlbLookup(s, 1, 1, 0)!.frame]!.data).toBe(1);
      expect(loads.check(s)).toBeNull();
    }
  });

  it('from then on, stores to the file do not reach it, nor its stores the file', () => {
    const copied = finalState(fixed, s0, privateStore);
    for (const actions of [[write(1, 1)], [write(0, 1)], [store(0, 0, 1), store(0, 0, 1)]]) {
      const s = finalState(fixed, copied, actions);
      expect(s.ghost.memory).toEqual([[1], [2]]);
      expect(s.ghost.file).toEqual([1]);
      expect(loads.check(finalState(fixed, s, [load(1, 0), load(0, 0)]))).toBeNull();
      expect(findTarget('privatePageDiverged')!.hit(s)).toBe(true);
    }
    expect(findTarget('privatePageDiverged')!.hit(s0)).toBe(false);
  });

  it('copies what the file held when it copied: a write(2) between the copy and its install is not in it', () => {
    const steps = run(fixed, s0, [load(1, 0), store(2, 0, 2), write(0, 1), cow(2)]);
    const s = steps.at(-1)!.post;
    expect(s.frames[1]!.data).toBe(0);
    expect(s.ghost.memory).toEqual([[1], [0]]);
    expect(s.ghost.file).toEqual([1]);
    // CPU 1's entry to the page-cache folio went with the flush, so it reads the copy
    expect(tlbLookup(s, 1, 1, 0)).toBeNull();
    expect(loads.check(s)).toBeNull();
    // without the flush it reads the file's new contents: the seeded bug's 4 steps
    const bad = finalState(noFlush, s0, [load(1, 0), store(2, 0, 2), write(0, 1), cow(2)]);
    expect(tlbLookup(bad, 1, 1, 0)?.frame).toBe(0);
    expect(loads.check(bad)?.message).toBe(
      'a load by CPU 1 from page 0 would return 1 through its TLB entry to frame 0, but the last store wrote 0',
    );
  });

  it('does not copy into a page whose PTE changed meanwhile: the copy is freed and the page still reads the file', () => {
    // mm 1's own madvise(MADV_DONTNEED) zaps the PTE while CPU 2 is inside the fault
    const zapped = finalState(fixed, s0, [store(2, 0, 2), dontneed(1, 1), kstep(1), kstep(1), kstep(1)]);
    const s = finalState(fixed, zapped, [cow(2)]);
    expect(s.frames[1]!.owner.kind).toBe('free');
    expect(s.mms[1]!.anonCopy).toEqual([false]);
    expect(s.ghost.memory).toEqual([[0], [0]]);
  });
});

describe('MADV_DONTNEED of a private page', () => {
  const copied = finalState(fixed, s0, [...privateStore, write(0, 1)]);

  it('drops the copy: the page reads the file again, which it was promised when the call returns', () => {
    const steps = run(fixed, copied, [dontneed(1, 1), kstep(1), kstep(1), kstep(1)]);
    const zapped = steps[1]!.post;
    expect(zapped.mms[1]!.anonCopy).toEqual([false]);
    expect(zapped.mms[1]!.pte[0]).toEqual({ kind: 'none' });
    // a dirty anonymous PTE is no shared file's: no force_flush
    expect(zapped.tasks[1]!.folios[0]!.forceFlush).toBeUndefined();
    const returned = steps[3]!.post;
    expect(returned.frames[1]!.owner.kind).toBe('free');
    expect(returned.ghost.memory).toEqual([[1], [1]]);
    // the next load maps the page-cache folio and reads what write(2) put there
    const reread = finalState(fixed, returned, [load(2, 0)]);
    expect(reread.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: pageCacheFrame(reread, 0) });
    expect(loads.check(reread)).toBeNull();
  });

  it('keeps a copy a store made while the call ran: the page holds that store when the call returns', () => {
    // CPU 2 faults the page in again and copies it between the zap and the return (its
    // TLB has dropped the entry to the old copy first, as it may)
    const s = finalState(fixed, copied, [
      dontneed(1, 1),
      kstep(1),
      { op: 'tlbEvict', cpu: 2, mm: 1, vpage: 0 },
      ...[store(2, 0, 2), store(2, 0, 2), cow(2), store(2, 0, 2)],
      kstep(1),
      kstep(1),
    ]);
    expect(s.tasks[1]!.job).toBe('idle');
    expect(s.mms[1]!.anonCopy).toEqual([true]);
    expect(s.ghost.memory).toEqual([[1], [2]]);
    expect(loads.check(s)).toBeNull();
  });

  it('after it, a write maps the file read-only and clean first (do_cow_fault() as two faults), then copies', () => {
    const gone = finalState(fixed, copied, [dontneed(1, 1), kstep(1), kstep(1), kstep(1)]);
    const fault = finalState(fixed, gone, [store(2, 0, 2)]);
    expect(fault.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: false, dirty: false });
    // (dirty from the write(2) before, not from this fault)
    expect(gone.frames[0]!.dirty).toBe(true);
    expect(
      finalState(fixed, s0, [load(2, 0), dontneed(1, 1), kstep(1), kstep(1), kstep(1), store(2, 0, 2)])
        .frames[0]!.dirty,
    ).toBe(false);
    expect(mapsFolio(fault.frames[0]!.owner, 1, 0)).toBe(true);
    expect(accessOutcome(fixed.policy.arch, fault, 2, 0, true)).toMatchObject({ handler: 'wp_page_copy' });
    const again = finalState(fixed, fault, [store(2, 0, 2), cow(2), store(2, 0, 2)]);
    expect(again.mms[1]!.anonCopy).toEqual([true]);
    expect(again.ghost.memory).toEqual([[1], [2]]);
  });
});

describe('the invariants with private pages', () => {
  it('noLostWrite judges the file by the ghost file, not by an mm whose page has its own copy', () => {
    // both mms private: mm 0's page is copied and written, the file keeps write(2)'s value
    const both: Config = { ...world, name: 'both-private', mapPrivate: [0, 1], cpuMm: [0, 0, 1] };
    expect(configProblem(both)).toBeNull();
    const b0 = initialState(both);
    const s = finalState(fixed, b0, [write(1, 1), store(0, 0, 2), cow(0), store(0, 0, 2)]);
    expect(s.ghost.memory).toEqual([[2], [1]]);
    expect(s.ghost.file).toEqual([1]);
    expect(fileValue(s, 0)).toBe(1);
    expect(noLostWrite.check(s)).toBeNull();
    // and it does see the file lose a write
    const lost: State = { ...s, ghost: { ...s.ghost, file: [2] } };
    expect(noLostWrite.check(lost)?.message).toMatch(/^the file's page 0 holds 1 in the page cache/);
  });

  it('mm 1 reads its own copy from swap, not the file, once its PTE is gone', () => {
    const copied = finalState(fixed, s0, privateStore);
    // the copy swapped out: no PTE, the copy in swap
    const swapped = {
      ...copied,
      cpus: copied.cpus.map((c) => ({ ...c, tlb: c.tlb.map(() => null) })),
      mms: copied.mms.map((m, i) => (i === 1 ? { ...m, pte: [{ kind: 'none' as const }], swap: [2] } : m)),
      frames: copied.frames.map((f, i) =>
        i === 1 ? { owner: { kind: 'free' as const }, data: 2, refcount: 0, dirty: false, migrc: false } : f,
      ),
    };
    expect(readsFile(swapped, 1, 0)).toBe(false);
    expect(noLostWrite.check(swapped)).toBeNull();
    expect(accessOutcome(fixed.policy.arch, swapped, 2, 0, false)).toMatchObject({ handler: 'do_swap_page' });
  });
});

describe('encoding and reports', () => {
  it('decode(encode(s)) gives back the copies, the ghost file and a fault in flight', () => {
    const layout = layoutOf(world);
    for (const s of [
      s0,
      finalState(fixed, s0, [store(2, 0, 2)]),
      finalState(fixed, s0, [...privateStore, write(0, 1)]),
    ]) {
      const bytes = new Uint8Array(layout.size);
      encode(layout, s, bytes);
      expect({ ...decode(layout, bytes), cost: s.cost }).toEqual(s);
      expect(copyState(s)).toEqual(s);
    }
    // a copy and the ghost file are in the bytes
    const a = new Uint8Array(layout.size);
    const b = new Uint8Array(layout.size);
    const c = new Uint8Array(layout.size);
    encode(layout, s0, a);
    encode(layout, { ...s0, mms: [s0.mms[0]!, { ...s0.mms[1]!, anonCopy: [true] }] }, b);
    encode(layout, { ...s0, ghost: { ...s0.ghost, file: [1] } }, c);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('names the fault and the copy in the race report', () => {
    expect(describeStep(fixed, s0, store(2, 0, 2))).toMatch(/#PF wp_page_copy: copies into f1/);
    const gone = finalState(fixed, s0, [...privateStore, dontneed(1, 1), kstep(1)]);
    expect(describeChanges(finalState(fixed, s0, privateStore), gone)).toContain(
      'mm1:p0 (MAP_PRIVATE): reads the file',
    );
  });
});
