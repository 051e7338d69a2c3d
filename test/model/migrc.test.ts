// migrc's pieces (model/migrc.ts) one by one, on states built for each case: which system
// calls count as a flush pending, how generations are renumbered, when a folio is marked
// and when its flush folds back into tlb_ubc, when a source joins and a request is hung,
// whom the deferred flush reaches, and a context switch's local flush.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import {
  migrc_expand_req,
  migrc_mark_folios,
  migrc_req_end,
  migrc_try_flush_free_folios,
  migrc_unmap_done,
  migrc_unpend_folio,
} from '../../model/migrc.js';
import { flush_tlb_local, normaliseGens } from '../../model/migrc-gen.js';
import { mm_tlb_flush_pending } from '../../model/queries.js';
import type { BatchFolio, Job, State, TlbUbc } from '../../model/state.js';
import { initialState } from '../../model/state.js';
import type { MigrcPolicy } from '../../model/variant.js';
import { X86 } from '../../model/variant.js';
import { readOnly, variant, withTlb } from '../support.js';

const recipe = (s: State, f: (d: Draft<State>) => void): State => produce(s, f);
// two CPUs on mm 0, p0 in frame 0, frames 1 and 2 free
const tiny = initialState(CONFIGS['tiny-migrc']);
const v3: MigrcPolicy = variant('migrc').policy.migrc!;
const fixed: MigrcPolicy = variant('migrc-fixed').policy.migrc!;
const pending = (cpumask: number, writable = false): TlbUbc => ({ cpumask, flush_required: true, writable });
const nothing: TlbUbc = { cpumask: 0, flush_required: false, writable: false };
// task 0 migrating p0 from frame 0 to frame 1, at its first folio
const folio: BatchFolio = { mm: 0, vpage: 0, src: 0, dst: 1 };
const migrating = recipe(tiny, (d) => {
  d.tasks[0]!.job = 'migrate';
  d.tasks[0]!.folios = [folio];
});

describe('mm_tlb_flush_pending()', () => {
  /** Task 1 runs `job` on mm `mm` with a flush it has not done yet. */
  const withJob = (job: Job, mm = 0, flush = true) =>
    recipe(tiny, (d) => {
      d.tasks[1]!.job = job;
      d.tasks[1]!.folios = [{ mm, vpage: 0, src: 0, dst: -1 }];
      d.tasks[1]!.tlb_ubc = flush ? pending(0b11) : nothing;
    });

  it('is raised by a system call that changed a PTE of the mm and has not flushed', () => {
    for (const job of ['mprotect_ro', 'munmap', 'madvise_dontneed', 'clear_refs', 'mmap_fixed'] as const)
      expect(mm_tlb_flush_pending(withJob(job), 0), job).toBe(true);
  });

  it('not by one on another mm, nor by one that has flushed', () => {
    expect(mm_tlb_flush_pending(withJob('munmap', 1), 0)).toBe(false);
    expect(mm_tlb_flush_pending(withJob('munmap', 0, false), 0)).toBe(false);
  });

  it('not by reclaim or migration, whose deferred flush is tlb_ubc, not a PTE change of a system call', () => {
    for (const job of ['migrate', 'reclaim', 'idle'] as const)
      expect(mm_tlb_flush_pending(withJob(job), 0), job).toBe(false);
  });

  it('by fork() only when asked (dup_mmap() does not raise it)', () => {
    expect(mm_tlb_flush_pending(withJob('fork'), 0)).toBe(false);
    expect(mm_tlb_flush_pending(withJob('fork'), 0, true)).toBe(true);
  });
});

describe('normaliseGens()', () => {
  it('renumbers every generation by rank, keeping their order', () => {
    const spread = recipe(tiny, (d) => {
      d.migrc.gen = 9;
      d.cpus[0]!.migrc_done = 2;
      d.cpus[1]!.migrc_done = 9;
      d.migrc.reqs = [{ cpumask: 1, gen: 5, srcs: [0] }];
      d.tasks[0]!.mreq = { cpumask: 2, gen: 7, srcs: [] };
    });
    const n = recipe(spread, normaliseGens);
    expect(n.migrc.gen).toBe(3);
    expect(n.cpus.map((c) => c.migrc_done)).toEqual([0, 3]);
    expect(n.migrc.reqs[0]!.gen).toBe(1);
    expect(n.tasks[0]!.mreq!.gen).toBe(2);
    expect(n.tasks[1]!.mreq).toBeNull();
  });
});

