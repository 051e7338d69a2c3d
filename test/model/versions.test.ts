// Each variant states the kernel versions it models (issue 25): one `// Versions:` line in
// its header, before the code, saying which releases or, for a seeded bug or an unmerged
// series, none and on what it stands.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../model/registry.js';

const files = readdirSync('model/variants').filter((f) => f.endsWith('.ts'));

describe('every variant says which kernel versions it models', () => {
  it('has one file per registered variant', () => {
    expect(files.length).toBe(VARIANTS.length);
  });

  for (const file of files)
    it(file, () => {
      const text = readFileSync(`model/variants/${file}`, 'utf8');
      const header = text.slice(0, text.indexOf('\nimport '));
      const lines = header.split('\n').filter((l) => l.startsWith('// Versions: '));
      expect(lines, 'one // Versions: line in the header').toHaveLength(1);
      // a release, a commit, or a plain "none" with what it stands on
      expect(lines[0]).toMatch(/\bv?\d+\.\d+|\b[0-9a-f]{12}\b|none/);
    });
});
