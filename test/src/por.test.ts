// --por against the manifest on the explorer's small rows (at most 5,000 states); the
// rest up to 150,000 in por.full.test.ts.

import { describe, expect, it } from 'vitest';
import { explorerRows, porMismatches } from './por-rows.js';

describe('partial-order reduction changes no verdict, length or state count', () => {
  const rows = explorerRows(0, 5_000);
  it('covers rows that hold and rows that break', () => {
    expect(rows.length).toBeGreaterThan(8);
    const cells = rows.flatMap((r) => Object.values(r.invariants));
    expect(cells.some((c) => c.verdict === 'violated')).toBe(true);
    expect(cells.some((c) => c.verdict === 'holds')).toBe(true);
  });
  it.each(rows.map((r) => [`${r.protocol} in ${r.world}`, r] as const))('%s', (_, row) => {
    expect(porMismatches(row)).toEqual([]);
  });
});
