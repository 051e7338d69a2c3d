// docs/migrc-safety.md is generated: the committed file must be what the tool produces
// now, so a change to the model or to migrc shows up as a failing test, not a stale doc.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findVariant } from '../../model/registry.js';
import { migrcSafetyReport } from '../../src/studies/migrc/report.js';

describe('the migrc safety report', () => {
  const text = migrcSafetyReport();

  it('matches the committed docs/migrc-safety.md (regenerate: npm run report:migrc)', () => {
    expect(text).toBe(readFileSync('docs/migrc-safety.md', 'utf8'));
  });

  it('finds migrc v3 unsafe in every family and the repaired variant safe in each', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| family'));
    const end = lines.indexOf('', header);
    const rows = lines.slice(header + 2, end);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      const [, , v3, fixed] = row.split('|').map((c) => c.trim());
      expect(v3, row).toMatch(/^\*\*fails\*\*/);
      expect(fixed, row).toMatch(/^holds/);
    }
  });

  it('shows each rule of migrc-fixed needed: taking one away breaks what its variant expects', () => {
    const rows = text.split('\n').filter((l) => l.startsWith('| `migrc-'));
    expect(rows.length).toBe(8);
    for (const row of rows) {
      const [, cell, rule, breaks] = row.split('|').map((c) => c.trim());
      const id = /^`([^`]+)` \(([\w-]+)\)$/.exec(cell!)!;
      const v = findVariant(id[1]!)!;
      expect(id[2], row).toBe(v.world);
      expect(rule, row).toMatch(/^`\w+: false` \(migrc-fixed: true\)$/);
      for (const inv of v.violates) expect(breaks, row).toMatch(new RegExp(`${inv} \\(\\d+\\)`));
    }
  });

  it('shows each failure as a race report with its replay line', () => {
    expect(text).toContain('VIOLATED noStaleWritableTlbAfterRemap in migrc');
    expect(text).toContain('npx shootdown check --protocol migrc --config tiny-migrc');
    // v3 on a file page two processes map: mm 1's writable mapping, flushed at once, is unseen
    expect(text).toContain('| A file page two processes map | **fails**: loadsSeeLastStore (11 steps)');
    expect(text).toContain('npx shootdown check --protocol migrc --config migrc-shared-file');
  });
});
