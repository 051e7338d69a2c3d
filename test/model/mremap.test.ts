// mremap() (issue 25 item 3): move_ptes() moves a page's PTE under both PTLs; when it
// flushes the old address decides whether reclaim or migration, finding the folio at its
// new address, can free it under a CPU that still reaches it through the old one
// (eb66ae030829, CVE-2018-18281; 5d1904204c99).

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, type Config, configProblem, defineConfig } from '../../model/config.js';
import { tlbLookup } from '../../model/hardware.js';
import { homeValue, pageLive } from '../../model/queries.js';
import { initialState, type State } from '../../model/state.js';
import { findInvariant } from '../../properties/invariants.js';
import { describeStep } from '../../src/codec/format.js';
import { explore } from '../../src/engine/explore.js';
import {
  derived,
  drain,
  finalState,
  kstep,
  load,
  recordedStates,
  shrink,
  store,
  variant,
} from '../support.js';

const world = CONFIGS.mremap;
const fixed = variant('mremap');
const v418 = variant('mremap-v4.18-clean-flush-after-unlock');
const v48 = variant('mremap-v4.8-flush-after-unlock');
const move = (from: number, to: number): Action => ({
  op: 'syscall',
  task: 1,
  call: 'mremap',
  mm: 0,
  vpages: [from, to],
});
const only = (id: string) => [findInvariant(id)!];
// (the world's one mm)
const entry = (s: State, cpu: number, vpage: number) => tlbLookup(s, cpu, 0, vpage);

describe('the mremap world', () => {
  it('starts with page 1 a hole: no VMA, no PTE, no frame', () => {
    const s = initialState(world);
    expect(s.mms[0]!.vma).toEqual(['rw', 'none']);
    expect(s.mms[0]!.pte[1]).toEqual({ kind: 'none' });
    expect(s.frames.map((f) => f.owner.kind)).toEqual(['anon', 'free']);
    expect(s.freeList).toEqual([1]);
  });

  it('rejects holes it cannot model, and mremap outside anonymous memory, in one line each', () => {
    expect(configProblem({ ...world, holes: [2] })).toBe('holes must be a list of pages from 0 to 1');
    expect(configProblem({ ...world, holes: [0, 1] })).toBe(
      'holes must name each page once and leave one mapped',
    );
    expect(configProblem({ ...CONFIGS['tiny-shared-file'], syscalls: ['mremap'] })).toBe(
      'mremap is modelled for anonymous memory only: not with sharedFile or forkChild',
    );
  });

  it('offers a move from a mapped page onto an unmapped one only', () => {
    const s = initialState(world);
    expect(enabled(fixed, s, move(0, 1))).toBe(true);
    expect(enabled(fixed, s, move(1, 0))).toBe(false);
    const moved = finalState(fixed, s, [move(0, 1), kstep(1), kstep(1)]);
    expect(moved.tasks[1]!.job).toBe('idle');
    expect(enabled(fixed, moved, move(1, 0))).toBe(true);
    expect(enabled(fixed, moved, move(0, 1))).toBe(false);
    expect(describeStep(fixed, s, move(0, 1))).toContain(
      'mremap(p0, 1 page, MREMAP_MAYMOVE|MREMAP_FIXED, p1)',
    );
  });
});

