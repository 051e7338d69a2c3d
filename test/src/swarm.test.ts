// The deep searches (src/engine/swarm.ts): a bitstate array that takes a state for visited
// only when all its bits are set; one depth-first search over it that, with room to spare,
// stores exactly the states the explorer counts; a swarm whose searches leave actions out
// and still find the catalogue's seeded bugs, reproducibly from a seed; and the CLI's
// words for an engine that proves nothing. (A campaign in shards merged, and a search
// deeper than it keeps decoded, are in swarm.full.test.ts.)

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { checkVariant } from '../../src/check/check.js';
import { explore, searchOf } from '../../src/engine/explore.js';
import { BitState, HASH_FUNCTIONS, memberOf, searchMember, swarm } from '../../src/engine/swarm.js';
import { replay } from '../../src/engine/trace.js';
import { recordedStates, runCli, variant } from '../support.js';

describe('BitState', () => {
  it('takes a state for visited only once all its bits are set', () => {
    const b = new BitState(16);
    expect(b.add(12345, 678)).toBe(true);
    expect(b.add(12345, 678)).toBe(false);
    expect(b.add(12346, 678)).toBe(true);
    expect(b.stored).toBe(2);
    b.clear();
    expect(b.add(12345, 678)).toBe(true);
    expect(b.stored).toBe(1);
  });

  it("estimates what it loses by Holzmann's formula, growing as it fills", () => {
    const b = new BitState(12);
    const estimates: number[] = [];
    for (let i = 0; i < 1000; i++) {
      b.add(Math.imul(i, 0x9e3779b1) >>> 0, Math.imul(i, 0x85ebca77) >>> 0);
      if (i % 100 === 99) estimates.push(b.omission().now);
    }
    const n = b.stored;
    expect(b.omission().now).toBeCloseTo((1 - Math.exp((-HASH_FUNCTIONS * n) / 4096)) ** HASH_FUNCTIONS, 12);
    expect(estimates).toEqual([...estimates].sort((x, y) => x - y));
    // the mean over the fill is below the chance at the end
    expect(b.omission().mean).toBeLessThan(b.omission().now);
    expect(b.omission().mean).toBeGreaterThan(0);
  });

  it('refuses a size it cannot have', () => {
    expect(() => new BitState(9)).toThrow(/from 10 to 35/);
    expect(() => new BitState(36)).toThrow(/from 10 to 35/);
  });
});

describe('one bitstate search (--engine bitstate)', () => {
  it.each([
    ['migrate-batched', 'tiny', false],
    ['reclaim-batched-dirty', 'tiny', false],
    ['migrate-batched', 'tiny-lifo', true],
  ] as const)(
    'with room to spare stores every state the explorer counts: %s in %s (symmetry %s)',
    (id, world, symmetry) => {
      const v = variant(id);
      const r = swarm(v, CONFIGS[world], { invariants: INVARIANTS, maxSeconds: 600, single: true, symmetry });
      expect(r.violation).toBeNull();
      expect(r.stoppedBy).toBeNull();
      expect(r.truncated).toBe(false);
      expect(r.states).toBe(recordedStates(id, world, symmetry));
      // every state once, every enabled action from it once: the explorer's transitions too
      expect(r.transitions).toBe(explore(v, CONFIGS[world], { symmetry }).generated);
      expect(r.members[0]!.omission.mean).toBeLessThan(1e-9);
    },
  );

  it('cut at a depth bound, it says so', () => {
    const r = swarm(variant('migrate-batched'), CONFIGS.tiny, {
      invariants: INVARIANTS,
      maxSeconds: 600,
      single: true,
      maxDepth: 10,
    });
    expect(r.truncated).toBe(true);
    expect(r.depth).toBe(10);
    expect(r.states).toBeLessThan(recordedStates('migrate-batched', 'tiny'));
  });
});

