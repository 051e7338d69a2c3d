// docs/cost is generated: the committed charts must be what `shootdown cost` writes now
// (about 25 s, so in npm run test:full; the README's table is checked in cost.test.ts).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../src/cost/cost.js';
import { runCli } from '../support.js';

describe('what the repository shows', () => {
  it('the charts and tables in docs/cost are what `shootdown cost` writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shootdown-charts-'));
    // the charts are drawn at the largest CPU count, so only it needs running
    const r = await runCli('cost', '--cpus', '16', '--out', dir);
    expect(r.code).toBe(0);
    for (const w of WORKLOADS)
      expect(
        readFileSync(join(dir, `${w.id}.svg`), 'utf8'),
        `docs/cost/${w.id}.svg: run npx shootdown cost`,
      ).toBe(readFileSync(join('docs/cost', `${w.id}.svg`), 'utf8'));
  });
});
