// The liveness engine's exact state ids (src/engine/state-ids.ts): one id per distinct
// encoding, in the order first seen, across growth, and never one id for two encodings,
// even when their hashes meet in the table.

import { describe, expect, it } from 'vitest';
import { StateIds } from '../../src/engine/state-ids.js';
import { rng } from '../../src/engine/swarm.js';
import { fingerprint } from '../../src/engine/visited.js';

/** A state of `words` words from a small alphabet, so that many repeat. */
function draw(next: () => number, words: number): Uint32Array {
  const w = new Uint32Array(words);
  for (let i = 0; i < words; i++) w[i] = Math.floor(next() * 3) * 0x01010101;
  return w;
}

describe('StateIds', () => {
  it('gives each distinct encoding one id, in first-seen order, as a Map of the bytes does, across growth', () => {
    const next = rng(7);
    const ids = new StateIds(5, 4);
    const oracle = new Map<string, number>();
    for (let n = 0; n < 20_000; n++) {
      const w = draw(next, 5);
      const key = w.join(',');
      const expected = oracle.get(key) ?? oracle.size;
      oracle.set(key, expected);
      expect(ids.intern(w, Number.POSITIVE_INFINITY)).toBe(expected);
    }
    expect(ids.count).toBe(oracle.size);
    expect(ids.count).toBeGreaterThan(200);
    // each id's bytes are the encoding it was given
    const view = new Uint32Array(ids.bytes().buffer);
    for (const [key, id] of oracle) expect(view.subarray(id * 5, id * 5 + 5).join(','), key).toBe(key);
  });

  it('confirms a hash hit word by word: encodings that hash alike keep their own ids', () => {
    // A table of 8 slots masks the hash to 3 bits: 64 states must share slots.
    const ids = new StateIds(1, 4);
    for (let v = 0; v < 64; v++) expect(ids.intern(Uint32Array.of(v), 1_000)).toBe(v);
    for (let v = 63; v >= 0; v--) expect(ids.intern(Uint32Array.of(v), 1_000)).toBe(v);
    // (0, 3059) and (26, 1935) have the same 32-bit hash (found by search over pairs)
    const pair = new StateIds(2);
    const a = Uint32Array.of(0, 3059);
    const b = Uint32Array.of(26, 1935);
    const fa = new Uint32Array(2);
    const fb = new Uint32Array(2);
    fingerprint(a, 2, fa);
    fingerprint(b, 2, fb);
    expect(fa[0]).toBe(fb[0]);
    expect(pair.intern(a, 10)).toBe(0);
    expect(pair.intern(b, 10)).toBe(1);
    expect(pair.intern(a, 10)).toBe(0);
  });

  it('refuses a new state at the limit, but still finds the ones it holds', () => {
    const ids = new StateIds(2, 4);
    expect(ids.intern(Uint32Array.of(1, 2), 2)).toBe(0);
    expect(ids.intern(Uint32Array.of(3, 4), 2)).toBe(1);
    expect(ids.intern(Uint32Array.of(5, 6), 2)).toBe(-1);
    expect(ids.intern(Uint32Array.of(3, 4), 2)).toBe(1);
    expect(ids.count).toBe(2);
  });
});