describe('a swarm of searches (--engine swarm)', () => {
  const buggy = variant('migrate-batched-wrong-copy-before-flush');
  const options = {
    invariants: INVARIANTS,
    maxSeconds: 600,
    maxStates: 30_000,
    memberStates: 5_000,
    seed: 7,
  };

  it('finds a seeded bug and minimises a counterexample that replays through next()', () => {
    const r = swarm(buggy, CONFIGS.tiny, options);
    const v = r.violation!;
    expect(buggy.violates).toContain(v.invariant.id);
    expect(v.actions.length).toBeLessThanOrEqual(v.foundLength);
    const again = replay(buggy, CONFIGS.tiny, v.actions, { invariants: [v.invariant] });
    expect(again.violation?.invariant.id).toBe(v.invariant.id);
    expect(again.disabledAt).toBeNull();
  });

  it('is the same swarm from the same seed, and another from another', () => {
    const a = swarm(variant('migrate-batched'), CONFIGS.small, options);
    const b = swarm(variant('migrate-batched'), CONFIGS.small, options);
    const c = swarm(variant('migrate-batched'), CONFIGS.small, { ...options, seed: 8 });
    const shape = (r: typeof a) => r.members.map((m) => [m.member, m.states, m.transitions]);
    expect(shape(b)).toEqual(shape(a));
    expect(shape(c)).not.toEqual(shape(a));
    expect(a.stoppedBy).toBe('max-states');
    expect(a.states).toBe(30_000);
  });

  it('leaves actions out: without the migrations the seeded bug is out of reach, with them it is found', () => {
    const search = searchOf(buggy, CONFIGS.tiny, INVARIANTS, false);
    const member = memberOf(search, options, 0);
    expect(member.omit).toEqual([]); // the first search leaves nothing out
    const migrations = search.universe.flatMap((a, i) => (a.op === 'migrate_pages' ? [i] : []));
    expect(migrations.length).toBeGreaterThan(0);
    const run = (omit: number[]) =>
      searchMember(
        search,
        { ...member, omit, maxStates: 1e9 },
        new BitState(24),
        Number.POSITIVE_INFINITY,
        new Set(),
      );
    const without = run(migrations);
    expect(without.found).toBeNull();
    expect(without.stoppedBy).toBeNull();
    expect(run([]).found).not.toBeNull();
    // later searches leave some actions out, never a kernel step
    const later = Array.from({ length: 20 }, (_, i) => memberOf(search, options, i + 1));
    expect(later.some((m) => m.omit.length > 0)).toBe(true);
    for (const m of later) for (const i of m.omit) expect(search.universe[i]!.op).not.toBe('kernelStep');
  });

  it("gives a correct protocol 'no violation' rows, which meet an expected 'holds'; a buggy one its violations", () => {
    const budget = { engine: 'swarm', config: CONFIGS.tiny, maxStates: 30_000, seed: 3 } as const;
    const ok = checkVariant(variant('migrate-batched'), budget);
    expect(ok.ok).toBe(true);
    expect(ok.invariants.every((i) => i.verdict === 'incomplete' && i.members! > 0)).toBe(true);
    const bad = checkVariant(buggy, budget);
    expect(bad.ok).toBe(true);
    expect(
      bad.invariants
        .filter((i) => i.verdict === 'violated')
        .map((i) => i.invariant)
        .sort(),
    ).toEqual([...buggy.violates].sort());
    // a bug the swarm did not find is not as expected
    const tooSmall = checkVariant(buggy, { ...budget, maxStates: 1 });
    expect(tooSmall.ok).toBe(false);
  });
});

