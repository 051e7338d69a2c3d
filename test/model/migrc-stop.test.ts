// migrc_stop_pending() (seed 001): an allocation that runs out of memory stops migrc until
// it returns. A batch that sees the stop between two folios gives up its request at once
// (migrc_req_end_if_started()), and with it the flush of every folio it already marked:
// no other flush covers those CPUs unless a later folio of the batch defers one to them.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { tlbLookup } from '../../model/hardware.js';
import { initialState, type State } from '../../model/state.js';
import { currentStep } from '../../model/task.js';
import type { Variant } from '../../model/variant.js';
import { findInvariant } from '../../properties/invariants.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { replay } from '../../src/engine/trace.js';
import { stopPendingInterleaving } from '../../src/studies/migrc/report.js';
import { derived, finalState, kstep, ksteps, load, migrate, variant } from '../support.js';

const migrc = variant('migrc');
const fixed = variant('migrc-fixed');
const dropsFlush = derived('migrc-fixed-stop-drops-flush', fixed, { migrc: { stopKeepsFlush: false } });
const world = CONFIGS['migrc-pressure'];
const stop: Action = { op: 'migrc_stop_pending' };
const resume: Action = { op: 'migrc_resume_pending' };
const call = (c: 'clear_refs' | 'munmap', vpages: number[]): Action => ({
  op: 'syscall',
  task: 1,
  call: c,
  mm: 0,
  vpages,
});

describe('migrc_stop_pending() and migrc_resume_pending()', () => {
  it('are actions of a world with memory pressure, for a variant with migrc only', () => {
    const ops = (v: Variant, c = world) => allActions(v, c).filter((a) => a.op.startsWith('migrc_'));
    expect(ops(migrc)).toEqual([stop, resume]);
    expect(ops(variant('migrate-batched'))).toEqual([]);
    expect(ops(migrc, CONFIGS['tiny-migrc'])).toEqual([]);
  });

  it('stop while running, resume while stopped; resuming leaves the state as it was', () => {
    const s = initialState(world);
    expect(enabled(migrc, s, stop)).toBe(true);
    expect(enabled(migrc, s, resume)).toBe(false);
    expect(enabled(variant('migrate-batched'), s, stop)).toBe(false);
    const stopped = next(migrc, s, stop);
    expect(stopped.migrc.stopped).toBe(true);
    expect(enabled(migrc, stopped, stop)).toBe(false);
    expect(enabled(migrc, stopped, resume)).toBe(true);
    const resumed = next(migrc, stopped, resume);
    expect(resumed).toEqual(s);
    expect('stopped' in resumed.migrc).toBe(false);
  });

  it('a context switch is not one of them: it flushes the CPU and leaves migrc running', () => {
    const s = finalState(migrc, initialState(world), [load(1, 0)]);
    expect(tlbLookup(s, 1, 0, 0)).not.toBeNull();
    const after = next(migrc, s, { op: 'flush_tlb_local', cpu: 1 });
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
    expect('stopped' in after.migrc).toBe(false);
  });

  it('the explorer’s encoding keeps the stop', () => {
    const layout = layoutOf(world);
    const bytes = new Uint8Array(layout.size);
    for (const s of [initialState(world), next(migrc, initialState(world), stop)]) {
      encode(layout, s, bytes);
      expect(decode(layout, bytes)).toEqual(s);
    }
  });

  it('a batch started while migrc is stopped builds no request', () => {
    const s = finalState(migrc, initialState(world), [stop, migrate(0, 0, [0, 1])]);
    expect(s.tasks[0]!.mreq).toBeNull();
    // and, having no request, does not stop at the next folio either
    const on = finalState(migrc, s, [kstep(0), kstep(0)]);
    expect(currentStep(migrc.policy, on.tasks[0]!)).toBe('try_to_migrate_one');
    expect(on.tasks[0]!.pc.folio).toBe(1);
    const running = finalState(migrc, initialState(world), [migrate(0, 0, [0, 1])]);
    expect(running.tasks[0]!.mreq).not.toBeNull();
  });
});

