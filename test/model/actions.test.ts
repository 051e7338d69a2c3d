import { describe, expect, it } from 'vitest';
import { type Action, enabled, next } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { allActions, batches, enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import { variant } from '../support.js';

const sync = variant('sync');
const migrateBatched = variant('migrate-batched');

/** A few reachable states of small under migrate-batched: mid-batch, with stale entries. */
function reachable(): State[] {
  const path: Action[] = [
    { op: 'load', cpu: 1, vpage: 0 },
    { op: 'store', cpu: 1, vpage: 1, value: 2 },
    { op: 'migrate_pages', task: 0, mm: 0, vpages: [0, 1] },
    { op: 'kernelStep', task: 0 },
    { op: 'kernelStep', task: 0 },
    { op: 'kernelStep', task: 0 },
    { op: 'kernelStep', task: 0 },
  ];
  const out = [initialState(CONFIGS.small)];
  for (const a of path) out.push(next(migrateBatched, out[out.length - 1]!, a));
  return out;
}

/** Every nested object and array of `x` is frozen. */
function deeplyFrozen(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return true;
  return Object.isFrozen(x) && Object.values(x).every(deeplyFrozen);
}

describe('next', () => {
  const states = reachable();

  it('is deterministic: the same state and action give deep-equal successors', () => {
    let count = 0;
    for (const s of states)
      for (const a of enabledActions(migrateBatched, CONFIGS.small, s)) {
        expect(next(migrateBatched, s, a)).toEqual(next(migrateBatched, structuredClone(s), a));
        count += 1;
      }
    expect(count).toBeGreaterThan(20);
  });

  it('does not mutate its input', () => {
    const s = initialState(CONFIGS.small);
    const before = structuredClone(s);
    for (const a of enabledActions(migrateBatched, CONFIGS.small, s)) {
      const after = next(migrateBatched, s, a);
      expect(after).not.toEqual(before);
    }
    expect(s).toEqual(before);
    for (const mid of states) {
      const copy = structuredClone(mid);
      for (const a of enabledActions(migrateBatched, CONFIGS.small, mid)) next(migrateBatched, mid, a);
      expect(mid).toEqual(copy);
    }
  });

  it('returns a deeply frozen state', () => {
    for (const s of states.slice(1)) {
      expect(Object.isFrozen(s)).toBe(true);
      expect(deeplyFrozen(s)).toBe(true);
    }
    const after = next(sync, initialState(CONFIGS.tiny), { op: 'store', cpu: 0, vpage: 0, value: 1 });
    expect(Object.isFrozen(after.cpus[0]!.tlb)).toBe(true);
    expect(Object.isFrozen(after.frames[0])).toBe(true);
    expect(() => {
      (after.frames[0] as { data: number }).data = 2;
    }).toThrow(TypeError);
  });

  it('shares the parts an action does not touch', () => {
    const s = states[1]!;
    const after = next(migrateBatched, s, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 });
    expect(after.mms).toBe(s.mms);
    expect(after.frames).toBe(s.frames);
    expect(after.cpus[0]).toBe(s.cpus[0]);
    expect(after.cpus[1]).not.toBe(s.cpus[1]);
  });

  it('throws on an access that must wait', () => {
    const s = states[4]!; // both folios carry migration entries
    expect(s.mms[0]!.pte[0]!.kind).toBe('migration');
    expect(() => next(migrateBatched, s, { op: 'load', cpu: 0, vpage: 0 })).toThrow(/disabled access/);
  });
});

