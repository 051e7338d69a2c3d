// Deadlocks and leads-to properties on the whole graph (src/engine/liveness.ts): correct
// protocols are live; each property, and the deadlock check, catches a seeded bug no
// safety invariant sees; counterexamples replay, and their loops are fair runs; without
// fairness a correct protocol would look stuck, so fairness is doing work.

import { describe, expect, it } from 'vitest';
import { type Action, enabled } from '../../model/actions.js';
import { CONFIGS, type Config, worldConfig } from '../../model/config.js';
import { allActions } from '../../model/enumerate.js';
import type { State } from '../../model/state.js';
import type { Variant } from '../../model/variant.js';
import { findLeadsTo, waiting } from '../../properties/liveness.js';
import { encode, layoutOf } from '../../src/codec/encode.js';
import { explore } from '../../src/engine/explore.js';
import { checkLiveness, FAIR_OPS } from '../../src/engine/liveness.js';
import { replay } from '../../src/engine/trace.js';
import { neverFlushes, neverHandsOff, neverRemovesMigrationEntries } from '../fixtures/liveness-bugs.js';
import { runCli, variant } from '../support.js';

const tiny = CONFIGS.tiny;

/** The states a run of `actions` passes through, from the initial state (replayed, no invariant checked). */
function statesOf(v: Variant, config: Config, actions: readonly Action[]): State[] {
  const r = replay(v, config, actions, { invariants: [] });
  expect(r.trace.steps).toHaveLength(actions.length);
  return r.trace.steps.map((s) => s.state);
}

const bytes = (config: Config, s: State) => {
  const b = new Uint8Array(layoutOf(config).size);
  encode(layoutOf(config), s, b);
  return [...b];
};

describe('liveness of correct protocols', () => {
  for (const id of [
    'sync',
    'migrate-batched',
    'reclaim-batched-dirty',
    'fork-cow',
    'shared-file',
    'x86-pcid',
  ])
    it(`${id}: no deadlock, and every leads-to property holds in its whole world`, () => {
      const v = variant(id);
      const r = checkLiveness(v, worldConfig(v.world, 'exhaustive'));
      expect(r.complete).toBe(true);
      expect(r.deadlock).toBeNull();
      expect(r.properties.map((p) => [p.property, p.verdict])).toEqual([
        ['deferredFlushDone', 'holds'],
        ['migrationEntryRemoved', 'holds'],
        ['syscallReturns', 'holds'],
      ]);
    });

  it('needs fairness: judged over every run, fair or not, a migration may stall for ever', () => {
    const unfair = checkLiveness(variant('migrate-batched'), tiny, { fair: new Set() });
    const stalled = unfair.properties.find((p) => p.property === 'migrationEntryRemoved')!;
    expect(stalled.verdict).toBe('violated');
    // the loop it gives never takes the task's next step
    expect(stalled.lasso!.loop.length).toBeGreaterThan(0);
    expect(stalled.lasso!.loop.some((a) => a.op === 'kernelStep')).toBe(false);
  });
});

describe('seeded liveness bugs', () => {
  it('a migration that never removes its entries: a deadlock, with a path that replays to it', () => {
    const v = neverRemovesMigrationEntries;
    const r = checkLiveness(v, tiny);
    expect(r.complete).toBe(true);
    expect(r.deadlock?.waits).toMatch(/sleeps in migration_entry_wait/);
    const last = statesOf(v, tiny, r.deadlock!.path).at(-1)!;
    expect(allActions(v, tiny).filter((a) => enabled(v, last, a))).toEqual([]);
    expect(waiting(v, last)).toBe(r.deadlock!.waits);
    const p = r.properties.find((x) => x.property === 'migrationEntryRemoved')!;
    expect([p.verdict, p.instance]).toEqual(['violated', 'the migration entry of mm 0 p0']);
    expect(r.properties.find((x) => x.property === 'deferredFlushDone')!.verdict).toBe('holds');
    // (the explorer sees harm too, once the source frame the entry names is reused)
    expect(explore(v, tiny).violation?.invariant.id).toBe('noLostWrite');
  });

  /**
   * The lasso of `property`'s violation by `v` in `config`, checked: P holds from pendingAt,
   * Q never again around the loop back to where it began, and the loop is fair (a fair
   * action enabled in every state of it is taken in it). Returns the lasso.
   */
  function expectFairLasso(v: Variant, config: Config, property: string, instance: number) {
    const r = checkLiveness(v, config);
    expect(r.complete).toBe(true);
    const p = r.properties.find((x) => x.property === property)!;
    expect(p.verdict).toBe('violated');
    const { prefix, loop, pendingAt } = p.lasso!;
    expect(loop.length).toBeGreaterThan(0);
    const prop = findLeadsTo(property)!;
    const states = statesOf(v, config, [...prefix, ...loop]);
    const atLoop = states[prefix.length - 1]!;
    for (const s of states.slice(pendingAt - 1)) expect(prop.done(s, instance)).toBe(false);
    expect(prop.pending(states[pendingAt - 1]!, instance)).toBe(true);
    expect(bytes(config, states.at(-1)!)).toEqual(bytes(config, atLoop));
    const loopStates = states.slice(prefix.length - 1, -1);
    for (const a of allActions(v, config).filter((x) => FAIR_OPS.has(x.op)))
      if (loopStates.every((s) => enabled(v, s, a)))
        expect(
          loop.some((b) => JSON.stringify(b) === JSON.stringify(a)),
          JSON.stringify(a),
        ).toBe(true);
    return { result: r, lasso: p.lasso!, instance: p.instance };
  }

  it('a reclaim that never does its deferred flush: a fair loop in which the flush stays pending', () => {
    expectFairLasso(neverFlushes, tiny, 'deferredFlushDone', 0);
  });

  it('a rwsem with no handoff: a munmap() overtaken by hole after hole never returns, and nothing deadlocks', () => {
    const v = neverHandsOff;
    const world = worldConfig(v.world, 'exhaustive');
    const { result, lasso, instance } = expectFairLasso(v, world, 'syscallReturns', 0);
    expect(instance).toBe("task 0's system call");
    // something can always run, so the deadlock check alone would call this protocol live
    expect(result.deadlock).toBeNull();
    // the loop: punch after punch of the page the munmap() waits to unlink
    const states = statesOf(v, world, [...lasso.prefix, ...lasso.loop]);
    expect(states.at(-1)!.tasks[0]!.job).toBe('munmap');
    expect(lasso.loop.filter((a) => a.op === 'syscall').map((a) => a.op === 'syscall' && a.call)).toEqual([
      'punch_hole',
    ]);
    expect(lasso.loop.every((a) => a.op !== 'kernelStep' || a.task === 1)).toBe(true);
    // with the handoff (today's kernel) the same world returns every call
    const live = checkLiveness(variant('shared-file'), world);
    expect(live.properties.find((p) => p.property === 'syscallReturns')!.verdict).toBe('holds');
  });
});