describe('shootdown check --engine swarm / bitstate', () => {
  it('prints the searches, the states and what hashing may have lost, and says it proves nothing', async () => {
    const r = await runCli(
      'check',
      ...['--engine', 'bitstate', '--protocol', 'migrate-batched', '--config', 'tiny', '--jobs', '1'],
    );
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toMatch(
      /bitstate engine \(one depth-first search, 2\^28-bit bitstate array; finds violations, proves nothing\)/,
    );
    expect(r.out).toMatch(
      new RegExp(
        `no violation \\(1 search, ${recordedStates('migrate-batched', 'tiny')} states, about less than one in a billion of them lost`,
      ),
    );
    expect(r.out).toMatch(/not a proof/);
  });

  it('writes its evidence into the JSON document', async () => {
    const r = await runCli(
      'check',
      ...['--engine', 'swarm', '--protocol', 'migrate-batched-wrong-copy-before-flush', '--config', 'tiny'],
      ...['--max-states', '50000', '--seed', '4', '--jobs', '1', '--json'],
    );
    expect(r.code, r.err.join('\n')).toBe(0);
    const doc = JSON.parse(r.out) as {
      engine: string;
      protocols: {
        invariants: { verdict: string; members?: number; counterexample: { member?: number } | null }[];
      }[];
    };
    expect(doc.engine).toBe('swarm');
    const rows = doc.protocols[0]!.invariants;
    expect(rows.every((i) => i.members! >= 1)).toBe(true);
    expect(rows.some((i) => i.verdict === 'violated' && i.counterexample!.member! >= 1)).toBe(true);
  });

  it.each([
    [
      ['--engine', 'random', '--hash-bits', '20'],
      /--hash-bits applies to the swarm and bitstate engines \(--engine swarm or bitstate\), not the random one/,
    ],
    [
      ['--engine', 'swarm', '--max-memory', '100'],
      /--max-memory applies to the exhaustive engine \(--engine exhaustive or both\), not the swarm one/,
    ],
    [
      ['--engine', 'bitstate', '--seed', '3'],
      /--seed applies to the random and swarm engines \(--engine random, both or swarm\), not the bitstate one/,
    ],
    [['--engine', 'swarm', '--workers', '2'], /--workers applies to the exhaustive engine/],
    [['--engine', 'swarm', '--hash-bits', '40'], /--hash-bits/],
  ])('refuses %j in one line', async (flags, message) => {
    const r = await runCli('check', '--protocol', 'sync', ...flags);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(message);
    expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
  });
});

it('minimises a counterexample against its own invariant when another breaks at the same step', () => {
  // reclaim without the dirty flush breaks a step invariant and a state invariant at once
  const v = variant('reclaim-batched-dirty-wrong-no-flush-dirty');
  const r = checkVariant(v, { engine: 'swarm', config: CONFIGS.tiny, maxStates: 50_000, seed: 1 });
  expect(
    r.invariants
      .filter((i) => i.verdict === 'violated')
      .map((i) => i.invariant)
      .sort(),
  ).toEqual([...v.violates].sort());
});

it("the race report's replay line runs the same search to the same state count, and finds it again", async () => {
  const argv = ['--protocol', 'migrate-batched-wrong-copy-before-flush', '--config', 'tiny', '--jobs', '1'];
  const first = await runCli('check', '--engine', 'swarm', '--seed', '9', '--max-states', '40000', ...argv);
  const line = first.out.split('\n').find((l) => l.startsWith('replay:'))!;
  expect(line).toMatch(/--engine swarm --seed 9 --max-states \d+ --max-seconds 1000000$/);
  const again = await runCli(...line.replace(/^replay:\s+npx shootdown /, '').split(' '));
  expect(again.out).toMatch(/VIOLATED/);
  const found = (out: string) => out.split('\n').find((l) => l.startsWith('  length:'));
  expect(found(again.out)).toBe(found(first.out));
});

it('with symmetry searches representatives, and its counterexample comes out in real numbers', () => {
  const v = variant('migrate-batched-wrong-copy-before-flush');
  for (const single of [true, false]) {
    const r = swarm(v, CONFIGS['tiny-lifo'], {
      invariants: INVARIANTS,
      maxSeconds: 600,
      maxStates: 50_000,
      single,
      symmetry: true,
      seed: 2,
    });
    const found = r.violation!;
    const again = replay(v, CONFIGS['tiny-lifo'], found.actions, { invariants: [found.invariant] });
    expect(again.violation?.invariant.id).toBe(found.invariant.id);
  }
});
