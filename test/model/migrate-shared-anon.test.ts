// Migration of an anonymous folio fork() shared (migrc-fork-child): the rmap walk over
// both mms, dst taking src's rmap, fork() copying a migration entry into the child,
// reclaim of a folio fork() shared after it was isolated, and migrc on it, where v3's
// hook in do_wp_page() runs before a copy too and migrc-fixed asks mm_tlb_flush_pending()
// of every mapping.

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, type Config } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { copyState, decode, encode, layoutOf } from '../../src/codec/encode.js';
import { replay } from '../../src/engine/trace.js';
import { drain, finalState, kstep, ksteps, load, run, store, variant } from '../support.js';

const world: Config = CONFIGS['migrc-fork-child'];
const s0 = initialState(world);
const plain = variant('migrate-batched');
const v3 = variant('migrc');
const fixed = variant('migrc-fixed');
const noLostWrite = findInvariant('noLostWrite')!;
const loads = findInvariant('loadsSeeLastStore')!;

// Task 0 on CPU 1 migrates or reclaims; task 1 on CPU 0 (the parent, mm 0) forks. The
// child, mm 1, runs on CPU 1.
const fork: Action = { op: 'syscall', task: 1, call: 'fork', mm: 0, vpages: [0] };
/** fork(): copy_present_pte, flush_tlb_mm, syscall_return. */
const forked: readonly Action[] = [fork, ...ksteps(1, 3)];
const migrate = (mm: number): Action => ({ op: 'migrate_pages', task: 0, mm, vpages: [0] });
const shrink: Action = { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] };

describe('a folio fork() shared, migrated', () => {
  const shared = finalState(plain, s0, [store(0, 0, 1), ...forked]);

  it('is shared copy-on-write by both mms after fork(), and migrated (not reclaimed) from either', () => {
    expect(shared.frames[0]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0, shared: 0b10, cowed: true });
    expect(shared.frames[0]!.refcount).toBe(2);
    expect(enabled(plain, shared, migrate(0))).toBe(true);
    expect(enabled(plain, shared, migrate(1))).toBe(true);
    expect(enabled(plain, shared, shrink)).toBe(false);
  });

  it('try_to_migrate() replaces the PTE in both mms; remove_migration_ptes() maps dst, with src rmap, in both', () => {
    // the walks take a step per mm: try_to_migrate_one twice, remove_migration_ptes twice
    const steps = run(plain, shared, [migrate(1), ...ksteps(0, 7)]);
    expect(steps[1]!.post.mms[1]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    const unmapped = steps[2]!.post;
    for (const mm of [0, 1])
      expect(unmapped.mms[mm]!.pte[0]).toEqual({ kind: 'migration', frame: 0, writable: false, dirty: true });
    // the isolation reference is left
    expect(unmapped.frames[0]!.refcount).toBe(1);
    const moved = steps.find((st) => st.post.frames[1]!.data === 1)!.post;
    expect(moved.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0, shared: 0b10, cowed: true });
    const done = steps.at(-1)!.post;
    for (const mm of [0, 1])
      expect(done.mms[mm]!.pte[0]).toMatchObject({ kind: 'present', frame: 1, writable: false });
    expect(done.frames[0]!.owner.kind).toBe('free');
    expect(done.frames[1]!.refcount).toBe(2);
    expect(noLostWrite.check(done)).toBeNull();
    // a write fault in the child copies dst, which the parent still maps
    const copied = finalState(plain, done, [store(1, 0, 2), { op: 'wp_page_copy', cpu: 1 }, store(1, 0, 2)]);
    expect(copied.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0, cowed: true });
    expect(copied.ghost.memory).toEqual([[1], [2]]);
    expect(loads.check(copied)).toBeNull();
  });

  it('fork() copies a migration entry into the child, which joins dst rmap when it is mapped', () => {
    const midway = finalState(plain, s0, [migrate(0), kstep(0)]);
    expect(midway.mms[0]!.pte[0]).toMatchObject({ kind: 'migration', writable: true });
    const steps = run(plain, midway, forked);
    const copiedEntry = steps[1]!.post;
    for (const mm of [0, 1])
      expect(copiedEntry.mms[mm]!.pte[0]).toEqual({
        kind: 'migration',
        frame: 0,
        writable: false,
        dirty: false,
      });
    const done = drain(plain, steps.at(-1)!.post, 0);
    expect(done.tasks[0]!.job).toBe('idle');
    for (const mm of [0, 1])
      expect(done.mms[mm]!.pte[0]).toMatchObject({ kind: 'present', frame: 1, writable: false });
    expect(done.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0, shared: 0b10, cowed: true });
    expect(done.frames[1]!.refcount).toBe(2);
  });

  it('fork() flushes the parent when it makes a writable migration entry read-only, so the child cannot see a later store', () => {
    // CPU 0 caches the page writable and dirty; the migration defers that flush
    const midway = finalState(plain, s0, [store(0, 0, 1), migrate(0), kstep(0)]);
    expect(tlbLookup(midway, 0, 0, 0)).toMatchObject({ frame: 0, writable: true });
    const steps = run(plain, midway, forked);
    expect(steps[1]!.post.tasks[1]!.tlb_ubc).toMatchObject({ cpumask: 0b01, flush_required: true });
    const returned = steps.at(-1)!.post;
    expect(tlbLookup(returned, 0, 0, 0)).toBeNull();
    expect(returned.ghost.memory).toEqual([[1], [1]]);
  });
});

