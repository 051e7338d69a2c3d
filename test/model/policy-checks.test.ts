// The checks behind the one-line errors for a user's variant file (`shootdown check --variant
// FILE`): jobPolicyProblem(), policyProblem() and the merges in defineVariant(). Each rule is
// tested on both sides, a value it must refuse with its message and the nearest value it must
// accept, so a rule made stricter or looser fails here and not only in a CLI test.

import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../model/registry.js';
import type { MigrcPolicy } from '../../model/variant.js';
import {
  ARM64,
  defineVariant,
  jobPolicyProblem,
  type Policy,
  policyProblem,
  X86,
} from '../../model/variant.js';
import { variant } from '../support.js';

const sync = variant('sync');
const migrc = variant('migrc');
const meta = { title: 'test', source: 'test' };

/** A valid job policy, to break one field at a time. */
const job = {
  batchFlush: true,
  deferDirty: false,
  program: [{ each: ['try_to_unmap_one', 'pageout'] }, { once: 'try_to_unmap_flush' }],
};
/** A valid whole policy (migrc's: every field set), to break one field at a time. */
const policy: Policy = { ...migrc.policy, reclaim: job as Policy['reclaim'] };

describe('jobPolicyProblem', () => {
  it('accepts null (no such job), a valid job and every registered job', () => {
    expect(jobPolicyProblem(null)).toBeNull();
    expect(jobPolicyProblem(job)).toBeNull();
    expect(jobPolicyProblem({ ...job, setsTlbFlushBatched: true })).toBeNull();
    expect(jobPolicyProblem({ ...job, setsTlbFlushBatched: false })).toBeNull();
    for (const v of VARIANTS) {
      expect(jobPolicyProblem(v.policy.reclaim)).toBeNull();
      expect(jobPolicyProblem(v.policy.migrate)).toBeNull();
    }
  });

  it.each([5, 'reclaim', true, undefined])('refuses %j: not an object', (value) => {
    expect(jobPolicyProblem(value)).toMatch(/^job: expected object, got /);
  });

  it.each([
    [{ batchFlush: undefined }, 'job.batchFlush: expected boolean, got nothing'],
    [{ deferDirty: undefined }, 'job.deferDirty: expected boolean, got nothing'],
    [{ batchFlush: 'yes' }, 'job.batchFlush: expected boolean, got "yes"'],
    [{ deferDirty: 0 }, 'job.deferDirty: expected boolean, got 0'],
  ])('refuses %j: batchFlush and deferDirty must be booleans', (change, message) => {
    expect(jobPolicyProblem({ ...job, ...change })).toBe(message);
  });

  it('refuses a setsTlbFlushBatched that is not a boolean', () => {
    expect(jobPolicyProblem({ ...job, setsTlbFlushBatched: 'yes' })).toBe(
      'job.setsTlbFlushBatched: expected boolean, got "yes"',
    );
  });

  it.each([
    [{ program: undefined }, 'job.program: expected array, got nothing'],
    [{ program: [] }, 'job.program: a program needs at least one phase'],
    [{ program: 'try_to_unmap_one' }, 'job.program: expected array, got "try_to_unmap_one"'],
  ])('refuses %j: the program must be a non-empty array', (change, message) => {
    expect(jobPolicyProblem({ ...job, ...change })).toBe(message);
  });

  it.each([null, 3, 'try_to_unmap_one', {}, { step: 'pageout' }, { each: ['pageout'], once: 'pageout' }])(
    'refuses the phase %j: not a phase',
    (phase) => {
      expect(jobPolicyProblem({ ...job, program: [{ each: ['try_to_unmap_one'] }, phase] })).toBe(
        'job.program[1]: a phase is { each: [...] } or { once: ... }, one of the two',
      );
    },
  );

  it('names a misspelled phase key and the one meant', () => {
    expect(jobPolicyProblem({ ...job, program: [{ eachh: ['pageout'] }] })).toBe(
      "job.program[0].eachh: unknown key (did you mean 'each'?)",
    );
  });

  it.each([
    [{ each: [] }, 'job.program[0].each: an each phase needs at least one step'],
    [{ each: 'try_to_unmap_one' }, 'job.program[0].each: expected array, got "try_to_unmap_one"'],
  ])('refuses the phase %j: no list of steps', (phase, message) => {
    expect(jobPolicyProblem({ ...job, program: [phase] })).toBe(message);
  });

  it('names an unknown step, in an each or a once phase, lists the known ones and the one meant', () => {
    const problem = jobPolicyProblem({ ...job, program: [{ each: ['try_to_unmap_one', 'unmap_page'] }] });
    expect(problem).toMatch(/^job\.program\[0\]\.each\[1\]: "unmap_page" is not one of migrc_mark_folios, /);
    for (const step of ['try_to_unmap_flush', 'migrc_req_end', 'folio_mc_copy'])
      expect(problem).toContain(step);
    expect(jobPolicyProblem({ ...job, program: [{ once: 'flush_tlb_all' }] })).toMatch(
      /^job\.program\[0\]\.once: "flush_tlb_all" is not one of [a-z_, ]*can_migrc_system$/,
    );
    expect(jobPolicyProblem({ ...job, program: [{ once: 'try_to_unmap_flsh' }] })).toMatch(
      /\(did you mean 'try_to_unmap_flush'\?\)$/,
    );
    // a system call's step is not a batch program's
    expect(jobPolicyProblem({ ...job, program: [{ once: 'tlb_finish_mmu' }] })).toMatch(/is not one of/);
  });

  it('accepts every known step in an each phase', () => {
    const steps = (jobPolicyProblem({ ...job, program: [{ each: ['x'] }] }) ?? '')
      .replace(/^.* is not one of /, '')
      .split(', ');
    expect(steps.length).toBe(17);
    expect(jobPolicyProblem({ ...job, program: [{ each: steps }] })).toBeNull();
  });
});

