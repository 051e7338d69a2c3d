import { describe, expect, it } from 'vitest';
import { type Action, next } from '../../model/actions.js';
import { CONFIGS, type Config, worldConfig } from '../../model/config.js';
import { allActions, enabledActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import { initialState, type State } from '../../model/state.js';
import {
  defineVariant,
  NO_DIRTY_TRAP,
  PER_FOLIO_STEPS,
  type StepName,
  type Variant,
  X86,
} from '../../model/variant.js';
import { variant } from '../support.js';

const sync = variant('sync');
const reclaimBatched = variant('reclaim-batched');
const reclaimBatchedDirty = variant('reclaim-batched-dirty');
const noTrap = variant('reclaim-batched-wrong-no-dirty-trap');

const meta = { title: 'test', source: 'test' };

describe('defineVariant', () => {
  it('inherits every policy field from its base when it sets none', () => {
    const child = defineVariant({ id: 'child', ...meta, base: noTrap });
    expect(child.policy).toEqual(noTrap.policy);
    expect(child.policy.arch).toBe(NO_DIRTY_TRAP);
    expect(child.base).toBe(noTrap.id);
  });

  it('merges a partial job policy over the base job field by field', () => {
    const child = defineVariant({
      id: 'child',
      ...meta,
      base: reclaimBatched,
      policy: { reclaim: { deferDirty: true } },
    });
    expect(child.policy.reclaim).toEqual({ ...reclaimBatched.policy.reclaim!, deferDirty: true });
    expect(child.policy.migrate).toEqual(reclaimBatched.policy.migrate);
    expect(child.policy.arch).toBe(X86);
  });

  it('inherits through several generations (reclaim-batched-dirty keeps batchFlush from reclaim-batched, migrate from sync)', () => {
    expect(reclaimBatchedDirty.policy.reclaim!.batchFlush).toBe(true);
    expect(sync.policy.reclaim!.batchFlush).toBe(false);
    expect(reclaimBatchedDirty.policy.migrate).toEqual(sync.policy.migrate);
  });

  it('a null job policy removes the job; an overridden arch replaces the base arch', () => {
    const child = defineVariant({
      id: 'child',
      ...meta,
      base: noTrap,
      policy: { arch: X86, migrate: null },
    });
    expect(child.policy.migrate).toBeNull();
    expect(child.policy.reclaim).toEqual(noTrap.policy.reclaim);
    expect(child.policy.arch).toBe(X86);
  });

  it('does not inherit violates: a child of a seeded bug is expected correct unless it says otherwise', () => {
    expect(noTrap.violates.length).toBeGreaterThan(0);
    expect(defineVariant({ id: 'child', ...meta, base: noTrap }).violates).toEqual([]);
    expect(defineVariant({ id: 'child', ...meta, base: noTrap, violates: ['x'] }).violates).toEqual(['x']);
  });

  it('inherits reaches unless it sets its own', () => {
    expect(reclaimBatchedDirty.reaches.length).toBeGreaterThan(0);
    expect(defineVariant({ id: 'child', ...meta, base: reclaimBatchedDirty }).reaches).toEqual(
      reclaimBatchedDirty.reaches,
    );
    expect(defineVariant({ id: 'child', ...meta, base: reclaimBatchedDirty, reaches: [] }).reaches).toEqual(
      [],
    );
  });

  it('a root needs batchFlush, deferDirty and program for each job it sets', () => {
    expect(() => defineVariant({ id: 'root', ...meta, policy: { reclaim: { batchFlush: true } } })).toThrow(
      /root: reclaim/,
    );
    const root = defineVariant({ id: 'root', ...meta });
    expect(root.policy).toEqual({
      arch: X86,
      flushBatchedPending: true,
      reclaim: null,
      migrate: null,
      migrc: null,
    });
    expect(root.base).toBeNull();
  });

  it.each(PER_FOLIO_STEPS)('throws when %s stands in a once phase', (step) => {
    expect(() =>
      defineVariant({ id: 'bad', ...meta, base: sync, policy: { reclaim: { program: [{ once: step }] } } }),
    ).toThrow(
      new RegExp(
        `^variant "bad": policy\\.reclaim\\.program\\[0\\]\\.once: "${step}" acts on one folio, so it belongs in an 'each' phase$`,
      ),
    );
    expect(() =>
      defineVariant({ id: 'bad', ...meta, base: sync, policy: { migrate: { program: [{ once: step }] } } }),
    ).toThrow(/'each' phase/);
  });

  it.each(['try_to_unmap_flush', 'try_to_unmap_flush_dirty'] satisfies StepName[])(
    'accepts the batch-wide %s in a once phase',
    (step) => {
      const v = defineVariant({
        id: 'ok',
        ...meta,
        base: sync,
        policy: { reclaim: { program: [{ each: ['try_to_unmap_one'] }, { once: step }] } },
      });
      expect(v.policy.reclaim!.program).toEqual([{ each: ['try_to_unmap_one'] }, { once: step }]);
    },
  );
});

describe('shared code never branches on a variant’s id', () => {
  /** A fixed pseudo-random walk: the same picks for the same enabled lists. */
  function walk(
    v: Variant,
    config: Config,
    steps: number,
    from = 12345,
  ): { states: State[]; actions: Action[] } {
    const universe = allActions(v, config);
    let s = initialState(config);
    let seed = from;
    const states = [s];
    const actions: Action[] = [];
    for (let i = 0; i < steps; i++) {
      // (not reuseFrame: a frame handed to the page cache never comes back, and a small
      // world would run out of the frames the walk's faults need)
      const menu = enabledActions(v, config, s, universe).filter((a) => a.op !== 'reuseFrame');
      if (menu.length === 0) break;
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Favour the kernel task so batches run to their end within the walk.
      const kernel = menu.find((a) => a.op === 'kernelStep');
      const a = kernel !== undefined && seed % 3 !== 0 ? kernel : menu[seed % menu.length]!;
      s = next(v, s, a);
      actions.push(a);
      states.push(s);
    }
    return { states, actions };
  }

  it.each(VARIANTS.map((v) => [v.id, v] as const))('%s renamed walks the same 40 to 60 steps', (_, v) => {
    const renamed: Variant = { ...v, id: 'renamed' };
    const batches = v.policy.reclaim !== null || v.policy.migrate !== null;
    // A variant with no batch job runs only in its own worlds (the system calls, the
    // switches, fork()'s child, a shared file).
    const configs = batches
      ? [CONFIGS.small, CONFIGS['two-tasks']]
      : [worldConfig(v.world, 'random'), worldConfig(v.world, 'exhaustive')];
    const ops: Action['op'][] = [];
    for (const config of configs) {
      // (longer, and two of them, in a world of system calls, so a walk reaches the world's
      // own machinery)
      const steps = batches ? 40 : 60;
      const seeds = batches ? [12345] : [12345, 54321];
      const started: Action['op'][] = [];
      for (const seed of seeds) {
        const original = walk(v, config, steps, seed);
        const copy = walk(renamed, config, steps, seed);
        expect(copy.actions).toEqual(original.actions);
        expect(copy.states).toEqual(original.states);
        started.push(...original.actions.map((a) => a.op));
      }
      ops.push(...started);
      // The walk must exercise the kernel, or equality says nothing about the policy code.
      if (batches) {
        expect(started.filter((op) => op === 'kernelStep').length).toBeGreaterThan(3);
        expect(started.some((op) => op === 'migrate_pages' || op === 'shrink_folio_list')).toBe(true);
      }
    }
    if (!batches) {
      expect(ops.filter((op) => op === 'kernelStep').length).toBeGreaterThan(3);
      // and the world's own machinery: switches with PCID, the flusher of a shared file,
      // copy-on-write faults after fork()
      const world = worldConfig(v.world, 'random');
      const own = world.pcid
        ? ['switch_mm']
        : world.pfnmap
          ? ['mmap', 'writeback', 'remove_mapping', 'syscall'] // (or the driver's revocation, a system call here)
          : world.sharedFile
            ? ['writeback', 'remove_mapping', 'mmap'] // (mmap() maps the file again)
            : ['wp_page_copy'];
      expect(ops).toContain('syscall');
      expect(
        ops.some((op) => own.includes(op)),
        own.join(' or '),
      ).toBe(true);
    }
  });
});
