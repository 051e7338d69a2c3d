// docs/migrc-safety.md is generated: the committed file must be what the tool produces
// now, so a change to the model or to migrc shows up as a failing test, not a stale doc.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrcSafetyReport } from '../../src/migrc-report.js';

describe('the migrc safety report', () => {
  const text = migrcSafetyReport();

  it('matches the committed docs/migrc-safety.md (regenerate: npx shootdown report migrc)', () => {
    expect(text).toBe(readFileSync('docs/migrc-safety.md', 'utf8'));
  });

  it('finds migrc v3 unsafe in every family and the repaired variant safe in each', () => {
    const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| family'));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      const [, , v3, fixed] = row.split('|').map((c) => c.trim());
      expect(v3, row).toMatch(/^\*\*fails\*\*/);
      expect(fixed, row).toMatch(/^holds/);
    }
  });

  it('shows each failure as a race report with its replay line', () => {
    expect(text).toContain('VIOLATED noStaleWritableTlbAfterRemap in migrc');
    expect(text).toContain('npx shootdown check --protocol migrc --config tiny-migrc');
  });
});
