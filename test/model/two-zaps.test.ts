// Per-call promises (issue 25 item 4, world two-zaps): what munmap(), MADV_DONTNEED and
// MAP_FIXED promise is checked at each call's own return, whatever other call on the page
// still runs. Judged per page, the data invariants exempt a page while any call discards
// it, which hides the anonymous form of the race 99baac21e458 (v4.13) fixed: a zap that
// finds the PTE already cleared by a racing zap returns before that zap's flush.

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS, configProblem, defineConfig } from '../../model/config.js';
import { initialState } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { explore } from '../../src/engine/explore.js';
import { replay } from '../../src/engine/trace.js';
import { finalState, kstep, load, run, store, variant } from '../support.js';

const world = CONFIGS['two-zaps'];
const perPage = defineConfig({ ...world, name: 'two-zaps-per-page', perCallPromises: false });
const bug = variant('madvise-v4.12-nested-flush-miss');
const today = variant('reclaim-batched-dirty');
const revoke = findInvariant('noAccessAfterRevoke')!;
const dontneed = (task: number): Action => ({
  op: 'syscall',
  task,
  call: 'madvise_dontneed',
  mm: 0,
  vpages: [0],
});
// CPU 0 caches the page; T0's zap clears the PTE and gathers its flush; T1's finds it none
const race: readonly Action[] = [load(0, 0), dontneed(0), kstep(0), dontneed(1), kstep(1), kstep(1)];

describe('a call that discards its page notes the frames it revokes', () => {
  it('the frames the page was in as it started, and none when it returns', () => {
    const s = finalState(today, initialState(world), [load(0, 0), dontneed(1)]);
    expect(s.tasks[1]!.revokes).toEqual([0]);
    expect(s.tasks[0]!.revokes).toEqual([]);
    const back = finalState(today, s, [kstep(1), kstep(1), kstep(1)]);
    expect(back.tasks[1]!.job).toBe('idle');
    expect(back.tasks[1]!.revokes).toEqual([]);
    // a page another zap has cleared, still cached: its frame is noted too
    const cleared = finalState(today, initialState(world), [load(0, 0), dontneed(0), kstep(0), dontneed(1)]);
    expect(cleared.mms[0]!.pte[0]!.kind).toBe('none');
    expect(cleared.tasks[1]!.revokes).toEqual([0]);
  });

  it('a frame allocated again leaves every note: its contents are new', () => {
    // T0 zaps and frees frame 0; CPU 1 faults a new page in, which gets frame 0 back
    const s = finalState(today, initialState(world), [load(1, 0), dontneed(1), kstep(1), kstep(1)]);
    const refault = finalState(today, s, [store(0, 0, 1)]);
    expect(refault.mms[0]!.pte[0]).toMatchObject({ kind: 'present', frame: 0 });
    expect(refault.tasks[1]!.revokes).toEqual([]);
  });

  it('is a config switch, refused in one line if not true or false', () => {
    expect(configProblem(world)).toBeNull();
    expect(configProblem({ ...world, perCallPromises: 'yes' as unknown as boolean })).toBe(
      'perCallPromises must be true or false',
    );
    expect(initialState(perPage).tasks[0]).not.toHaveProperty('revokes');
  });
});

describe('the v4.12 nested flush miss, anonymous (99baac21e458)', () => {
  it('returns from MADV_DONTNEED while CPU 0 still caches what it discarded', () => {
    const steps = run(bug, initialState(world), [...race, kstep(1)]);
    const last = steps.at(-1)!;
    expect(last.post.tasks[1]!.job).toBe('idle');
    expect(last.post.cpus[0]!.tlb[0]).toMatchObject({ frame: 0 });
    expect(revoke.check(last.post, last)?.message).toBe(
      'CPU 0 still caches page 0 in frame 0 when madvise(MADV_DONTNEED) returns: a load there reads what the call discarded',
    );
    // today's tlb_finish_mmu() sees the nested zap (mm_tlb_flush_nested()) and flushes
    const fixed = run(today, initialState(world), [...race, kstep(1)]).at(-1)!;
    expect(fixed.post.cpus[0]!.tlb[0]).toBeNull();
    expect(revoke.check(fixed.post, fixed)).toBeNull();
  });

  it('is found at its shortest by the explorer, judged per call', () => {
    const r = explore(bug, world, { invariants: [revoke] });
    expect(r.violation?.actions.length).toBe(7);
    expect(replay(bug, world, r.violation!.actions, { invariants: [revoke] }).violation).not.toBeNull();
  });

  it('judged per page, no invariant sees it: T0 flushes before the page is judged again', () => {
    const r = explore(bug, perPage, { maxStates: 100_000 });
    expect([r.complete, r.violation]).toEqual([true, null]);
  });
});
