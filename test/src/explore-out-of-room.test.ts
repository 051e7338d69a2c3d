// A search whose queue or visited set would outgrow one typed array (V8 caps them at 2^32
// elements; a 4.3 GB queue was seen on syscalls-two-ptls) ends like the memory budget: a
// partial verdict, never a RangeError. Here the cap is lowered so that small reaches it.

import { describe, expect, it, vi } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { exploreParallel } from '../../src/engine/explore-parallel.js';
import { allocate, OutOfRoom } from '../../src/engine/visited.js';
import { variant } from '../support.js';

vi.mock('../../src/engine/visited.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/visited.js')>();
  return {
    ...real,
    // the queue's first doubling (past 4096 records) or the visited set's first growth
    // (past 2^16 slots of two words) passes this
    allocate: <T>(Ctor: new (n: number) => T, length: number): T => {
      if (length > 2 ** 17) throw new real.OutOfRoom(`${length} elements is more than this test allows`);
      return real.allocate(Ctor, length);
    },
  };
});

describe('a search that outgrows its arrays', () => {
  it('stops with the memory budget and a partial verdict', () => {
    const r = explore(variant('migrate-batched'), CONFIGS.small);
    expect(r.stoppedBy).toBe('memory');
    expect(r.complete).toBe(false);
    expect(r.violation).toBeNull();
    // it searched up to the first growth
    expect(r.distinct).toBeGreaterThanOrEqual(4096);
  });

  it('the parallel explorer stops the same way, its workers ended', () => {
    const r = exploreParallel(variant('migrate-batched'), CONFIGS.small, { workers: 2 });
    expect([r.stoppedBy, r.complete, r.violation]).toEqual(['memory', false, null]);
    expect(r.distinct).toBeGreaterThan(1000);
  });

  it('allocate refuses a length past the cap with OutOfRoom, not a RangeError', () => {
    expect(() => allocate(Uint8Array, 2 ** 18)).toThrow(OutOfRoom);
  });
});
