// The parallel explorer (--workers): a finished search stores and counts exactly what the
// serial one does, a violation comes out at the same (shortest) length and replays, and
// budgets, growth of the shared table and draining of the workers' buffers change nothing.

import { describe, expect, it } from 'vitest';
import { CONFIGS, type Config } from '../../model/config.js';
import { findVariant } from '../../model/registry.js';
import { defineVariant } from '../../model/variant.js';
import type { CheckDocument } from '../../src/check/check.js';
import { explore } from '../../src/engine/explore.js';
import { exploreParallel } from '../../src/engine/explore-parallel.js';
import { loadVariantFile } from '../../src/load/variant-file.js';
import { recordedStates, runCli, variant } from '../support.js';

const same = (id: string, config: Config, options: { symmetry?: boolean; workers?: number } = {}) => {
  const v = variant(id);
  const serial = explore(v, config, options.symmetry ? { symmetry: true } : {});
  const parallel = exploreParallel(v, config, { workers: options.workers ?? 2, ...options });
  return { serial, parallel };
};

describe('the parallel explorer', () => {
  it.each([
    ['migrate-batched', 'tiny'],
    ['reclaim-batched-dirty', 'two-mms'],
    ['shared-file', 'tiny-shared-file'],
    ['fork-cow', 'tiny-fork-cow'],
    ['x86-pcid', 'tiny-pcid'],
  ] as const)(
    '%s in %s: the same states, transitions, depth, coverage and targets as the serial search',
    (id, name) => {
      const { serial, parallel } = same(id, CONFIGS[name]);
      expect(serial.complete).toBe(true);
      expect(parallel.complete).toBe(true);
      expect([parallel.distinct, parallel.generated, parallel.depth]).toEqual([
        serial.distinct,
        serial.generated,
        serial.depth,
      ]);
      expect(parallel.coverage).toEqual(serial.coverage);
      expect(parallel.targetsHit).toEqual(serial.targetsHit);
    },
  );

  it('with symmetry, with three workers: the same reduced count', () => {
    const { serial, parallel } = same('migrate-batched', CONFIGS['tiny-3cpu'], {
      symmetry: true,
      workers: 3,
    });
    expect([parallel.complete, parallel.distinct]).toEqual([true, serial.distinct]);
    expect(parallel.distinct).toBe(recordedStates('migrate-batched', 'tiny-3cpu', true));
  });

  it('through many rounds: a tiny shared table that grows and buffers that fill and drain', () => {
    const v = variant('migrate-batched');
    const serial = explore(v, CONFIGS.tiny);
    const parallel = exploreParallel(v, CONFIGS.tiny, { workers: 2, bufferStates: 40, tableSlots: 64 });
    expect([parallel.complete, parallel.distinct, parallel.generated, parallel.depth]).toEqual([
      true,
      serial.distinct,
      serial.generated,
      serial.depth,
    ]);
    expect(parallel.visitedBytes).toBeGreaterThan(64 * 8);
  });

  it.each([
    ['migrate-batched-wrong-copy-before-flush', 'tiny'],
    ['reclaim-batched-wrong-free-before-flush', 'tiny'],
    ['migrate-batched-wrong-remap-before-flush', 'small'],
    ['migrc', 'tiny-migrc'],
  ] as const)('%s in %s: a shortest counterexample, which replays', (id, name) => {
    const { serial, parallel } = same(id, CONFIGS[name]);
    expect(serial.violation).not.toBeNull();
    expect(parallel.complete).toBe(false);
    expect(parallel.violation?.actions.length).toBe(serial.violation?.actions.length);
    expect(parallel.violation?.replay.violation?.invariant.id).toBe(parallel.violation?.invariant.id);
    // at that length the full search finds this invariant broken too
    const one = explore(variant(id), CONFIGS[name], { invariants: [parallel.violation!.invariant] });
    expect(one.violation?.actions.length).toBe(parallel.violation?.actions.length);
  });

  it('stops at a budget with a partial verdict', () => {
    const v = variant('migrate-batched');
    const r = exploreParallel(v, CONFIGS.small, { workers: 2, maxStates: 5000 });
    expect([r.complete, r.stoppedBy, r.violation]).toEqual([false, 'max-states', null]);
    expect(r.distinct).toBeGreaterThanOrEqual(5000);
    const t = exploreParallel(v, CONFIGS.small, { workers: 2, maxSeconds: 0.5 });
    expect([t.complete, t.stoppedBy]).toEqual([false, 'max-seconds']);
  });

  it('loads a protocol from a variant file in each worker, and refuses one it could not load', async () => {
    const file = 'examples/migrate-flush-dirty-only.ts';
    const [fromFile] = await loadVariantFile(file);
    const serial = explore(fromFile!, CONFIGS.tiny);
    const parallel = exploreParallel(fromFile!, CONFIGS.tiny, { workers: 2, variantFile: file });
    expect(serial.violation).not.toBeNull();
    expect(parallel.violation?.actions.length).toBe(serial.violation?.actions.length);
    const unregistered = defineVariant({
      id: 'not-registered',
      title: 'migrate-batched under another name',
      source: 'a test',
      base: findVariant('migrate-batched')!,
      violates: [],
    });
    expect(() => exploreParallel(unregistered, CONFIGS.tiny, { workers: 2 })).toThrow(
      /not in the registry: worker threads load it by name, so pass the file that exports it/,
    );
  });

  it('refuses a number of workers that is not a whole number of at least 1', () => {
    expect(() => exploreParallel(variant('migrate-batched'), CONFIGS.tiny, { workers: 0 })).toThrow(
      /workers must be a whole number of at least 1/,
    );
  });
});

describe('shootdown check --workers', () => {
  it('exhaustive with --workers: the same verdicts and counts on worker threads, a variant file too', async () => {
    const r = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--workers',
      '2',
      '--protocol',
      'migrate-batched',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as CheckDocument;
    expect(doc.protocols[0]!.invariants[0]).toMatchObject({ verdict: 'holds', states: 7192 });
    const bug = doc.protocols[1]!.invariants.find((i) => i.invariant === 'noLostWrite')!;
    expect(bug).toMatchObject({ verdict: 'violated', expected: 'violated' });
    expect(bug.counterexample?.length).toBe(7);
    const fromFile = await runCli(
      'check',
      '--engine',
      'exhaustive',
      '--workers',
      '2',
      '--variant-file',
      'examples/migrate-flush-dirty-only.ts',
    );
    expect(fromFile.code).toBe(0);
    expect(fromFile.out).toMatch(
      /exhaustive engine \(breadth-first, 64-bit fingerprints, 2 worker threads\)/,
    );
  });
});
