// configProblem(): each rule of a usable world, at both ends of its range, with the one
// line it gives (the CLI prints it for a bad --config file).

import { describe, expect, it } from 'vitest';
import {
  CONFIGS,
  type Config,
  configProblem,
  defineConfig,
  LIMITS,
  ptlOf,
  worldConfig,
} from '../../model/config.js';

const small = CONFIGS.small;
/** small with `change` applied: its problem, or null. */
const problem = (change: Partial<Record<keyof Config, unknown>>) =>
  configProblem({ ...small, ...change } as Config);

describe('configProblem()', () => {
  it('accepts every registered world', () => {
    for (const c of Object.values(CONFIGS)) expect(configProblem(c), c.name).toBeNull();
  });

  it('bounds each count at both ends, whole numbers only', () => {
    const cases: [keyof Config, number, number, RegExp][] = [
      ['cpus', 1, LIMITS.cpus, /^cpus must be a whole number from 1 to 8$/],
      ['mms', 1, LIMITS.mms, /^mms must be a whole number from 1 to 4$/],
      ['pages', 1, LIMITS.pages, /^pages must be a whole number from 1 to 8$/],
      ['values', 1, LIMITS.values, /^values must be a whole number from 1 to 7$/],
      ['ptesPerTable', 1, 512, /^ptesPerTable must be a whole number from 1 to 512$/],
    ];
    for (const [field, lo, hi, message] of cases) {
      // cpus also sizes cpuMm; pages also bounds frames and batch: keep those consistent
      const sized = (n: number) =>
        field === 'cpus'
          ? { cpus: n, cpuMm: Array.from({ length: n }, () => 0), taskCpus: [0] }
          : field === 'pages'
            ? { pages: n, frames: Math.max(n * small.mms, small.frames), batch: 1 }
            : field === 'mms'
              ? { mms: n, frames: Math.max(n * small.pages, small.frames) }
              : { [field]: n };
      expect(problem(sized(lo)), `${field} ${lo}`).toBeNull();
      expect(problem(sized(hi)), `${field} ${hi}`).toBeNull();
      expect(problem(sized(lo - 1)), `${field} ${lo - 1}`).toMatch(message);
      expect(problem(sized(hi + 1)), `${field} ${hi + 1}`).toMatch(message);
      expect(problem(sized(lo + 0.5)), `${field} ${lo + 0.5}`).toMatch(message);
    }
  });

  it('frames: at least one per page of every mm, at most the limit', () => {
    const least = small.mms * small.pages;
    expect(problem({ frames: least })).toBeNull();
    expect(problem({ frames: least - 1 })).toBe(
      `frames must be a whole number from the pages mapped at the start (${least}) to 32`,
    );
    expect(problem({ frames: LIMITS.frames })).toBeNull();
    expect(problem({ frames: LIMITS.frames + 1 })).toMatch(/^frames must/);
  });

  it('cpuMm: one mm per CPU, each an mm of the world', () => {
    expect(problem({ cpuMm: [0] })).toBe('cpuMm must name one mm for each of the 2 CPUs');
    expect(problem({ cpuMm: [0, 1] })).toBe('cpuMm entries must be mms from 0 to 0');
    expect(problem({ cpuMm: [0, -1] })).toBe('cpuMm entries must be mms from 0 to 0');
  });

  it('taskCpus: at most the task limit, each a CPU of the world', () => {
    expect(problem({ taskCpus: [0, 1, 0, 1] })).toBeNull();
    expect(problem({ taskCpus: [0, 1, 0, 1, 0] })).toBe('at most 4 kernel tasks');
    expect(problem({ taskCpus: [2] })).toBe('taskCpus entries must be CPUs from 0 to 1');
    expect(problem({ taskCpus: [-1] })).toBe('taskCpus entries must be CPUs from 0 to 1');
  });

  it('batch: from one page to all of them', () => {
    expect(problem({ batch: small.pages })).toBeNull();
    expect(problem({ batch: small.pages + 1 })).toBe('batch must be a whole number from 1 to pages (2)');
    expect(problem({ batch: 0 })).toMatch(/^batch must/);
  });

  it('allocator: one of the two', () => {
    expect(problem({ allocator: 'lifo' })).toBeNull();
    expect(problem({ allocator: 'lowest-free' })).toBeNull();
    expect(problem({ allocator: 'fifo' })).toBe("allocator must be 'lowest-free' or 'lifo'");
  });

  it('syscalls: a list of known calls, with a task to make them', () => {
    expect(problem({ syscalls: ['munmap', 'fork'] })).toBeNull();
    expect(problem({ syscalls: 'munmap' })).toMatch(/^syscalls must be a list of: mprotect, munmap, /);
    expect(problem({ syscalls: ['munmap', 'exec'] })).toMatch(/^unknown syscall 'exec' \(known: mprotect, /);
    expect(problem({ syscalls: ['munmap'], taskCpus: [] })).toBe(
      'system calls need a task (taskCpus) to run them',
    );
    expect(problem({ syscalls: [], taskCpus: [] })).toBeNull();
  });

  it('syscallTasks: each a task of the world', () => {
    const two = { taskCpus: [0, 1] };
    expect(problem({ ...two, syscallTasks: [0, 1] })).toBeNull();
    expect(problem({ ...two, syscallTasks: [2] })).toBe('syscallTasks entries must be tasks from 0 to 1');
    expect(problem({ ...two, syscallTasks: [-1] })).toBe('syscallTasks entries must be tasks from 0 to 1');
    // Every entry, not just one of them.
    expect(problem({ ...two, syscallTasks: [0, 2] })).toBe('syscallTasks entries must be tasks from 0 to 1');
  });
});

describe('defineConfig(), ptlOf() and worldConfig()', () => {
  it('defineConfig() returns a usable config and throws the first problem of a bad one, named', () => {
    expect(defineConfig(small)).toBe(small);
    expect(() => defineConfig({ ...small, cpus: 0 })).toThrow(
      'config small: cpus must be a whole number from 1 to 8',
    );
  });

  it('ptlOf(): ptesPerTable consecutive pages share one page-table page', () => {
    const two = { ...small, ptesPerTable: 2 };
    expect([0, 1, 2, 3, 4, 5].map((v) => ptlOf(two, v))).toEqual([0, 0, 1, 1, 2, 2]);
    expect([0, 1, 2].map((v) => ptlOf({ ...small, ptesPerTable: 1 }, v))).toEqual([0, 1, 2]);
  });

  it('worldConfig(): the random engine gets the named world, the explorer its tiny stand-in', () => {
    expect(worldConfig('small', 'random')).toBe(CONFIGS.small);
    expect(worldConfig('small', 'exhaustive')).toBe(CONFIGS.tiny);
    // A world without a stand-in is explored as it is.
    expect(worldConfig('tiny-zap', 'exhaustive')).toBe(CONFIGS['tiny-zap']);
    expect(() => worldConfig('huge', 'random')).toThrow("unknown world 'huge'");
    expect(() => worldConfig('huge', 'exhaustive')).toThrow("unknown world 'huge'");
  });
});