describe('shootdown liveness', () => {
  it('exit 0 for live protocols, 1 with the seeded bugs, each named', async () => {
    const live = await runCli('liveness', '--protocol', 'migrate-batched', '--protocol', 'fork-cow');
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/2 protocols: no deadlock, every leads-to property holds, every graph whole$/);
    const bugs = await runCli(
      'liveness',
      ...['--variant-file', 'test/fixtures/liveness-bugs.ts', '--config', 'tiny'],
      ...[
        '--protocol',
        'migrate-batched-wrong-no-remove-migration-ptes',
        '--protocol',
        'reclaim-batched-wrong-never-flushes',
      ],
    );
    expect(bugs.code).toBe(1);
    expect(bugs.out).toMatch(
      /DEADLOCK: nothing can run while CPU \d's (load|store) of p0 sleeps in migration_entry_wait/,
    );
    expect(bugs.out).toMatch(
      /deferredFlushDone: VIOLATED: task 0's deferred flush \(tlb_ubc\) never gets there/,
    );
    expect(bugs.out).toMatch(/then, for ever/);
    // each step as a race report writes it: its CPU, the task, the kernel function
    expect(bugs.out).toMatch(/\n +\d+\. CPU 0: \[T0\] try_to_migrate_one\(p0\)\n/);
  });

  it('a system call that never returns, in its own world: the lasso in kernel functions and calls', async () => {
    const r = await runCli(
      'liveness',
      ...[
        '--variant-file',
        'test/fixtures/liveness-bugs.ts',
        '--protocol',
        'shared-file-wrong-no-rwsem-handoff',
      ],
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^shared-file-wrong-no-rwsem-handoff in tiny-shared-file: /);
    expect(r.out).toMatch(/\n {2}no deadlock\n/);
    const lasso = r.out.slice(r.out.indexOf('syscallReturns: VIOLATED'));
    expect(lasso).toMatch(/^syscallReturns: VIOLATED: task 0's system call never gets there/);
    expect(lasso).toMatch(/ 1\. CPU 1: munmap\(p0\)\n/);
    expect(lasso).toMatch(/\. CPU 1: \[T0\] free_pgtables\n/);
    const loop = lasso.slice(lasso.indexOf('then, for ever'));
    expect(loop).toMatch(/\. CPU 0: fallocate\(fd, PUNCH_HOLE, p0\)\n/);
    expect(loop).not.toMatch(/\[T0\]/);
  });

  it('--json: one document, a verdict per protocol and property', async () => {
    const r = await runCli('liveness', '--protocol', 'sync', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(true);
    expect(doc.properties.map((p: { id: string }) => p.id)).toEqual([
      'deferredFlushDone',
      'migrationEntryRemoved',
      'syscallReturns',
    ]);
    expect(doc.protocols[0]).toMatchObject({
      protocol: 'sync',
      config: 'tiny',
      complete: true,
      deadlock: null,
      ok: true,
    });
  });

  it('a budget that cuts the graph short is no verdict: exit 1', async () => {
    const r = await runCli('liveness', '--protocol', 'migrate-batched', '--max-states', '500');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/INCOMPLETE \(the state budget ended the search: no verdict\)/);
    expect(r.out).toMatch(/deferredFlushDone: no verdict/);
  });
});
