// Migration of a shared file's folio, which several mms map (migrc-shared-file): the rmap
// walk of try_to_migrate() and remove_migration_ptes() over every mm, the page cache moving
// to dst, the folio lock that holds off faults, write(2) and the flusher, and migrc's test
// of "no writable mapping at all", which v3 makes from deferred flushes only.

import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, type Config } from '../../model/config.js';
import { pageCacheFrame } from '../../model/queries.js';
import { initialState, MAPPED_FILE, type State } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import { findInvariant } from '../../properties/invariants.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { explore } from '../../src/engine/explore.js';
import { replay } from '../../src/engine/trace.js';
import { derived, finalState, kstep, ksteps, load, recordedStates, run, store, variant } from '../support.js';

const world: Config = CONFIGS['migrc-shared-file'];
const s0 = initialState(world);
const v3 = variant('migrc');
const fixed = variant('migrc-fixed');
const unseen = variant('migrc-v3-local-writable-unseen');
const plain = variant('migrate-batched');
const loads = findInvariant('loadsSeeLastStore')!;

const migrate: Action = { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] };
/** CPU 0 caches mm 0's read-only entry; CPU 1 writes mm 1's (a write fault, no store yet). */
const before: readonly Action[] = [load(0, 0), store(1, 0, 1)];
/**
 * try_to_migrate_one (a step per mm), migrc_mark_folios, migrc_unmap_done,
 * move_to_new_folio, remove_migration_ptes (a step per mm).
 */
const toRemap: readonly Action[] = [migrate, ...ksteps(0, 7)];
/** The 11-step race: mm 1 stores into dst while CPU 0 still reads src. */
const race: readonly Action[] = [...before, ...toRemap, store(1, 0, 1)];