describe('can_migrc_system() between two folios', () => {
  /** CPU 1 caches p0 read-only; the batch has marked p0 and comes to p1 (or not). */
  const marked = (v: Variant, stopFirst: boolean): State =>
    finalState(v, initialState(world), [
      call('clear_refs', [0]),
      ...ksteps(1, 3),
      load(1, 0),
      migrate(0, 0, [0, 1]),
      kstep(0), // try_to_migrate_one(p0)
      ...(stopFirst ? [stop] : []),
      kstep(0), // migrc_mark_folios(p0)
    ]);

  it('is skipped unless migrc was stopped with a request started', () => {
    expect(currentStep(migrc.policy, marked(migrc, false).tasks[0]!)).toBe('try_to_migrate_one');
    // stopped after the test for p1: the batch goes on deferring, as the kernel's would
    const late = next(migrc, marked(migrc, false), stop);
    expect(currentStep(migrc.policy, late.tasks[0]!)).toBe('try_to_migrate_one');
    expect(currentStep(migrc.policy, marked(migrc, true).tasks[0]!)).toBe('can_migrc_system');
  });

  it('v3 frees the request and its flush: p0 stays PG_migrc and referenced, CPU 1 in no flush', () => {
    const s = marked(migrc, true);
    const t = s.tasks[0]!;
    expect(t.mreq!.cpumask & 0b10).toBe(0b10);
    const after = next(migrc, s, kstep(0));
    expect(after.tasks[0]!.mreq).toBeNull();
    expect(after.tasks[0]!.tlb_ubc).toEqual(t.tlb_ubc);
    expect(after.migrc.reqs).toEqual([]);
    expect(after.frames[0]!.migrc).toBe(true);
    expect(after.frames[0]!.refcount).toBe(s.frames[0]!.refcount);
    expect(tlbLookup(after, 1, 0, 0)).not.toBeNull();
  });

  it('with stopKeepsFlush the request’s CPUs go to tlb_ubc, for the batch’s own flush', () => {
    const s = marked(fixed, true);
    const after = next(fixed, s, kstep(0));
    expect(after.tasks[0]!.mreq).toBeNull();
    expect(after.tasks[0]!.tlb_ubc.flush_required).toBe(true);
    expect(after.tasks[0]!.tlb_ubc.cpumask & 0b10).toBe(0b10);
    // the request held read-only entries only: nothing writable for try_to_unmap_flush_dirty()
    expect(after.tasks[0]!.tlb_ubc.writable).toBe(false);
  });

  it('with stopKeepsFlush and nothing marked, tlb_ubc stays as the batch left it', () => {
    // munmap() took p0 first: the batch has deferred nothing and the request has no CPU
    const s = finalState(fixed, initialState(world), [
      migrate(0, 0, [0, 1]),
      call('munmap', [0]),
      ...ksteps(1, 3),
      kstep(0),
      stop,
      kstep(0),
    ]);
    expect(s.tasks[0]!.tlb_ubc.flush_required).toBe(false);
    expect(currentStep(fixed.policy, s.tasks[0]!)).toBe('can_migrc_system');
    expect(s.tasks[0]!.mreq!.cpumask).toBe(0);
    const after = next(fixed, s, kstep(0));
    expect(after.tasks[0]!.mreq).toBeNull();
    expect(after.tasks[0]!.tlb_ubc).toEqual(s.tasks[0]!.tlb_ubc);
  });

  it('flushes and frees the requests already hung on the node (migrc_try_flush_free_folios())', () => {
    const s = produce(marked(migrc, true), (d) => {
      d.migrc.reqs.push({ cpumask: 0b10, gen: d.migrc.gen + 1, srcs: [3] });
      d.frames[3]!.refcount = 1;
      d.frames[3]!.owner = { kind: 'unmapped' };
    });
    const after = next(migrc, s, kstep(0));
    expect(after.migrc.reqs).toEqual([]);
    expect(after.frames[3]!.refcount).toBe(0);
    expect(tlbLookup(after, 1, 0, 0)).toBeNull();
  });
});

describe('the flush v3 loses (21 steps: beyond the explorer’s reach in this world)', () => {
  /**
   * munmap() takes p1 out of the batch before its unmap, so no later folio defers a flush
   * to CPU 1; the allocation stops migrc after p0 is unmapped; the batch gives up its
   * request at p1; p0 is remapped to its destination with CPU 1 still caching the source;
   * CPU 0 writes the destination (do_wp_page() finds no request to flush), and a load by
   * CPU 1 would read the source.
   */
  const scenario = (v: Variant): Action[] => stopPendingInterleaving(v)!;
  const loads = findInvariant('loadsSeeLastStore')!;

  it.each([migrc, dropsFlush].map((v) => [v.id, v] as const))(
    '%s breaks loadsSeeLastStore at the last store',
    (_, v) => {
      const actions = scenario(v);
      expect(actions).toHaveLength(21);
      const r = replay(v, world, actions, { invariants: [loads] });
      expect(r.violation?.atStep).toBe(21); // after the last action
      expect(r.violation?.witness.message).toMatch(/CPU 1/);
    },
  );

  it('stopKeepsFlush makes the batch’s try_to_unmap_flush() cover CPU 1: the same interleaving holds', () => {
    const actions = scenario(fixed);
    expect(actions).toHaveLength(22); // one more step: the flush
    const r = replay(fixed, world, actions, { invariants: [loads] });
    expect(r.disabledAt).toBeNull();
    expect(r.violation).toBeNull();
  });
});

describe('the source v3 leaks when the stop frees the request (found by the swarm engine, 21 steps)', () => {
  /**
   * CPU 1 write-protects p0 (clear_refs); a batch of p0 and p1 marks p0 (PG_migrc, an extra
   * reference on src); the stop comes; at p1 the batch frees its request, which holds no
   * folio yet; p0 moves, and migrc_expand_req() finds no request: src keeps PG_migrc and
   * migrc's reference on no list. `shootdown check --engine swarm --config migrc-pressure`
   * found it (v3's and migrc-fixed's noLeakedFrame) before any hand-built interleaving did.
   */
  const leak: Action[] = [
    call('clear_refs', [0]),
    kstep(1),
    kstep(1),
    migrate(0, 0, [0, 1]),
    kstep(0),
    stop,
    ...ksteps(0, 15),
  ];
  const leaks = findInvariant('noLeakedFrame')!;
  const withoutUndo = derived('migrc-fixed-no-undo-without-request', fixed, {
    migrc: { undoWithoutRequest: false },
  });

  it.each([migrc, withoutUndo].map((v) => [v.id, v] as const))(
    '%s leaks src: PG_migrc, one reference, held by nothing',
    (_, v) => {
      const r = replay(v, world, leak, { invariants: [leaks] });
      expect(r.disabledAt).toBeNull();
      expect(r.violation?.atStep).toBe(21);
      expect(r.violation?.witness.message).toMatch(/frame 0 .*refcount 1.* held by nothing/);
    },
  );

  it('undoWithoutRequest (migrc-fixed) undoes the marking at migrc_expand_req(): src is freed with the batch', () => {
    const r = replay(fixed, world, leak);
    expect(r.disabledAt).toBeNull();
    expect(r.violation).toBeNull();
    const s = r.trace.steps.at(-1)!.state;
    expect(s.frames[0]!.refcount).toBe(0);
    expect(s.frames[0]!.migrc).toBe(false);
    expect(s.frames[2]!.migrc).toBe(false);
  });
});
