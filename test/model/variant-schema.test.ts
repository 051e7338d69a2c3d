// A variant spec is checked against one declared schema: an unknown or misspelled key, a
// wrong type or an unknown step is refused with the key's path and the key meant, never
// dropped (a dropped key checks the base protocol under the user's id: a false "holds").

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineVariant, policyProblem, type VariantSpec } from '../../model/variant.js';
import { nearest } from '../../model/variant-schema.js';
import { variantProblem } from '../../src/check/check.js';
import { variant } from '../support.js';

const spec = (extra: object): VariantSpec =>
  ({
    id: 'mine',
    title: 'mine',
    source: 'a test',
    base: variant('migrate-batched'),
    ...extra,
  }) as VariantSpec;

describe('defineVariant refuses what the model would not read', () => {
  it.each([
    [
      { policy: { migrat: {} } },
      /^variant "mine": policy\.migrat: unknown key \(did you mean 'migrate'\?\)$/,
    ],
    [
      { policy: { migrate: { programme: [] } } },
      /^variant "mine": policy\.migrate\.programme: unknown key \(did you mean 'program'\?\)$/,
    ],
    [
      { policy: { migrate: 'yes please' } },
      /^variant "mine": policy\.migrate: expected object, got "yes please"$/,
    ],
    [
      { policy: { migrc: { keepsrc: true } } },
      /policy\.migrc\.keepsrc: unknown key \(did you mean 'keepSrc'\?\)/,
    ],
    [
      { policy: { arch: { name: 'x86', dirtyBitTrap: true, tlb: 'ipi' } } },
      /policy\.arch\.tlb: unknown key \(did you mean 'tlbi'\?\)/,
    ],
    [{ violate: ['noLostWrite'] }, /^variant "mine": violate: unknown key \(did you mean 'violates'\?\)$/],
    [
      { policy: { migrate: { program: [{ each: ['try_to_migrate_on'] }] } } },
      /policy\.migrate\.program\[0\]\.each\[0\]: "try_to_migrate_on" is not one of .* \(did you mean 'try_to_migrate_one'\?\)$/,
    ],
    [
      { policy: { migrate: { program: [{ each: ['try_to_migrate_one'], once: 'try_to_unmap_flush' }] } } },
      /policy\.migrate\.program\[0\]: a phase is \{ each: \[\.\.\.\] \} or \{ once: \.\.\. \}/,
    ],
    [{ policy: { zapDirtyShared: 'flush-then-rmapp' } }, /\(did you mean 'flush-then-rmap'\?\)$/],
    [{ policy: { flushBatchedPending: 'yes' } }, /policy\.flushBatchedPending: expected boolean, got "yes"/],
    [{ randomRuns: 1.5 }, /randomRuns: expected int, got 1\.5/],
    [{ id: 'my variant' }, /^variant "my variant": id: letters, digits/],
    [{ id: 'x\u001b[31m' }, /^variant "x\\u001b\[31m": id/],
  ])('%j', (extra, message) => {
    expect(() => defineVariant(spec(extra))).toThrow(message);
  });

  it('accepts every field a spec may set', () => {
    const v = defineVariant(
      spec({
        notes: 'n',
        policy: { migrate: { batchFlush: false }, flushBatchedPending: true, zapDirtyShared: 'after-unlock' },
        violates: ['noLostWrite'],
        reaches: [],
        world: 'small',
        fixedBy: 'migrate-batched',
        randomRuns: 10,
        explorerOnly: [],
      }),
    );
    expect(v.policy.migrate?.batchFlush).toBe(false);
    expect(v.policy.zapDirtyShared).toBe('after-unlock');
  });
});

