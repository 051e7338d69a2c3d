// initialState(): what every search and every test starts from. Page i of mm m is backed by
// frame m*pages+i, resident, mapped writable, clean and not young; the other frames are free
// and clean; each mm's cpumask is the CPUs that run it.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { unreachable } from '../../model/exhaustive.js';
import { initialState } from '../../model/state.js';

describe('initialState()', () => {
  it('backs page i of mm m with frame m*pages+i, mapped writable, clean and not young', () => {
    const c = { ...CONFIGS['two-mms'], pages: 2, frames: 5 };
    const s = initialState(c);
    expect(s.mms.map((mm) => mm.pte.map((p) => (p.kind === 'present' ? p.frame : -1)))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    for (const mm of s.mms)
      for (const p of mm.pte)
        expect(p).toMatchObject({ kind: 'present', writable: true, dirty: false, accessed: false });
    expect(s.frames.slice(0, 4).map((f) => f.owner)).toEqual([
      { kind: 'anon', mm: 0, vpage: 0 },
      { kind: 'anon', mm: 0, vpage: 1 },
      { kind: 'anon', mm: 1, vpage: 0 },
      { kind: 'anon', mm: 1, vpage: 1 },
    ]);
    expect(s.frames[4]).toEqual({
      owner: { kind: 'free' },
      data: 0,
      refcount: 0,
      dirty: false,
      migrc: false,
    });
    expect(s.frames.every((f) => !f.dirty && !f.migrc)).toBe(true);
    expect(s.freeList).toEqual([4]);
  });

  it('gives each mm the CPUs that run it as its mm_cpumask', () => {
    // two-mms: CPU 0 runs mm 0, CPU 1 runs mm 1
    expect(initialState(CONFIGS['two-mms']).mms.map((m) => m.mm_cpumask)).toEqual([0b01, 0b10]);
    expect(initialState(CONFIGS.small).mms.map((m) => m.mm_cpumask)).toEqual([0b11]);
  });
});

it('unreachable() throws, naming the value no case took', () => {
  expect(() => unreachable('mystery' as never)).toThrow('unreachable: "mystery"');
});
