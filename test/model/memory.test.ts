// The page allocator and fault helpers (model/memory.ts) and the read-only questions the
// steps and invariants ask of a state (model/queries.ts), one by one on states built for
// each case.

import { type Draft, produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { allocAnon, allocatableFrame, folio_put, freeFrameCount, reuseFrame } from '../../model/folio.js';
import { do_swap_page, do_wp_page } from '../../model/memory.js';
import { homeValue, isolatingTask, pageLive, popcount, residentFrame } from '../../model/queries.js';
import { FOREIGN_DATA, initialState, type Job, type State } from '../../model/state.js';
import { none, ownFrame, present, variant, withPte, withSwap } from '../support.js';

const recipe = (s: State, f: (d: Draft<State>) => void): State => produce(s, f);
// one mm of one page in frame 0; frames 1 and 2 free
const tiny = initialState(CONFIGS.tiny);
const lifo = initialState(CONFIGS['tiny-lifo']);

describe('the allocator', () => {
  it('hands out the head of the free list, and -1 with none free', () => {
    expect(allocatableFrame(tiny)).toBe(1);
    expect(freeFrameCount(tiny)).toBe(2);
    const full = recipe(tiny, (d) => {
      d.freeList = [];
    });
    expect(allocatableFrame(full)).toBe(-1);
    expect(freeFrameCount(full)).toBe(0);
  });

  it('allocAnon() takes the frame off the free list wherever it is, as a new folio not under migrc', () => {
    const s = recipe(tiny, (d) => {
      d.frames[2]!.migrc = true;
      allocAnon(d, 2, 0, 0, 7);
    });
    expect(s.freeList).toEqual([1]);
    expect(s.frames[2]).toEqual({
      owner: { kind: 'anon', mm: 0, vpage: 0 },
      data: 7,
      refcount: 1,
      dirty: false,
      migrc: false,
    });
    // a frame not on the list (the model's own re-use of a frame it holds) leaves the list alone
    expect(recipe(tiny, (d) => allocAnon(d, 0, 0, 0, 1)).freeList).toEqual([1, 2]);
  });

  describe('folio_put()', () => {
    const twice = recipe(tiny, (d) => {
      d.frames[0]!.refcount = 2;
      d.frames[0]!.dirty = true;
      d.frames[0]!.lazyfree = true;
    });

    it('drops a reference and frees nothing while one is left', () => {
      const s = recipe(twice, (d) => folio_put(d, 0));
      expect(s.frames[0]).toMatchObject({
        owner: { kind: 'anon' },
        refcount: 1,
        dirty: true,
        lazyfree: true,
      });
      expect(s.freeList).toEqual([1, 2]);
    });

    it('frees the frame at the last one: no owner, clean, not lazy, back on the list in order', () => {
      const s = recipe(tiny, (d) => {
        d.frames[0]!.dirty = true;
        d.frames[0]!.lazyfree = true;
        folio_put(d, 0);
      });
      expect(s.frames[0]).toEqual({
        owner: { kind: 'free' },
        data: 0,
        refcount: 0,
        dirty: false,
        migrc: false,
      });
      expect(s.freeList).toEqual([0, 1, 2]);
    });

    it('lowest-free keeps the list sorted: a freed frame goes before the first higher one, or last', () => {
      const middle = recipe(tiny, (d) => {
        d.frames[1] = { ...d.frames[0]!, refcount: 1 };
        d.freeList = [0, 2];
        folio_put(d, 1);
      });
      expect(middle.freeList).toEqual([0, 1, 2]);
      const last = recipe(tiny, (d) => {
        d.frames[2] = { ...d.frames[0]!, refcount: 1 };
        d.freeList = [0, 1];
        folio_put(d, 2);
      });
      expect(last.freeList).toEqual([0, 1, 2]);
    });

    it('lifo puts the freed frame first, where the next allocation takes it', () => {
      const s = recipe(lifo, (d) => folio_put(d, 0));
      expect(s.freeList).toEqual([0, 1, 2]);
      const later = recipe(
        recipe(lifo, (d) => {
          d.freeList = [1];
          d.frames[2] = { ...d.frames[0]!, refcount: 1 };
        }),
        (d) => folio_put(d, 2),
      );
      expect(later.freeList).toEqual([2, 1]);
    });
  });

  it('reuseFrame() gives a free frame to a page-cache page full of foreign data', () => {
    const s = recipe(tiny, (d) => reuseFrame(d, 2));
    expect(s.freeList).toEqual([1]);
    expect(s.frames[2]).toEqual({
      owner: { kind: 'file', file: 0, index: 2 },
      data: FOREIGN_DATA,
      refcount: 1,
      dirty: false,
      migrc: false,
    });
  });
});

describe('faults', () => {
  const swapped = withSwap(withPte(tiny, 0, 0, none), 0, 0, 5);

  it('do_swap_page() reads the swap copy into the frame and maps it writable under a writable VMA', () => {
    const s = recipe(swapped, (d) => do_swap_page(d, 0, 0, 1));
    expect(s.frames[1]).toMatchObject({ owner: { kind: 'anon', mm: 0, vpage: 0 }, data: 5, refcount: 1 });
    expect(s.mms[0]!.pte[0]).toEqual({
      kind: 'present',
      frame: 1,
      writable: true,
      dirty: false,
      accessed: true,
    });
  });

  it('do_swap_page() maps it read-only under a read-only VMA', () => {
    const ro = recipe(swapped, (d) => {
      d.mms[0]!.vma[0] = 'ro';
    });
    expect(recipe(ro, (d) => do_swap_page(d, 0, 0, 1)).mms[0]!.pte[0]).toMatchObject({ writable: false });
  });

  it('do_wp_page() makes the PTE writable, dirty and young', () => {
    const wp = withPte(tiny, 0, 0, {
      kind: 'present',
      frame: 0,
      writable: false,
      dirty: false,
      accessed: false,
    });
    const s = recipe(wp, (d) => do_wp_page(d, variant('sync').policy, 0, 0, 0));
    expect(s.mms[0]!.pte[0]).toEqual({
      kind: 'present',
      frame: 0,
      writable: true,
      dirty: true,
      accessed: true,
    });
  });

  it('do_wp_page() leaves a PTE that is not present alone', () => {
    // a migration entry for a PG_migrc folio: neither made writable nor unpended
    const entry = recipe(
      withPte(tiny, 0, 0, { kind: 'migration', frame: 0, writable: false, dirty: false }),
      (d) => {
        d.frames[0]!.migrc = true;
      },
    );
    expect(recipe(entry, (d) => do_wp_page(d, variant('migrc').policy, 0, 0, 0))).toEqual(entry);
  });

  describe('do_wp_page() on a PG_migrc folio', () => {
    // migrc holds frame 1 (the old copy) for CPU 1, and p0's folio in frame 0 is PG_migrc
    const holding = recipe(withPte(tiny, 0, 0, present(0, false)), (d) => {
      d.frames[0]!.migrc = true;
      d.frames[1] = { owner: { kind: 'unmapped' }, data: 0, refcount: 1, dirty: false, migrc: true };
      d.freeList = [2];
      d.migrc.reqs = [{ cpumask: 0b10, gen: 1, srcs: [1] }];
      d.migrc.gen = 1;
    });

    it('flushes and frees what migrc holds first, where wpFaultFlush says so', () => {
      const s = recipe(holding, (d) => do_wp_page(d, variant('migrc').policy, 0, 0, 0));
      expect(s.frames[0]!.migrc).toBe(false);
      expect(s.frames[1]!.owner).toEqual({ kind: 'free' });
      expect(s.migrc.reqs).toEqual([]);
    });

    it('not without wpFaultFlush, nor for a folio not under migrc', () => {
      const noFlush = variant('migrc-wrong-no-wp-fault-flush').policy;
      expect(recipe(holding, (d) => do_wp_page(d, noFlush, 0, 0, 0)).migrc.reqs).toHaveLength(1);
      const plain = recipe(holding, (d) => {
        d.frames[0]!.migrc = false;
      });
      expect(recipe(plain, (d) => do_wp_page(d, variant('migrc').policy, 0, 0, 0)).migrc.reqs).toHaveLength(
        1,
      );
    });
  });
});

describe('queries', () => {
  it('residentFrame(): the frame the PTE or migration entry names, else the swap-cache folio, else -1', () => {
    expect(residentFrame(tiny, 0, 0)).toBe(0);
    const entry = withPte(tiny, 0, 0, { kind: 'migration', frame: 0, writable: true, dirty: false });
    expect(residentFrame(entry, 0, 0)).toBe(0);
    // reclaim cleared the PTE; the folio is still in the swap cache (frame 2)
    const cached = ownFrame(
      withPte(
        recipe(tiny, (d) => folio_put(d, 0)),
        0,
        0,
        none,
      ),
      2,
      0,
      0,
      3,
    );
    expect(residentFrame(cached, 0, 0)).toBe(2);
    expect(residentFrame(withPte(tiny, 0, 0, none), 0, 0)).toBe(0);
    const gone = withPte(
      recipe(tiny, (d) => folio_put(d, 0)),
      0,
      0,
      none,
    );
    expect(residentFrame(gone, 0, 0)).toBe(-1);
  });

  it('residentFrame() does not take a folio of another page or of another mm', () => {
    const two = initialState(CONFIGS['two-mms']);
    // mm 1's p0 is in swap only; mm 0's p0 and p1 stay resident
    const s = withPte(
      recipe(two, (d) => {
        const f = d.frames.findIndex(
          (x) => x.owner.kind === 'anon' && x.owner.mm === 1 && x.owner.vpage === 0,
        );
        folio_put(d, f);
      }),
      1,
      0,
      none,
    );
    expect(residentFrame(s, 1, 0)).toBe(-1);
  });

  it('homeValue(): the resident frame’s data, else the swap copy', () => {
    expect(
      homeValue(
        recipe(tiny, (d) => {
          d.frames[0]!.data = 4;
        }),
        0,
        0,
      ),
    ).toBe(4);
    const gone = withSwap(
      withPte(
        recipe(tiny, (d) => folio_put(d, 0)),
        0,
        0,
        none,
      ),
      0,
      0,
      6,
    );
    expect(homeValue(gone, 0, 0)).toBe(6);
  });

  it('isolatingTask(): the task whose batch holds the frame as src or dst, not one whose copy failed', () => {
    const s = recipe(initialState(CONFIGS['tiny-migrc']), (d) => {
      d.tasks[1]!.job = 'migrate';
      d.tasks[1]!.folios = [{ mm: 0, vpage: 0, src: 0, dst: 2 }];
    });
    expect(isolatingTask(s, 0)).toBe(1);
    expect(isolatingTask(s, 2)).toBe(1);
    expect(isolatingTask(s, 1)).toBe(-1);
    const failed = recipe(s, (d) => {
      d.tasks[1]!.folios[0]!.failed = true;
    });
    expect(isolatingTask(failed, 0)).toBe(-1);
  });

  it('popcount() counts the bits of a mask', () => {
    expect([0, 1, 2, 3, 0b1011, 0xff].map(popcount)).toEqual([0, 1, 1, 2, 3, 8]);
  });

  describe('pageLive()', () => {
    it('is true for a mapped page no call is discarding', () => expect(pageLive(tiny, 0, 0)).toBe(true));

    it('is false once unmapped, or promised unmapped, or lazily freed', () => {
      expect(
        pageLive(
          recipe(tiny, (d) => {
            d.mms[0]!.vma[0] = 'none';
          }),
          0,
          0,
        ),
      ).toBe(false);
      expect(
        pageLive(
          recipe(tiny, (d) => {
            d.ghost.promised[0]![0] = 'none';
          }),
          0,
          0,
        ),
      ).toBe(false);
      expect(
        pageLive(
          recipe(tiny, (d) => {
            d.ghost.lazy[0]![0] = true;
          }),
          0,
          0,
        ),
      ).toBe(false);
    });

    const inCall = (job: Job, mm = 0) =>
      recipe(tiny, (d) => {
        d.tasks[0]!.job = job;
        d.tasks[0]!.folios = [{ mm, vpage: 0, src: -1, dst: -1 }];
      });

    it('is false while a call that discards it is in progress', () => {
      for (const job of ['munmap', 'madvise_dontneed', 'mmap_fixed', 'madvise_free'] as const)
        expect(pageLive(inCall(job), 0, 0), job).toBe(false);
    });

    it('but not for a call that keeps the contents, nor one on another page', () => {
      for (const job of ['mprotect_ro', 'clear_refs', 'fork', 'migrate', 'reclaim'] as const)
        expect(pageLive(inCall(job), 0, 0), job).toBe(true);
      expect(pageLive(inCall('munmap', 1), 0, 0)).toBe(true);
    });

    it('is false for each page of a range being discarded, and true for the pages outside it', () => {
      // small: two pages; munmap() of p0 and p1, and then of p1 alone
      const small = initialState(CONFIGS.small);
      const unmapping = (vpages: number[]) =>
        recipe(small, (d) => {
          d.tasks[0]!.job = 'munmap';
          d.tasks[0]!.folios = vpages.map((vpage) => ({ mm: 0, vpage, src: -1, dst: -1 }));
        });
      expect([0, 1].map((v) => pageLive(unmapping([0, 1]), 0, v))).toEqual([false, false]);
      expect([0, 1].map((v) => pageLive(unmapping([1]), 0, v))).toEqual([true, false]);
    });
  });
});