describe('migrating a folio two mms map', () => {
  it('starts from one page-cache folio mapped read-only by both mms, with a reference each', () => {
    expect(s0.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b11 });
    expect(s0.frames[0]!.refcount).toBe(3);
  });

  it('reclaim does not take a mapped file folio; migration does, from either mm', () => {
    expect(enabled(plain, s0, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] })).toBe(false);
    expect(enabled(plain, s0, migrate)).toBe(true);
    expect(enabled(plain, s0, { ...migrate, mm: 1 })).toBe(true);
  });

  it('gives dst no owner until the page cache moves to it', () => {
    const s = finalState(plain, s0, [migrate]);
    expect(s.frames[1]!.owner).toEqual({ kind: 'unmapped' });
    expect(pageCacheFrame(s, 0)).toBe(0);
    // the isolation reference
    expect(s.frames[0]!.refcount).toBe(4);
  });

  it('try_to_migrate() replaces the mapping in every mm, one PTL a step, and each leaves the rmap', () => {
    const half = finalState(plain, s0, [...before, migrate, kstep(0)]);
    expect(half.mms[0]!.pte[0]).toEqual({ kind: 'migration', frame: 0, writable: false, dirty: false });
    expect(half.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: 0, writable: true });
    expect(half.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b10 });
    expect(currentStep(plain.policy, half.tasks[0]!)).toBe('try_to_migrate_one');
    // between the two, CPU 1 still stores through mm 1's mapping
    expect(enabled(plain, half, store(1, 0, 2))).toBe(true);
    const s = next(plain, half, kstep(0));
    expect(s.mms[0]!.pte[0]).toEqual({ kind: 'migration', frame: 0, writable: false, dirty: false });
    expect(s.mms[1]!.pte[0]).toEqual({ kind: 'migration', frame: 0, writable: true, dirty: true });
    expect(s.frames[0]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0 });
    // page cache and isolation are left; the dirty PTE's bit is on the folio
    expect(s.frames[0]!.refcount).toBe(2);
    expect(s.frames[0]!.dirty).toBe(true);
    // mm 1 runs only on CPU 1, where the task is: its PTE was flushed at once, not deferred
    expect(s.cpus[1]!.tlb.every((e) => e === null)).toBe(true);
    // mm 0's read-only entry on CPU 0 is deferred, and only CPU 0 is owed a flush
    expect(s.cpus[0]!.tlb.some((e) => e !== null)).toBe(true);
    expect(s.tasks[0]!.tlb_ubc).toMatchObject({ cpumask: 0b01, flush_required: true });
  });

  it('moves the page cache, its reference and PG_dirty to dst, then maps dst in both mms', () => {
    const moved = finalState(plain, s0, [...before, migrate, ...ksteps(0, 4)]);
    expect(pageCacheFrame(moved, 0)).toBe(1);
    expect(moved.frames[0]!.owner).toEqual({ kind: 'unmapped' });
    expect(moved.frames[0]!.dirty).toBe(false);
    expect(moved.frames[1]!.dirty).toBe(true);
    // src: its isolation reference; dst: its allocation and the page cache's
    expect([moved.frames[0]!.refcount, moved.frames[1]!.refcount]).toEqual([1, 2]);
    // remove_migration_ptes(): mm 0 first, then mm 1, each under its PTL
    const half = next(plain, moved, kstep(0));
    expect(half.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 1 });
    expect(half.mms[1]!.pte[0]).toMatchObject({ kind: 'migration', frame: 0 });
    const mapped = next(plain, half, kstep(0));
    expect(mapped.frames[1]!.owner).toEqual({ kind: 'file', file: MAPPED_FILE, index: 0, mapped: 0b11 });
    expect(mapped.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 1, writable: false });
    expect(mapped.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: 1, writable: true, dirty: true });
    expect(mapped.frames[1]!.refcount).toBe(4);
    // migrate_folio_done(): src is freed, dst keeps the page cache's and the two mappings'
    const done = next(plain, mapped, kstep(0));
    expect(done.frames[0]!.owner.kind).toBe('free');
    expect(done.frames[1]!.refcount).toBe(3);
    expect(done.tasks[0]!.job).toBe('idle');
  });

  it('holds off write(2), the flusher and a fault on the unmapped page while the batch holds the folio lock', () => {
    const world3: Config = { ...world, name: 'with-write', syscalls: ['write', 'madvise'], taskCpus: [1, 0] };
    const w0 = initialState(world3);
    const write: Action = { op: 'write', task: 1, vpage: 0, value: 2 };
    const dontneed: Action = { op: 'syscall', task: 1, call: 'madvise_dontneed', mm: 0, vpages: [0] };
    // mm 0 zaps the page first (MADV_DONTNEED), so its next load faults on the cached folio
    let unmapped = finalState(plain, w0, [store(1, 0, 1), store(1, 0, 1), dontneed]);
    while (unmapped.tasks[1]!.job !== 'idle') unmapped = next(plain, unmapped, kstep(1));
    expect(unmapped.tasks[1]!.job).toBe('idle');
    expect(enabled(plain, unmapped, write)).toBe(true);
    expect(enabled(plain, unmapped, { op: 'writeback', index: 0 })).toBe(true);
    expect(enabled(plain, unmapped, load(0, 0))).toBe(true);
    const locked = next(plain, unmapped, { ...migrate, mm: 1 });
    expect(enabled(plain, locked, write)).toBe(false);
    expect(enabled(plain, locked, { op: 'writeback', index: 0 })).toBe(false);
    expect(enabled(plain, locked, load(0, 0))).toBe(false);
    // once the batch is done, all three go ahead, on dst
    let s = locked;
    while (s.tasks[0]!.job !== 'idle') s = next(plain, s, kstep(0));
    expect(enabled(plain, s, write)).toBe(true);
    expect(enabled(plain, s, { op: 'writeback', index: 0 })).toBe(true);
    expect(next(plain, s, load(0, 0)).mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 1 });
  });
});

describe('what a migration of a file folio waits for', () => {
  it('fallocate(PUNCH_HOLE) waits for the migration, and a migration for a punched hole', () => {
    const punchWorld: Config = { ...world, name: 'punch', syscalls: ['punch_hole'], taskCpus: [1, 0] };
    const p0 = initialState(punchWorld);
    const punch: Action = { op: 'syscall', task: 1, call: 'punch_hole', mm: 0, vpages: [0] };
    expect(enabled(plain, p0, punch)).toBe(true);
    expect(enabled(plain, next(plain, p0, migrate), punch)).toBe(false);
    expect(enabled(plain, next(plain, p0, punch), migrate)).toBe(false);
  });

  it('the rmap walk waits for a PTL a zap of any mm holds until its force_flush', () => {
    const zapWorld: Config = { ...world, name: 'zap', syscalls: ['munmap'], taskCpus: [1, 0] };
    const z0 = initialState(zapWorld);
    const munmap: Action = { op: 'syscall', task: 1, call: 'munmap', mm: 0, vpages: [0] };
    // CPU 0 dirties mm 0's PTE; the migration takes the folio from mm 1, then the zap of
    // mm 0 clears the dirty PTE and keeps its PTL for the flush to come
    const zapped = finalState(plain, z0, [
      store(0, 0, 1),
      store(0, 0, 1),
      { ...migrate, mm: 1 },
      munmap,
      kstep(1),
    ]);
    expect(zapped.tasks[1]!.folios[0]!.forceFlush).toBe(true);
    expect(enabled(plain, zapped, kstep(0))).toBe(false);
    const flushed = next(plain, zapped, kstep(1));
    expect(enabled(plain, flushed, kstep(0))).toBe(true);
    // the walk then finds mm 0's PTE gone and replaces only mm 1's
    const walked = next(plain, flushed, kstep(0));
    expect(walked.mms[0]!.pte[0]!.kind).toBe('none');
    expect(walked.mms[1]!.pte[0]!.kind).toBe('migration');
  });
});