describe('a hand-written variant object', () => {
  it('may not carry a key the model does not read', () => {
    const policy = variant('migrate-batched').policy;
    expect(policyProblem(policy)).toBeNull();
    expect(policyProblem({ ...policy, flushBatchedPendng: false })).toBe(
      "policy.flushBatchedPendng: unknown key (did you mean 'flushBatchedPending'?)",
    );
    expect(policyProblem({ ...policy, migrate: { ...policy.migrate, deferDirt: true } })).toMatch(
      /policy\.migrate\.deferDirt: unknown key \(did you mean 'deferDirty'\?\)/,
    );
  });
});

describe('one schema for specs and built variants', () => {
  it('names an unknown target or invariant of a built variant, with the one meant', () => {
    const v = variant('migrate-batched');
    expect(variantProblem(v)).toBeNull();
    expect(variantProblem({ ...v, reaches: ['pageMigrate'] })).toMatch(
      /^variant "migrate-batched": reaches\[0\]: "pageMigrate" is not one of .* \(did you mean 'pageMigrated'\?\)$/,
    );
    expect(variantProblem({ ...v, violates: ['noLostWrites'] })).toMatch(/\(did you mean 'noLostWrite'\?\)$/);
    expect(variantProblem({ ...v, extra: 1 } as never)).toBe('variant "migrate-batched": extra: unknown key');
  });

  it('a spec field written as undefined keeps the base’s', () => {
    const v = defineVariant(spec({ policy: { migrate: { batchFlush: undefined } } }));
    expect(v.policy.migrate).toEqual(variant('migrate-batched').policy.migrate);
  });

  it('refuses a base written by hand whose policy the model cannot read', () => {
    const base = variant('migrate-batched');
    const broken = { ...base, policy: { ...base.policy, arch: { name: 'x86', dirtyBitTrp: true } } } as never;
    expect(() => defineVariant(spec({ base: broken }))).toThrow(
      'variant "mine": policy.arch.dirtyBitTrap: expected boolean, got nothing',
    );
  });
});

describe('did you mean', () => {
  it('names the closest key only when it is close', () => {
    expect(nearest('migrat', ['reclaim', 'migrate', 'migrc'])).toBe('migrate');
    expect(nearest('zzzzzz', ['reclaim', 'migrate', 'migrc'])).toBeNull();
    expect(nearest('KEEPSRC', ['keepSrc'])).toBe('keepSrc');
  });
});

describe('whatever a spec says', () => {
  // A valid spec, edited at random: a key renamed, a value replaced by one of another type,
  // a key added. defineVariant either builds a variant whose policy passes policyProblem or
  // throws one line that starts with the variant and names a path; never anything else.
  const base = variant('migrate-batched');
  const valid = {
    id: 'fuzzed',
    title: 't',
    source: 's',
    base,
    policy: {
      migrate: { batchFlush: true, program: base.policy.migrate!.program },
      flushBatchedPending: true,
    },
    violates: ['noLostWrite'],
    world: 'small',
  };
  const junk = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.boolean(), { maxKeys: 2 }),
  );
  const paths = [
    ['id'],
    ['title'],
    ['policy'],
    ['policy', 'migrate'],
    ['policy', 'migrate', 'batchFlush'],
    ['policy', 'migrate', 'program'],
    ['policy', 'flushBatchedPending'],
    ['policy', 'migrc'],
    ['violates'],
    ['world'],
    ['randomRuns'],
  ];

  it('builds a valid variant or refuses it in one line, never another exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.string({ minLength: 1, maxLength: 12 }),
        junk,
        (path, key, value) => {
          const spec = structuredClone({ ...valid, base: undefined }) as Record<string, unknown>;
          spec.base = base;
          let at = spec;
          for (const k of path.slice(0, -1)) {
            if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
            at = at[k] as Record<string, unknown>;
          }
          at[path.at(-1)!] = value;
          at[key] = value;
          try {
            const v = defineVariant(spec as unknown as VariantSpec);
            expect(policyProblem(v.policy)).toBeNull();
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
            expect((e as Error).message).toMatch(/^variant( "[^\n]*")?: [^\n]+$/);
          }
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });
});