describe('policyProblem', () => {
  it('accepts every registered policy and the test policy', () => {
    for (const v of VARIANTS) expect([v.id, policyProblem(v.policy)]).toEqual([v.id, null]);
    expect(policyProblem(policy)).toBeNull();
  });

  it.each([null, 3, 'x', undefined])('refuses %j: not an object', (value) => {
    expect(policyProblem(value)).toMatch(/^policy: expected object, got /);
  });

  it.each([
    [{ arch: undefined }, 'policy.arch: expected object, got nothing'],
    [{ arch: null }, 'policy.arch: expected object, got null'],
    [{ arch: 'x86' }, 'policy.arch: expected object, got "x86"'],
    [{ arch: { name: 'x86' } }, 'policy.arch.dirtyBitTrap: expected boolean, got nothing'],
    [{ arch: { name: 'x86', dirtyBitTrap: 1 } }, 'policy.arch.dirtyBitTrap: expected boolean, got 1'],
    [{ arch: { dirtyBitTrap: true } }, 'policy.arch.name: expected string, got nothing'],
  ])('refuses %j: arch needs a name and a boolean dirtyBitTrap', (change, message) => {
    expect(policyProblem({ ...policy, ...change })).toBe(message);
  });

  it("accepts tlbi 'ipi', 'broadcast' or none, and refuses anything else", () => {
    expect(policyProblem({ ...policy, arch: { ...X86, tlbi: 'ipi' } })).toBeNull();
    expect(policyProblem({ ...policy, arch: ARM64 })).toBeNull();
    expect(policyProblem({ ...policy, arch: X86 })).toBeNull();
    expect(policyProblem({ ...policy, arch: { ...X86, tlbi: 'mmio' } })).toBe(
      'policy.arch.tlbi: "mmio" is not one of ipi, broadcast',
    );
  });

  it('accepts batchedPendingDsbOnly only with broadcast TLBIs', () => {
    expect(policyProblem({ ...policy, arch: { ...ARM64, batchedPendingDsbOnly: true } })).toBeNull();
    expect(policyProblem({ ...policy, arch: { ...X86, batchedPendingDsbOnly: false } })).toBeNull();
    for (const tlbi of ['ipi', undefined])
      expect(policyProblem({ ...policy, arch: { ...X86, tlbi, batchedPendingDsbOnly: true } })).toMatch(
        /^policy\.arch\.batchedPendingDsbOnly: needs tlbi 'broadcast'/,
      );
  });

  it.each(['reclaim', 'migrate'] as const)('prefixes a problem of the %s job with its path', (name) => {
    expect(policyProblem({ ...policy, [name]: { ...job, program: [] } })).toBe(
      `policy.${name}.program: a program needs at least one phase`,
    );
    expect(policyProblem({ ...policy, [name]: null })).toBeNull();
    // the model tests `policy.migrate !== null`: an absent job would read as present
    expect(policyProblem({ ...policy, [name]: undefined })).toBe(
      `policy.${name}: expected object, got nothing`,
    );
  });

  it('refuses a flushBatchedPending that is not a boolean', () => {
    for (const value of [undefined, 'true', 1])
      expect(policyProblem({ ...policy, flushBatchedPending: value })).toMatch(
        /^policy\.flushBatchedPending: expected boolean, got /,
      );
    expect(policyProblem({ ...policy, flushBatchedPending: false })).toBeNull();
  });

  it("accepts batchedPendingWindow 'flag', 'generations' or none, and refuses anything else", () => {
    for (const w of ['flag', 'generations', undefined])
      expect(policyProblem({ ...policy, batchedPendingWindow: w })).toBeNull();
    expect(policyProblem({ ...policy, batchedPendingWindow: 'gen' })).toBe(
      'policy.batchedPendingWindow: "gen" is not one of flag, generations',
    );
    expect(policyProblem({ ...policy, batchedPendingWindow: 'generation' })).toMatch(
      /\(did you mean 'generations'\?\)$/,
    );
  });

  it('accepts migrc null, refuses it absent, and names the first migrc field that is not a boolean', () => {
    expect(policyProblem({ ...policy, migrc: null })).toBeNull();
    const { migrc: _, ...withoutMigrc } = policy;
    expect(policyProblem(withoutMigrc)).toBe('policy.migrc: expected object, got nothing');
    const m = policy.migrc as MigrcPolicy;
    expect(policyProblem({ ...policy, migrc: { ...m, keepSrc: undefined } })).toBe(
      'policy.migrc.keepSrc: expected boolean, got nothing',
    );
    expect(policyProblem({ ...policy, migrc: { ...m, directWriteFlush: 'no' } })).toBe(
      'policy.migrc.directWriteFlush: expected boolean, got "no"',
    );
    expect(policyProblem({ ...policy, migrc: {} })).toBe(
      'policy.migrc.keepSrc: expected boolean, got nothing',
    );
  });
});

