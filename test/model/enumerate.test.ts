// The action universe (model/enumerate.ts): every action a config can name, and only those,
// per kind of action and per kind of task (one that batches, one that makes system calls).

import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS, type Config, defineConfig, SYSCALL_OPS, type SyscallOp } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import { VARIANTS } from '../../model/registry.js';
import type { Variant } from '../../model/variant.js';
import { variant } from '../support.js';

type Op = Action['op'];
/** How many actions of each kind, and of each system call. */
function tally(actions: readonly Action[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const a of actions) {
    const key = a.op === 'syscall' ? `syscall:${a.call}` : a.op;
    n[key] = (n[key] ?? 0) + 1;
  }
  return n;
}

/** Does `a` name only CPUs, pages, mms, frames, tasks and values the config has? */
function inBounds(c: Config, a: Action): boolean {
  const ok = (x: number | undefined, n: number) =>
    x === undefined || (Number.isInteger(x) && x >= 0 && x < n);
  const r = a as Partial<Record<'cpu' | 'vpage' | 'mm' | 'frame' | 'task' | 'value', number>> & {
    vpages?: readonly number[];
  };
  return (
    ok(r.cpu, c.cpus) &&
    ok(r.vpage, c.pages) &&
    ok(r.mm, c.mms) &&
    ok(r.frame, c.frames) &&
    ok(r.task, c.taskCpus.length) &&
    (r.value === undefined || (r.value >= 1 && r.value <= c.values)) &&
    (r.vpages ?? []).every((v) => ok(v, c.pages))
  );
}