describe("migrc's test of a folio's mappings", () => {
  it('v3 marks the folio although mm 1 mapped it writable, and the store into dst leaves CPU 0 reading src', () => {
    const steps = run(v3, s0, race);
    const marked = steps[5]!.post;
    expect(marked.frames[0]!.migrc).toBe(true);
    expect(marked.tasks[0]!.mreq?.cpumask).toBe(0b01);
    // the flag lives only between the two steps
    expect(marked.tasks[0]!.folios[0]!.migrcRefused).toBeUndefined();
    const last = steps.at(-1)!;
    expect(last.post.frames[1]!.data).toBe(1);
    expect(loads.check(last.post, last)?.message).toMatch(/CPU 0 .* frame 0, but the last store wrote 1/);
    const r = replay(v3, world, race);
    expect(r.violation?.invariant.id).toBe('loadsSeeLastStore');
  });

  it('everyWritableMapping refuses the folio: its read-only flush goes back to tlb_ubc and runs before the copy', () => {
    const unmapped = finalState(fixed, s0, [...before, migrate, kstep(0), kstep(0)]);
    expect(unmapped.tasks[0]!.folios[0]!.migrcRefused).toBe(true);
    const refused = next(fixed, unmapped, kstep(0));
    expect(refused.frames[0]!.migrc).toBe(false);
    expect(refused.tasks[0]!.tlb_ubc).toMatchObject({ cpumask: 0b01, flush_required: true });
    expect(refused.tasks[0]!.folios[0]!.migrcRefused).toBeUndefined();
    // migrc_unmap_done, then try_to_unmap_flush empties CPU 0's TLB
    const flushed = finalState(fixed, refused, [kstep(0), kstep(0)]);
    expect(flushed.cpus[0]!.tlb.every((e) => e === null)).toBe(true);
    expect(replay(fixed, world, race).violation).toBeNull();
  });

  it('v3 refuses it too when the writable mapping was deferred: another CPU runs mm 1', () => {
    const three: Config = { ...world, name: 'three', cpus: 3, cpuMm: [0, 1, 1] };
    const t0 = initialState(three);
    // CPU 2 has mm 1 in its mm_cpumask from the start, so should_defer_flush() is true
    const s = finalState(v3, t0, [...before, migrate, kstep(0), kstep(0)]);
    expect(s.tasks[0]!.tlb_ubc.flush_required).toBe(true);
    expect(s.tasks[0]!.folios[0]!.migrcRefused).toBe(true);
    expect(next(v3, s, kstep(0)).frames[0]!.migrc).toBe(false);
  });

  it('with the dirty-PTE rule of before 2015 (flushed at once), everyWritableMapping refuses it and v3 does not', () => {
    const three: Config = { ...world, name: 'three', cpus: 3, cpuMm: [0, 1, 1] };
    const t0 = initialState(three);
    const at = (v: typeof v3) =>
      finalState(derived(`${v.id}-no-defer-dirty`, v, { migrate: { deferDirty: false } }), t0, [
        ...before,
        migrate,
        kstep(0),
        kstep(0),
      ]);
    // mm 1's dirty PTE was flushed at once, not put in tlb_ubc
    expect(at(fixed).tasks[0]!.tlb_ubc.cpumask).toBe(0);
    expect(at(fixed).tasks[0]!.folios[0]!.migrcRefused).toBe(true);
    expect(at(v3).tasks[0]!.folios[0]!.migrcRefused).toBeUndefined();
  });

  it('a folio every mm maps read-only is marked by both, its flush covering each mm that deferred one', () => {
    const three: Config = { ...world, name: 'three', cpus: 3, cpuMm: [0, 1, 1] };
    const t0 = initialState(three);
    const s = finalState(fixed, t0, [load(0, 0), load(2, 0), migrate, ...ksteps(0, 3)]);
    expect(s.frames[0]!.migrc).toBe(true);
    // mm 0 on CPU 0, mm 1 on CPUs 1 and 2
    expect(s.tasks[0]!.mreq?.cpumask).toBe(0b111);
  });

  it("checkFlushPending looks at every mm the walk replaced a PTE in, not only the batch's", () => {
    // mm 1 runs on CPUs 1 and 2; its thread on CPU 2 write-protects the page (mprotect)
    // and has not flushed when the migration, started from mm 0, unmaps it
    const three: Config = {
      ...world,
      name: 'three',
      cpus: 3,
      cpuMm: [0, 1, 1],
      taskCpus: [1, 2],
      syscalls: ['mprotect'],
      syscallTasks: [1],
    };
    const t0 = initialState(three);
    const mprotect: Action = { op: 'syscall', task: 1, call: 'mprotect_ro', mm: 1, vpages: [0] };
    const s = finalState(fixed, t0, [
      store(2, 0, 1),
      store(2, 0, 1),
      load(0, 0),
      mprotect,
      kstep(1),
      migrate,
    ]);
    expect(s.mms[1]!.pte[0]).toMatchObject({ kind: 'present', writable: false });
    expect(s.tasks[1]!.tlb_ubc.flush_required).toBe(true);
    const unmapped = finalState(fixed, s, [kstep(0), kstep(0)]);
    // both read-only now, both deferred: v3's own test would mark it
    expect(unmapped.tasks[0]!.folios[0]!.migrcRefused).toBeUndefined();
    expect(finalState(v3, s, [kstep(0), kstep(0)]).tasks[0]!.tlb_ubc_nowr.cpumask).toBe(0b111);
    expect(finalState(v3, s, [...ksteps(0, 3)]).frames[0]!.migrc).toBe(true);
    // mm 1's flush is still pending, so migrc-fixed does not
    expect(next(fixed, unmapped, kstep(0)).frames[0]!.migrc).toBe(false);
  });

  it('write(2) into a PG_migrc page-cache folio flushes first with directWriteFlush, and v3 does not', () => {
    const withWrite: Config = { ...world, name: 'with-write', syscalls: ['write'], taskCpus: [1, 0] };
    const s = initialState(withWrite);
    const write: Action = { op: 'write', task: 1, vpage: 0, value: 1 };
    // CPU 0 caches mm 0's read-only entry; both mappings are read-only, so the folio is marked
    const hung = (v: typeof v3) => {
      let x = finalState(v, s, [load(0, 0), migrate]);
      while (x.tasks[0]!.job !== 'idle') x = next(v, x, kstep(0));
      return x;
    };
    for (const v of [v3, fixed]) {
      expect(hung(v).frames[1]!.migrc, v.id).toBe(true);
      expect(
        hung(v).cpus[0]!.tlb.some((e) => e !== null),
        v.id,
      ).toBe(true);
    }
    expect(next(fixed, hung(fixed), write).cpus[0]!.tlb.every((e) => e === null)).toBe(true);
    expect(next(v3, hung(v3), write).cpus[0]!.tlb.some((e) => e !== null)).toBe(true);
  });

  it('keeps the flag through the encoding', () => {
    const s: State = finalState(fixed, s0, [...before, migrate, kstep(0), kstep(0)]);
    const layout = layoutOf(world);
    const bytes = new Uint8Array(layout.size);
    encode(layout, s, bytes);
    expect({ ...decode(layout, bytes), cost: s.cost }).toEqual(s);
    // and it is in the bytes: without it the encoding differs
    const { migrcRefused: _, ...rest } = s.tasks[0]!.folios[0]!;
    const other = new Uint8Array(layout.size);
    encode(layout, { ...s, tasks: [{ ...s.tasks[0]!, folios: [rest] }] }, other);
    expect(other).not.toEqual(bytes);
  });
});

describe('bounded proofs on migrc-shared-file', () => {
  it('migrate-batched holds in every state: the page cache moves and no reference is lost', () => {
    const r = explore(plain, world);
    expect(r.violation).toBeNull();
    expect(r.complete).toBe(true);
    expect(r.distinct).toBe(recordedStates('migrate-batched', world.name));
    for (const s of ['try_to_migrate_one', 'move_to_new_folio', 'remove_migration_ptes', 'writeback'])
      expect(r.coverage[s], s).toBeGreaterThan(0);
  });

  it('migrc-fixed holds in every state and keeps a source for a read-only folio', () => {
    const r = explore(fixed, world);
    expect(r.violation).toBeNull();
    expect(r.complete).toBe(true);
    expect(r.distinct).toBe(recordedStates('migrc-fixed', world.name));
    expect(r.targetsHit).toContain('migrcSourceHeld');
  });

  it('migrc-v3-local-writable-unseen breaks loadsSeeLastStore in 11 steps, the race above', () => {
    const r = explore(unseen, world, { invariants: [loads] });
    expect(r.violation?.invariant.id).toBe('loadsSeeLastStore');
    expect(r.violation?.actions.length).toBe(11);
  });
});