describe('enabled', () => {
  const tiny = initialState(CONFIGS.tiny);
  const small = initialState(CONFIGS.small);
  const ok = (s: State, a: Action) => enabled(sync, s, a);

  it('rejects a load or store on an out-of-range cpu or vpage', () => {
    expect(ok(tiny, { op: 'load', cpu: 1, vpage: 0 })).toBe(true);
    for (const [cpu, vpage] of [
      [2, 0],
      [-1, 0],
      [0.5, 0],
      [0, 1],
      [0, -1],
      [0, Number.NaN],
    ] as const) {
      expect(ok(tiny, { op: 'load', cpu, vpage }), `load cpu ${cpu} vpage ${vpage}`).toBe(false);
      expect(ok(tiny, { op: 'store', cpu, vpage, value: 1 }), `store cpu ${cpu} vpage ${vpage}`).toBe(false);
    }
  });

  it('rejects a store of a value outside 1..255', () => {
    expect(ok(tiny, { op: 'store', cpu: 0, vpage: 0, value: 1 })).toBe(true);
    expect(ok(tiny, { op: 'store', cpu: 0, vpage: 0, value: 255 })).toBe(true);
    for (const value of [0, -1, 256, 1.5])
      expect(ok(tiny, { op: 'store', cpu: 0, vpage: 0, value }), `value ${value}`).toBe(false);
  });

  it('rejects tlbEvict outside the TLB', () => {
    const s = next(sync, tiny, { op: 'load', cpu: 1, vpage: 0 });
    expect(ok(s, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 })).toBe(true);
    expect(ok(s, { op: 'tlbEvict', cpu: 2, mm: 0, vpage: 0 })).toBe(false);
    expect(ok(s, { op: 'tlbEvict', cpu: 1, mm: 1, vpage: 0 })).toBe(false);
    expect(ok(s, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 1 })).toBe(false);
    expect(ok(s, { op: 'tlbEvict', cpu: 1, mm: -1, vpage: 0 })).toBe(false);
  });

  it('rejects reuseFrame of an out-of-range or allocated frame', () => {
    expect(ok(tiny, { op: 'reuseFrame', frame: 2 })).toBe(true);
    for (const frame of [0, 3, -1, 1.5])
      expect(ok(tiny, { op: 'reuseFrame', frame }), `frame ${frame}`).toBe(false);
  });

  it('rejects kernelStep for a task out of range or idle', () => {
    const busy = next(sync, tiny, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] });
    expect(ok(busy, { op: 'kernelStep', task: 0 })).toBe(true);
    expect(ok(tiny, { op: 'kernelStep', task: 0 })).toBe(false);
    for (const task of [1, -1, 0.5]) expect(ok(busy, { op: 'kernelStep', task }), `task ${task}`).toBe(false);
  });

  it('rejects a batch with an out-of-range task, mm or vpage', () => {
    for (const op of ['migrate_pages', 'shrink_folio_list'] as const) {
      expect(ok(small, { op, task: 0, mm: 0, vpages: [0, 1] })).toBe(true);
      expect(ok(small, { op, task: 1, mm: 0, vpages: [0] }), `${op} task 1`).toBe(false);
      expect(ok(small, { op, task: -1, mm: 0, vpages: [0] }), `${op} task -1`).toBe(false);
      expect(ok(small, { op, task: 0, mm: 1, vpages: [0] }), `${op} mm 1`).toBe(false);
      expect(ok(small, { op, task: 0, mm: 0, vpages: [2] }), `${op} vpage 2`).toBe(false);
      expect(ok(small, { op, task: 0, mm: 0, vpages: [-1] }), `${op} vpage -1`).toBe(false);
      expect(ok(small, { op, task: 0, mm: 0, vpages: [0, 0.5] }), `${op} vpage 0.5`).toBe(false);
    }
  });

  it('rejects an empty or duplicated batch page list', () => {
    for (const op of ['migrate_pages', 'shrink_folio_list'] as const) {
      expect(ok(small, { op, task: 0, mm: 0, vpages: [] }), `${op} []`).toBe(false);
      expect(ok(small, { op, task: 0, mm: 0, vpages: [1, 1] }), `${op} [1, 1]`).toBe(false);
    }
  });

  it('rejects a batch of a page that is not present', () => {
    let s = next(sync, tiny, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] });
    s = next(sync, s, { op: 'kernelStep', task: 0 }); // try_to_unmap_one
    s = next(sync, s, { op: 'kernelStep', task: 0 }); // free_unref_folios
    expect(s.tasks[0]!.job).toBe('idle');
    expect(s.mms[0]!.pte[0]!.kind).toBe('none');
    expect(ok(s, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] })).toBe(false);
    expect(ok(s, { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] })).toBe(false);
  });

  it('rejects a job the variant has no policy for', () => {
    const reclaimOnly = { ...sync, policy: { ...sync.policy, migrate: null } };
    expect(enabled(reclaimOnly, small, { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] })).toBe(false);
    expect(enabled(reclaimOnly, small, { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] })).toBe(true);
  });
});

describe('enabledActions', () => {
  it('lists the initial actions of tiny in a fixed order', () => {
    expect(enabledActions(sync, CONFIGS.tiny, initialState(CONFIGS.tiny))).toEqual([
      { op: 'load', cpu: 0, vpage: 0 },
      { op: 'store', cpu: 0, vpage: 0, value: 1 },
      { op: 'store', cpu: 0, vpage: 0, value: 2 },
      { op: 'load', cpu: 1, vpage: 0 },
      { op: 'store', cpu: 1, vpage: 0, value: 1 },
      { op: 'store', cpu: 1, vpage: 0, value: 2 },
      { op: 'reuseFrame', frame: 1 },
      { op: 'reuseFrame', frame: 2 },
      { op: 'migrate_pages', task: 0, mm: 0, vpages: [0] },
      { op: 'shrink_folio_list', task: 0, mm: 0, vpages: [0] },
    ]);
  });

  it('gives the same list for equal states, in the order of allActions', () => {
    for (const v of VARIANTS) {
      const universe = allActions(v, CONFIGS.small);
      for (const s of reachable()) {
        const a = enabledActions(v, CONFIGS.small, s);
        expect(enabledActions(v, CONFIGS.small, structuredClone(s), universe)).toEqual(a);
        const at = a.map((x) => universe.findIndex((u) => JSON.stringify(u) === JSON.stringify(x)));
        expect(at.every((i) => i >= 0)).toBe(true);
        expect(at).toEqual([...at].sort((p, q) => p - q));
      }
    }
  });

  it('batches lists subsets smallest first, each in increasing order', () => {
    expect(batches(3, 2)).toEqual([[0], [1], [2], [0, 1], [0, 2], [1, 2]]);
    expect(batches(2, 1)).toEqual([[0], [1]]);
  });
});