describe('migrc_mark_folios()', () => {
  /** Task 0 has deferred `nowr` apart and `ubc` in tlb_ubc, building a request or not. */
  const deferred = (nowr: TlbUbc, ubc: TlbUbc = nothing, request = true, s = migrating) =>
    recipe(s, (d) => {
      d.tasks[0]!.tlb_ubc_nowr = nowr;
      d.tasks[0]!.tlb_ubc = ubc;
      if (request) d.tasks[0]!.mreq = { cpumask: 0, gen: 0, srcs: [] };
    });
  const mark = (s: State, p: MigrcPolicy = v3) => recipe(s, (d) => migrc_mark_folios(d, p, 0, folio));

  it('marks a folio whose read-only flush was kept apart: both PG_migrc, src referenced, its CPUs in the request', () => {
    const m = mark(deferred(pending(0b10)));
    expect(m.frames[0]).toMatchObject({ migrc: true, refcount: 2 });
    expect(m.frames[1]!.migrc).toBe(true);
    expect(m.tasks[0]!.mreq!.cpumask).toBe(0b10);
    expect(m.tasks[0]!.folios[0]!.marked).toBe(true);
    expect(m.tasks[0]!.tlb_ubc).toEqual(nothing);
    expect(m.tasks[0]!.tlb_ubc_nowr).toEqual(nothing);
  });

  it('does not take a reference when the policy frees src at once', () => {
    const early = variant('migrc-wrong-free-src-early').policy.migrc!;
    expect(mark(deferred(pending(0b10)), early).frames[0]).toMatchObject({ migrc: true, refcount: 1 });
  });

  /** The folio was not marked; its apart flush went back into tlb_ubc as `ubc`. */
  const notMarked = (m: State, ubc: TlbUbc) => {
    expect(m.frames[0]!.refcount).toBe(1);
    expect(m.frames[1]!.migrc).toBe(false);
    expect(m.tasks[0]!.folios[0]!.marked).toBeUndefined();
    expect(m.tasks[0]!.tlb_ubc).toEqual(ubc);
    expect(m.tasks[0]!.tlb_ubc_nowr).toEqual(nothing);
  };

  it('folds the flush back into tlb_ubc without a request (fold_ubc_nowr())', () =>
    notMarked(mark(deferred(pending(0b10), nothing, false)), pending(0b10)));

  it('marks nothing when nothing was kept apart', () => {
    const m = mark(deferred(nothing, pending(0b01)));
    notMarked(m, pending(0b01));
    expect(m.tasks[0]!.mreq!.cpumask).toBe(0);
  });

  it('folds masks, the flush and the writable bit together', () => {
    expect(mark(deferred(pending(0b10, true), pending(0b01), false)).tasks[0]!.tlb_ubc).toEqual(
      pending(0b11, true),
    );
    expect(mark(deferred(pending(0b10), pending(0b01, true), false)).tasks[0]!.tlb_ubc).toEqual(
      pending(0b11, true),
    );
    expect(mark(deferred(pending(0b10), nothing, false)).tasks[0]!.tlb_ubc.writable).toBe(false);
  });

  it('folds nothing into nothing without raising a flush', () =>
    expect(mark(deferred(nothing, nothing, false)).tasks[0]!.tlb_ubc).toEqual(nothing));

  it('does not mark a folio already under migrc (a second migration of a held dst)', () => {
    const held = recipe(deferred(pending(0b10)), (d) => {
      d.frames[0]!.migrc = true;
    });
    notMarked(mark(held), pending(0b10));
  });

  it('with checkFlushPending, not while a system call on the mm has a flush pending', () => {
    const mprotecting = recipe(deferred(pending(0b10)), (d) => {
      d.tasks[1]!.job = 'mprotect_ro';
      d.tasks[1]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: -1 }];
      d.tasks[1]!.tlb_ubc = pending(0b01);
    });
    notMarked(mark(mprotecting, fixed), pending(0b10));
    // v3 does not ask
    expect(mark(mprotecting, v3).tasks[0]!.folios[0]!.marked).toBe(true);
  });
});

describe('migrc_unmap_done()', () => {
  it('stamps the request with the next generation', () => {
    const s = recipe(migrating, (d) => {
      d.tasks[0]!.mreq = { cpumask: 1, gen: 0, srcs: [] };
      d.cpus[1]!.migrc_done = 1;
      d.migrc.gen = 1;
    });
    const n = recipe(s, (d) => migrc_unmap_done(d, null, 0));
    expect(n.migrc.gen).toBe(2);
    expect(n.tasks[0]!.mreq!.gen).toBe(2);
  });

  it('leaves the generation alone for a batch without a request', () =>
    expect(recipe(migrating, (d) => migrc_unmap_done(d, null, 0))).toEqual(migrating));
});