describe('move_ptes()', () => {
  it('moves the PTE, the folio and the batch that holds it to the new address', () => {
    // reclaim on CPU 0 unmaps page 0 (its folio in the swap cache) and has yet to free it
    const s0 = finalState(fixed, initialState(world), [shrink(0, 0, [0]), kstep(0)]);
    expect(s0.mms[0]!.pte[0]!.kind).toBe('none');
    const s = finalState(fixed, s0, [move(0, 1), kstep(1)]);
    expect(s.mms[0]!.pte[1]!.kind).toBe('none');
    expect(s.frames[0]!.owner).toMatchObject({ kind: 'anon', mm: 0, vpage: 1 });
    expect(s.tasks[0]!.folios[0]).toMatchObject({ mm: 0, vpage: 1, src: 0 });
    // reclaim finishes at the new address: the page is in swap there
    const done = drain(fixed, drain(fixed, s, 1), 0);
    expect(done.tasks.map((t) => t.job)).toEqual(['idle', 'idle']);
    expect(homeValue(done, 0, 1)).toBe(0);
    expect(pageLive(done, 0, 1)).toBe(true);
    expect(pageLive(done, 0, 0)).toBe(false);
  });

  it('today flushes the old address under the PTLs; v4.18 leaves a clean entry for a step after', () => {
    const cached = finalState(fixed, initialState(world), [load(0, 0), move(0, 1)]);
    expect(entry(cached, 0, 0)).not.toBeNull();
    expect(entry(finalState(fixed, cached, [kstep(1)]), 0, 0)).toBeNull();
    const late = finalState(v418, cached, [kstep(1)]);
    expect(entry(late, 0, 0)).not.toBeNull();
    expect(describeStep(v418, late, kstep(1))).toBe('flush_tlb_range');
    expect(entry(finalState(v418, late, [kstep(1)]), 0, 0)).toBeNull();
  });

  it('v4.18 flushes a dirty entry in move_ptes() only where both addresses share one PTL', () => {
    const dirty: Action[] = [store(0, 0, 1), move(0, 1), kstep(1)];
    expect(entry(finalState(v418, initialState(world), dirty), 0, 0)).toBeNull();
    expect(entry(finalState(v48, initialState(world), dirty), 0, 0)).not.toBeNull();
    const twoPtls: Config = defineConfig({ ...world, name: 'mremap-two-ptls', ptesPerTable: 1 });
    expect(entry(finalState(v418, initialState(twoPtls), dirty), 0, 0)).not.toBeNull();
  });

  it('a store through the old entry before the flush is the page’s at its new address', () => {
    const s = finalState(v48, initialState(world), [store(0, 0, 1), move(0, 1), kstep(1), store(0, 0, 2)]);
    expect(s.ghost.memory[0]![1]).toBe(2);
    expect(homeValue(s, 0, 1)).toBe(2);
    const returned = finalState(v48, s, [kstep(1), kstep(1)]);
    expect(returned.tasks[1]!.job).toBe('idle');
    expect(returned.ghost.promised[0]).toEqual(['none', 'rw']);
  });
});

describe('the catalogue in the mremap world', () => {
  it('the fixed protocol holds, its window opened and a moved folio migrated', () => {
    const r = explore(fixed, world);
    expect([r.complete, r.violation]).toEqual([true, null]);
    expect(r.distinct).toBe(recordedStates('mremap', 'mremap'));
    expect(r.targetsHit).toEqual(
      expect.arrayContaining(['cachedPageMoved', 'pageMigrated', 'pageReclaimed']),
    );
  });

  it('CVE-2018-18281: a migration frees the folio while the old address is still cached', () => {
    const r = explore(v418, world, { invariants: only('noAccessToFreedFrame') });
    expect(r.violation?.invariant.id).toBe('noAccessToFreedFrame');
    expect(r.violation?.actions.map((a) => a.op)).toContain('migrate_pages');
    // a clean entry cannot write: the store re-walks, finds the old PTE gone and faults
    expect(explore(v418, world, { invariants: only('noLostWrite') }).violation).toBeNull();
  });

  it('before v4.9 a dirty entry to the old address loses a store the migration copied past', () => {
    expect(explore(v48, world, { invariants: only('noLostWrite') }).violation?.invariant.id).toBe(
      'noLostWrite',
    );
  });

  // (a batched migration masking both bugs on x86, v6.3 on: mremap.full.test.ts)

  it('without flush_tlb_batched_pending() in move_ptes() (before 3ea277194daa) a flush reclaim deferred outlives the call', () => {
    // reclaim clears the PTE and defers its flush; mremap() moves nothing present, so it
    // flushes nothing, and returns while CPU 0 still reaches the page at its old address
    const noPending = derived('mremap-no-batched-pending', fixed, { flushBatchedPending: false });
    const r = explore(noPending, world, { invariants: only('noAccessAfterRevoke') });
    expect(r.violation?.actions.map((a) => a.op)).toEqual([
      'load',
      'shrink_folio_list',
      'kernelStep',
      'syscall',
      'kernelStep',
      'kernelStep',
      'load',
    ]);
    expect(explore(fixed, world, { invariants: only('noAccessAfterRevoke') }).violation).toBeNull();
  });
});