describe('defineVariant merges and defaults', () => {
  it('a null job policy removes the base job; an absent one keeps it', () => {
    expect(sync.policy.migrate).not.toBeNull();
    expect(
      defineVariant({ id: 'c', ...meta, base: sync, policy: { migrate: null } }).policy.migrate,
    ).toBeNull();
    expect(defineVariant({ id: 'c', ...meta, base: sync, policy: {} }).policy.migrate).toEqual(
      sync.policy.migrate,
    );
    // No base and no job: none.
    expect(defineVariant({ id: 'c', ...meta, policy: {} }).policy.migrate).toBeNull();
  });

  it('a partial job over a base sets what it names and keeps the rest', () => {
    const c = defineVariant({ id: 'c', ...meta, base: sync, policy: { reclaim: { batchFlush: true } } });
    expect(c.policy.reclaim).toEqual({ ...sync.policy.reclaim!, batchFlush: true });
    expect(sync.policy.reclaim!.batchFlush).toBe(false);
  });

  it.each([
    { batchFlush: true, deferDirty: false },
    { batchFlush: true, program: job.program },
    { deferDirty: true, program: job.program },
  ] as const)('a job without a base must set batchFlush, deferDirty and program: %j', (partial) => {
    expect(() => defineVariant({ id: 'root', ...meta, policy: { reclaim: partial as never } })).toThrow(
      'variant root: reclaim policy needs batchFlush, deferDirty and program (or a base)',
    );
  });

  it('names the job in the error: migrate as well as reclaim', () => {
    expect(() => defineVariant({ id: 'root', ...meta, policy: { migrate: { batchFlush: true } } })).toThrow(
      'variant root: migrate policy needs batchFlush, deferDirty and program (or a base)',
    );
  });

  it('a complete job needs no base', () => {
    expect(defineVariant({ id: 'root', ...meta, policy: { migrate: job as never } }).policy.migrate).toEqual(
      job,
    );
  });

  it('merges a partial migrc over the base migrc; null removes it; a root needs every field', () => {
    const m = migrc.policy.migrc!;
    const c = defineVariant({ id: 'c', ...meta, base: migrc, policy: { migrc: { keepSrc: false } } });
    expect(c.policy.migrc).toEqual({ ...m, keepSrc: false });
    expect(m.keepSrc).toBe(true);
    expect(defineVariant({ id: 'c', ...meta, base: migrc, policy: { migrc: null } }).policy.migrc).toBeNull();
    expect(defineVariant({ id: 'c', ...meta, base: migrc }).policy.migrc).toEqual(m);
    expect(() => defineVariant({ id: 'root', ...meta, policy: { migrc: { keepSrc: true } } })).toThrow(
      /^variant root: a migrc policy needs keepSrc, readOnlyOnly, wpFaultFlush, .*, directWriteFlush, stopKeepsFlush, everyWritableMapping, wideGen, undoOnMoveFailure, undoWithoutRequest \(or a base\)$/,
    );
    const { stopKeepsFlush: _, ...allButOne } = m;
    expect(() => defineVariant({ id: 'root', ...meta, policy: { migrc: allButOne } })).toThrow(
      /a migrc policy/,
    );
    expect(defineVariant({ id: 'root', ...meta, policy: { migrc: m } }).policy.migrc).toEqual(m);
  });

  it('flushBatchedPending and batchedPendingWindow: own, else the base’s, else the default', () => {
    const flag = variant('reclaim-batched-dirty-batched-flag-race');
    expect(flag.policy.batchedPendingWindow).toBe('flag');
    expect(defineVariant({ id: 'c', ...meta, base: flag }).policy.batchedPendingWindow).toBe('flag');
    expect(
      defineVariant({ id: 'c', ...meta, base: flag, policy: { batchedPendingWindow: 'generations' } }).policy
        .batchedPendingWindow,
    ).toBe('generations');
    expect('batchedPendingWindow' in defineVariant({ id: 'c', ...meta, base: sync }).policy).toBe(false);

    const noPending = defineVariant({ id: 'c', ...meta, base: sync, policy: { flushBatchedPending: false } });
    expect(noPending.policy.flushBatchedPending).toBe(false);
    expect(defineVariant({ id: 'd', ...meta, base: noPending }).policy.flushBatchedPending).toBe(false);
    expect(
      defineVariant({ id: 'd', ...meta, base: noPending, policy: { flushBatchedPending: true } }).policy
        .flushBatchedPending,
    ).toBe(true);
    expect(defineVariant({ id: 'd', ...meta }).policy.flushBatchedPending).toBe(true);
  });

  it('notes, world, fixedBy and randomRuns: own, else the documented default', () => {
    const root = defineVariant({ id: 'root', ...meta });
    expect(root.notes).toBe('');
    expect(root.world).toBe('small');
    expect(root.fixedBy).toBeNull();
    expect('randomRuns' in root).toBe(false);
    expect(root.reaches).toEqual([]);
    expect(root.violates).toEqual([]);

    const own = defineVariant({
      id: 'own',
      ...meta,
      notes: 'why',
      world: 'tiny',
      fixedBy: 'sync',
      randomRuns: 77,
      reaches: ['t'],
    });
    expect([own.notes, own.world, own.fixedBy, own.randomRuns, own.reaches]).toEqual([
      'why',
      'tiny',
      'sync',
      77,
      ['t'],
    ]);

    // world is inherited, notes and fixedBy and randomRuns are not.
    const child = defineVariant({ id: 'child', ...meta, base: own });
    expect([child.notes, child.world, child.fixedBy, 'randomRuns' in child]).toEqual([
      '',
      'tiny',
      null,
      false,
    ]);
  });
});
