// The engines agree: in each catalogue protocol's explorer world, the swarm finds every
// violation the protocol expects (explorer-only ones included: the random engine misses
// those), and in a correct protocol it finds none. A state budget, not a time budget,
// keeps each campaign the same on any machine. Also the slower cases of the swarm itself:
// a campaign split into shards and merged, and a search deeper than it keeps decoded.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIGS, worldConfig } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { findInvariant, INVARIANTS } from '../../properties/invariants.js';
import { checkVariant } from '../../src/check/check.js';
import { swarm } from '../../src/engine/swarm.js';
import { runCli, variant } from '../support.js';

/** States a swarm campaign may store; the deepest catalogue bug needs about a tenth. */
const BUDGET = 400_000;

describe('the swarm finds what the explorer finds, in the explorer’s world', () => {
  // A broken protocol's campaign looks for what it breaks, and stops when all of it is
  // found: that no other invariant breaks there is the explorer's to show (engines-agree),
  // and a swarm asked for it would spend its whole budget in every broken protocol.
  it.each(VARIANTS.map((v) => [v.id, v] as const))('%s', (_, v) => {
    const r = checkVariant(v, {
      engine: 'swarm',
      config: worldConfig(v.world, 'exhaustive'),
      maxStates: v.violates.length === 0 ? BUDGET / 4 : BUDGET,
      maxSeconds: 600,
      seed: 1,
      ...(v.violates.length === 0 ? {} : { invariants: v.violates.map((id) => findInvariant(id)!) }),
    });
    const found = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant);
    expect(found.sort()).toEqual([...v.violates].sort());
    expect(r.ok).toBe(true);
  });
});

describe('a swarm campaign split into shards (--seeds, --shard) and merged', () => {
  const campaign = [
    'check',
    ...[
      '--engine',
      'swarm',
      '--protocol',
      'migrate-batched',
      '--protocol',
      'migrate-batched-wrong-copy-before-flush',
    ],
    ...['--config', 'tiny', '--max-states', '20000', '--seed', '3', '--seeds', '3', '--jobs', '1', '--json'],
  ];
  const rows = (json: string) =>
    (JSON.parse(json) as { protocols: { protocol: string; invariants: unknown[]; ok: boolean }[] }).protocols;

  it('merges to what the whole campaign gives in one process', async () => {
    const whole = await runCli(...campaign);
    expect(whole.code, whole.err.join('\n')).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-swarm-shards-'));
    const files: string[] = [];
    for (const i of [2, 1]) {
      const r = await runCli(...campaign, '--shard', `${i}/2`);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({
        engine: 'swarm',
        seed: 3,
        seeds: 3,
        maxStates: 20000,
        shard: { index: i, count: 2 },
      });
      files.push(join(dir, `${i}.json`));
      writeFileSync(files.at(-1)!, r.out);
    }
    const merged = await runCli('merge', ...files, '--json');
    expect(merged.code, merged.err.join('\n')).toBe(0);
    expect(rows(merged.out)).toEqual(rows(whole.out));
    // every row: the three seeds' states summed, and the seed of the counterexample named
    const doc = JSON.parse(merged.out) as {
      protocols: {
        invariants: { verdict: string; members: number; counterexample: { seed?: number } | null }[];
      }[];
    };
    expect(doc.protocols[0]!.invariants.every((i) => i.verdict === 'incomplete' && i.members >= 3)).toBe(
      true,
    );
    const found = doc.protocols[1]!.invariants.filter((i) => i.verdict === 'violated');
    expect(found.length).toBeGreaterThan(0);
    for (const i of found) expect([3, 4, 5]).toContain(i.counterexample!.seed);
  });

  it('refuses to merge a swarm shard with a random one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-swarm-shards-'));
    const swarmShard = await runCli(...campaign, '--shard', '1/2');
    const randomShard = await runCli(
      'check',
      ...[
        '--protocol',
        'migrate-batched',
        '--protocol',
        'migrate-batched-wrong-copy-before-flush',
        '--config',
        'tiny',
      ],
      ...['--runs', '10', '--seed', '3', '--seeds', '3', '--shard', '2/2', '--jobs', '1', '--json'],
    );
    writeFileSync(join(dir, 'a.json'), swarmShard.out);
    writeFileSync(join(dir, 'b.json'), randomShard.out);
    const r = await runCli('merge', join(dir, 'a.json'), join(dir, 'b.json'));
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/is a shard of another campaign/);
  });
});

it('a search deeper than the states it keeps decoded comes back to them from their bytes', () => {
  // small has paths thousands of steps long; a search past KEEP_DECODED (1,000) drops the
  // deeper frames' states and decodes them again on the way back
  const r = swarm(variant('migrate-batched'), CONFIGS.small, {
    invariants: INVARIANTS,
    maxSeconds: 600,
    maxStates: 100_000,
    single: true,
  });
  expect(r.depth).toBeGreaterThan(1000);
  expect(r.states).toBe(100_000);
  expect(r.violation).toBeNull();
});