describe('remove_migration_ptes() one mm at a time, after fork() copied the entry', () => {
  // The migration has moved the page; fork() copied the parent's migration entry into the
  // child; the walk has mapped dst in the parent only when the parent writes the page.
  const halfway: readonly Action[] = [
    migrate(0),
    ...ksteps(0, 5),
    fork,
    kstep(1),
    kstep(0), // remove_migration_ptes: the parent's entry
    kstep(1),
    kstep(1),
  ];

  it('maps dst in the parent without PageAnonExclusive: its write fault copies, and the child keeps what fork() saw', () => {
    const s = finalState(fixed, s0, halfway);
    expect(s.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 1, writable: false });
    expect(s.mms[1]!.pte[0]).toMatchObject({ kind: 'migration', frame: 0 });
    expect(s.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0, cowed: true });
    const fault = finalState(fixed, s, [store(0, 0, 1)]);
    expect(fault.cpus[0]!.wp_copy).toBeDefined();
    const r = replay(
      fixed,
      world,
      [...halfway, store(0, 0, 1), { op: 'wp_page_copy', cpu: 0 }, store(0, 0, 1), kstep(0)],
      {
        invariants: [noLostWrite, loads],
      },
    );
    expect([r.disabledAt, r.violation]).toEqual([null, null]);
    expect(r.trace.steps.at(-1)!.state.ghost.memory).toEqual([[1], [0]]);
  });
});

describe('a folio fork() shared after reclaim isolated it', () => {
  it('is unmapped from both mms and written to the swap of each; each reads it back', () => {
    const steps = run(plain, s0, [store(0, 0, 1), shrink, ...forked.slice(0, 2), kstep(0), kstep(0)]);
    const unmapped = steps.at(-1)!.post;
    for (const mm of [0, 1]) expect(unmapped.mms[mm]!.pte[0]).toEqual({ kind: 'none' });
    const reclaimed = finalState(plain, unmapped, [...ksteps(0, 3), kstep(1), kstep(1)]);
    expect(reclaimed.tasks.map((t) => t.job)).toEqual(['idle', 'idle']);
    expect(reclaimed.frames[0]!.owner.kind).toBe('free');
    expect(reclaimed.mms.map((m) => m.swap[0])).toEqual([1, 1]);
    expect(noLostWrite.check(reclaimed)).toBeNull();
    const back = finalState(plain, reclaimed, [load(1, 0), load(0, 0)]);
    expect(loads.check(back)).toBeNull();
  });
});

describe('migrc on a folio fork() shared', () => {
  // CPU 0 caches the page writable and dirty; fork() write-protects it and has not flushed
  // when a migration through the child finds both PTEs read-only.
  const race: readonly Action[] = [store(0, 0, 1), fork, kstep(1), migrate(1), ...ksteps(0, 3)];

  it('v3 marks it, though the parent may still write src: mm_tlb_flush_pending() is asked of the child only', () => {
    const s = finalState(v3, s0, race);
    expect(s.frames[0]!.migrc).toBe(true);
    expect(tlbLookup(s, 0, 0, 0)).toMatchObject({ frame: 0, writable: true, dirty: true });
  });

  it('migrc-fixed asks it of every mm with a migration entry, finds fork() pending on the parent, and refuses', () => {
    const s = finalState(fixed, s0, race);
    expect(s.frames[0]!.migrc).toBe(false);
  });

  it("v3's do_wp_page() hook gives up deferring before a write fault copies a PG_migrc folio", () => {
    const shared = finalState(v3, s0, [load(0, 0), ...forked]);
    const remapped = finalState(v3, shared, [migrate(1), ...ksteps(0, 7)]);
    expect(remapped.frames[1]!.migrc).toBe(true);
    expect(remapped.migrc.reqs.length + remapped.tasks[0]!.folios.length).toBeGreaterThan(0);
    const held = drain(v3, remapped, 0);
    expect(held.tasks[0]!.job).toBe('idle');
    expect(held.migrc.reqs).toHaveLength(1);
    const fault = finalState(v3, held, [store(1, 0, 2)]);
    expect(fault.cpus[1]!.wp_copy).toBeDefined();
    expect(fault.frames[1]!.migrc).toBe(false);
    expect(fault.migrc.reqs).toEqual([]);
    expect(tlbLookup(fault, 0, 0, 0)).toBeNull();
  });

  it('decode(encode(s)) gives back a dst fork() shared and a child with a migration entry', () => {
    const layout = layoutOf(world);
    for (const s of [
      finalState(fixed, s0, race),
      finalState(plain, s0, [migrate(0), kstep(0), fork, kstep(1)]),
      finalState(plain, s0, [load(0, 0), ...forked, migrate(1), kstep(0), kstep(0)]),
    ]) {
      const bytes = new Uint8Array(layout.size);
      encode(layout, s, bytes);
      expect({ ...decode(layout, bytes), cost: s.cost }).toEqual(s);
      expect(copyState(s)).toEqual(s);
    }
  });
});
