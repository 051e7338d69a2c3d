// A move that fails for good (Config.moveFailures, world migrc-move-fail): migrate_folio_move()
// undoes the folio, and migrc's marking must be undone with it (migrc_undo_folios(),
// MigrcPolicy.undoOnMoveFailure), or src keeps PG_migrc and its extra reference for ever.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS, type Config, configProblem } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { migrate_folio_done } from '../../model/migrate.js';
import { migrc_undo_folios, migrcPending } from '../../model/migrc.js';
import { initialState, type State } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { decode, encode, layoutOf } from '../../src/codec/encode.js';
import { describeStep } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, variant } from '../support.js';

const recipe = (s: State, f: (d: Draft<State>) => void): State => produce(s, f);
const world: Config = CONFIGS['migrc-move-fail'];
const w0 = initialState(world);
const fixed = variant('migrc-fixed');
const leaky = variant('migrc-v3-move-fail-leak');
const leaked = findInvariant('noLeakedFrame')!;

const call = (c: 'clear_refs' | 'munmap'): Action => ({
  op: 'syscall',
  task: 1,
  call: c,
  mm: 0,
  vpages: [0],
});
const fails: Action = { op: 'copyFails', task: 0 };
/** The batch marks the page (read-only after clear_refs), then munmap() zaps it and the move fails. */
const race: readonly Action[] = [
  { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
  call('clear_refs'),
  kstep(1),
  kstep(0),
  kstep(1),
  kstep(0),
  kstep(0),
  kstep(1),
  call('munmap'),
  kstep(1),
  fails,
  kstep(0),
];
/** Up to the failed move, with the page still mapped. */
const marked: readonly Action[] = race.slice(0, 8);

describe('a world where moving may fail', () => {
  it('is checked as a config, and only there can move_to_new_folio() fail', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, moveFailures: 1 as unknown as boolean })).toBe(
      'moveFailures must be true or false',
    );
    expect(w0.moveMayFail).toBe(true);
    expect(initialState(CONFIGS['tiny-migrc']).moveMayFail).toBeUndefined();
    const failOps = (c: Config) => allActions(fixed, c).filter((a) => a.op === 'copyFails').length;
    expect(failOps(world)).toBe(2);
    expect(failOps(CONFIGS['tiny-migrc'])).toBe(0);
    const s = finalState(fixed, w0, marked);
    expect(enabled(fixed, s, fails)).toBe(true);
    const { moveMayFail: _, ...elsewhere } = s;
    expect(enabled(fixed, elsewhere, fails)).toBe(false);
    // and not at another step of the batch
    expect(enabled(fixed, finalState(fixed, w0, marked.slice(0, 3)), fails)).toBe(false);
  });

  it('keeps the world flag through the encoding', () => {
    const layout = layoutOf(world);
    const bytes = new Uint8Array(layout.size);
    encode(layout, w0, bytes);
    expect({ ...decode(layout, bytes), cost: w0.cost }).toEqual(w0);
  });

  it('names the failing step in a race report', () => {
    const s = finalState(fixed, w0, marked);
    expect(describeStep(fixed, s, fails)).toContain(
      'move_to_new_folio(p0) fails: migrate_folio_undo_src/dst',
    );
  });
});

describe('migrc_undo_folios()', () => {
  it('with undoOnMoveFailure, clears PG_migrc on both and drops the extra reference on src', () => {
    const s = finalState(fixed, w0, marked);
    expect([s.frames[0]!.migrc, s.frames[1]!.migrc]).toEqual([true, true]);
    const after = next(fixed, s, fails);
    expect([after.frames[0]!.migrc, after.frames[1]!.migrc]).toEqual([false, false]);
    // mapped again at src: the mapping's reference only; dst is freed
    expect(after.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    expect(after.frames[0]!.refcount).toBe(1);
    expect(after.frames[1]!.owner.kind).toBe('free');
  });

  it('v3 leaves both marks and the reference: src is held by one reference too many', () => {
    const after = next(leaky, finalState(leaky, w0, marked), fails);
    expect(after.frames[0]!.migrc).toBe(true);
    expect(after.frames[0]!.refcount).toBe(2);
  });

  it('leaves a folio migrc did not mark alone, by the batch or by the flags', () => {
    const folio = { mm: 0, vpage: 0, src: 0, dst: 1 };
    const s = recipe(w0, (d) => {
      d.frames[0]!.migrc = true;
    });
    expect(recipe(s, (d) => migrc_undo_folios(d, fixed.policy.migrc!, folio))).toEqual(s);
    // v3's flags: both must be set
    const byFlags = { ...fixed.policy.migrc!, rememberMarked: false };
    expect(recipe(s, (d) => migrc_undo_folios(d, byFlags, folio))).toEqual(s);
  });
});

describe('migrc-v3-move-fail-leak', () => {
  it('leaks src once munmap() has taken the page: noLeakedFrame in 12 steps, shortest', () => {
    const r = replay(leaky, world, race);
    expect(r.violation?.invariant.id).toBe('noLeakedFrame');
    expect(r.trace.steps).toHaveLength(12);
    expect(replay(fixed, world, race).violation).toBeNull();
    const e = explore(leaky, world, { invariants: [leaked] });
    expect(e.violation?.actions.length).toBe(12);
  });
});

describe('what a leaked frame may and may not count as', () => {
  it('a source with a leaked reference is not counted as freeable by a flush', () => {
    const s = recipe(w0, (d) => {
      d.frames[2] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: true };
      d.migrc.reqs = [{ cpumask: 0b10, gen: 1, srcs: [2] }];
    });
    expect(migrcPending(s)).toBe(1);
    const twice = recipe(s, (d) => {
      d.frames[2]!.refcount = 2;
    });
    expect(migrcPending(twice)).toBe(0);
  });

  it('after a migration, src backs no page even if a reference keeps it allocated', () => {
    const s = recipe(w0, (d) => {
      d.frames[0]!.refcount = 3;
      d.frames[1] = {
        owner: { kind: 'anon', mm: 0, vpage: 0 },
        data: 0,
        refcount: 2,
        dirty: false,
        migrc: false,
      };
    });
    const n = recipe(s, (d) => migrate_folio_done(d, { mm: 0, vpage: 0, src: 0, dst: 1 }));
    expect(n.frames[0]).toMatchObject({ owner: { kind: 'unmapped' }, refcount: 2 });
    expect(n.frames[1]!.owner).toEqual({ kind: 'anon', mm: 0, vpage: 0 });
  });
});
