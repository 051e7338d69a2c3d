// `shootdown list`: the registry.

import { CONFIGS } from '../../model/config.js';
import { VARIANTS } from '../../model/registry.js';
import { INVARIANTS } from '../../properties/invariants.js';
import { TARGETS } from '../../properties/targets.js';
import { describeConfig } from '../report/report.js';
import { VERSION } from '../version.js';
import type { Io } from './io.js';

export function runList(json: boolean, io: Io): number {
  const protocols = VARIANTS.map((v) => ({
    id: v.id,
    title: v.title,
    source: v.source,
    base: v.base,
    arch: v.policy.arch.name,
    expected: Object.fromEntries(
      INVARIANTS.map((i) => [i.id, v.violates.includes(i.id) ? 'violated' : 'holds']),
    ),
    reaches: v.reaches,
  }));
  const invariants = INVARIANTS.map((i) => ({ id: i.id, why: i.why }));
  const targets = TARGETS.map((t) => ({ id: t.id, why: t.why }));
  const configs = Object.values(CONFIGS);
  if (json) {
    io.out(
      JSON.stringify(
        { tool: 'shootdown', version: VERSION, protocols, invariants, targets, configs },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out('protocols:');
  for (const p of protocols) {
    const violates = Object.entries(p.expected)
      .filter(([, v]) => v === 'violated')
      .map(([k]) => k);
    io.out(`  ${p.id}${p.base ? ` (changes ${p.base})` : ''}: ${p.title}`);
    io.out(`      source: ${p.source}`);
    io.out(
      `      expected: ${violates.length === 0 ? 'every invariant holds' : `violates ${violates.join(', ')}`}`,
    );
  }
  io.out('invariants:');
  for (const i of invariants) io.out(`  ${i.id}: ${i.why}`);
  io.out('reachability targets:');
  for (const t of targets) io.out(`  ${t.id}: ${t.why}`);
  io.out('configs:');
  for (const c of configs) io.out(`  ${describeConfig(c)}\n      ${c.why}`);
  return 0;
}