describe('migrc_expand_req()', () => {
  /** Task 0 builds a request; frames 0 (src) and 1 (dst) have PG_migrc as given. */
  const flagged = (srcFlag: boolean, dstFlag: boolean, marked?: boolean, request = true) =>
    recipe(migrating, (d) => {
      if (request) d.tasks[0]!.mreq = { cpumask: 1, gen: 1, srcs: [] };
      d.frames[0]!.migrc = srcFlag;
      d.frames[1]!.migrc = dstFlag;
      if (marked !== undefined) d.tasks[0]!.folios[0]!.marked = marked;
    });
  const expand = (s: State, p: MigrcPolicy = v3) =>
    recipe(s, (d) => migrc_expand_req(d, p, 0, s.tasks[0]!.folios[0]!));

  it('v3: a source whose pair both have PG_migrc joins the request and backs no page', () => {
    const n = expand(flagged(true, true));
    expect(n.tasks[0]!.mreq!.srcs).toEqual([0]);
    expect(n.frames[0]!.owner).toEqual({ kind: 'unmapped' });
  });

  it('v3: not if either flag is gone (a write fault unpended dst first)', () => {
    for (const [src, dst] of [
      [true, false],
      [false, true],
    ] as const)
      expect(expand(flagged(src, dst)).tasks[0]!.mreq!.srcs, `src ${src}, dst ${dst}`).toEqual([]);
  });

  it('rememberMarked: the batch decides, not the flags', () => {
    expect(expand(flagged(true, false, true), fixed).tasks[0]!.mreq!.srcs).toEqual([0]);
    expect(expand(flagged(true, true, false), fixed).tasks[0]!.mreq!.srcs).toEqual([]);
  });

  it('nothing without a request, or when src was not kept', () => {
    const noRequest = flagged(true, true, undefined, false);
    expect(expand(noRequest)).toEqual(noRequest);
    const early = variant('migrc-wrong-free-src-early').policy.migrc!;
    const s = flagged(true, true);
    expect(expand(s, early)).toEqual(s);
  });
});

describe('migrc_req_end()', () => {
  const building = (srcs: number[] | null) =>
    recipe(migrating, (d) => {
      d.tasks[0]!.mreq = srcs === null ? null : { cpumask: 0b10, gen: 1, srcs };
      d.migrc.gen = 1;
    });

  it('hangs a request with sources on the node and clears current->mreq', () => {
    const n = recipe(building([0]), (d) => migrc_req_end(d, null, 0));
    expect(n.migrc.reqs).toEqual([{ cpumask: 0b10, gen: 1, srcs: [0] }]);
    expect(n.tasks[0]!.mreq).toBeNull();
  });

  it('drops one without sources, and does nothing without one', () => {
    const n = recipe(building([]), (d) => migrc_req_end(d, null, 0));
    expect(n.migrc.reqs).toEqual([]);
    expect(n.tasks[0]!.mreq).toBeNull();
    const none = building(null);
    expect(recipe(none, (d) => migrc_req_end(d, null, 0))).toEqual(none);
  });
});