describe('allActions()', () => {
  it('names only what the config has, in every registered world, for every protocol', () => {
    for (const config of Object.values(CONFIGS))
      for (const v of VARIANTS) {
        const bad = allActions(v, config).filter((a) => !inBounds(config, a));
        expect(bad, `${v.id} on ${config.name}`).toEqual([]);
      }
  });

  it('two-mms under migrate-batched: user accesses per CPU and page, evictions per mm, batches per mm', () => {
    const c = CONFIGS['two-mms'];
    const per = c.cpus * c.pages;
    // batches of up to `batch` pages: every single page and every pair here
    const sets = c.pages + (c.batch >= 2 ? (c.pages * (c.pages - 1)) / 2 : 0);
    expect(tally(allActions(variant('migrate-batched'), c))).toEqual({
      load: per,
      store: per * c.values,
      tlbEvict: per * c.mms,
      reuseFrame: c.frames,
      migrate_pages: c.taskCpus.length * c.mms * sets,
      shrink_folio_list: c.taskCpus.length * c.mms * sets,
      kernelStep: c.taskCpus.length,
    });
  });

  it('offers migration and reclaim only to protocols that have them', () => {
    const ops = (id: string) => new Set(allActions(variant(id), CONFIGS.tiny).map((a) => a.op));
    expect(ops('migrate-vma').has('shrink_folio_list')).toBe(false);
    expect(ops('migrate-vma').has('migrate_pages')).toBe(true);
    // every registered protocol migrates; a reclaim-only one is a policy without migrate
    const reclaimOnly = variant('reclaim-batched');
    const noMigrate: Variant = { ...reclaimOnly, policy: { ...reclaimOnly.policy, migrate: null } };
    const left = new Set(allActions(noMigrate, CONFIGS.tiny).map((a) => a.op));
    expect(left.has('migrate_pages')).toBe(false);
    expect(left.has('copyFails')).toBe(false);
    expect(left.has('shrink_folio_list')).toBe(true);
  });

  it('offers a copy failure only where the program has a copy step of its own', () => {
    const fails = (id: string) => allActions(variant(id), CONFIGS.tiny).filter((a) => a.op === 'copyFails');
    expect(fails('batch-copy')).toEqual([{ op: 'copyFails', task: 0 }]);
    expect(fails('migrate-batched')).toEqual([]);
    expect(fails('reclaim-batched')).toEqual([]);
  });

  describe('system calls', () => {
    // tiny's one CPU pair with the caller on task 1, every call there is
    const every = (calls: readonly SyscallOp[]) =>
      defineConfig({ ...CONFIGS['tiny-syscalls'], name: 'every', syscalls: calls });
    // (punch_hole is for a sharedFile world's page, not anonymous memory; NUMA balancing is
    // not modelled beside clear_refs and fork)
    const all = every(SYSCALL_OPS.filter((op) => op !== 'punch_hole' && op !== 'numa' && op !== 'pin'));

    it('punch a hole from the caller, one page at a time, in a sharedFile world', () => {
      const world = CONFIGS['tiny-shared-file'];
      const holes = allActions(variant('shared-file'), world).filter(
        (a) => a.op === 'syscall' && a.call === 'punch_hole',
      );
      expect(holes).toEqual([
        { op: 'syscall', task: 0, call: 'punch_hole', mm: 0, vpages: [0] },
        { op: 'syscall', task: 1, call: 'punch_hole', mm: 0, vpages: [0] },
      ]);
    });

    it('go to the caller only, one per call and range; the other task batches', () => {
      const actions = allActions(variant('migrate-batched'), all);
      const byTask = (task: number, op: Op) =>
        actions.filter((a) => a.op === op && 'task' in a && a.task === task);
      expect(byTask(0, 'syscall')).toEqual([]);
      expect(byTask(0, 'write')).toEqual([]);
      expect(byTask(1, 'migrate_pages')).toEqual([]);
      expect(byTask(0, 'migrate_pages')).toHaveLength(1);
      expect(tally(byTask(1, 'syscall'))).toEqual({
        'syscall:mprotect_ro': 1,
        'syscall:mprotect_rw': 1,
        'syscall:munmap': 1,
        'syscall:madvise_dontneed': 1,
        'syscall:clear_refs': 1,
        'syscall:mmap_fixed': 1,
        'syscall:madvise_free': 1,
        'syscall:fork': 1,
      });
      expect(byTask(1, 'write')).toHaveLength(all.pages * all.values);
      expect(actions.filter((a) => a.op === 'mmap')).toEqual([{ op: 'mmap', mm: 0, vpages: [0] }]);
    });

    it('each only where the world lists it', () => {
      const calls = [
        'mprotect',
        'munmap',
        'madvise',
        'clear_refs',
        'mmap_fixed',
        'fork',
        'madvise_free',
      ] as const;
      const named = {
        mprotect: ['mprotect_ro', 'mprotect_rw'],
        munmap: ['munmap'],
        madvise: ['madvise_dontneed'],
        clear_refs: ['clear_refs'],
        mmap_fixed: ['mmap_fixed'],
        fork: ['fork'],
        madvise_free: ['madvise_free'],
      };
      for (const call of calls) {
        const actions = allActions(variant('migrate-batched'), every([call]));
        const made = actions.flatMap((a) => (a.op === 'syscall' ? [a.call] : []));
        expect(made, call).toEqual(named[call]);
        expect(
          actions.some((a) => a.op === 'mmap' || a.op === 'write'),
          call,
        ).toBe(false);
      }
    });

    it("NUMA balancing: the scan and the hinting fault's migration from each caller", () => {
      const numa = (a: { op: string }) =>
        a.op === 'migrate_misplaced_folio' || ('call' in a && a.call === 'change_prot_numa');
      expect(allActions(variant('migrate-batched'), CONFIGS.numa).filter(numa)).toEqual([
        { op: 'syscall', task: 0, call: 'change_prot_numa', mm: 0, vpages: [0] },
        { op: 'migrate_misplaced_folio', task: 0, vpage: 0 },
        { op: 'syscall', task: 1, call: 'change_prot_numa', mm: 0, vpages: [0] },
        { op: 'migrate_misplaced_folio', task: 1, vpage: 0 },
      ]);
    });

    it('fork() copies the whole mm', () => {
      const forks = allActions(variant('sync'), CONFIGS['migrc-fork']).filter(
        (a) => a.op === 'syscall' && a.call === 'fork',
      );
      expect(forks).toEqual([{ op: 'syscall', task: 1, call: 'fork', mm: 0, vpages: [0] }]);
    });

    it('without syscallTasks every task makes the calls and also batches', () => {
      const { syscallTasks: _, ...rest } = every(['munmap']);
      const c = defineConfig(rest);
      const actions = allActions(variant('migrate-batched'), c);
      for (const task of [0, 1]) {
        expect(
          actions.filter((a) => a.op === 'syscall' && a.task === task),
          `task ${task}`,
        ).toHaveLength(1);
        expect(
          actions.filter((a) => a.op === 'migrate_pages' && a.task === task),
          `task ${task}`,
        ).toHaveLength(1);
      }
    });

    it('a world that names caller tasks but no calls lets every task batch', () => {
      // calls listed as none, or not listed at all
      const { syscalls: _, ...unlisted } = every([]);
      for (const quiet of [every([]), defineConfig(unlisted)]) {
        expect(quiet.syscallTasks).toEqual([1]);
        const actions = allActions(variant('migrate-batched'), quiet);
        for (const task of [0, 1])
          expect(
            actions.filter((a) => a.op === 'migrate_pages' && a.task === task),
            `task ${task}`,
          ).toHaveLength(1);
        expect(actions.some((a) => a.op === 'syscall')).toBe(false);
      }
    });

    it('none in a world without system calls', () => {
      const ops = new Set(allActions(variant('migrate-batched'), CONFIGS.small).map((a) => a.op));
      for (const op of ['syscall', 'write', 'mmap', 'flush_tlb_local'] as const)
        expect(ops.has(op), op).toBe(false);
    });
  });

  it('a context switch per CPU where the world has them', () => {
    const switches = allActions(variant('migrc'), CONFIGS['tiny-migrc']).filter(
      (a) => a.op === 'flush_tlb_local',
    );
    expect(switches).toEqual([
      { op: 'flush_tlb_local', cpu: 0 },
      { op: 'flush_tlb_local', cpu: 1 },
    ]);
  });
});