describe('migrc_try_flush_free_folios() and migrc_unpend_folio()', () => {
  // migrc holds frame 0 (gen 1) for CPUs 0 and 1, both of which cache p0 read-only
  const held = withTlb(
    withTlb(
      recipe(tiny, (d) => {
        d.frames[0] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: true };
        d.migrc = { gen: 1, reqs: [{ cpumask: 0b11, gen: 1, srcs: [0] }] };
      }),
      0,
      0,
      0,
      readOnly(0),
    ),
    1,
    0,
    0,
    readOnly(0),
  );
  const tryFlush = (s: State, p: MigrcPolicy = v3, cpu = 0) =>
    recipe(s, (d) => migrc_try_flush_free_folios(d, X86, p, cpu));
  const flushedSince = (cpu: number, done: number) =>
    recipe(held, (d) => {
      d.cpus[cpu]!.migrc_done = done;
    });

  it('flushes every CPU of the requests, frees their sources and empties the list', () => {
    const n = tryFlush(held);
    expect(n.cpus.map((c) => c.tlb[0])).toEqual([null, null]);
    expect(n.cost).toEqual({ ipis: 1, fullFlushes: 2, pageFlushes: 0 });
    expect(n.frames[0]!.owner).toEqual({ kind: 'free' });
    expect(n.migrc.reqs).toEqual([]);
  });

  it('flushes the CPUs of every request, not only the last', () => {
    const two = recipe(held, (d) => {
      d.frames[2] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: true };
      d.freeList = [1];
      d.migrc.reqs = [
        { cpumask: 0b10, gen: 1, srcs: [0] },
        { cpumask: 0b01, gen: 1, srcs: [2] },
      ];
    });
    const n = tryFlush(two);
    expect(n.cpus.map((c) => c.tlb[0])).toEqual([null, null]);
    expect(n.freeList).toEqual([0, 1, 2]);
  });

  it('skips a CPU whose last full flush read the request generation or a later one (arch_migrc_adj())', () => {
    const n = tryFlush(flushedSince(1, 1));
    expect(n.cpus[1]!.tlb[0]).toEqual(readOnly(0));
    expect(n.cpus[0]!.tlb[0]).toBeNull();
    expect(n.cost.ipis).toBe(0);
    expect(n.frames[0]!.owner).toEqual({ kind: 'free' });
  });

  it('but not one that flushed before the request was stamped, nor any without skipFlushedCpus', () => {
    expect(tryFlush(flushedSince(1, 0)).cpus[1]!.tlb[0]).toBeNull();
    const noSkip: MigrcPolicy = { ...v3, skipFlushedCpus: false };
    expect(tryFlush(flushedSince(1, 1), noSkip).cpus[1]!.tlb[0]).toBeNull();
  });

  it('does nothing with no request hung', () => {
    const empty = recipe(held, (d) => {
      d.migrc.reqs = [];
    });
    expect(tryFlush(empty)).toEqual(empty);
  });

  describe('a request still being built by a batch in flight', () => {
    const inFlight = (cpumask: number) =>
      recipe(held, (d) => {
        d.migrc.reqs = [];
        d.tasks[1]!.mreq = { cpumask, gen: 1, srcs: [] };
      });
    const covering: MigrcPolicy = { ...v3, flushInFlight: true };

    it('is flushed with flushInFlight, though it frees nothing yet', () => {
      const n = tryFlush(inFlight(0b10), covering);
      expect(n.cpus[1]!.tlb[0]).toBeNull();
      expect(n.cpus[0]!.tlb[0]).toEqual(readOnly(0));
      expect(n.tasks[1]!.mreq).toEqual({ cpumask: 0b10, gen: 1, srcs: [] });
    });

    it('is left out of a v3 flush of the hung requests', () => {
      const both = recipe(inFlight(0b10), (d) => {
        d.migrc.reqs = [{ cpumask: 0b01, gen: 1, srcs: [0] }];
      });
      const n = tryFlush(both);
      expect(n.cpus[0]!.tlb[0]).toBeNull();
      expect(n.cpus[1]!.tlb[0]).toEqual(readOnly(0));
      expect(tryFlush(both, covering).cpus[1]!.tlb[0]).toBeNull();
    });

    it('is left alone by v3, and there is nothing to flush while it has no CPU', () => {
      const s = inFlight(0b10);
      expect(tryFlush(s)).toEqual(s);
      const noCpu = inFlight(0);
      expect(tryFlush(noCpu, covering)).toEqual(noCpu);
    });
  });

  it('migrc_unpend_folio() clears PG_migrc and flushes', () => {
    const n = recipe(held, (d) => migrc_unpend_folio(d, X86, v3, 1, 0));
    expect(n.frames[0]!.migrc).toBe(false);
    expect(n.cpus[0]!.tlb[0]).toBeNull();
    expect(n.cost.ipis).toBe(1);
  });
});

describe('flush_tlb_local()', () => {
  it('empties the CPU’s TLB, counts one full flush and records the generation it read', () => {
    const s = recipe(withTlb(withTlb(tiny, 0, 0, 0, readOnly(0)), 1, 0, 0, readOnly(0)), (d) => {
      d.migrc.gen = 2;
      d.cpus[0]!.migrc_done = 1;
      d.cpus[1]!.migrc_done = 2;
      d.migrc.reqs = [{ cpumask: 1, gen: 1, srcs: [0] }];
    });
    const n = recipe(s, (d) => flush_tlb_local(d, null, 0));
    expect(n.cpus[0]!.tlb[0]).toBeNull();
    expect(n.cpus[1]!.tlb[0]).toEqual(readOnly(0));
    expect(n.cost).toEqual({ ipis: 0, fullFlushes: 1, pageFlushes: 0 });
    expect(n.cpus[0]!.migrc_done).toBe(n.migrc.gen);
    expect(n.cpus[1]!.migrc_done).toBe(n.migrc.gen);
  });
});
